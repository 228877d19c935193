"""The error bar and the CoreDNS pane's subtitle at a talk's sizes: whole sentences, the
rest counted or said in fewer words, never cut mid-sentence (a tester at 100x30: six RBAC
403 lines filled the bar and stopped at `(/api/v1/namespaces; RBAC: this kind is`; at
160x48 the subtitle ended `lookups time …`)."""
from __future__ import annotations

from textual.geometry import Region

from tests.helpers import SAMPLES
from tui.app import SvcflowApp
from tui.panes.dataplane import down_subtitle
from tui.screens import TextScreen
from tui.widgets.chrome import ERROR_ROWS, ERROR_ROWS_SMALL, ErrorBar


def forbidden(kind: str, path: str) -> str:
    """The line engine/attach/client.py writes for a 403 (kube-apiserver's own message)."""
    return (f'forbidden: {kind} is forbidden: User "jane" cannot list resource "{kind}" in API group "" at the '
            f"cluster scope ({path}; RBAC: this kind is skipped; grant get, list and watch to show it)")


REFUSED = [forbidden(k, p) for k, p in (("namespaces", "/api/v1/namespaces"), ("nodes", "/api/v1/nodes"),
                                        ("configmaps", "/api/v1/namespaces/kube-system/configmaps"),
                                        ("deployments", "/apis/apps/v1/deployments"),
                                        ("replicasets", "/apis/apps/v1/replicasets"),
                                        ("daemonsets", "/apis/apps/v1/daemonsets"))]
NOTE = "no kube-system/kube-proxy ConfigMap with config.conf: kube-proxy computed in iptables mode with kind's defaults"


def bar_rows(app: SvcflowApp) -> list[str]:
    """The rows the error bar draws, as text."""
    bar = app.query_one(ErrorBar)
    w, h = bar.outer_size  # (padding included: `size` is the content's and would crop the rows)
    return [strip.text.strip() for strip in bar.render_lines(Region(0, 0, w, h))]


async def test_the_error_bar_shows_whole_messages_and_counts_the_rest():
    app = SvcflowApp([str(SAMPLES)], deterministic=True, watch=False)
    async with app.run_test(size=(100, 30)) as pilot:
        bar = app.query_one(ErrorBar)
        bar.show(REFUSED, [NOTE])
        await pilot.pause()
        rows = bar_rows(app)
        assert bar.region.height == len(rows) <= ERROR_ROWS_SMALL  # (a projector's 30 rows keep their panes)
        assert rows[-1] == "+6 more (f1 shows them all)"
        shown = " ".join(rows[:-1])
        assert shown == REFUSED[0]  # whole: it ends where the message ends
        assert all(len(r) <= 98 for r in rows)

        await pilot.press("f1")  # every message, whole, in a screen that scrolls
        await pilot.pause()
        assert isinstance(app.screen, TextScreen)
        text = " ".join(app.screen.text.split())
        for msg in REFUSED + [NOTE]:
            assert msg in text
        await pilot.press("escape")
        await pilot.pause()

        await pilot.resize_terminal(160, 48)  # a larger screen shows more of them, still whole
        await pilot.pause()
        rows = bar_rows(app)
        assert len(rows) <= ERROR_ROWS and rows[-1].startswith("+") and rows[-1].endswith("(f1 shows them all)")
        hidden = int(rows[-1].split()[0][1:])
        assert " ".join(rows[:-1]) == " ".join(REFUSED[:7 - hidden])

        bar.show(REFUSED[:1], [NOTE])  # everything fits: no count
        await pilot.pause()
        assert " ".join(bar_rows(app)) == f"{REFUSED[0]} {NOTE}"

        bar.show([])
        await pilot.pause()
        assert not bar.has_class("-visible")
        await pilot.press("f1")
        await pilot.pause()
        assert not isinstance(app.screen, TextScreen)


async def test_a_long_message_alone_is_shown_whole():
    """One message longer than the bar's rows (kubectl's error for a broken file can be) is
    shown whole rather than cut."""
    app = SvcflowApp([str(SAMPLES)], deterministic=True, watch=False)
    async with app.run_test(size=(100, 30)) as pilot:
        long = " and ".join(REFUSED[:2])
        app.query_one(ErrorBar).show([long])
        await pilot.pause()
        assert " ".join(bar_rows(app)) == long


def test_the_coredns_subtitle_is_said_in_fewer_words_when_it_does_not_fit():
    reason = "kube-dns has no ready endpoints (no CoreDNS pod is ready)"
    assert down_subtitle(reason, "lookups are refused", 100) == f"{reason} · lookups are refused"
    assert down_subtitle(reason, "lookups are refused", 74) == "kube-dns has no ready endpoints · lookups are refused"
    gone = "the kube-system/kube-dns Service is gone"
    assert down_subtitle(gone, "lookups time out", 74) == f"{gone} · lookups time out"
    # a narrower pane: the reason alone rather than `lookups time …`
    assert down_subtitle(gone, "lookups time out", 50) == gone
    assert down_subtitle(reason, "lookups are refused", 40) == "kube-dns has no ready endpoints"


async def test_the_coredns_subtitle_fits_the_160x48_grid():
    app = SvcflowApp([str(SAMPLES)], deterministic=True, watch=False)
    async with app.run_test(size=(160, 48)) as pilot:
        app.run_command("kubectl scale deploy coredns -n kube-system --replicas=0")
        await pilot.pause()
        dns = app.query_one("#dns")
        subtitle = str(dns.border_subtitle)
        assert subtitle == "kube-dns has no ready endpoints · lookups are refused"
        assert len(subtitle) <= dns.size.width - 4
        assert "no CoreDNS pod is ready" in str(dns.tooltip)  # the whole line, on hover
