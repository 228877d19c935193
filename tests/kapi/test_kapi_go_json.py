"""The bytes on the wire are kube-apiserver's (tester2 finding 14), read with the REAL kubectl.

`kubectl get --raw` prints the body exactly as served: Go's encoding/json Encoder escapes
`<` `>` `&` as `\\u003c \\u003e \\u0026` and U+2028/U+2029 as `\\u2028 \\u2029`, writes
everything else of UTF-8 as it is, and ends each object -- and each watch event -- with a
newline; `/version` is json.MarshalIndent's (responsewriters.WriteRawJSON); the OpenAPI v3
index is kube-openapi's json.Marshal (no newline).
"""
from __future__ import annotations

import json

import pytest

from tests.helpers import SAMPLES
from tests.served import Kubectl, ServedCluster, require_kubectl

ODD = '<b>&"é 한국어 😀 \u2028'
#: ODD inside a JSON string, as Go writes it.
ODD_GO = '\\u003cb\\u003e\\u0026\\"é 한국어 😀 \\u2028'


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    require_kubectl()
    s = ServedCluster([SAMPLES], tmp_path_factory.mktemp("served"))
    yield s
    s.close()


@pytest.fixture
def kubectl(served, tmp_path) -> Kubectl:
    return Kubectl(served, tmp_path)


async def test_an_object_is_written_as_gos_encoder_writes_it(served, kubectl):
    code, out, err = await kubectl("annotate", "svc", "redis", f"x={ODD}")
    assert (code, out, err) == (0, "service/redis annotated\n", "")
    code, raw, err = await kubectl("get", "--raw", "/api/v1/namespaces/default/services/redis")
    assert (code, err) == (0, "")
    assert f'"x":"{ODD_GO}"' in raw and ODD not in raw
    assert raw.endswith("}\n") and raw.count("\n") == 1  # compact, one newline at the end
    assert json.loads(raw)["metadata"]["annotations"]["x"] == ODD
    # kubectl's own printers read it back unchanged
    code, out, _ = await kubectl("get", "svc", "redis", "-o", "jsonpath={.metadata.annotations.x}")
    assert (code, out) == (0, ODD)


async def test_lists_and_watch_events_too(served, kubectl):
    await kubectl("annotate", "svc", "counter-np", f"x={ODD}")
    code, raw, _ = await kubectl("get", "--raw", "/api/v1/namespaces/default/services")
    assert code == 0 and f'"x":"{ODD_GO}"' in raw and raw.endswith("}\n") and raw.count("\n") == 1
    code, raw, _ = await kubectl("get", "--raw", "/api/v1/namespaces/default/services?watch=1&timeoutSeconds=1"
                                                 "&fieldSelector=metadata.name%3Dcounter-np")
    assert code == 0
    lines = raw.split("\n")
    assert lines[-1] == "" and len(lines) == 2  # one event, its newline, nothing else
    assert lines[0].startswith('{"type":"ADDED","object":{') and f'"x":"{ODD_GO}"' in lines[0]


async def test_version_and_openapi_index_as_kube_apiserver_writes_them(served, kubectl):
    code, raw, _ = await kubectl("get", "--raw", "/version")
    assert code == 0 and raw.startswith('{\n  "major": "1",\n  "minor": "33",\n') and raw.endswith('"\n}')
    code, raw, _ = await kubectl("get", "--raw", "/openapi/v3")
    assert code == 0 and raw.startswith('{"paths":{') and raw.endswith("}}") and "\n" not in raw
