"""The served API writes JSON as kube-apiserver does (Go's encoding/json Encoder: HTML-safe
escapes, U+2028/U+2029 escaped, a newline at the end; tester2 finding 14), with orjson (issue
18's first paint: the list pages an attaching client reads were 88 % `json.dumps` in the
server's profile). Every object a cluster serves, and what orjson refuses, is written byte for
byte as the reference below -- the standard library's text with Go's escapes -- writes it."""
from __future__ import annotations

import json

from benchmarks.generate import Shape, write
from engine.apply.workspace import cluster_from_paths
from engine.kapi import responses
from tests.helpers import SAMPLES

_GO = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _go_encoder(obj) -> bytes:
    """json.NewEncoder(w).Encode(obj), written independently of engine.kapi: the standard
    library's compact text (the escaped characters stand only inside strings) and a newline."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False,
                      check_circular=False).translate(_GO).encode() + b"\n"


def test_every_served_object_is_written_as_gos_encoder_writes_it(tmp_path):
    assert responses.orjson is not None  # (a dependency: the served API writes with it)
    write(tmp_path / "m", Shape(services=30))
    for paths in ([SAMPLES], [tmp_path / "m"]):
        cluster, _ = cluster_from_paths(paths, deterministic=True)
        objects = [o for kind in cluster.store.kinds() for o in cluster.store.list(kind)]
        assert len(objects) > 50
        for obj in objects:
            assert responses.encode_json(obj) == _go_encoder(obj)
        page = {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "7"},
                "items": cluster.store.list("Pod")}
        assert responses.encode_json(page) == _go_encoder(page)


def test_what_orjson_refuses_is_still_written():
    odd = {"metadata": {"name": "ünïcode ☸ <&>", "uid": "x\u2028y"}, "big": 2 ** 70, 3: "an int key"}
    assert responses.encode_json(odd) == _go_encoder(odd)
    assert b'"\xc3\xbcn\xc3\xafcode \xe2\x98\xb8 \\u003c\\u0026\\u003e"' in responses.encode_json(odd)
    assert json.loads(responses.encode_json(odd)) == {"metadata": {"name": "ünïcode ☸ <&>", "uid": "x\u2028y"},
                                                      "big": 2 ** 70, "3": "an int key"}


def test_gos_escapes_and_newline():
    """encoding/json's own table, spelled out: what Python's JSON writers leave raw."""
    text = {"a": "<b>&\"é 한국어 😀 \u2028\u2029\x7f\x08\x0c\x01"}
    want = ('{"a":"\\u003cb\\u003e\\u0026\\"é 한국어 😀 \\u2028\\u2029\x7f\\b\\f\\u0001"}\n').encode()
    assert responses.encode_json(text) == want
    assert responses.marshal_json(text) == want[:-1]  # json.Marshal: no newline
    assert responses.encode_json({"a": "plain"}) == b'{"a":"plain"}\n'
    assert responses.marshal_indent_json({"major": "1", "x": ["<"], "e": {}}) == \
        b'{\n  "major": "1",\n  "x": [\n    "\\u003c"\n  ],\n  "e": {}\n}'
