"""The resources the served API answers beyond the kinds registry (engine.api.kinds): every
kube-apiserver has them, but svcflow keeps nothing of its own for them, so kubectl's own words,
the manifest loader and the store must not know them (an events.k8s.io Event is a core Event;
a review is never stored; a kind cluster has no CustomResourceDefinitions).

* events.k8s.io/v1 `events`: the core Events seen through the events.k8s.io/v1 schema,
  read-only (svcflow's controllers are the only event recorders);
* authentication.k8s.io/v1 `selfsubjectreviews` (`kubectl auth whoami`), `tokenreviews`;
  authorization.k8s.io/v1 `selfsubjectaccessreviews` (`kubectl auth can-i`, k9s),
  `selfsubjectrulesreviews` (`kubectl auth can-i --list`), `subjectaccessreviews`,
  `localsubjectaccessreviews`: create-only;
* apiextensions.k8s.io/v1 `customresourcedefinitions`: always empty, read-only; kubectl lists
  them before it validates a manifest of a kind its OpenAPI documents do not have (a review,
  `kubectl create -f`), and fails if it cannot;
* core/v1 `podtemplates`, networking.k8s.io/v1 `ingressclasses`: in the groups svcflow serves,
  and, as on a fresh kind cluster, none exist; read-only.

The served API (engine.kapi.resources) lists them in discovery and OpenAPI; the OpenAPI schema
data (engine.api.openapi_schemas) covers them.
"""
from __future__ import annotations

from engine.api.kinds import KindInfo

_CREATE = ("create",)
_READ_ONLY = ("get", "list", "watch")


def _review(kind: str, group: str, namespaced: bool = False) -> KindInfo:
    return KindInfo(kind, group, "v1", kind.lower() + "s", kind.lower(), namespaced, verbs=_CREATE,
                    from_manifests=False)


EVENTS_V1 = KindInfo("Event", "events.k8s.io", "v1", "events", "event", True, ("ev",), verbs=_READ_ONLY,
                     from_manifests=False)
SELF_SUBJECT_REVIEW = _review("SelfSubjectReview", "authentication.k8s.io")
TOKEN_REVIEW = _review("TokenReview", "authentication.k8s.io")
LOCAL_SUBJECT_ACCESS_REVIEW = _review("LocalSubjectAccessReview", "authorization.k8s.io", namespaced=True)
SELF_SUBJECT_ACCESS_REVIEW = _review("SelfSubjectAccessReview", "authorization.k8s.io")
SELF_SUBJECT_RULES_REVIEW = _review("SelfSubjectRulesReview", "authorization.k8s.io")
SUBJECT_ACCESS_REVIEW = _review("SubjectAccessReview", "authorization.k8s.io")
CUSTOM_RESOURCE_DEFINITION = KindInfo("CustomResourceDefinition", "apiextensions.k8s.io", "v1",
                                      "customresourcedefinitions", "customresourcedefinition", False,
                                      ("crd", "crds"), verbs=_READ_ONLY, from_manifests=False)

POD_TEMPLATE = KindInfo("PodTemplate", "", "v1", "podtemplates", "podtemplate", True, verbs=_READ_ONLY,
                        from_manifests=False)
INGRESS_CLASS = KindInfo("IngressClass", "networking.k8s.io", "v1", "ingressclasses", "ingressclass", False,
                         verbs=_READ_ONLY, from_manifests=False)

API_ONLY: tuple[KindInfo, ...] = (EVENTS_V1, SELF_SUBJECT_REVIEW, TOKEN_REVIEW, LOCAL_SUBJECT_ACCESS_REVIEW,
                                  SELF_SUBJECT_ACCESS_REVIEW, SELF_SUBJECT_RULES_REVIEW, SUBJECT_ACCESS_REVIEW,
                                  CUSTOM_RESOURCE_DEFINITION, POD_TEMPLATE, INGRESS_CLASS)


def match(word: str) -> KindInfo | None:
    """The API-only resource a typed word names (plural, singular or short name), for what
    resolves the served API's words after the registry (`kinds.match_resource`) found none."""
    low = word.lower()
    return next((i for i in API_ONLY if word in (i.resource, i.singular) or word in i.short_names
                 or low in (i.resource, i.singular)), None)


def by_resource(group: str, version: str, resource: str) -> KindInfo | None:
    return next((i for i in API_ONLY if (i.group, i.version, i.resource) == (group, version, resource)), None)


def group_versions() -> list[tuple[str, str]]:
    return list(dict.fromkeys((i.group, i.version) for i in API_ONLY))
