"""Tours: a narrated, scripted walk through a cluster, for talks and teaching.

A tour is a plain YAML file:

    title: {en: "...", ko: "..."}       # or a plain string
    language: en                       # the default caption language
    manifests: ../../samples           # where `kubectl apply -f NAME` finds files (relative to the tour)
    steps:
      - caption: {en: "what and why, two lines at most", ko: "..."}
        commands: ["kubectl apply -f counter-redis-svc.yml", "kubectl get all"]
        focus: pods                    # pods | services | endpoints | proxy | dns | events | flow
        row: redis                     # optional: the focused pane's row the step is about (a
                                       # table's NAME, or how a kube-proxy rule line starts)
        terminal: ";; ANSWER SECTION:" # optional: scroll the terminal to this line's last occurrence
        pause: 1.5                     # optional: seconds to hold before the next step auto-plays

Commands are session lines (`kubectl ...`, `kubectl exec -it deploy/counter -- sh`, lines
typed inside a pod, `curl NODE_IP:31000`, `trace FROM TO`, `dig NAME --from POD`,
`generate services N`). Loading validates every field and names the step on error.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

FOCUS = ("pods", "services", "endpoints", "proxy", "dns", "events", "flow")  # flow: the diagram
DEFAULT_TOUR = Path(__file__).resolve().parent / "tours" / "tutorial.yaml"


class TourError(ValueError):
    """A tour file that cannot be played; the message names the file, step and field."""


@dataclass
class TourStep:
    captions: dict[str, str]
    commands: list[str] = field(default_factory=list)
    focus: str | None = None
    pause: float | None = None
    row: str | None = None
    terminal: str | None = None

    def caption(self, lang: str) -> str:
        return self.captions.get(lang) or self.captions.get("en") or next(iter(self.captions.values()), "")


@dataclass
class Tour:
    path: Path
    titles: dict[str, str]
    steps: list[TourStep]
    language: str = "en"
    manifests: Path | None = None

    def title(self, lang: str) -> str:
        return self.titles.get(lang) or self.titles.get("en") or next(iter(self.titles.values()), "")

    @property
    def languages(self) -> list[str]:
        langs: set[str] = set(self.titles)
        for s in self.steps:
            langs |= set(s.captions)
        return sorted(langs)


def _texts(value: Any, where: str) -> dict[str, str]:
    if isinstance(value, str):
        return {"en": value}
    if isinstance(value, dict) and value and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return dict(value)
    raise TourError(f"{where}: must be a string or a map of language to string (e.g. {{en: ..., ko: ...}})")


def load_tour(path: str | Path | None = None) -> Tour:
    p = Path(path) if path else DEFAULT_TOUR
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise TourError(f"{p}: cannot read the tour: {e.strerror or e}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise TourError(f"{p}{line}: not valid YAML: {getattr(e, 'problem', e)}") from None
    if not isinstance(data, dict):
        raise TourError(f"{p}: a tour is a mapping with `title` and `steps`")
    unknown = set(data) - {"title", "language", "manifests", "steps"}
    if unknown:
        raise TourError(f"{p}: unknown field {sorted(unknown)[0]!r} (allowed: title, language, manifests, steps)")
    titles = _texts(data.get("title", p.stem), f"{p}: title")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise TourError(f"{p}: steps: must be a non-empty list")
    steps = []
    for i, raw in enumerate(raw_steps, 1):
        where = f"{p}: step {i}"
        if not isinstance(raw, dict):
            raise TourError(f"{where}: must be a mapping with caption and commands")
        allowed = ("caption", "commands", "focus", "row", "terminal", "pause")
        bad = set(raw) - set(allowed)
        if bad:
            raise TourError(f"{where}: unknown field {sorted(bad)[0]!r} (allowed: {', '.join(allowed)})")
        if "caption" not in raw:
            raise TourError(f"{where}: caption: required")
        captions = _texts(raw["caption"], f"{where}: caption")
        for lang, text in captions.items():
            if text.rstrip("\n").count("\n") > 1:
                raise TourError(f"{where}: caption.{lang}: two lines at most")
        cmds = raw.get("commands", [])
        if isinstance(cmds, str):
            cmds = [cmds]
        if not isinstance(cmds, list) or not all(isinstance(c, str) for c in cmds):
            raise TourError(f"{where}: commands: must be a list of strings")
        focus = raw.get("focus")
        if focus is not None and focus not in FOCUS:
            raise TourError(f"{where}: focus: unsupported value {focus!r}: supported values: "
                            + ", ".join(f'"{f}"' for f in FOCUS))
        for key in ("row", "terminal"):
            if raw.get(key) is not None and (not isinstance(raw[key], str) or not raw[key].strip()):
                raise TourError(f"{where}: {key}: must be a non-empty string")
        if raw.get("row") is not None and focus in (None, "events", "flow"):
            raise TourError(f"{where}: row: needs a focus of pods, services, endpoints, proxy or dns")
        pause = raw.get("pause")
        if pause is not None and (isinstance(pause, bool) or not isinstance(pause, (int, float)) or pause < 0):
            raise TourError(f"{where}: pause: must be a number of seconds >= 0")
        steps.append(TourStep(captions, list(cmds), focus, float(pause) if pause is not None else None,
                              raw.get("row"), raw.get("terminal")))
    lang = data.get("language", "en")
    if not isinstance(lang, str):
        raise TourError(f"{p}: language: must be a language code such as en or ko")
    manifests = data.get("manifests")
    base = (p.parent / manifests).resolve() if isinstance(manifests, str) else None
    return Tour(p, titles, steps, lang, base)
