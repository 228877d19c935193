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

from engine.api.admission import default_toleration_seconds
from engine.api.qos import pod_qos_class
from engine.api.store import json_copy

#: v1.DefaultClientIPServiceAffinitySeconds (3 hours).
DEFAULT_CLIENT_IP_AFFINITY_SECONDS = 10800
#: The defaultMode of secret, configMap, downwardAPI and projected volumes (0644).
DEFAULT_VOLUME_MODE = 420
#: SetDefaults_ServiceAccountTokenProjection: an hour.
DEFAULT_TOKEN_EXPIRATION_SECONDS = 3600
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
    """SetDefaults_Probe, SetDefaults_HTTPGetAction and GRPCAction's declarative default."""
    for key, value in PROBE_DEFAULTS:
        if probe.get(key) in (None, 0):
            probe[key] = value
    grpc = probe.get("grpc")
    if isinstance(grpc, dict) and grpc.get("service") is None:
        # GRPCAction.service is `+default=""` (zz_generated.defaults.go): stored as "".
        # kubectl describe dereferences it, and panics on a probe stored without it.
        grpc["service"] = ""
    http = probe.get("httpGet")
    if isinstance(http, dict):
        if not http.get("path"):
            http["path"] = "/"
        if not http.get("scheme"):
            http["scheme"] = "HTTP"


def default_field_selector(ref: Any) -> None:
    """SetDefaults_ObjectFieldSelector: a fieldRef's apiVersion is v1 (describe prints it)."""
    if isinstance(ref, dict) and not ref.get("apiVersion"):
        ref["apiVersion"] = "v1"


def default_resource_field_selector(ref: Any) -> None:
    """A resourceFieldRef's divisor is a resource.Quantity held by value: Go serialises its
    zero value as "0" (omitempty does not omit a struct), so every stored one carries it."""
    if isinstance(ref, dict) and ref.get("divisor") is None:
        ref["divisor"] = "0"


def _default_downward_items(items: Any) -> None:
    for item in _dicts(items):
        default_field_selector(item.get("fieldRef"))
        default_resource_field_selector(item.get("resourceFieldRef"))


def _default_mode(source: Any) -> None:
    if isinstance(source, dict) and source.get("defaultMode") is None:
        source["defaultMode"] = DEFAULT_VOLUME_MODE


def default_volume(v: dict) -> None:
    """SetDefaults_Volume (no source at all is an emptyDir) and the defaulters of the
    sources under it: HostPath's type "", the 0644 defaultMode of Secret, ConfigMap,
    DownwardAPI and Projected volumes, a projected token's hour, fieldRef's v1."""
    sources = [k for k in v if k != "name"]
    if not sources:
        v["emptyDir"] = {}
    hp = v.get("hostPath")
    if isinstance(hp, dict) and hp.get("type") is None:
        hp["type"] = ""
    for key in ("secret", "configMap", "downwardAPI", "projected"):
        _default_mode(v.get(key))
    dapi = v.get("downwardAPI")
    if isinstance(dapi, dict):
        _default_downward_items(dapi.get("items"))
    projected = v.get("projected")
    if isinstance(projected, dict):
        for src in _dicts(projected.get("sources")):
            token = src.get("serviceAccountToken")
            if isinstance(token, dict) and token.get("expirationSeconds") is None:
                token["expirationSeconds"] = DEFAULT_TOKEN_EXPIRATION_SECONDS
            dapi = src.get("downwardAPI")
            if isinstance(dapi, dict):
                _default_downward_items(dapi.get("items"))


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
    for e in _dicts(c.get("env")):
        vf = e.get("valueFrom")
        if isinstance(vf, dict):
            default_field_selector(vf.get("fieldRef"))
            default_resource_field_selector(vf.get("resourceFieldRef"))


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


def default_service_account_alias(spec: dict) -> None:
    """v1 conversion of the deprecated `serviceAccount`: read as serviceAccountName when that
    is empty, and always written back equal to it (so `-o yaml` shows both)."""
    name, alias = spec.get("serviceAccountName"), spec.get("serviceAccount")
    if not name and isinstance(alias, str) and alias:
        spec["serviceAccountName"] = name = alias
    if isinstance(name, str) and name:
        spec["serviceAccount"] = name


def default_pod_spec(spec: dict) -> None:
    """SetDefaults_PodSpec and every container's defaults (pods and pod templates)."""
    default_host_network_ports(spec)
    for v in _dicts(spec.get("volumes")):
        default_volume(v)
    for key in ("containers", "initContainers"):
        for c in _dicts(spec.get(key)):
            default_container(c)
    default_service_account_alias(spec)
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


def default_requests_to_limits(c: dict) -> None:
    """SetDefaults_Pod (pods only, not templates): a limit without a request is also the
    request."""
    res = c.get("resources")
    limits = res.get("limits") if isinstance(res, dict) else None
    if not isinstance(limits, dict) or not limits:
        return
    requests = res.get("requests")
    if requests is None:
        requests = res["requests"] = {}
    if isinstance(requests, dict):
        for key, value in limits.items():
            requests.setdefault(key, value)


def default_pod(obj: dict) -> None:
    """SetDefaults_Pod, plus the admission plugins every cluster runs (Priority,
    DefaultTolerationSeconds) and the create strategy's initial status."""
    spec = _dict_at(obj, "spec")
    if spec is None:
        return
    default_pod_spec(spec)
    for key in ("containers", "initContainers"):
        for c in _dicts(spec.get(key)):
            default_requests_to_limits(c)
    if spec.get("enableServiceLinks") is None:
        spec["enableServiceLinks"] = True
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    spec.setdefault("priority", 0)
    default_toleration_seconds(spec)
    obj.setdefault("status", {"phase": "Pending", "qosClass": pod_qos_class(obj)})


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
    if typ == "LoadBalancer":  # (an ingress IP's mode, VIP unless said: LoadBalancerIPMode)
        status = obj.get("status")
        lb = status.get("loadBalancer") if isinstance(status, dict) else None
        for ing in _dicts(lb.get("ingress") if isinstance(lb, dict) else None):
            if ing.get("ip") and ing.get("ipMode") is None:
                ing["ipMode"] = "VIP"
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


def default_statefulset(obj: dict) -> None:
    """apps/v1 SetDefaults_StatefulSet (v1.33: StatefulSetAutoDeletePVC is GA, so the claim
    retention policy is always filled; MaxUnavailableStatefulSet is alpha and off). A
    RollingUpdate strategy is only given its `partition: 0` when the type was empty or the
    manifest wrote a `rollingUpdate` of its own, as upstream's pointer checks do."""
    spec = _dict_at(obj, "spec")
    if spec is None:
        return
    if not spec.get("podManagementPolicy"):
        spec["podManagementPolicy"] = "OrderedReady"
    strategy = spec.get("updateStrategy")
    if strategy is None:
        strategy = spec["updateStrategy"] = {}
    if isinstance(strategy, dict):
        if not strategy.get("type"):
            strategy["type"] = "RollingUpdate"
            if strategy.get("rollingUpdate") is None:
                strategy["rollingUpdate"] = {}
        ru = strategy.get("rollingUpdate")
        if strategy["type"] == "RollingUpdate" and isinstance(ru, dict) and ru.get("partition") is None:
            ru["partition"] = 0
    policy = spec.get("persistentVolumeClaimRetentionPolicy")
    if policy is None:
        policy = spec["persistentVolumeClaimRetentionPolicy"] = {}
    if isinstance(policy, dict):
        for key in ("whenDeleted", "whenScaled"):
            if not policy.get(key):
                policy[key] = "Retain"
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    _default_template(spec)
    for claim in _dicts(spec.get("volumeClaimTemplates")):
        default_claim_template(claim)


def default_claim_template(claim: dict) -> None:
    """A volumeClaimTemplate as the API server stores it: a whole v1 PersistentVolumeClaim
    (apiVersion and kind, SetDefaults_PersistentVolumeClaim's Filesystem volumeMode, and
    the Pending phase of SetDefaults_PersistentVolumeClaimStatus)."""
    claim.setdefault("apiVersion", "v1")
    claim.setdefault("kind", "PersistentVolumeClaim")
    md = _dict_at(claim, "metadata")
    if md is not None:
        md.setdefault("creationTimestamp", None)
    spec = claim.get("spec")
    if spec is None:
        spec = claim["spec"] = {}
    if isinstance(spec, dict) and not spec.get("volumeMode"):
        spec["volumeMode"] = "Filesystem"
    status = claim.get("status")
    if status is None:
        status = claim["status"] = {}
    if isinstance(status, dict) and not status.get("phase"):
        status["phase"] = "Pending"


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


def default_endpoint_slice(obj: dict) -> None:
    """discovery/v1 SetDefaults_EndpointPort: a port's name is "" and its protocol TCP."""
    for p in _dicts(obj.get("ports")):
        if p.get("name") is None:
            p["name"] = ""
        if p.get("protocol") is None:
            p["protocol"] = "TCP"


def default_network_policy(obj: dict) -> None:
    """networking/v1 SetDefaults_NetworkPolicy and SetDefaults_NetworkPolicyPort: a port's
    protocol is TCP; no policyTypes means Ingress, plus Egress when egress rules are given
    (so a policy with only `egress:` still isolates its pods for ingress, as upstream).
    `spec` and its `podSelector` are Go struct values: stored (and printed) even when empty."""
    spec = _dict_at(obj, "spec")
    if spec is None or _dict_at(spec, "podSelector") is None:
        return
    for direction in ("ingress", "egress"):
        for rule in _dicts(spec.get(direction)):
            for port in _dicts(rule.get("ports")):
                if port.get("protocol") is None:
                    port["protocol"] = "TCP"
    if not spec.get("policyTypes"):
        spec["policyTypes"] = ["Ingress"] + (["Egress"] if spec.get("egress") else [])


DEFAULTERS: dict[str, Callable[[dict], None]] = {
    "Node": default_node,
    "Service": default_service,
    "Deployment": default_deployment,
    "ReplicaSet": default_replicaset,
    "DaemonSet": default_daemonset,
    "StatefulSet": default_statefulset,
    "Pod": default_pod,
    "Namespace": default_namespace,
    "Endpoints": default_endpoints,
    "EndpointSlice": default_endpoint_slice,
    "NetworkPolicy": default_network_policy,
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
