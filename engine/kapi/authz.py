"""The reviews: `kubectl auth can-i` (authorization.k8s.io/v1 SelfSubjectAccessReview),
`kubectl auth can-i --list` (SelfSubjectRulesReview), k9s's checks before it shows a view,
`kubectl auth whoami` (authentication.k8s.io/v1 SelfSubjectReview), and the reviews about
someone else that controllers and webhooks send (SubjectAccessReview, the namespaced
LocalSubjectAccessReview, TokenReview). The served API has no users and no RBAC, so
everything is allowed; the answer says so in its `reason` and echoes the question as
kube-apiserver does, after its validation. Who the caller is: kube-apiserver with no
authenticator for the kubeconfig's token and anonymous requests allowed takes it as
`system:anonymous` of `system:unauthenticated`, so that is what whoami says; and no token
authenticates in a TokenReview (svcflow issues none). The bodies come as JSON or, from typed
clients, as protobuf (engine.kapi.protobuf).
"""
from __future__ import annotations

from functools import partial
from typing import Any

from aiohttp import web

from engine.api.gostrconv import go_quote
from engine.api.kinds import KindInfo
from engine.kapi import resources
from engine.kapi.context import ApiContext, ResourceRequest
from engine.kapi.responses import json_response
from engine.kapi.status import StatusError, bad_request
from engine.kapi.writes import JSON, YAML, read_body

GROUP_VERSION = "authorization.k8s.io/v1"
AUTHENTICATION = "authentication.k8s.io/v1"
REASON = "svcflow serves the simulated cluster without authentication or RBAC: everything is allowed"
# Create-only resources: no storage; discovery lists them from engine.kapi.resources.
ACCESS_REVIEW = resources.SELF_SUBJECT_ACCESS_REVIEW
RULES_REVIEW = resources.SELF_SUBJECT_RULES_REVIEW
SELF_REVIEW = resources.SELF_SUBJECT_REVIEW
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


async def subject_access_review(ctx: ApiContext, request: web.Request, info: KindInfo) -> web.Response:
    """SubjectAccessReview (and its namespaced form, LocalSubjectAccessReview): whether a named
    user may do something; with no RBAC, everyone may. What kube-apiserver's validation
    refuses (pkg/apis/authorization/validation) is refused in its words: a review naming
    neither resource nor non-resource attributes, or no user or group, and a local review
    whose resourceAttributes name another namespace than its own."""
    body = await _review(ctx, request, info)
    spec = body.get("spec") if isinstance(body.get("spec"), dict) else {}
    namespace = request.match_info.get("namespace", "")
    errors: list[tuple[str, str, str]] = []
    attrs = spec.get("resourceAttributes")
    if not isinstance(attrs, dict) and not isinstance(spec.get("nonResourceAttributes"), dict):
        errors.append(("spec", "null", "exactly one of nonResourceAttributes or resourceAttributes must be specified"))
    if not spec.get("user") and not spec.get("groups"):
        errors.append(("spec.user", go_quote(str(spec.get("user") or "")),
                       "at least one of user or group must be specified"))
    if info is resources.LOCAL_SUBJECT_ACCESS_REVIEW and isinstance(attrs, dict) \
            and (attrs.get("namespace") or "") != namespace:
        errors.append(("spec.resourceAttributes.namespace", go_quote(str(attrs.get("namespace") or "")),
                       "must match metadata.namespace"))
    if errors:
        raise invalid_review(info, errors)
    md: dict[str, Any] = {"namespace": namespace, "creationTimestamp": None} if namespace else \
        {"creationTimestamp": None}
    return json_response({"kind": info.kind, "apiVersion": GROUP_VERSION, "metadata": md, "spec": spec,
                          "status": {"allowed": True, "reason": REASON}}, status=201)


def invalid_review(info: KindInfo, errors: list[tuple[str, str, str]]) -> StatusError:
    """kube-apiserver's 422 for a review (`NewInvalid(authorizationapi.Kind(review.Kind), "", errs)`:
    the decoded internal object carries no kind, hence `.authorization.k8s.io ""`)."""
    texts = [f"{field}: Invalid value: {value}: {detail}" for field, value, detail in errors]
    joined = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    return StatusError("Invalid", f'.{info.group} "" is invalid: {joined}',
                       details={"group": info.group,
                                "causes": [{"reason": "FieldValueInvalid", "message": f"Invalid value: {value}: {detail}",
                                            "field": field} for field, value, detail in errors]})


async def token_review(ctx: ApiContext, request: web.Request) -> web.Response:
    """TokenReview: svcflow issues no tokens, so no token authenticates; kube-apiserver's
    authenticators answer an unknown token with `authenticated` false (left out) and an empty
    user, and no error."""
    body = await _review(ctx, request, resources.TOKEN_REVIEW)
    spec = body.get("spec") if isinstance(body.get("spec"), dict) else {}
    return json_response({"kind": "TokenReview", "apiVersion": AUTHENTICATION,
                          "metadata": {"creationTimestamp": None}, "spec": spec, "status": {"user": {}}},
                         status=201)


def routes(ctx: ApiContext) -> list[web.RouteDef]:
    """Registered before the resource dispatcher's catch-all `/apis/{tail}`."""
    base = f"/apis/{GROUP_VERSION}"
    local = resources.LOCAL_SUBJECT_ACCESS_REVIEW
    return [web.post(f"{base}/{ACCESS_REVIEW.resource}", partial(access_review, ctx)),
            web.post(f"{base}/{RULES_REVIEW.resource}", partial(rules_review, ctx)),
            web.post(f"{base}/{resources.SUBJECT_ACCESS_REVIEW.resource}",
                     partial(subject_access_review, ctx, info=resources.SUBJECT_ACCESS_REVIEW)),
            web.post(f"{base}/namespaces/{{namespace}}/{local.resource}", partial(subject_access_review, ctx,
                                                                                 info=local)),
            web.post(f"/apis/{AUTHENTICATION}/{SELF_REVIEW.resource}", partial(self_review, ctx)),
            web.post(f"/apis/{AUTHENTICATION}/{resources.TOKEN_REVIEW.resource}", partial(token_review, ctx))]
