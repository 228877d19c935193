"""The flow strip's caption is one row: a caption longer than the row wrapped onto a row the
strip does not have and lost its end mid-sentence (a tester at 100x30: `④ CoreDNS: serves
2.2.244.10.in-addr.arpa ->`, `... 0 deleted, 350750`, `wrote Service counter-np:
EndpointSlice`). Now it is shortened to end whole: records that do not fit counted, lists of
addresses cut to their first ones and a count, the controller's name dropped last."""
from __future__ import annotations

from rich.cells import cell_len

from tests.helpers import SAMPLES
from tui.app import SvcflowApp
from tui.widgets.flow import FlowStrip, fit_caption

PTR = ("④ CoreDNS: serves 2.2.244.10.in-addr.arpa -> 10-244-2-2.counter-np.default.svc.cluster.local (PTR); "
       "serves 10-244-2-2.counter-np.default.svc.cluster.local -> 10.244.2.2")


def test_records_that_do_not_fit_are_counted_and_each_shown_keeps_its_target():
    assert fit_caption(PTR, 98) == \
        "④ CoreDNS: serves 10-244-2-2.counter-np.default.svc.cluster.local -> 10.244.2.2 (+1 more)"
    # the engine's own count is added to
    assert fit_caption(PTR + " (+2 more)", 98).endswith("-> 10.244.2.2 (+3 more)")
    assert fit_caption(PTR, 200) == PTR  # (room: as it was)


def test_address_lists_are_counted_then_the_controller_name_goes():
    ips = ", ".join(f"10.244.1.{i}" for i in range(2, 8))
    line = f"① endpointslice-controller: Service default/counter-np selects pods {ips}"
    assert fit_caption(line, 98) == \
        "① endpointslice-controller: Service default/counter-np selects pods 10.244.1.2, +5 more"
    two = "② endpoint-controller wrote Endpoints counter-np: 10.244.1.2,10.244.1.3 (not ready: 10.244.1.4,10.244.2.3,10.244.2.4)"
    assert fit_caption(two, 80) == "② endpoint-controller wrote Endpoints counter-np: 2 IPs (not ready: 3 IPs)"
    sync = "③ kube-proxy on bench-worker99 (iptables): partial sync: 22 chains written, 0 deleted, 350750 rules"
    short = "③ bench-worker99 (iptables): partial sync: 22 chains written, 0 deleted, 350750 rules"
    assert fit_caption(sync, 98, short) == short
    assert fit_caption(sync, 40, short) == "③ bench-worker99 (iptables): partial sy…"  # (the last resort)


async def test_every_caption_of_a_scale_ends_whole_at_100_columns(tmp_path):
    """Every step a scale to 5 and back plays (IP lists, records with PTRs, partial syncs),
    shown on the strip at 100 columns: its caption row holds the whole line."""
    app = SvcflowApp([str(SAMPLES)], deterministic=True, watch=False)
    async with app.run_test(size=(100, 30)) as pilot:
        for cmd in ("kubectl scale deploy counter --replicas=5", "kubectl scale deploy coredns -n kube-system --replicas=3"):
            app.run_command(cmd)
        await pilot.pause()
        app.player.drain()
        strip = app.query_one(FlowStrip)
        width = strip.content_size.width
        long_ones = 0
        for ev in app.player.played:
            strip.show(ev)
            caption = strip.render().plain.splitlines()[1]
            long_ones += cell_len(strip.caption) > width
            assert cell_len(caption) <= width and "…" not in caption, (strip.caption, caption)
            if " -> " in strip.caption:
                assert " -> " in caption and not caption.rstrip().endswith("->"), caption
        assert long_ones >= 5  # (the case is real: captions longer than the row were played)
