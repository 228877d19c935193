"""Tours: the tutorial tour plays with the space key only, in both languages; tour files
written by hand work and malformed ones are refused with the step and field named."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from tui.cli import main
from tui.tour import TourApp
from tui.tour_script import TourError, load_tour

SIZE = (160, 48)


def tutorial_small() -> "Tour":  # noqa: F821
    """The tutorial tour with the 5,000-Service step scaled down for test speed."""
    t = load_tour()
    for st in t.steps:
        st.commands = [c.replace("generate services 5000", "generate services 200") for c in st.commands]
    return t


def test_the_tutorial_tour_loads_in_both_languages():
    t = load_tour()
    assert t.languages == ["en", "ko"] and len(t.steps) == 15
    assert all(s.caption("ko") != s.caption("en") for s in t.steps)
    assert all(s.caption("en").count("\n") <= 1 for s in t.steps)


async def test_space_alone_plays_the_whole_tour():
    app = TourApp(tutorial_small(), animate=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        for _ in range(len(app.tour.steps)):
            await pilot.press("space")
            await pilot.pause()
        assert app.index == 15
        log = "\n".join(str(line.text) for line in app.query_one("#events-log").lines)
        assert "\n1\n" in log and "\n2\n" in log  # curl twice: the counter counts
        assert ":1\n" in log and "*1\n$5\ncount" in log  # dbsize, KEYS *
        assert "3000:31000/TCP" in log
        await pilot.press("left")
        await pilot.pause()
        assert app.index == 14
        assert "1/15" not in str(app.query_one("#tour-caption").render())


async def test_going_back_rebuilds_the_same_names():
    app = TourApp(tutorial_small(), animate=False)
    async with app.run_test(size=SIZE) as pilot:
        app.seek(6)
        await pilot.pause()
        first = sorted(p["metadata"]["name"] for p in app.workspace.cluster.store.list("Pod", "default"))
        await pilot.press("space")
        await pilot.press("left")
        await pilot.pause()
        again = sorted(p["metadata"]["name"] for p in app.workspace.cluster.store.list("Pod", "default"))
        assert first == again


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("step", [1, 9, 15])
def test_snapshot_tour_steps(snap_compare, lang, step):
    async def seek(pilot):
        pilot.app.seek(step)
        await pilot.pause()

    assert snap_compare(TourApp(tutorial_small(), lang=lang, animate=False), terminal_size=SIZE, run_before=seek)


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("step", range(1, 16))
def test_snapshot_every_tour_step_at_100x30(snap_compare, lang, step):
    """The size a talk's big font leaves: every step, in both languages, as the room sees it."""
    async def seek(pilot):
        pilot.app.seek(step)
        await pilot.pause()

    assert snap_compare(TourApp(tutorial_small(), lang=lang, animate=False), terminal_size=(100, 30),
                        run_before=seek)


def test_a_hand_written_tour(tmp_path):
    (tmp_path / "app.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
                                       "spec: {selector: {app: web}, ports: [{port: 80}]}\n")
    (tmp_path / "mine.tour.yaml").write_text(
        "title: My talk\nmanifests: .\nsteps:\n"
        "  - caption: A Service with no pods\n    commands: [kubectl apply -f app.yaml, kubectl get ep web]\n"
        "    focus: endpoints\n  - caption: {en: Traffic is refused, ko: 연결 거부}\n"
        "    commands: ['trace outside 172.18.0.2:80']\n")
    t = load_tour(tmp_path / "mine.tour.yaml")
    assert [s.caption("ko") for s in t.steps] == ["A Service with no pods", "연결 거부"]
    out = tmp_path / "shot.svg"
    assert main(["screenshot", "--tour", str(tmp_path / "mine.tour.yaml"), "--step", "1", "-o", str(out)]) == 0
    assert "A Service with no pods" in out.read_text().replace("&#160;", " ")


@pytest.mark.parametrize("body,message", [
    ("steps: []\n", "steps: must be a non-empty list"),
    ("steps:\n  - commands: [x]\n", "step 1: caption: required"),
    ("steps:\n  - caption: a\n  - caption: b\n    focus: nowhere\n",
     'step 2: focus: unsupported value \'nowhere\': supported values: "pods", "services", "endpoints", "proxy", "dns", "events", "flow"'),
    ("steps:\n  - caption: a\n    comands: [x]\n", "step 1: unknown field 'comands' (allowed: caption, commands, focus, row, terminal, pause)"),
    ("steps:\n  - caption: a\n    pause: soon\n", "step 1: pause: must be a number of seconds >= 0"),
    ("steps:\n  - caption: \"one\\ntwo\\nthree\"\n", "step 1: caption.en: two lines at most"),
    ("steps:\n  - caption: a\n    commands: {x: 1}\n", "step 1: commands: must be a list of strings"),
])
def test_malformed_tours_name_the_step_and_field(tmp_path, body, message):
    f = tmp_path / "bad.yaml"
    f.write_text(body)
    with pytest.raises(TourError) as e:
        load_tour(f)
    assert str(e.value) == f"{f}: {message}"
    err = io.StringIO()
    assert main(["tour", str(f)], err=err) == 1 and err.getvalue() == f"error: {f}: {message}\n"


def test_screenshot_of_the_dashboard(tmp_path, monkeypatch):
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    out = tmp_path / "dash.svg"
    assert main(["screenshot", "-f", "samples/", "--size", "100x30", "-o", str(out)]) == 0
    svg = out.read_text()
    assert svg.startswith("<svg") and "kube-proxy" in svg


async def test_a_typed_step_says_it_runs_and_keys_pressed_meanwhile_wait_visibly():
    """A speaker's space presses while step 10's 5,000 Services are made are not silently
    dropped: the line over the prompt says `running…` before each typed line blocks, and a press during the step says the
    step is still playing (the tour stays on it), once per few seconds."""
    app = TourApp(tutorial_small(), animate=True)
    seen: list[str] = []
    async with app.run_test(size=(100, 30)) as pilot:
        app.seek(9)
        await pilot.pause()
        run = app._run

        def spy(cmd: str) -> None:
            seen.append(str(app.query_one("#status-line").render()))
            run(cmd)

        app._run = spy
        notes: list[str] = []
        notify = app.notify
        app.notify = lambda message, **kw: (notes.append(message), notify(message, **kw))
        await pilot.press("space")
        assert app._playing
        await pilot.press("space", "space", "space")
        assert app.index == 10
        for _ in range(600):
            if not app._playing:
                break
            await pilot.pause(0.05)
        assert not app._playing and app.index == 10
        assert notes.count("Step 10 is still playing: press the key again when it is done.") == 1
    commands = app.tour.steps[9].commands
    assert len(seen) == len(commands)
    assert all(line.endswith(f"{cmd}  →  running…") for line, cmd in zip(seen, commands))


async def test_a_tour_can_open_at_a_step_for_rehearsal():
    app = TourApp(tutorial_small(), animate=False, start=9)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.index == 9
        assert " 9/15 " in str(app.query_one("#tour-caption").render())
        names = {s["metadata"]["name"] for s in app.workspace.cluster.store.list("Service", "default")}
        assert "redis" in names  # applied again in step 9
        await pilot.press("space")
        await pilot.pause()
        assert app.index == 10


def test_tour_step_out_of_range_is_refused():
    err = io.StringIO()
    assert main(["tour", "--step", "99"], err=err) == 1
    assert "--step must be between 0 and 15" in err.getvalue()
