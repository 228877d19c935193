"""authorization.k8s.io/v1 self-reviews: `kubectl auth can-i` (SelfSubjectAccessReview),
`kubectl auth can-i --list` (SelfSubjectRulesReview), and k9s's checks before it shows a
view. The served API has no users and no RBAC, so everything is allowed; the answer says so
in its `reason` and echoes the question as kube-apiserver does. The bodies come as JSON or,
from typed clients, as protobuf (engine.kapi.protobuf).
"""
from __future__ import annotations

from functools import partial
from typing import Any

from aiohttp import web

from engine.api.kinds import KindInfo
from engine.kapi.context import ApiContext, ResourceRequest
from engine.kapi.responses import json_response
from engine.kapi.status import bad_request
from engine.kapi.writes import JSON, YAML, read_body

GROUP_VERSION = "authorization.k8s.io/v1"
REASON = "svcflow serves the simulated cluster without authentication or RBAC: everything is allowed"
# Create-only virtual resources (no storage, no discovery entry in svcflow's kinds registry).
ACCESS_REVIEW = KindInfo("SelfSubjectAccessReview", "authorization.k8s.io", "v1", "selfsubjectaccessreviews",
                         "selfsubjectaccessreview", False, verbs=("create",), from_manifests=False)
RULES_REVIEW = KindInfo("SelfSubjectRulesReview", "authorization.k8s.io", "v1", "selfsubjectrulesreviews",
                        "selfsubjectrulesreview", False, verbs=("create",), from_manifests=False)


async def _review(ctx: ApiContext, request: web.Request, info: KindInfo) -> dict[str, Any]:
    """The review's body, JSON or (typed clients) protobuf through the served API's decoders."""
    kind = info.kind
    req = ResourceRequest(info, "", None, None, request.query)
    body = await read_body(ctx, req, request, (JSON, YAML))
    if not isinstance(body, dict) or body.get("kind") != kind:
        raise bad_request(f"the kind in the data ({(body or {}).get('kind') if isinstance(body, dict) else ''}) "
                          f"does not match the expected kind ({kind})")
    return body


async def access_review(ctx: ApiContext, request: web.Request) -> web.Response:
    body = await _review(ctx, request, ACCESS_REVIEW)
    spec = body.get("spec") if isinstance(body.get("spec"), dict) else {}
    return json_response({"kind": "SelfSubjectAccessReview", "apiVersion": GROUP_VERSION,
                          "metadata": {"creationTimestamp": None}, "spec": spec,
                          "status": {"allowed": True, "reason": REASON}}, status=201)


async def rules_review(ctx: ApiContext, request: web.Request) -> web.Response:
    body = await _review(ctx, request, RULES_REVIEW)
    spec = body.get("spec") if isinstance(body.get("spec"), dict) else {}
    return json_response({"kind": "SelfSubjectRulesReview", "apiVersion": GROUP_VERSION,
                          "metadata": {"creationTimestamp": None}, "spec": spec,
                          "status": {"resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                                     "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
                                     "incomplete": False}}, status=201)


def routes(ctx: ApiContext) -> list[web.RouteDef]:
    """Registered before the resource dispatcher's catch-all `/apis/{tail}`."""
    base = f"/apis/{GROUP_VERSION}"
    return [web.post(f"{base}/{ACCESS_REVIEW.resource}", partial(access_review, ctx)),
            web.post(f"{base}/{RULES_REVIEW.resource}", partial(rules_review, ctx))]
