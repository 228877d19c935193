"""The objects a fresh kind cluster already has before the user applies anything:
namespaces, nodes, the `kubernetes` and `kube-dns` Services, CoreDNS, kube-proxy and
kindnet DaemonSets, local-path-provisioner and the control plane's static pods.

Like `kind create cluster`, the control plane comes up first (CoreDNS and the
provisioner land on it, taking 10.244.0.2-.4) and the workers join afterwards.
"""
from __future__ import annotations

import hashlib
from typing import Callable

from engine.api.apiserver import ApiServer
from engine.api.naming import new_uid
from engine.api.quantity import parse_quantity
from engine.cluster.topology import KERNEL_VERSION, KUBERNETES_VERSION, NodeSpec, Topology
from engine.controllers.kubernetesservice import (
    kubernetes_endpoint_slice,
    kubernetes_endpoints,
    kubernetes_service,
)
from engine.kubelet.nodelease import HEALTHY

COREDNS_IMAGE = "registry.k8s.io/coredns/coredns:v1.12.0"
KUBE_PROXY_IMAGE = f"registry.k8s.io/kube-proxy:{KUBERNETES_VERSION}"
KINDNET_IMAGE = "docker.io/kindest/kindnetd:v20250512-df8de77b"
LOCAL_PATH_IMAGE = "docker.io/kindest/local-path-provisioner:v20250214-acbabc1a"
# kind's node image ships these, so their pods start without a pull.
PRELOADED_IMAGES = [COREDNS_IMAGE, KUBE_PROXY_IMAGE, KINDNET_IMAGE, LOCAL_PATH_IMAGE,
                    "registry.k8s.io/etcd:3.5.21-0"] + [
    f"registry.k8s.io/{c}:{KUBERNETES_VERSION}" for c in ("kube-apiserver", "kube-controller-manager", "kube-scheduler")]
NAMESPACES = ["default", "kube-node-lease", "kube-public", "kube-system", "local-path-storage"]
# The ServiceAccounts kind's system pods name (kubeadm's addons, kind's kindnet and
# local-path-provisioner manifests); each namespace's `default` comes from its controller.
SYSTEM_SERVICE_ACCOUNTS = (("kube-system", "coredns"), ("kube-system", "kube-proxy"), ("kube-system", "kindnet"),
                           ("local-path-storage", "local-path-provisioner-service-account"))
CP_TOLERATION = {"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"}


def node_object(n: NodeSpec, now: str, ids: "Callable[[], str]") -> dict:
    if n.node_object is not None:
        obj = {k: v for k, v in n.node_object.items() if k != "status"}
        spec = obj["spec"] = dict(obj.get("spec") or {})  # (`spec: null` decodes to the zero NodeSpec)
        spec.setdefault("podCIDR", n.pod_cidr)
        spec.setdefault("podCIDRs", [n.pod_cidr])
    else:
        obj = {"apiVersion": "v1", "kind": "Node",
               "metadata": {"name": n.name, "labels": dict(n.labels),
                            "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                                            "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
               "spec": {"podCIDR": n.pod_cidr, "podCIDRs": [n.pod_cidr],
                        "providerID": f"kind://docker/kind/{n.name}"}}
        if n.taints:
            obj["spec"]["taints"] = [dict(t) for t in n.taints]
    given = (n.node_object or {}).get("status") or {}
    if not isinstance(given, dict):
        given = {}
    pods = _max_pods(given, n.max_pods)
    obj["status"] = {
        "addresses": given.get("addresses") or [{"address": n.ip, "type": "InternalIP"},
                                                 {"address": n.name, "type": "Hostname"}],
        "allocatable": _resources(given, "allocatable", pods),
        "capacity": _resources(given, "capacity", pods),
        "conditions": [  # (what a healthy kubelet posts: the one table, engine.kubelet.nodelease.HEALTHY)
            {"type": t, "status": status, "lastHeartbeatTime": now, "lastTransitionTime": now,
             "reason": reason, "message": message}
            for t, (status, reason, message) in HEALTHY.items()],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        "nodeInfo": {"architecture": "amd64", "bootID": ids(), "containerRuntimeVersion": "containerd://2.1.1",
                     "kernelVersion": KERNEL_VERSION, "kubeProxyVersion": "", "kubeletVersion": KUBERNETES_VERSION,
                     "machineID": ids().replace("-", ""), "operatingSystem": "linux", "osImage": "Debian GNU/Linux 12 (bookworm)",
                     "systemUUID": ids()},
    }
    return obj


#: What kind's nodes report of this machine (each node container sees the host's cpus and memory).
MACHINE_RESOURCES = {"cpu": "2", "ephemeral-storage": "263174212Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0",
                     "memory": "24534408Ki"}


def _resources(given_status: dict, field: str, pods: str) -> dict[str, str]:
    """A node's capacity or allocatable: the machine's, with what a Node manifest states for
    cpu, memory and the rest (a valid quantity; allocatable falls back to the stated
    capacity), so `status: {capacity: {cpu: "4"}}` gives the scheduler four cpus."""
    out = dict(MACHINE_RESOURCES)
    for source in ("capacity", field):
        stated = given_status.get(source)
        if isinstance(stated, dict):
            for name, value in stated.items():
                if name != "pods" and isinstance(name, str) and parse_quantity(value) is not None:
                    out[name] = str(value)
    out["pods"] = pods
    return out


def _max_pods(given_status: dict, max_pods: int) -> str:
    """The pods a node's kubelet admits: its maxPods (110, or a KubeletConfiguration's),
    unless a Node manifest states `status.capacity.pods` or `status.allocatable.pods`."""
    for field in ("allocatable", "capacity"):
        v = (given_status.get(field) or {}).get("pods") if isinstance(given_status.get(field), dict) else None
        if isinstance(v, (int, str)) and str(v).isdigit():
            return str(int(str(v)))
    return str(max_pods)


def _container(name: str, image: str, requests: dict | None = None, limits: dict | None = None,
               **extra) -> dict:
    c = {"name": name, "image": image, **extra}
    if requests or limits:
        c["resources"] = {k: v for k, v in (("limits", limits), ("requests", requests)) if v}
    return c


# The requests kind's manifests set (kubectl describe node sums them).
STATIC_POD_REQUESTS = {"etcd": {"cpu": "100m", "memory": "100Mi"}, "kube-apiserver": {"cpu": "250m"},
                       "kube-controller-manager": {"cpu": "200m"}, "kube-scheduler": {"cpu": "100m"}}


def _daemonset(name: str, labels: dict, container: dict, service_account: str) -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": "kube-system", "labels": dict(labels)},
        "spec": {"selector": {"matchLabels": dict(labels)},
                 "template": {"metadata": {"labels": dict(labels)},
                              "spec": {"containers": [container], "hostNetwork": True,
                                       "nodeSelector": {"kubernetes.io/os": "linux"},
                                       "priorityClassName": "system-node-critical",
                                       "serviceAccountName": service_account,
                                       "tolerations": [{"operator": "Exists"}]}}},
    }


def coredns_deployment(labels: dict) -> dict:
    """kubeadm v1.33's CoreDNS Deployment (cmd/kubeadm/app/phases/addons/dns/manifests.go), as
    kind installs it: the Corefile mounted from the `coredns` ConfigMap (a pod whose ConfigMap
    is gone stays ContainerCreating), the liveness and readiness probes, the anti-affinity
    that spreads the two replicas, and at most one replica down during a rollout."""
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "coredns", "namespace": "kube-system", "labels": dict(labels)},
        "spec": {
            "replicas": 2, "selector": {"matchLabels": dict(labels)},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
            "template": {"metadata": {"labels": dict(labels)}, "spec": {
                "priorityClassName": "system-cluster-critical", "serviceAccountName": "coredns",
                "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
                    "weight": 100, "podAffinityTerm": {
                        "labelSelector": {"matchExpressions": [
                            {"key": "k8s-app", "operator": "In", "values": ["kube-dns"]}]},
                        "topologyKey": "kubernetes.io/hostname"}}]}},
                "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"},
                                {"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"}],
                "nodeSelector": {"kubernetes.io/os": "linux"},
                "containers": [_container(
                    "coredns", COREDNS_IMAGE, requests={"cpu": "100m", "memory": "70Mi"}, limits={"memory": "170Mi"},
                    imagePullPolicy="IfNotPresent", args=["-conf", "/etc/coredns/Corefile"],
                    volumeMounts=[{"name": "config-volume", "mountPath": "/etc/coredns", "readOnly": True}],
                    ports=[{"containerPort": 53, "name": "dns", "protocol": "UDP"},
                           {"containerPort": 53, "name": "dns-tcp", "protocol": "TCP"},
                           {"containerPort": 9153, "name": "metrics", "protocol": "TCP"}],
                    livenessProbe={"httpGet": {"path": "/health", "port": 8080, "scheme": "HTTP"},
                                   "initialDelaySeconds": 60, "timeoutSeconds": 5, "successThreshold": 1,
                                   "failureThreshold": 5},
                    readinessProbe={"httpGet": {"path": "/ready", "port": 8181, "scheme": "HTTP"}},
                    securityContext={"allowPrivilegeEscalation": False,
                                     "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
                                     "readOnlyRootFilesystem": True})],
                "dnsPolicy": "Default",
                "volumes": [{"name": "config-volume", "configMap": {
                    "name": "coredns", "items": [{"key": "Corefile", "path": "Corefile"}]}}]}},
        },
    }


def system_objects_before_nodes(api: ApiServer) -> None:
    for ns in NAMESPACES:
        api.create_internal({"apiVersion": "v1", "kind": "Namespace",
                             "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}},
                             "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})


def control_plane_objects(api: ApiServer, topology: Topology, apiserver_ip: str) -> None:
    """What kubeadm init and kind install once the control-plane node is up;
    `apiserver_ip` is the `kubernetes` Service's ClusterIP (the range's first)."""
    cp = topology.control_plane
    api.create_internal(kubernetes_service(apiserver_ip))
    api.create_internal(kubernetes_endpoints(cp.ip))
    api.create_internal(kubernetes_endpoint_slice(cp.ip))
    uids = api.rng("uid:serviceaccount")  # (as the serviceaccount controller draws them)
    for ns, name in SYSTEM_SERVICE_ACCOUNTS:
        api.create_internal({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": ns}},
                            uid=new_uid(uids))
    dns_labels = {"k8s-app": "kube-dns"}
    api.create_internal({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kube-dns", "namespace": "kube-system",
                     "annotations": {"prometheus.io/port": "9153", "prometheus.io/scrape": "true"},
                     "labels": {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
                                "kubernetes.io/name": "CoreDNS"}},
        "spec": {"clusterIP": topology.dns_ip, "selector": dict(dns_labels),
                 "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                           {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                           {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153}]},
    })
    api.create_internal(coredns_deployment(dns_labels))
    api.create_internal(_daemonset("kube-proxy", {"k8s-app": "kube-proxy"}, _container(
        "kube-proxy", KUBE_PROXY_IMAGE, imagePullPolicy="IfNotPresent",
        command=["/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf",
                 "--hostname-override=$(NODE_NAME)"]), "kube-proxy"))
    api.create_internal(_daemonset("kindnet", {"app": "kindnet", "k8s-app": "kindnet", "tier": "node"}, _container(
        "kindnet-cni", KINDNET_IMAGE, requests={"cpu": "100m", "memory": "50Mi"},
        limits={"cpu": "100m", "memory": "50Mi"}, imagePullPolicy="IfNotPresent"), "kindnet"))
    api.create_internal({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "local-path-provisioner", "namespace": "local-path-storage"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "local-path-provisioner"}},
                 "template": {"metadata": {"labels": {"app": "local-path-provisioner"}}, "spec": {
                     "containers": [_container("local-path-provisioner", LOCAL_PATH_IMAGE,
                                               imagePullPolicy="IfNotPresent")],
                     "nodeSelector": {"kubernetes.io/os": "linux"},
                     "serviceAccountName": "local-path-provisioner-service-account",
                     "tolerations": [{"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane",
                                      "operator": "Equal"}]}}},
    })
    for comp in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        tag = "3.5.21-0" if comp == "etcd" else KUBERNETES_VERSION
        api.create_internal({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"{comp}-{cp.name}", "namespace": "kube-system",
                         "labels": {"component": comp, "tier": "control-plane"},
                         "annotations": {"kubernetes.io/config.mirror": _config_hash(comp, cp.name),
                                         "kubernetes.io/config.source": "file"},
                         "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": cp.name,
                                              "uid": (api.store.get("Node", "", cp.name) or {"metadata": {"uid": ""}})["metadata"]["uid"],
                                              "controller": True}]},
            "spec": {"containers": [_container(comp, f"registry.k8s.io/{comp}:{tag}", requests=STATIC_POD_REQUESTS[comp],
                                               imagePullPolicy="IfNotPresent")],
                     "hostNetwork": True, "nodeName": cp.name, "priorityClassName": "system-node-critical",
                     "tolerations": [{"effect": "NoExecute", "operator": "Exists"}]},
        })


def _config_hash(component: str, node: str) -> str:
    """The hash the kubelet gives a static pod's manifest (its mirror pod carries it as
    `kubernetes.io/config.mirror`, which tells the API server's admission it is one)."""
    return hashlib.md5(f"{node}/{component}".encode()).hexdigest()


def config_maps(api: ApiServer, corefile: str) -> None:
    """kubeadm's CoreDNS ConfigMap: the Corefile the simulated CoreDNS serves by
    (`kubectl -n kube-system get cm coredns -o yaml`, as CoreDNS tutorials show it)."""
    api.create_internal({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "coredns", "namespace": "kube-system"},
        "data": {"Corefile": corefile if corefile.endswith("\n") else corefile + "\n"},
    }, uid=new_uid(api.rng("uid:coredns-config")))  # (a UID of its own: the objects around keep theirs)
