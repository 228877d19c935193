"""The self-reviews: `kubectl auth can-i` (authorization.k8s.io/v1 SelfSubjectAccessReview),
`kubectl auth can-i --list` (SelfSubjectRulesReview), k9s's checks before it shows a view, and
`kubectl auth whoami` (authentication.k8s.io/v1 SelfSubjectReview). The served API has no users
and no RBAC, so everything is allowed; the answer says so in its `reason` and echoes the
question as kube-apiserver does. Who the caller is: kube-apiserver with no authenticator for
the kubeconfig's token and anonymous requests allowed takes it as `system:anonymous` of
`system:unauthenticated`, so that is what whoami says. The bodies come as JSON or, from typed
clients, as protobuf (engine.kapi.protobuf).
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
AUTHENTICATION = "authentication.k8s.io/v1"
SELF_REVIEW = KindInfo("SelfSubjectReview", "authentication.k8s.io", "v1", "selfsubjectreviews",
                       "selfsubjectreview", False, verbs=("create",), from_manifests=False)
#: the user kube-apiserver sees when no authenticator takes the request (anonymous auth on)
ANONYMOUS = {"username": "system:anonymous", "groups": ["system:unauthenticated"]}


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


async def self_review(ctx: ApiContext, request: web.Request) -> web.Response:
    await _review(ctx, request, SELF_REVIEW)
    return json_response({"kind": "SelfSubjectReview", "apiVersion": AUTHENTICATION,
                          "metadata": {"creationTimestamp": None}, "status": {"userInfo": dict(ANONYMOUS)}},
                         status=201)


def routes(ctx: ApiContext) -> list[web.RouteDef]:
    """Registered before the resource dispatcher's catch-all `/apis/{tail}`."""
    base = f"/apis/{GROUP_VERSION}"
    return [web.post(f"{base}/{ACCESS_REVIEW.resource}", partial(access_review, ctx)),
            web.post(f"{base}/{RULES_REVIEW.resource}", partial(rules_review, ctx)),
            web.post(f"/apis/{AUTHENTICATION}/{SELF_REVIEW.resource}", partial(self_review, ctx))]
