"""The samples are the tutorial's manifests verbatim: a reader must recognise them."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT.parent / "shared" / "seeds" / "000_51006b400b9eae00.txt"


def _from_tutorial(name: str) -> str:
    text = SEED.read_text(encoding="utf-8")
    m = re.search(r"=+" + re.escape(name) + r"=+\n(.*?)\n=+\n", text, re.S)
    assert m, name
    return m.group(1) + "\n"


def test_samples_are_the_tutorial_manifests_byte_for_byte():
    for name in ("counter-redis-svc.yml", "counter-app.yml", "counter-nodeport.yml"):
        sample = (ROOT / "samples" / name).read_text(encoding="utf-8")
        if SEED.exists():
            assert sample == _from_tutorial(name)
        assert "kind:" in sample
