"""The one registry of the API resources svcflow serves, as kube-apiserver v1.33's discovery
describes them (`kubectl api-resources -o wide`, `/api`, `/apis`).

Every other part of svcflow asks this table instead of keeping its own list: kubectl's
resource words (`po`, `deploy.apps`, `get all`), the manifest loader's known kinds, the
store's cluster-scoped kinds, describe's aliases, and the served API's discovery documents
(issue 16), which publish these entries verbatim. Entries are in discovery order: the core
group first, then `apps`, then `discovery.k8s.io`; resources alphabetical inside a
group-version, as kube-apiserver lists them (`coordination.k8s.io` before
`discovery.k8s.io`) (`kubectl get all` follows that order).

How to look things up:

* by kind: ``KINDS["Deployment"]``, :func:`kind_info` (KeyError when not served),
  :func:`by_kind` (None); by apiVersion + kind: :func:`by_gvk`, :func:`is_served`;
* by resource: :func:`by_resource` (group, version, plural: what a URL path names);
  :func:`match_resource` (plural, singular or short name, as kubectl's RESTMapper and
  shortcut expander match what users type);
* by group-version: :func:`group_versions` (discovery order), :func:`in_group_version`;
* by category: :func:`in_category` (``"all"``: what `kubectl get all` lists).
"""
from __future__ import annotations

from dataclasses import dataclass

#: The verbs of a full REST resource (sorted, as discovery lists them).
_ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
_STATUS_VERBS = ("get", "patch", "update")


@dataclass(frozen=True)
class Subresource:
    """One subresource (`pods/exec`, `deployments/scale`) and the kind its requests carry."""

    name: str
    kind: str  # discovery's responseKind
    verbs: tuple[str, ...]
    group: str = ""  # responseKind's group/version when not the parent's own
    version: str = ""

    def response_kind(self, parent: "KindInfo") -> tuple[str, str, str]:
        """Discovery's responseKind (group, version, kind): `policy/v1 Eviction` for
        pods/eviction, `autoscaling/v1 Scale` for */scale, else the parent's group-version."""
        if self.version:
            return self.group, self.version, self.kind
        return parent.group, parent.version, self.kind


@dataclass(frozen=True)
class KindInfo:
    """One served resource: discovery's APIResource (v2: APIResourceDiscovery)."""

    kind: str
    group: str  # "" for the core group
    version: str
    resource: str  # the plural: URL paths, `kubectl get pods`
    singular: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = _ALL_VERBS
    subresources: tuple[Subresource, ...] = ()
    #: svcflow validates and stores it from manifests (`kubectl apply -f`); Events are
    #: only recorded by the cluster itself.
    from_manifests: bool = True

    @property
    def plural(self) -> str:
        """kubectl's word for `resource` (RESTMapper, messages)."""
        return self.resource

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def scope(self) -> str:
        """Discovery v2's `scope`: `Namespaced` or `Cluster`."""
        return "Namespaced" if self.namespaced else "Cluster"

    @property
    def qualified(self) -> str:
        """`deployment.apps`, `service`: how apply/get prefix names (`-o name`)."""
        low = self.kind.lower()
        return f"{low}.{self.group}" if self.group else low

    @property
    def qualified_plural(self) -> str:
        """`deployments.apps`, `services`: how NotFound/AlreadyExists name the resource."""
        return f"{self.resource}.{self.group}" if self.group else self.resource

    def subresource(self, name: str) -> Subresource | None:
        return next((s for s in self.subresources if s.name == name), None)


#: What a kind svcflow serves but does not simulate allows: reading (always nothing).
_READ_ONLY = ("get", "list", "watch")


def _status(kind: str) -> Subresource:
    return Subresource("status", kind, _STATUS_VERBS)


_SCALE = Subresource("scale", "Scale", _STATUS_VERBS, "autoscaling", "v1")

KINDS: dict[str, KindInfo] = {k.kind: k for k in (
    # core/v1
    KindInfo("ConfigMap", "", "v1", "configmaps", "configmap", True, ("cm",)),
    KindInfo("Endpoints", "", "v1", "endpoints", "endpoints", True, ("ep",)),
    KindInfo("Event", "", "v1", "events", "event", True, ("ev",), from_manifests=False),
    KindInfo("LimitRange", "", "v1", "limitranges", "limitrange", True, ("limits",), verbs=_READ_ONLY,
             from_manifests=False),  # (describe namespace lists them)
    KindInfo("Namespace", "", "v1", "namespaces", "namespace", False, ("ns",),
             verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
             subresources=(Subresource("finalize", "Namespace", ("update",)), _status("Namespace"))),
    KindInfo("Node", "", "v1", "nodes", "node", False, ("no",), subresources=(_status("Node"),)),
    KindInfo("PersistentVolumeClaim", "", "v1", "persistentvolumeclaims", "persistentvolumeclaim", True, ("pvc",),
             verbs=_READ_ONLY, from_manifests=False),
    KindInfo("PersistentVolume", "", "v1", "persistentvolumes", "persistentvolume", False, ("pv",),
             verbs=_READ_ONLY, from_manifests=False),
    KindInfo("Pod", "", "v1", "pods", "pod", True, ("po",), ("all",), subresources=(
        Subresource("attach", "PodAttachOptions", ("create", "get")),
        Subresource("eviction", "Eviction", ("create",), "policy", "v1"),
        Subresource("exec", "PodExecOptions", ("create", "get")),
        Subresource("log", "Pod", ("get",)),
        Subresource("portforward", "PodPortForwardOptions", ("create", "get")),
        _status("Pod"))),
    KindInfo("ReplicationController", "", "v1", "replicationcontrollers", "replicationcontroller", True, ("rc",),
             ("all",), verbs=_READ_ONLY, from_manifests=False),
    KindInfo("ResourceQuota", "", "v1", "resourcequotas", "resourcequota", True, ("quota",), verbs=_READ_ONLY,
             from_manifests=False),  # (describe namespace lists them)
    KindInfo("Secret", "", "v1", "secrets", "secret", True, verbs=_READ_ONLY, from_manifests=False),
    # (its `token` subresource, TokenRequest, is not served: svcflow issues no tokens)
    KindInfo("ServiceAccount", "", "v1", "serviceaccounts", "serviceaccount", True, ("sa",)),
    KindInfo("Service", "", "v1", "services", "service", True, ("svc",), ("all",),
             subresources=(_status("Service"),)),
    # apps/v1 (ControllerRevisions: the StatefulSet and DaemonSet controllers' history, which
    # `kubectl rollout history/undo` reads; no short name, no category, as upstream's)
    KindInfo("ControllerRevision", "apps", "v1", "controllerrevisions", "controllerrevision", True),
    KindInfo("DaemonSet", "apps", "v1", "daemonsets", "daemonset", True, ("ds",), ("all",),
             subresources=(_status("DaemonSet"),)),
    KindInfo("Deployment", "apps", "v1", "deployments", "deployment", True, ("deploy",), ("all",),
             subresources=(_SCALE, _status("Deployment"))),
    KindInfo("ReplicaSet", "apps", "v1", "replicasets", "replicaset", True, ("rs",), ("all",),
             subresources=(_SCALE, _status("ReplicaSet"))),
    KindInfo("StatefulSet", "apps", "v1", "statefulsets", "statefulset", True, ("sts",), ("all",),
             subresources=(_SCALE, _status("StatefulSet"))),
    # Served read-only and always empty: kinds svcflow does not simulate, which kubectl's
    # `apply --prune` (its default allow-list) and `get all` ask for (apiserver-spec 3.6).
    KindInfo("CronJob", "batch", "v1", "cronjobs", "cronjob", True, ("cj",), ("all",),
             verbs=_READ_ONLY, from_manifests=False),
    KindInfo("Job", "batch", "v1", "jobs", "job", True, (), ("all",), verbs=_READ_ONLY, from_manifests=False),
    KindInfo("Ingress", "networking.k8s.io", "v1", "ingresses", "ingress", True, ("ing",),
             verbs=_READ_ONLY, from_manifests=False),
    # enforced in the packet path as kind's kindnetd (kube-network-policies) enforces it
    KindInfo("NetworkPolicy", "networking.k8s.io", "v1", "networkpolicies", "networkpolicy", True, ("netpol",)),
    # coordination.k8s.io/v1 (kube-apiserver lists it before discovery.k8s.io); the kubelets
    # write the node Leases, manifests do not
    KindInfo("Lease", "coordination.k8s.io", "v1", "leases", "lease", True, from_manifests=False),
    # discovery.k8s.io/v1
    KindInfo("EndpointSlice", "discovery.k8s.io", "v1", "endpointslices", "endpointslice", True),
)}

#: Kinds whose objects have no namespace (the store keys them by name alone).
CLUSTER_SCOPED: frozenset[str] = frozenset(k.kind for k in KINDS.values() if not k.namespaced)


def kind_info(kind: str) -> KindInfo:
    """The entry for a served kind; KeyError otherwise."""
    return KINDS[kind]


def by_kind(kind: str) -> KindInfo | None:
    return KINDS.get(kind)


def by_gvk(api_version: str, kind: str) -> KindInfo | None:
    """The entry when `apiVersion`/`kind` (as a manifest writes them) is served."""
    info = KINDS.get(kind)
    return info if info is not None and info.api_version == api_version else None


def is_served(kind: str, api_version: str) -> bool:
    return by_gvk(api_version, kind) is not None


def by_resource(group: str, version: str, resource: str) -> KindInfo | None:
    """What a URL names: `("", "v1", "pods")`, `("apps", "v1", "deployments")`."""
    return next((i for i in KINDS.values()
                 if i.resource == resource and i.group == group and i.version == version), None)


def match_resource(word: str, group: str | None = None, version: str | None = None) -> KindInfo | None:
    """The resource a typed word names, restricted to `group`/`version` when given.

    Exact plural/singular first, then discovery short names (case-sensitive, and only
    within their own group, as client-go's shortcut expander does), then the RESTMapper's
    lower-cased plural/singular match. So `Pods` works but `SVC` does not, as in kubectl.
    """
    candidates = [i for i in KINDS.values()
                  if (group is None or group == i.group) and (version is None or version == i.version)]
    low = word.lower()
    for found in (next((i for i in candidates if word in (i.resource, i.singular)), None),
                  next((i for i in candidates if word in i.short_names), None),
                  next((i for i in candidates if low in (i.resource, i.singular)), None)):
        if found is not None:
            return found
    return None


def group_versions() -> list[tuple[str, str]]:
    """(group, version) pairs in discovery order, the core group (`""`) first."""
    return list(dict.fromkeys((i.group, i.version) for i in KINDS.values()))


def in_group_version(group: str, version: str) -> list[KindInfo]:
    """A group-version's resources, alphabetical (an APIResourceList's order)."""
    return [i for i in KINDS.values() if i.group == group and i.version == version]


def in_category(category: str) -> list[KindInfo]:
    """The kinds of a category in discovery order (`all`: pods, services, daemonsets,
    deployments, replicasets, what `kubectl get all` lists)."""
    return [i for i in KINDS.values() if category in i.categories]
