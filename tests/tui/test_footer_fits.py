"""The footer shows only the keys that fit whole beside the palette's key: at 100 columns
the key under `^p palette` was cut (`: Comman▏^p palette`), and a Korean one, cut in a
wide letter, shifted the row in SVG screenshots (`^pp alette`)."""
from __future__ import annotations

import pytest
from textual.widgets._footer import FooterKey

from tests.helpers import SAMPLES
from tui.app import SvcflowApp
from tui.widgets.chrome import FittedFooter


def _keys(app) -> tuple[list[FooterKey], FooterKey]:
    footer = app.query_one(FittedFooter)
    keys = list(footer.query(FooterKey))
    palette = next(k for k in keys if k.has_class("-command-palette"))
    return [k for k in keys if k is not palette], palette


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("size", [(100, 30), (160, 48)])
async def test_no_footer_key_is_cut_by_the_palettes(lang, size):
    app = SvcflowApp([str(SAMPLES)], deterministic=True, watch=False, lang=lang)
    async with app.run_test(size=size) as pilot:
        for press in (None, "v"):  # the dashboard's keys, then the diagram's
            if press:
                await pilot.press(press)
            await pilot.pause()
            await pilot.pause()
            keys, palette = _keys(app)
            assert keys, "no key shown"
            for key in keys:  # whole: its text ends before the palette's border (its trailing space may not)
                assert key.region.right - 1 <= palette.region.x, (key.key_display, key.region, palette.region)
            # (the palette's key: `^p ` then the word, no space leading the word's run)
            assert palette.render().plain == f"{palette.key_display} palette"
        assert "live" in [k.action for k in keys]  # (the diagram's own keys come first)
