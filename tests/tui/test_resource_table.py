"""The panes' table at 100,000 rows: a filter swaps whole views; clearing it shows the very
list shown before without redoing it, and never mixes up what later syncs changed."""
from __future__ import annotations

from textual.app import App, ComposeResult

from engine.views.panes import Row
from tui.widgets.resource_table import BULK_LIST_KEEP, ResourceTable


class TableApp(App):
    def compose(self) -> ComposeResult:
        yield ResourceTable(("NAME", "IP"), id="t")


def rows(n: int, tag: str = "") -> list[Row]:
    return [Row(f"ns/pod-{i:06d}", (f"pod-{i:06d}{tag}", f"10.0.{i // 250}.{i % 250}")) for i in range(n)]


async def test_a_filter_and_back_over_a_big_list_keeps_order_selection_and_later_changes():
    app = TableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        t = app.query_one(ResourceTable)
        every = rows(BULK_LIST_KEEP + 500)
        every_reversed = list(reversed(every))  # the table sorts by name
        t.sync(every_reversed, flash=False)
        await pilot.pause()
        assert t.row_count == len(every) and t._keys[:2] == ["ns/pod-000000", "ns/pod-000001"]
        t.move_cursor(row=1234)
        assert t.selected_key == "ns/pod-001234"
        some = [r for r in every_reversed if r.key.endswith("4")]  # a filter
        t.sync(some, flash=False)
        assert t.row_count == len(some) and t.selected_key == "ns/pod-001234"
        t.sync(every_reversed, flash=False)  # the filter cleared: the list shown before
        assert t.row_count == len(every) and t.selected_key == "ns/pod-001234"
        assert t.get_row_index("ns/pod-000007") == 7
        # A later change to one row, then the filter and back again: the change is kept and
        # the remembered list is not disturbed.
        changed = [Row(r.key, (r.cells[0], "10.9.9.9")) if r.key == "ns/pod-000003" else r for r in every_reversed]
        t.sync(changed, flash=False)
        assert t._rows["ns/pod-000003"].cells[1] == "10.9.9.9" and t.row_count == len(every)
        t.sync(some, flash=False)
        t.sync(every_reversed, flash=False)
        assert t._rows["ns/pod-000003"].cells[1] == every[3].cells[1]
        assert t._keys == [r.key for r in every] and t.row_count == len(every)
        t.sync([r for r in every_reversed if r.key != "ns/pod-000005"], flash=False)  # one row goes
        assert "ns/pod-000005" not in t._keys or "ns/pod-000005" in t._gone
        t.sync(every_reversed, flash=False)
        assert t._keys == [r.key for r in every]


async def test_the_unfiltered_list_is_still_remembered_after_several_big_filters():
    app = TableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        t = app.query_one(ResourceTable)
        every = rows(3 * BULK_LIST_KEEP)
        t.sync(every, flash=False)
        await pilot.pause()
        for digit in "123":  # filters that each keep more than BULK_LIST_KEEP rows
            t.sync([r for r in every if digit in r.key], flash=False)
        assert id(every) in t._bulk_lists  # so clearing the filter is a swap, not 100,000 rows again
        t.sync(every, flash=False)
        assert t._bulk_shown is every and t.row_count == len(every)


# ---- the `/` filter ------------------------------------------------------------------------------------

import re  # noqa: E402

from hypothesis import given, strategies as st  # noqa: E402

from engine.views.panes import FilterTexts, filter_rows  # noqa: E402

cells = st.text(alphabet="aAbB-1.\\n", max_size=5).map(lambda s: s.replace("\\n", ""))
row_lists = st.lists(st.tuples(cells, cells, cells), max_size=12)
PATTERNS = ["a", "^a", "a$", "^$", "b-1", "a|1", "^a.*b$", r"\.", "x", r"\Aa", r"a\Z", r"\sa", "[^a]", "(?s)a.b", "",
            "1$|^b"]


@given(row_lists, st.sampled_from(PATTERNS + ["A", "aB", "b-1A"]), st.sampled_from([0, re.I]))
def test_the_fast_filter_finds_the_rows_a_per_cell_search_finds(cell_rows, pattern, flags):
    rows = [Row(f"ns/{i}", c) for i, c in enumerate(cell_rows)]
    rx = re.compile(pattern, flags)
    expected = [r for r in rows if any(rx.search(c) for c in r.cells)]
    assert filter_rows(rows, rx) == expected
    texts = FilterTexts()
    texts.prepare(rows)
    assert filter_rows(rows, rx, texts) == expected == filter_rows(rows, rx, texts)  # from the kept text


async def test_rows_found_by_name_follow_every_change_of_the_rows():
    app = TableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        t = app.query_one(ResourceTable)
        dns = [Row("a|A|1", ("redis.default.svc.cluster.local.", "10.96.0.5")),
               Row("b|SRV|x", ("_p._tcp.redis.default.svc.cluster.local.", "x")),
               Row("c|A|2", ("web.default.svc.cluster.local.", "10.96.0.6"))]
        t.sync(dns, flash=False)
        assert t.keys_named({"redis.default.svc.cluster.local"}) == {"a|A|1"}
        assert t.keys_named({"redis.default.svc.cluster.local", "_p._tcp.redis.default.svc.cluster.local"}) == \
            {"a|A|1", "b|SRV|x"}
        assert t.keys_named(set()) == set()
        t.sync(dns[1:] + [Row("d|A|3", ("redis.default.svc.cluster.local.", "10.96.0.9"))], flash=False)
        assert t.keys_named({"redis.default.svc.cluster.local"}) == {"d|A|3"}  # a|A|1 is going (flashing)
        await pilot.pause()


def test_warming_prepares_every_pod_row_so_all_namespaces_formats_nothing(monkeypatch):
    from engine.views import panes as views
    from engine.cluster.cluster import Cluster
    from engine.kubectl.printers import get as printers
    from tests.helpers import apply_yaml, sample

    c = Cluster(deterministic=True)
    for name in ("counter-redis-svc.yml", "counter-app.yml"):
        apply_yaml(c, sample(name))
    while not views.warm(c, 0.0):  # a little at a time (here: 64 pods per call at least)
        pass
    expected = views.dns_rows(c, "kube-system")
    monkeypatch.setattr(printers, "table", lambda *a, **k: (_ for _ in ()).throw(AssertionError("formatted again")))
    rows = views.pod_rows(c, None)
    assert len(rows) == c.store.count("Pod") and any(r.cells[0].startswith("kube-system/coredns-") for r in rows)
    assert views.dns_rows(c, "kube-system") is expected


class NarrowApp(App):
    def compose(self) -> ComposeResult:
        yield ResourceTable(("NAME", "READY", "STATUS", "RESTARTS", "IP", "NODE"), id="t",
                            drop_order=("RESTARTS", "NODE", "READY"))


async def test_a_narrow_pane_gives_up_the_columns_it_names_so_the_others_show_whole():
    app = NarrowApp()
    row = Row("ns/counter-f5698b698-wd7hs", ("counter-f5698b698-wd7hs", "1/1", "Running", "0", "10.244.1.2",
                                              "kind-worker2"))
    async with app.run_test(size=(48, 10)) as pilot:
        t = app.query_one(ResourceTable)
        t.sync([row], flash=False)
        await pilot.pause()
        # NAME, STATUS and IP must be whole: RESTARTS, then READY go; NODE, right of IP, is
        # never given up for them (cut at the edge, it still shows its start).
        assert t.hidden_columns == ["READY", "RESTARTS"]
        line = t.render_line(1).text
        assert "10.244.1.2" in line and line.startswith(" counter-f5698b698-wd7hs  Running")
        await pilot.resize_terminal(120, 10)
        await pilot.pause()
        assert t.hidden_columns == []  # room again: every column is back
        assert "1/1" in t.render_line(1).text
