"""The attach client's one JSON decoder (engine.attach.decoding): orjson (a dependency), the standard library if it
were missing, the same objects either way."""
from __future__ import annotations

import json

import pytest

from engine.attach import decoding as client

PAGE = {"kind": "PodList", "apiVersion": "v1",
        "metadata": {"resourceVersion": "12345", "continue": "eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ", "remainingItemCount": 7},
        "items": [{"metadata": {"name": "web-0", "namespace": "default", "uid": "a1", "generation": 9007199254740993,
                                "labels": {"app": "web", "é": "ü"}},
                   "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 8080, "protocol": "TCP"}]}]},
                   "status": {"phase": "Running", "podIP": "10.244.1.5", "ready": True, "score": 0.5, "none": None}}]}


@pytest.mark.parametrize("with_orjson", [True, False])
def test_pages_and_watch_lines_decode_the_same_with_or_without_orjson(monkeypatch, with_orjson):
    if not with_orjson:
        monkeypatch.setattr(client, "orjson", None)
    else:
        assert client.orjson is not None  # (a dependency)
    raw = json.dumps(PAGE).encode()
    assert client.decode_json(raw) == PAGE
    assert client.decode_json(b'{"type":"ADDED","object":{"kind":"Pod"}}\n') == {"type": "ADDED", "object": {"kind": "Pod"}}
    # what is not a JSON object is None (an error page's HTML, an empty keep-alive line, a list)
    for not_an_object in (b"", b"\n", b"<html>", b"[1, 2]", b'"text"', b'{"cut": '):
        assert client.decode_json(not_an_object) is None
    # what orjson refuses and the standard library reads is still read
    assert client.decode_json(b'{"a": NaN}')["a"] != client.decode_json(b'{"a": NaN}')["a"]
