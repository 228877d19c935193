"""`/` filters every pane (tester5 #11): the resource tables, and also kube-proxy's rules
(as `iptables-save | grep` shows them, the title counting what is shown), CoreDNS's records
and the events; an empty filter brings everything back."""
from __future__ import annotations

from tui.app import SvcflowApp
from tui.panes import EventsPane, ProxyPane
from tui.widgets.resource_table import ResourceTable


def _records(app) -> list[str]:
    t = app.query_one("#dns-table", ResourceTable)
    return [k for k in t._keys if k not in t._gone]


async def test_slash_filters_rules_records_and_events_too(demo):
    app = SvcflowApp(["demo"], deterministic=True, watch=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        proxy = app.query_one(ProxyPane)
        all_rules = list(proxy.view.lines)
        all_records = _records(app)
        events = app.query_one(EventsPane).output
        all_events = len(events.lines)
        assert "service/counter-np" in "\n".join(line.text for line in events.lines)
        await pilot.press("slash", *"redis", "enter")
        await pilot.pause()
        rules = list(proxy.view.lines)
        assert rules and all("redis" in r for r in rules) and len(rules) < len(all_rules)
        assert f"({len(rules)}/{len(all_rules)} lines)" in str(proxy.border_title)
        records = _records(app)
        assert records and len(records) < len(all_records)
        text = "\n".join(line.text for line in events.lines)
        assert "service/redis" in text and "service/counter-np" not in text  # (the events of the other Service)
        assert 0 < len(events.lines) < all_events
        await pilot.press("slash", "enter")  # an empty filter clears it
        await pilot.pause()
        assert list(proxy.view.lines) == all_rules
        assert _records(app) == all_records  # (back in zone order, not appended)
        assert len(events.lines) >= all_events
