"""A list page's managedFields are cut out of its bytes before decoding (a real API server
sends them with every object; the mirror keeps none): what is decoded equals the page
decoded whole with each object's managedFields dropped, whatever the strings around them
hold."""
from __future__ import annotations

import json

from engine.attach.client import ListPage, list_meta, without_managed_fields

TRICKY = ['a]b', 'x,"managedFields":[1]', 'q\\"]', 'back\\\\', '[[', 'k:{"name":"c"}', 'tab\there', 'ünï']


def _pod(i: int, managed: bool, tricky: bool = True) -> dict:
    """`tricky`: the managedFields hold strings with `]`, quotes and backslashes (field names
    of the annotations), as a set-list's `v:"..."` keys may."""
    md: dict = {"name": f"p{i}", "namespace": "default", "uid": f"u{i}", "resourceVersion": str(100 + i),
                "labels": {"app": "web"}, "annotations": {f"note{j}": s for j, s in enumerate(TRICKY if tricky else ())}}
    if managed:
        md["managedFields"] = [
            {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
             "time": "2025-06-01T10:02:00Z", "fieldsType": "FieldsV1",
             "fieldsV1": {"f:metadata": {"f:annotations": {f"f:{s}": {} for s in (TRICKY if tricky else ())}},
                          "f:spec": {"f:containers": {'k:{"name":"app"}': {".": {}, "f:image": {}}}}}},
            {"manager": "kubelet", "operation": "Update", "apiVersion": "v1", "time": "2025-06-01T10:02:01Z",
             "fieldsType": "FieldsV1", "subresource": "status",
             "fieldsV1": {"f:status": {"f:podIPs": {'k:{"ip":"10.244.1.5"}': {".": {}, "f:ip": {}}},
                                       "f:conditions": {'v:"a]b"' if tricky else 'k:{"type":"Ready"}': {}}}}}]
    return {"metadata": md, "spec": {"containers": [{"name": "app", "image": "nginx", "args": ["a]", "\"]"]}]},
            "status": {"phase": "Running", "podIP": f"10.244.1.{i}"}}


def _page(pods: list[dict]) -> bytes:
    # as Go writes it: compact, kind/apiVersion/metadata before items, managedFields last in ObjectMeta
    return json.dumps({"kind": "PodList", "apiVersion": "v1",
                       "metadata": {"resourceVersion": "900", "continue": "abc", "remainingItemCount": 5},
                       "items": pods}, separators=(",", ":"), ensure_ascii=False).encode()


def _without(page: dict) -> dict:
    for o in page["items"]:
        o["metadata"].pop("managedFields", None)
    return page


def test_a_page_decodes_as_the_whole_page_less_each_objects_managed_fields():
    raw = _page([_pod(i, managed=True) for i in range(30)])
    cut = without_managed_fields(raw)
    assert len(cut) < len(raw) * 0.6  # (they were most of these pods' bytes)
    assert json.loads(cut) == _without(json.loads(raw))
    assert ListPage(raw, list_meta(raw) or {}).decode() == _without(json.loads(raw))


def test_plain_and_tricky_managed_fields_side_by_side_are_all_cut():
    # (plain ones are cut by two byte searches each; a `]` inside a string sends one to the
    # regular expression, and the pods after it are cut as before)
    pods = [_pod(i, managed=True, tricky=i % 3 == 1) for i in range(30)]
    raw = _page(pods)
    assert json.loads(without_managed_fields(raw)) == _without(json.loads(raw))
    plain = _page([_pod(i, managed=True, tricky=False) for i in range(3)])
    assert b"managedFields" not in without_managed_fields(plain)


def test_a_page_without_managed_fields_is_decoded_as_it_came():
    raw = _page([_pod(i, managed=False) for i in range(5)])
    assert without_managed_fields(raw) is raw
    assert ListPage(raw, list_meta(raw) or {}).decode() == json.loads(raw)


def test_objects_with_managed_fields_only_deep_in_a_page_still_lose_them_in_the_mirror():
    # (the cut looks at the page's head only; what it leaves, the mirror drops as it stores)
    from engine.attach.sharing import slim as _slim
    pods = [_pod(i, managed=False) for i in range(400)] + [_pod(400, managed=True)]
    raw = _page(pods)
    page = ListPage(raw, list_meta(raw) or {}).decode()
    last = _slim({**page["items"][-1], "kind": "Pod"})
    assert "managedFields" not in last["metadata"]
    assert last["metadata"]["annotations"] == pods[-1]["metadata"]["annotations"]
