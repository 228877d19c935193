"""API-server defaulting: the one SetDefaults, run once on every write before validation.

A port of kube-apiserver's defaulting functions (pkg/apis/core/v1/defaults.go,
pkg/apis/apps/v1/defaults.go) plus what the create path adds beside them (admission's
default tolerations and priority, the Service REST layer's IP family fields and the
strategy's clusterIP -> clusterIPs sync), so what is stored is what a cluster stores:
`kubectl get -o yaml` shows it, describe prints it, validation checks it and the
controllers rely on it (targetPort defaults to port, protocol to TCP, replicas to 1, ...).

Go's defaulting fills a field when it holds its zero value (`""`, `0`, nil); the
functions below say which per field. They tolerate values of the wrong JSON type (the
decoder has refused those on the user's path already): such a field is left alone.
"""
from __future__ import annotations

from typing import Any, Callable

from engine.api.store import json_copy

#: v1.DefaultClientIPServiceAffinitySeconds (3 hours).
DEFAULT_CLIENT_IP_AFFINITY_SECONDS = 10800
#: SetDefaults_Probe, in its order.
PROBE_DEFAULTS = (("timeoutSeconds", 1), ("periodSeconds", 10), ("successThreshold", 1), ("failureThreshold", 3))


def _dict_at(obj: dict, key: str) -> dict | None:
    """obj[key] as a dict, created when missing or null; None when it holds something else."""
    v = obj.get(key)
    if v is None:
        v = obj[key] = {}
    return v if isinstance(v, dict) else None


def _dicts(v: Any) -> list[dict]:
    return [x for x in v if isinstance(x, dict)] if isinstance(v, list) else []


def _image_pull_policy(image: str) -> str:
    """SetDefaults_Container: Always for `:latest` (or no tag), else IfNotPresent."""
    tail = image.rsplit("/", 1)[-1]
    if "@" in tail:
        return "IfNotPresent"
    if ":" not in tail or tail.endswith(":latest"):
        return "Always"
    return "IfNotPresent"


def default_probe(probe: dict) -> None:
    """SetDefaults_Probe and SetDefaults_HTTPGetAction."""
    for key, value in PROBE_DEFAULTS:
        if probe.get(key) in (None, 0):
            probe[key] = value
    http = probe.get("httpGet")
    if isinstance(http, dict):
        if not http.get("path"):
            http["path"] = "/"
        if not http.get("scheme"):
            http["scheme"] = "HTTP"


def default_container(c: dict) -> None:
    """SetDefaults_Container, its ports (protocol TCP) and probes; `resources: {}` is how
    Go prints the never-omitted ResourceRequirements struct."""
    if not c.get("imagePullPolicy"):
        c["imagePullPolicy"] = _image_pull_policy(str(c.get("image", "")))
    if c.get("resources") is None:
        c["resources"] = {}
    if not c.get("terminationMessagePath"):
        c["terminationMessagePath"] = "/dev/termination-log"
    if not c.get("terminationMessagePolicy"):
        c["terminationMessagePolicy"] = "File"
    for p in _dicts(c.get("ports")):
        if not p.get("protocol"):
            p["protocol"] = "TCP"
    for key in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = c.get(key)
        if isinstance(probe, dict):
            default_probe(probe)


def default_host_network_ports(spec: dict) -> None:
    """defaultHostNetworkPorts: under hostNetwork a container port's hostPort defaults to
    its containerPort (the pod listens on the node's own address)."""
    if spec.get("hostNetwork") is not True:
        return
    for key in ("containers", "initContainers"):
        for c in _dicts(spec.get(key)):
            for p in _dicts(c.get("ports")):
                if not p.get("hostPort") and "containerPort" in p:
                    p["hostPort"] = p["containerPort"]


def default_pod_spec(spec: dict) -> None:
    """SetDefaults_PodSpec and every container's defaults (pods and pod templates)."""
    default_host_network_ports(spec)
    for key in ("containers", "initContainers"):
        for c in _dicts(spec.get(key)):
            default_container(c)
    if not spec.get("dnsPolicy"):
        spec["dnsPolicy"] = "ClusterFirst"
    if not spec.get("restartPolicy"):
        spec["restartPolicy"] = "Always"
    if not spec.get("schedulerName"):
        spec["schedulerName"] = "default-scheduler"
    if spec.get("securityContext") is None:
        spec["securityContext"] = {}
    if spec.get("terminationGracePeriodSeconds") is None:
        spec["terminationGracePeriodSeconds"] = 30


def _default_template(spec: dict) -> None:
    tmpl = _dict_at(spec, "template")
    if tmpl is None:
        return
    tmd = _dict_at(tmpl, "metadata")
    if tmd is not None:
        tmd.setdefault("creationTimestamp", None)
    tspec = _dict_at(tmpl, "spec")
    if tspec is not None:
        default_pod_spec(tspec)


def default_pod(obj: dict) -> None:
    """SetDefaults_Pod, plus the admission plugins every cluster runs (Priority,
    DefaultTolerationSeconds) and the create strategy's initial status."""
    spec = _dict_at(obj, "spec")
    if spec is None:
        return
    default_pod_spec(spec)
    if spec.get("enableServiceLinks") is None:
        spec["enableServiceLinks"] = True
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    spec.setdefault("priority", 0)
    spec.setdefault("tolerations", [
        {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready",
         "operator": "Exists", "tolerationSeconds": 300},
        {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable",
         "operator": "Exists", "tolerationSeconds": 300},
    ])
    obj.setdefault("status", {"phase": "Pending", "qosClass": "BestEffort"})


def _externally_accessible(spec: dict) -> bool:
    """service.ExternallyAccessible."""
    typ = spec.get("type")
    return typ in ("LoadBalancer", "NodePort") or (typ == "ClusterIP" and bool(spec.get("externalIPs")))


def default_service(obj: dict) -> None:
    """SetDefaults_Service, the REST layer's single-stack IP family fields and the
    strategy's clusterIP -> clusterIPs sync (NormalizeClusterIPs)."""
    spec = _dict_at(obj, "spec")
    if spec is None:
        return
    if not spec.get("sessionAffinity"):
        spec["sessionAffinity"] = "None"
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        cfg = spec.get("sessionAffinityConfig")
        client = cfg.get("clientIP") if isinstance(cfg, dict) else None
        if not isinstance(client, dict) or client.get("timeoutSeconds") is None:
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": DEFAULT_CLIENT_IP_AFFINITY_SECONDS}}
    if not spec.get("type"):
        spec["type"] = "ClusterIP"
    typ = spec["type"]
    for p in _dicts(spec.get("ports")):
        if not p.get("protocol"):
            p["protocol"] = "TCP"
        if p.get("targetPort") in (None, 0, "") and "port" in p:
            p["targetPort"] = p["port"]
    if _externally_accessible(spec) and not spec.get("externalTrafficPolicy"):
        spec["externalTrafficPolicy"] = "Cluster"
    if spec.get("internalTrafficPolicy") is None and typ in ("NodePort", "LoadBalancer", "ClusterIP"):
        spec["internalTrafficPolicy"] = "Cluster"
    if typ == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is None:
        spec["allocateLoadBalancerNodePorts"] = True
    if typ != "ExternalName":
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("ipFamilies", ["IPv4"])
    cip = spec.get("clusterIP")
    if isinstance(cip, str) and cip and not spec.get("clusterIPs"):
        spec["clusterIPs"] = [cip]
    obj.setdefault("status", {"loadBalancer": {}})


def _rolling_update(strategy: dict, kind: str, max_unavailable: Any, max_surge: Any) -> None:
    if not strategy.get("type"):
        strategy["type"] = kind
    if strategy["type"] == kind:
        ru = _dict_at(strategy, "rollingUpdate")
        if ru is not None:
            if ru.get("maxUnavailable") is None:
                ru["maxUnavailable"] = max_unavailable
            if ru.get("maxSurge") is None:
                ru["maxSurge"] = max_surge


def default_deployment(obj: dict) -> None:
    """apps/v1 SetDefaults_Deployment."""
    spec = _dict_at(obj, "spec")
    if spec is None:
        return
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    strategy = _dict_at(spec, "strategy")
    if strategy is not None:
        _rolling_update(strategy, "RollingUpdate", "25%", "25%")
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    if spec.get("progressDeadlineSeconds") is None:
        spec["progressDeadlineSeconds"] = 600
    _default_template(spec)


def default_replicaset(obj: dict) -> None:
    """apps/v1 SetDefaults_ReplicaSet."""
    spec = _dict_at(obj, "spec")
    if spec is None:
        return
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    _default_template(spec)


def default_daemonset(obj: dict) -> None:
    """apps/v1 SetDefaults_DaemonSet."""
    spec = _dict_at(obj, "spec")
    if spec is None:
        return
    strategy = _dict_at(spec, "updateStrategy")
    if strategy is not None:
        _rolling_update(strategy, "RollingUpdate", 1, 0)
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    _default_template(spec)


def default_namespace(obj: dict) -> None:
    """What the API server sets on every Namespace: the name label (since 1.21), the
    `kubernetes` finalizer the namespace controller removes, and phase Active."""
    md = obj["metadata"]
    if isinstance(md.get("name"), str):
        md.setdefault("labels", {})["kubernetes.io/metadata.name"] = md["name"]
    spec = obj.setdefault("spec", {})
    if isinstance(spec, dict) and "kubernetes" not in (spec.get("finalizers") or []):
        spec["finalizers"] = list(spec.get("finalizers") or []) + ["kubernetes"]
    status = obj.setdefault("status", {})
    if isinstance(status, dict):
        status.setdefault("phase", "Active")


def default_node(obj: dict) -> None:
    """v1 Node's podCIDR and podCIDRs are one field inside the API server: podCIDR alone is
    mirrored into podCIDRs (conversion), and podCIDR reads back as podCIDRs[0]."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    cidrs = spec.get("podCIDRs")
    if not cidrs and isinstance(spec.get("podCIDR"), str) and spec["podCIDR"]:
        spec["podCIDRs"] = [spec["podCIDR"]]
    elif isinstance(cidrs, list) and cidrs and isinstance(cidrs[0], str):
        spec["podCIDR"] = cidrs[0]


def default_endpoints(obj: dict) -> None:
    """SetDefaults_Endpoints: a subset port's protocol defaults to TCP."""
    for subset in _dicts(obj.get("subsets")):
        for p in _dicts(subset.get("ports")):
            if not p.get("protocol"):
                p["protocol"] = "TCP"


DEFAULTERS: dict[str, Callable[[dict], None]] = {
    "Node": default_node,
    "Service": default_service,
    "Deployment": default_deployment,
    "ReplicaSet": default_replicaset,
    "DaemonSet": default_daemonset,
    "Pod": default_pod,
    "Namespace": default_namespace,
    "Endpoints": default_endpoints,
}


def set_defaults(obj: dict) -> dict:
    """Default `obj` in place (the scheme's Default) and return it."""
    obj.setdefault("metadata", {})
    fn = DEFAULTERS.get(obj.get("kind", ""))
    if fn:
        fn(obj)
    return obj


def with_defaults(obj: dict) -> dict:
    """A defaulted deep copy of `obj` (the input stays as the user wrote it)."""
    # (JSON-shaped: json_copy is several times faster than copy.deepcopy, per pod created)
    return set_defaults(json_copy(obj))
