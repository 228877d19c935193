"""Hot reload semantics the dashboard relies on: apply, prune, and keeping the last good
state when a file is broken."""
from __future__ import annotations

import shutil

from engine.apply.live import LiveWorkspace
from tests.helpers import SAMPLES


def _ws(tmp_path):
    for f in SAMPLES.glob("*.yml"):
        shutil.copy(f, tmp_path / f.name)
    ws = LiveWorkspace([tmp_path], deterministic=True)
    first = ws.reload()
    ws.settle()
    return ws, first


def test_first_reload_creates_everything(tmp_path):
    ws, first = _ws(tmp_path)
    assert first.lines == ["deployment.apps/counter created", "service/counter-np created",
                           "deployment.apps/redis created", "service/redis created"]
    assert ws.cluster.get("Endpoints", "default", "counter-np")["subsets"]


def test_editing_a_file_configures_and_removing_a_document_prunes(tmp_path):
    ws, _ = _ws(tmp_path)
    f = tmp_path / "counter-nodeport.yml"
    f.write_text(f.read_text().replace("nodePort: 31000", "nodePort: 31001"))
    res = ws.reload()
    assert res.lines == ["deployment.apps/counter unchanged", "service/counter-np configured",
                         "deployment.apps/redis unchanged", "service/redis unchanged"]
    assert ws.cluster.get("Service", "default", "counter-np")["spec"]["ports"][0]["nodePort"] == 31001
    f.unlink()
    res = ws.reload()
    assert res.pruned == ["service/counter-np pruned"]
    assert ws.cluster.get("Service", "default", "counter-np") is None


def test_a_broken_file_keeps_its_objects_and_reports_file_and_line(tmp_path):
    ws, _ = _ws(tmp_path)
    f = tmp_path / "counter-redis-svc.yml"
    f.write_text(f.read_text().replace("  selector:\n    matchLabels:", "  selector:\n   matchLabels: x: y", 1))
    res = ws.reload()
    assert res.pruned == []
    assert ws.cluster.get("Deployment", "default", "redis") is not None
    (err,) = res.report.errors
    assert err.source.startswith(str(f)) or "counter-redis-svc.yml" in err.source
    assert "mapping values are not allowed in this context" in err.error
