"""The served API writes JSON with orjson (issue 18's first paint: the list pages an attaching
client reads were 88 % `json.dumps` in the server's profile). What a client reads must not
change: every object a cluster serves, and what orjson refuses, is written byte for byte as
the standard library wrote it."""
from __future__ import annotations

import json

from benchmarks.generate import Shape, write
from engine.apply.workspace import cluster_from_paths
from engine.kapi import responses
from tests.helpers import SAMPLES


def _stdlib(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, check_circular=False).encode()


def test_every_served_object_is_written_as_the_standard_library_wrote_it(tmp_path):
    assert responses.orjson is not None  # (a dependency: the served API writes with it)
    write(tmp_path / "m", Shape(services=30))
    for paths in ([SAMPLES], [tmp_path / "m"]):
        cluster, _ = cluster_from_paths(paths, deterministic=True)
        objects = [o for kind in cluster.store.kinds() for o in cluster.store.list(kind)]
        assert len(objects) > 50
        for obj in objects:
            assert responses.encode_json(obj) == _stdlib(obj)
        page = {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "7"},
                "items": cluster.store.list("Pod")}
        assert responses.encode_json(page) == _stdlib(page)


def test_what_orjson_refuses_is_still_written():
    odd = {"metadata": {"name": "ünïcode ☸", "uid": "x\u2028y"}, "big": 2 ** 70, 3: "an int key"}
    assert responses.encode_json(odd) == _stdlib(odd)
    assert json.loads(responses.encode_json(odd)) == {"metadata": {"name": "ünïcode ☸", "uid": "x\u2028y"},
                                                      "big": 2 ** 70, "3": "an int key"}
