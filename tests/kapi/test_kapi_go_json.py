"""The bytes on the wire are kube-apiserver's (tester2 finding 14), read with the REAL kubectl.

`kubectl get --raw` prints the body exactly as served: Go's encoding/json Encoder escapes
`<` `>` `&` as `\\u003c \\u003e \\u0026` and U+2028/U+2029 as `\\u2028 \\u2029`, writes
everything else of UTF-8 as it is, and ends each object -- and each watch event -- with a
newline; `/version` is json.MarshalIndent's (responsewriters.WriteRawJSON); the OpenAPI v3
index is kube-openapi's json.Marshal (no newline). Bytes that are not UTF-8 (tester2 finding
13) are taken as kube-apiserver takes them -- gogo's protobuf code does not check a string's
bytes, Go's JSON decoder coerces them -- and come back as U+FFFD.
"""
from __future__ import annotations

import json

import aiohttp

from engine.kapi import protobuf
from tests.served import served_samples

ODD = '<b>&"é 한국어 😀 \u2028'
#: ODD inside a JSON string, as Go writes it.
ODD_GO = '\\u003cb\\u003e\\u0026\\"é 한국어 😀 \\u2028'


served = served_samples()


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


async def test_kubectl_create_with_bytes_that_are_not_utf8(served, kubectl):
    """`kubectl create cm --from-literal=b=$'\\xff\\xfe'` (a protobuf body): created, as by
    kube-apiserver, each stray byte read back as U+FFFD -- never a Python codec message."""
    bad = b"\xff\xfe".decode("utf-8", "surrogateescape")  # (the argument's bytes, as a shell passes them)
    code, out, err = await kubectl("create", "cm", "weird", "--from-literal=a=1", f"--from-literal=b={bad}")
    assert (code, out, err) == (0, "configmap/weird created\n", "")
    code, out, err = await kubectl("get", "cm", "weird", "-o", "jsonpath={.data.b}")
    assert (code, out, err) == (0, "\ufffd\ufffd", "")
    code, out, _ = await kubectl("get", "cm", "weird", "-o", "yaml")
    assert code == 0 and '  a: "1"\n  b: \ufffd\ufffd\n' in out
    obj = served.call(lambda: served.cluster.store.get("ConfigMap", "default", "weird"))
    assert obj["data"] == {"a": "1", "b": "\ufffd\ufffd"}


async def test_json_bodies_with_bytes_that_are_not_utf8_or_lone_surrogates(served):
    """Go's JSON decoder: a byte that is not UTF-8 and a `\\ud800` escape without its pair are
    U+FFFD; a pair is its character."""
    body = (b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"odd-json"},'
            b'"data":{"bytes":"a\xe2\x80Z","lone":"x\\ud800y","pair":"\\ud83d\\ude00"}}')
    async with aiohttp.ClientSession(served.served.url) as http:
        async with http.post("/api/v1/namespaces/default/configmaps", data=body,
                             headers={"Content-Type": "application/json"}) as resp:
            assert resp.status == 201
            got = json.loads(await resp.read())
    assert got["data"] == {"bytes": "a\ufffd\ufffdZ", "lone": "x\ufffdy", "pair": "😀"}


def test_protobuf_strings_keep_their_bytes_as_go_does():
    """A string field's bytes are not checked; each stray byte is one U+FFFD (as encoding/json
    writes a Go string), a valid sequence its character."""
    assert protobuf._text(b"\xff\xfe") == "\ufffd\ufffd"
    assert protobuf._text(b"a\xe2\x80A\xed\xa0\x80") == "a\ufffd\ufffdA\ufffd\ufffd\ufffd"
    assert protobuf._text("é 한국어 😀".encode()) == "é 한국어 😀"
