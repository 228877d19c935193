"""A log pane's lines fit the width it has now: Textual's RichLog wrapped a line once (never
under 78 cells) and cropped it later, when the pane was narrower or its scrollbar came (a
tester: `serves 243.211.128.10.in-addr.arpa -` over `10-128-211-243...`, the `>` of `->`
lost)."""
from __future__ import annotations

from textual.app import App, ComposeResult

from tui.widgets.wrapping_log import WrappingLog

LINE = ("12:00:01 [4] coredns served service/svc-04711 serves 243.211.128.10.in-addr.arpa -> "
        "10-128-211-243.svc-04711.default.svc.cluster.local (PTR)")


class _LogApp(App):
    def compose(self) -> ComposeResult:
        yield WrappingLog(id="log", max_lines=100, markup=False, wrap=True)


async def test_lines_are_wrapped_again_when_the_width_changes_and_never_cropped():
    app = _LogApp()
    async with app.run_test(size=(100, 12)) as pilot:
        log = app.query_one(WrappingLog)
        for _ in range(3):
            log.write(LINE)
        await pilot.pause()
        for size in ((60, 12), (100, 6), (45, 30), (100, 30)):  # narrower, a scrollbar, wider
            await pilot.resize_terminal(*size)
            await pilot.pause()
            await pilot.pause()
            width = log.scrollable_content_region.width
            assert all(len(strip.text) <= width for strip in log.lines), size
            text = " ".join(line.text.rstrip() for line in log.lines)
            assert text.count("-> 10-128-211-243") == 3, (size, [s.text for s in log.lines])
        log.write(LINE)  # (a write after: the same, once)
        await pilot.pause()
        assert " ".join(s.text for s in log.lines).count("(PTR)") == 4
