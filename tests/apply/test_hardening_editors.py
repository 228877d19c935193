"""Hardening: the ways editors and file systems change files, through the hot reloader.

`LiveWorkspace.reload` must never lose an object to a save that is still under way, never
apply half a file, ignore editors' side files, and end in the state the files describe.  The
last tests drive the real watcher in the running dashboard.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import time
from pathlib import Path

import pytest

from engine.manifests import loader as manifests
from engine.apply.live import LiveWorkspace
from tests.helpers import SAMPLES

SETTLE = 0.3


def svc(name: str, port: int = 80, ns: str = "") -> str:
    meta = f"  name: {name}\n" + (f"  namespace: {ns}\n" if ns else "")
    return f"apiVersion: v1\nkind: Service\nmetadata:\n{meta}spec:\n  selector: {{app: {name}}}\n  ports:\n  - port: {port}\n"


def aged(path: Path, seconds: float = 5.0) -> None:
    """Pretend the file was last written `seconds` ago (its save is long finished)."""
    t = time.time() - seconds
    os.utime(path, (t, t))


def services(ws: LiveWorkspace) -> dict[str, int]:
    return {s["metadata"]["name"]: s["spec"]["ports"][0]["port"]
            for s in ws.cluster.store.list("Service", "default") if s["metadata"]["name"] != "kubernetes"}


@pytest.fixture
def folder(tmp_path) -> Path:
    d = tmp_path / "m"
    d.mkdir()
    (d / "a.yaml").write_text(svc("a"))
    (d / "b.yaml").write_text(svc("b") + "---\n" + svc("b2"))
    for f in d.iterdir():
        aged(f)
    return d


def live(folder: Path, settle: float = SETTLE) -> LiveWorkspace:
    ws = LiveWorkspace([folder], deterministic=True, settle_seconds=settle)
    res = ws.reload()
    assert res.report.errors == [] and res.pending == {}
    return ws


# ---- saves -------------------------------------------------------------------------------------------

def test_write_in_place_is_applied_once_the_file_is_left_alone(folder):
    ws = live(folder)
    (folder / "a.yaml").write_text(svc("a", 81))
    res = ws.reload()
    assert list(res.pending) == [str(folder / "a.yaml")] and 0 < res.retry_after <= SETTLE
    assert services(ws)["a"] == 80  # not yet: the editor may still be writing
    aged(folder / "a.yaml")
    res = ws.reload()
    assert res.pending == {} and "service/a configured" in res.lines
    assert services(ws)["a"] == 81


def test_without_settle_time_a_save_applies_at_once(folder):
    ws = live(folder, settle=0)
    (folder / "a.yaml").write_text(svc("a", 82))
    assert "service/a configured" in ws.reload().lines


def test_truncate_then_write_in_chunks_never_deletes_and_applies_the_complete_file(folder):
    ws = live(folder)
    f = folder / "b.yaml"
    full = svc("b", 90) + "---\n" + svc("b2", 91)
    states = []
    with open(f, "w") as fh:
        fh.truncate(0)
        fh.flush()
        for i in range(0, len(full), 40):
            states.append(ws.reload())
            fh.write(full[i:i + 40])
            fh.flush()
    states.append(ws.reload())
    for res in states:
        assert res.pruned == [] and res.report.errors == []
        assert set(services(ws)) == {"a", "b", "b2"}
    assert services(ws) == {"a": 80, "b": 80, "b2": 80}  # still the last good state
    aged(f)
    res = ws.reload()
    assert services(ws) == {"a": 80, "b": 90, "b2": 91}
    assert res.pending == {} and res.report.errors == []


def test_an_empty_file_keeps_its_objects_until_it_has_content_or_is_deleted(folder):
    ws = live(folder, settle=0)
    f = folder / "b.yaml"
    f.write_text("")
    res = ws.reload()
    assert res.pruned == [] and set(services(ws)) == {"a", "b", "b2"}
    assert "is empty; keeping its objects" in res.pending[str(f)]
    assert [n.message for n in res.notices] == [f"svcflow: {f} {res.pending[str(f)]}"]
    f.unlink()
    res = ws.reload()
    assert sorted(res.pruned) == ["service/b pruned", "service/b2 pruned"]


def test_a_file_that_changes_while_it_is_read_is_read_again_shortly(folder, monkeypatch):
    ws = live(folder, settle=0)
    f = folder / "a.yaml"
    real_read = os.read
    appended = []

    def read_while_writing(fd, n):
        data = real_read(fd, n)
        if data and not appended and os.fstat(fd).st_ino == os.stat(f).st_ino:
            appended.append(True)
            with open(f, "a") as fh:
                fh.write("---\n" + svc("late"))
        return data

    monkeypatch.setattr(manifests.os, "read", read_while_writing)
    res = ws.reload()
    assert "is being written" in res.pending[str(f)] and res.retry_after == LiveWorkspace.RETRY_CHANGED
    monkeypatch.undo()
    assert "service/late created" in ws.reload().lines


def test_temp_file_and_rename_saves_of_vim_vscode_and_jetbrains(folder):
    ws = live(folder, settle=0)
    f = folder / "a.yaml"
    # vim (backupcopy=no): probe file 4913, swap file, backup, write new file, rename over
    (folder / "4913").write_text("")
    (folder / "4913").unlink()
    (folder / ".a.yaml.swp").write_bytes(b"b0VIM 9.0\x00\x00" + os.urandom(200))
    os.rename(f, folder / "a.yaml~")
    (folder / "a.yaml.new").write_text(svc("a", 83))
    os.rename(folder / "a.yaml.new", f)
    res = ws.reload()
    assert res.report.errors == [] and res.report.warnings == [] and res.pruned == []
    assert services(ws)["a"] == 83
    # JetBrains safe write
    (folder / "a.yaml___jb_tmp___").write_text(svc("a", 84))
    os.rename(f, folder / "a.yaml___jb_old___")
    os.rename(folder / "a.yaml___jb_tmp___", f)
    (folder / "a.yaml___jb_old___").unlink()
    # VS Code / emacs: a write in place next to an emacs lock link and auto-save file
    os.symlink("user@host.4242:1700000000", folder / ".#a.yaml")
    (folder / "#a.yaml#").write_text("garbage: [")
    res = ws.reload()
    assert res.report.errors == [] and res.report.duplicates == []
    assert services(ws)["a"] == 84


def test_backup_and_swap_files_are_never_read_as_manifests(folder):
    for name, content in ((".a.yaml.swp", b"\x00\x01binary"), ("a.yaml~", svc("a", 1).encode()),
                          ("4913", b""), (".a.yaml.swo", b"x"), ("a.yaml.orig", svc("a", 2).encode())):
        (folder / name).write_bytes(content)
    os.symlink("nowhere", folder / ".#b.yaml")
    ws = live(folder, settle=0)
    assert services(ws) == {"a": 80, "b": 80, "b2": 80}


def test_delete_and_recreate_keeps_the_objects_while_the_file_is_briefly_gone(folder):
    ws = live(folder)
    clock = [0.0]
    ws.monotonic = lambda: clock[0]
    f = folder / "a.yaml"
    text = f.read_text()
    f.unlink()
    res = ws.reload()
    assert res.pruned == [] and "is gone" in res.pending[str(f)] and res.retry_after == pytest.approx(SETTLE)
    f.write_text(text)
    aged(f)
    clock[0] = 0.1
    res = ws.reload()
    assert res.pending == {} and res.pruned == [] and "service/a unchanged" in res.lines
    f.unlink()
    ws.reload()
    clock[0] = 1.0
    assert ws.reload().pruned == ["service/a pruned"]


def test_a_folder_created_renamed_and_removed(folder):
    ws = live(folder, settle=0)
    sub = folder / "sub"
    sub.mkdir()
    (sub / "c.yaml").write_text(svc("c"))
    assert "service/c created" in ws.reload().lines
    os.rename(sub, folder / "renamed")
    res = ws.reload()
    assert res.pruned == [] and "service/c unchanged" in res.lines
    assert ws.applied[("Service", "default", "c")] == str(folder / "renamed" / "c.yaml")
    shutil.rmtree(folder / "renamed")
    assert ws.reload().pruned == ["service/c pruned"]


def test_the_watched_folder_removed_keeps_everything_until_it_comes_back(folder, tmp_path):
    ws = live(folder, settle=0)
    os.rename(folder, tmp_path / "away")
    res = ws.reload()
    assert res.pruned == [] and set(services(ws)) == {"a", "b", "b2"}
    assert res.report.errors[0].error == f'error: the path "{folder}" does not exist'
    assert "does not exist now; keeping its objects" in res.pending[str(folder / "a.yaml")]
    os.rename(tmp_path / "away", folder)
    res = ws.reload()
    assert res.report.errors == [] and res.pruned == [] and res.pending == {}


def test_an_unreadable_file_reports_and_keeps_its_objects(folder, monkeypatch):
    ws = live(folder, settle=0)
    f = folder / "b.yaml"
    real_open = os.open

    def deny(path, flags, *a):
        if str(path) == str(f):
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *a)

    monkeypatch.setattr(manifests.os, "open", deny)
    res = ws.reload()
    (err,) = res.report.errors
    assert err.error == f"error: open {f}: permission denied" and err.source == str(f)
    assert res.pruned == [] and set(services(ws)) == {"a", "b", "b2"}
    monkeypatch.undo()
    res = ws.reload()
    assert res.report.errors == [] and res.pruned == []


def test_symlinks_to_files_and_folders_and_a_symlink_loop(folder, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "d.yaml").write_text(svc("d"))
    (tmp_path / "e.yaml").write_text(svc("e"))
    os.symlink(other, folder / "linked")
    os.symlink(tmp_path / "e.yaml", folder / "e.yaml")
    os.symlink(folder, folder / "loop")
    ws = live(folder, settle=0)
    assert set(services(ws)) == {"a", "b", "b2", "d", "e"}
    (tmp_path / "e.yaml").write_text(svc("e", 99))  # the link's target is saved
    assert "service/e configured" in ws.reload().lines
    os.unlink(folder / "linked")
    assert ws.reload().pruned == ["service/d pruned"]


def test_a_broken_save_then_a_fix_ends_in_the_final_state_with_errors_cleared(folder):
    ws = live(folder, settle=0)
    f = folder / "a.yaml"
    f.write_text(svc("a", 85).replace("ports:", "ports\n"))
    res = ws.reload()
    assert res.report.errors and res.pruned == [] and services(ws)["a"] == 80
    f.write_text(svc("a", 86))
    res = ws.reload()
    assert res.report.errors == [] and services(ws)["a"] == 86


# ---- through the real watcher in the dashboard ---------------------------------------------------------

async def _until(pilot, cond, timeout: float = 8.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        await pilot.pause(0.05)
    return cond()


@pytest.fixture
def demo(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "demo"
    shutil.copytree(SAMPLES, d)
    for f in d.iterdir():
        aged(f)
    monkeypatch.chdir(tmp_path)
    return d


def quiet(app) -> None:
    """Stop the dashboard's timers from drawing while the test harness tears it down (the tick
    can otherwise fire after the widgets are gone: a NoMatches from `_tick`, not from this test)."""
    app.refresh_panes = lambda *a, **k: None
    app.player.advance = lambda *a, **k: None


async def test_the_watcher_follows_editor_saves_without_ever_losing_an_object(demo):
    from tui.app import SvcflowApp

    app = SvcflowApp([str(demo)], watch=True)
    results = []
    real_reload = app.workspace.reload

    def recording_reload(**kw):
        results.append(real_reload(**kw))
        return results[-1]

    app.workspace.reload = recording_reload
    async with app.run_test(size=(160, 48)) as pilot:
        try:
            store = app.workspace.cluster.store
            np_port = lambda: (store.get("Service", "default", "counter-np") or {}).get("spec", {}).get("ports", [{}])[0].get("nodePort")
            await pilot.pause(0.3)
            f = demo / "counter-nodeport.yml"
            text = f.read_text()

            # vim-style: probe file, swap file, backup, new file renamed over the old one
            (demo / "4913").write_text("")
            (demo / "4913").unlink()
            (demo / ".counter-nodeport.yml.swp").write_bytes(b"b0VIM\x00")
            os.rename(f, demo / "counter-nodeport.yml~")
            (demo / "counter-nodeport.yml.tmp").write_text(text.replace("31000", "31001"))
            os.rename(demo / "counter-nodeport.yml.tmp", f)
            assert await _until(pilot, lambda: np_port() == 31001)

            # truncate, then write in chunks with pauses longer than the watcher's debounce
            new = text.replace("31000", "31002")
            with open(f, "w") as fh:
                for i in range(0, len(new), 50):
                    fh.write(new[i:i + 50])
                    fh.flush()
                    await asyncio.sleep(0.1)
            assert await _until(pilot, lambda: np_port() == 31002)

            # a subfolder created with a file in it, then removed
            sub = demo / "extra"
            sub.mkdir()
            (sub / "x.yaml").write_text(svc("x"))
            assert await _until(pilot, lambda: store.get("Service", "default", "x") is not None)
            shutil.rmtree(sub)
            assert await _until(pilot, lambda: store.get("Service", "default", "x") is None)

            assert all(r.pruned in ([], ["service/x pruned"]) for r in results)
            assert app.workspace.last.report.errors == [] and app.workspace.last.pending == {}
            assert not app.query_one("#errors").has_class("-visible")
        finally:
            quiet(app)


async def test_the_watcher_survives_the_watched_folder_being_removed_and_recreated(demo, tmp_path):
    from tui.app import SvcflowApp

    app = SvcflowApp([str(demo)], watch=True)
    async with app.run_test(size=(160, 48)) as pilot:
        try:
            store = app.workspace.cluster.store
            await pilot.pause(0.3)
            os.rename(demo, tmp_path / "parked")
            assert await _until(pilot, lambda: app.query_one("#errors").has_class("-visible"))
            assert store.get("Service", "default", "redis") is not None  # nothing lost meanwhile
            os.rename(tmp_path / "parked", demo)
            (demo / "y.yaml").write_text(svc("yy"))
            assert await _until(pilot, lambda: store.get("Service", "default", "yy") is not None, timeout=10)
            assert await _until(pilot, lambda: not app.query_one("#errors").has_class("-visible"))
            assert store.get("Service", "default", "redis") is not None
        finally:
            quiet(app)
