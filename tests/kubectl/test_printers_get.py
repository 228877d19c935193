"""`kubectl get` printers: every example table of spec section B, byte for byte.

Objects are built as the API would return them; `NOW` is fixed so AGE is deterministic.
Expected texts are copied from docs/k8s-behaviour-spec.md (B.1-B.7) or, where the spec
has no example, restated from upstream printers.go / its tests.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from engine.kubectl.printers.duration import human_duration, short_human_duration, since
from engine.kubectl.printers.get import (
    ResourceTypeNotFound,
    expand_resource_args,
    format_endpoints,
    format_label_selector,
    multiple_types_requested,
    no_resources_message,
    not_found_message,
    print_get_all,
    print_name,
    print_table,
    resolve_resource,
    table,
)
from engine.kubectl.printers.encoding import to_json, to_yaml
from engine.kubectl.printers.tabwriter import render_table

NOW = datetime(2025, 6, 10, 12, 0, 0, tzinfo=timezone.utc)
SEC, MIN, HOUR, DAY = 1, 60, 3600, 86400


def ts(seconds_ago: float) -> str:
    return (NOW - timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def meta(name: str, age: float, namespace: str | None = "default", **extra) -> dict:
    m = {"name": name, "creationTimestamp": ts(age), "uid": f"uid-{name}", "resourceVersion": "1"}
    if namespace is not None:
        m["namespace"] = namespace
    m.update(extra)
    return m


def running_pod(name: str, ip: str, node: str, age: float = 12, **status) -> dict:
    return {
        "apiVersion": "v1", "kind": "Pod", "metadata": meta(name, age, labels={"app": "redis"}),
        "spec": {"nodeName": node, "containers": [{"name": "redis", "image": "redis:7"}]},
        "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                   "conditions": [{"type": "Ready", "status": "True"}],
                   "containerStatuses": [{"name": "redis", "ready": True, "restartCount": 0,
                                          "state": {"running": {"startedAt": ts(age - 2)}}}],
                   **status},
    }


def service(name: str, age: float, *, type_: str = "ClusterIP", cluster_ip: str | None = None,
            ports: list | None = None, selector: dict | None = None, **spec) -> dict:
    s = {"type": type_, "ports": ports or [], **spec}
    if cluster_ip is not None:
        s["clusterIP"] = cluster_ip
        s["clusterIPs"] = [cluster_ip]
    if selector is not None:
        s["selector"] = selector
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta(name, age), "spec": s,
            "status": {"loadBalancer": {}}}


def endpoints(name: str, age: float, subsets: list | None) -> dict:
    obj = {"apiVersion": "v1", "kind": "Endpoints", "metadata": meta(name, age)}
    if subsets is not None:
        obj["subsets"] = subsets
    return obj


def addrs(*ips: str) -> list[dict]:
    return [{"ip": ip} for ip in ips]


def deployment(name: str, age: float, replicas: int, ready: int) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(name, age),
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": name, "image": f"{name}:7"}]}}},
            "status": {"replicas": replicas, "readyReplicas": ready, "updatedReplicas": replicas,
                       "availableReplicas": ready}}


def replicaset(name: str, age: float, replicas: int, ready: int, hash_: str) -> dict:
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": meta(name, age),
            "spec": {"replicas": replicas,
                     "selector": {"matchLabels": {"app": "redis", "pod-template-hash": hash_}},
                     "template": {"spec": {"containers": [{"name": "redis", "image": "redis:7"}]}}},
            "status": {"replicas": replicas, "readyReplicas": ready}}


REDIS_PODS = [running_pod("redis-5f7c8d9b6d-x7k2p", "10.244.1.5", "kind-worker"),
              running_pod("redis-5f7c8d9b6d-q9zvn", "10.244.2.3", "kind-worker2")]


# --- B.1 pods -------------------------------------------------------------------------

def test_b1_pods_wide() -> None:
    assert print_table("Pod", REDIS_PODS, now=NOW, wide=True) == (
        "NAME                     READY   STATUS    RESTARTS   AGE   IP           NODE           NOMINATED NODE   READINESS GATES\n"
        "redis-5f7c8d9b6d-q9zvn   1/1     Running   0          12s   10.244.2.3   kind-worker2   <none>           <none>\n"
        "redis-5f7c8d9b6d-x7k2p   1/1     Running   0          12s   10.244.1.5   kind-worker    <none>           <none>\n"
    )


def test_b1_pods_all_namespaces_adds_namespace_first() -> None:
    other = running_pod("coredns-1", "10.244.0.2", "kind-control-plane", age=5 * DAY)
    other["metadata"]["namespace"] = "kube-system"
    assert print_table("po", [*REDIS_PODS, other], now=NOW, all_namespaces=True) == (
        "NAMESPACE     NAME                     READY   STATUS    RESTARTS   AGE\n"
        "default       redis-5f7c8d9b6d-q9zvn   1/1     Running   0          12s\n"
        "default       redis-5f7c8d9b6d-x7k2p   1/1     Running   0          12s\n"
        "kube-system   coredns-1                1/1     Running   0          5d\n"
    )


def _pod_status(pod: dict) -> list[str]:
    return table("Pod", [pod], now=NOW)[1][0][1:4]


def test_pod_container_creating_and_unscheduled_pending() -> None:
    creating = running_pod("p", "10.244.1.9", "kind-worker")
    creating["status"] = {"phase": "Pending", "containerStatuses": [
        {"name": "redis", "ready": False, "restartCount": 0,
         "state": {"waiting": {"reason": "ContainerCreating"}}}]}
    assert _pod_status(creating) == ["0/1", "ContainerCreating", "0"]
    pending = {"apiVersion": "v1", "kind": "Pod", "metadata": meta("q", 3),
               "spec": {"containers": [{"name": "a"}, {"name": "b"}]}, "status": {"phase": "Pending"}}
    header, rows = table("Pod", [pending], now=NOW, wide=True)
    assert rows[0] == ["q", "0/2", "Pending", "0", "3s", "<none>", "<none>", "<none>", "<none>"]


def test_pod_terminating_when_deletion_timestamp_set() -> None:
    pod = running_pod("p", "10.244.1.9", "kind-worker")
    pod["metadata"]["deletionTimestamp"] = ts(0)
    assert _pod_status(pod) == ["1/1", "Terminating", "0"]
    done = running_pod("d", "10.244.1.9", "kind-worker")
    done["metadata"]["deletionTimestamp"] = ts(0)
    done["status"]["phase"] = "Succeeded"
    done["status"]["containerStatuses"][0].update(
        ready=False, state={"terminated": {"reason": "Completed", "exitCode": 0}})
    assert _pod_status(done) == ["0/1", "Completed", "0"]


def test_pod_crashloop_restarts_with_last_termination_age() -> None:
    pod = running_pod("p", "10.244.1.9", "kind-worker", age=10 * MIN)
    pod["status"]["containerStatuses"] = [{
        "name": "redis", "ready": False, "restartCount": 3,
        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
        "lastState": {"terminated": {"reason": "Error", "exitCode": 1, "finishedAt": ts(41)}}}]
    assert _pod_status(pod) == ["0/1", "CrashLoopBackOff", "3 (41s ago)"]


def test_pod_terminated_without_reason_and_init_progress() -> None:
    pod = running_pod("p", "10.244.1.9", "kind-worker")
    pod["status"]["containerStatuses"][0]["state"] = {"terminated": {"exitCode": 137}}
    assert _pod_status(pod)[1] == "ExitCode:137"
    pod["status"]["containerStatuses"][0]["state"] = {"terminated": {"exitCode": 0, "signal": 9}}
    assert _pod_status(pod)[1] == "Signal:9"
    init = running_pod("i", "10.244.1.9", "kind-worker")
    init["spec"]["initContainers"] = [{"name": "wait-db"}]
    init["status"] = {"phase": "Pending", "initContainerStatuses": [
        {"name": "wait-db", "ready": False, "restartCount": 0, "state": {"running": {}}}],
        "containerStatuses": [{"name": "redis", "ready": False, "restartCount": 0,
                               "state": {"waiting": {"reason": "PodInitializing"}}}]}
    assert _pod_status(init) == ["0/1", "Init:0/1", "0"]
    init["status"]["initContainerStatuses"][0]["state"] = {"waiting": {"reason": "CrashLoopBackOff"}}
    assert _pod_status(init)[1] == "Init:CrashLoopBackOff"


def test_pod_sidecar_counts_in_ready_and_completed_but_running_is_notready() -> None:
    pod = running_pod("p", "10.244.1.9", "kind-worker")
    pod["spec"]["initContainers"] = [{"name": "proxy", "restartPolicy": "Always"}]
    pod["status"]["conditions"].append({"type": "Initialized", "status": "True"})
    pod["status"]["initContainerStatuses"] = [
        {"name": "proxy", "ready": True, "started": True, "restartCount": 1, "state": {"running": {}}}]
    assert _pod_status(pod) == ["2/2", "Running", "1"]
    two = running_pod("t", "10.244.1.9", "kind-worker")
    two["spec"]["containers"].append({"name": "job"})
    two["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
    two["status"]["containerStatuses"].insert(0, {
        "name": "job", "ready": False, "restartCount": 0,
        "state": {"terminated": {"reason": "Completed", "exitCode": 0}}})
    assert _pod_status(two) == ["1/2", "NotReady", "0"]


# --- B.2 services ---------------------------------------------------------------------

SERVICES = [
    service("redis", 12, cluster_ip="10.96.140.27", selector={"app": "redis"},
            ports=[{"port": 6379, "protocol": "TCP", "targetPort": 6379}]),
    service("kubernetes", 5 * DAY, cluster_ip="10.96.0.1",
            ports=[{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]),
    service("db", 12, type_="ExternalName", externalName="db.example.com"),
    service("redis-hl", 12, cluster_ip="None", selector={"app": "redis"},
            ports=[{"port": 6379, "protocol": "TCP"}]),
    service("web", 200, type_="NodePort", cluster_ip="10.104.22.9", selector={"app": "web"},
            ports=[{"port": 3000, "nodePort": 31000, "protocol": "TCP"}]),
    service("web-lb", 2 * DAY + 4 * HOUR, type_="LoadBalancer", cluster_ip="10.99.7.14",
            selector={"app": "web"}, ports=[{"port": 80, "nodePort": 31830, "protocol": "TCP"}]),
]


def test_b2_services() -> None:
    assert print_table("svc", SERVICES, now=NOW) == (
        "NAME         TYPE           CLUSTER-IP     EXTERNAL-IP      PORT(S)          AGE\n"
        "db           ExternalName   <none>         db.example.com   <none>           12s\n"
        "kubernetes   ClusterIP      10.96.0.1      <none>           443/TCP          5d\n"
        "redis        ClusterIP      10.96.140.27   <none>           6379/TCP         12s\n"
        "redis-hl     ClusterIP      None           <none>           6379/TCP         12s\n"
        "web          NodePort       10.104.22.9    <none>           3000:31000/TCP   3m20s\n"
        "web-lb       LoadBalancer   10.99.7.14     <pending>        80:31830/TCP     2d4h\n"
    )


def test_services_wide_selector_and_multi_port() -> None:
    dns = service("kube-dns", 5 * DAY, cluster_ip="10.96.0.10", selector={"k8s-app": "kube-dns"},
                  ports=[{"name": "dns", "port": 53, "protocol": "UDP"},
                         {"name": "dns-tcp", "port": 53, "protocol": "TCP"},
                         {"name": "metrics", "port": 9153, "protocol": "TCP"}])
    assert print_table("service", [dns, SERVICES[1]], now=NOW, wide=True) == (
        "NAME         TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)                  AGE   SELECTOR\n"
        "kube-dns     ClusterIP   10.96.0.10   <none>        53/UDP,53/TCP,9153/TCP   5d    k8s-app=kube-dns\n"
        "kubernetes   ClusterIP   10.96.0.1    <none>        443/TCP                  5d    <none>\n"
    )


def test_load_balancer_external_ip_is_clipped_unless_wide() -> None:
    lb = service("lb", 60, type_="LoadBalancer", cluster_ip="10.96.5.5",
                 ports=[{"port": 80, "nodePort": 30080, "protocol": "TCP"}])
    lb["status"]["loadBalancer"] = {"ingress": [
        {"ip": "203.0.113.10"}, {"ip": "203.0.113.9", "hostname": "ignored-when-ip.example"},
        {"ip": "203.0.113.10"}]}
    assert table("svc", [lb], now=NOW)[1][0][3] == "203.0.113.10,..."
    assert table("svc", [lb], now=NOW, wide=True)[1][0][3] == "203.0.113.10,203.0.113.9"
    lb["spec"]["externalIPs"] = ["198.51.100.1"]
    assert table("svc", [lb], now=NOW)[1][0][3] == "203.0.113.10,...,198.51.100.1"
    cip = service("c", 60, cluster_ip="10.96.5.6", externalIPs=["198.51.100.2", "198.51.100.3"])
    assert table("svc", [cip], now=NOW)[1][0][3:5] == ["198.51.100.2,198.51.100.3", "<none>"]


# --- B.3 endpoints --------------------------------------------------------------------

EP_PORT = [{"port": 6379, "protocol": "TCP"}]


def test_b3_endpoints() -> None:
    eps = [
        endpoints("kubernetes", 5 * DAY, [{"addresses": addrs("172.18.0.2"),
                                            "ports": [{"name": "https", "port": 6443}]}]),
        endpoints("redis", 12, [{"addresses": addrs("10.244.1.5", "10.244.2.3"), "ports": EP_PORT}]),
        endpoints("kube-dns", 5 * DAY, [{"addresses": addrs("10.244.0.2", "10.244.0.3"),
                                          "ports": [{"name": "dns-tcp", "port": 53, "protocol": "TCP"},
                                                    {"name": "metrics", "port": 9153},
                                                    {"name": "dns", "port": 53, "protocol": "UDP"}]}]),
        # the controller stores addresses string-sorted: .10 before .9
        endpoints("web", 200, [{"addresses": addrs("10.244.1.10", "10.244.1.9", "10.244.2.4", "10.244.2.5"),
                                "ports": [{"port": 3000}]}]),
    ]
    assert print_table("ep", eps, now=NOW) == (
        "NAME         ENDPOINTS                                                      AGE\n"
        "kube-dns     10.244.0.2:53,10.244.0.3:53,10.244.0.2:9153 + 3 more...        5d\n"
        "kubernetes   172.18.0.2:6443                                                5d\n"
        "redis        10.244.1.5:6379,10.244.2.3:6379                                12s\n"
        "web          10.244.1.10:3000,10.244.1.9:3000,10.244.2.4:3000 + 1 more...   3m20s\n"
    )


def test_endpoints_cell_rules() -> None:
    # no subsets at all -> <none>; subsets with only not-ready addresses -> blank cell
    none = endpoints("nopods", 12, None)
    notready = endpoints("starting", 12, [{"notReadyAddresses": addrs("10.244.1.7"), "ports": EP_PORT}])
    assert print_table("endpoints", [none, notready], now=NOW) == (
        "NAME       ENDPOINTS   AGE\n"
        "nopods     <none>      12s\n"
        "starting               12s\n"
    )
    assert format_endpoints(endpoints("e", 1, [])) == "<none>"


def test_endpoints_counting_across_subsets_and_portless_headless() -> None:
    ep = endpoints("hl", 1, [{"addresses": addrs("10.0.0.1", "10.0.0.2")},
                             {"addresses": addrs("10.0.0.3"), "notReadyAddresses": addrs("10.0.0.9"),
                              "ports": [{"port": 80}, {"port": 81}]}])
    assert format_endpoints(ep) == "10.0.0.1,10.0.0.2,10.0.0.3:80 + 1 more..."
    exactly_three = endpoints("e", 1, [{"addresses": addrs("a", "b", "c"), "ports": [{"port": 1}]}])
    assert format_endpoints(exactly_three) == "a:1,b:1,c:1"
    v6 = endpoints("v6", 1, [{"addresses": addrs("fd00::1"), "ports": [{"port": 53}]}])
    assert format_endpoints(v6) == "[fd00::1]:53"


def test_endpoints_printer_keeps_stored_order() -> None:
    # sorting is the controller's job (E.3); the printer walks the stored order
    ep = endpoints("e", 1, [{"addresses": addrs("10.244.1.9", "10.244.1.10"), "ports": [{"port": 1}]}])
    assert format_endpoints(ep) == "10.244.1.9:1,10.244.1.10:1"


# --- B.4 endpointslices ---------------------------------------------------------------

def eslice(name: str, age: float, ports: list, endpoints_: list) -> dict:
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": meta(name, age),
            "addressType": "IPv4", "ports": ports, "endpoints": endpoints_}


def ep_entry(ip: str, ready: bool = True) -> dict:
    return {"addresses": [ip], "conditions": {"ready": ready, "serving": ready, "terminating": False}}


def test_b4_endpointslices() -> None:
    slices = [
        eslice("redis-8vrzq", 12, [{"name": "", "port": 6379, "protocol": "TCP"}],
               [ep_entry("10.244.2.3"), ep_entry("10.244.1.5")]),
        eslice("kubernetes", 5 * DAY, [{"name": "https", "port": 6443, "protocol": "TCP"}],
               [ep_entry("172.18.0.2")]),
    ]
    assert print_table("endpointslices", slices, now=NOW) == (
        "NAME          ADDRESSTYPE   PORTS   ENDPOINTS               AGE\n"
        "kubernetes    IPv4          6443    172.18.0.2              5d\n"
        "redis-8vrzq   IPv4          6379    10.244.2.3,10.244.1.5   12s\n"
    )


def test_endpointslice_cells_placeholder_readiness_and_more() -> None:
    placeholder = eslice("nopods-abcde", 12, [], [])
    busy = eslice("dns-x", 12, [{"name": "dns", "port": 53}, {"name": "metrics", "port": 9153},
                                {"name": "dns-tcp", "port": 53}, {"name": "named"}],
                  [ep_entry("10.0.0.1", ready=False), ep_entry("10.0.0.2"), ep_entry("10.0.0.3"),
                   ep_entry("10.0.0.4")])
    unnamed = eslice("u", 12, [{}], [])
    rows = table("endpointslice", [placeholder, busy, unnamed], now=NOW)[1]
    assert rows[1][2:4] == ["<unset>", "<unset>"]
    assert rows[0][2:4] == ["53,9153,53 + 1 more...", "10.0.0.1,10.0.0.2,10.0.0.3 + 1 more..."]
    assert rows[2][2] == "*"
    assert table("endpointslice", [eslice("n", 1, [{"name": "http"}], [])], now=NOW)[1][0][2] == "http"


# --- B.5 / B.6 workloads --------------------------------------------------------------

def test_b5_deployments() -> None:
    assert print_table("deploy", [deployment("redis", 12, 2, 2)], now=NOW) == (
        "NAME    READY   UP-TO-DATE   AVAILABLE   AGE\n"
        "redis   2/2     2            2           12s\n"
    )
    assert print_table("deployments.apps", [deployment("redis", 12, 2, 1)], now=NOW, wide=True) == (
        "NAME    READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES    SELECTOR\n"
        "redis   1/2     2            1           12s   redis        redis:7   app=redis\n"
    )


def test_b6_replicasets_including_scaled_down() -> None:
    old = replicaset("redis-7d4b9c8f5c", 5 * HOUR, 0, 0, "7d4b9c8f5c")
    old["status"] = {"replicas": 0}
    rss = [replicaset("redis-5f7c8d9b6d", 12, 2, 2, "5f7c8d9b6d"), old]
    assert print_table("rs", rss[:1], now=NOW) == (
        "NAME               DESIRED   CURRENT   READY   AGE\n"
        "redis-5f7c8d9b6d   2         2         2       12s\n"
    )
    assert print_table("replicasets", rss, now=NOW, wide=True) == (
        "NAME               DESIRED   CURRENT   READY   AGE   CONTAINERS   IMAGES    SELECTOR\n"
        "redis-5f7c8d9b6d   2         2         2       12s   redis        redis:7   app=redis,pod-template-hash=5f7c8d9b6d\n"
        "redis-7d4b9c8f5c   0         0         0       5h    redis        redis:7   app=redis,pod-template-hash=7d4b9c8f5c\n"
    )


def test_daemonset_table() -> None:
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet",
          "metadata": meta("kube-proxy", 5 * DAY, namespace="kube-system"),
          "spec": {"selector": {"matchLabels": {"k8s-app": "kube-proxy"}},
                   "template": {"spec": {"nodeSelector": {"kubernetes.io/os": "linux"},
                                         "containers": [{"name": "kube-proxy", "image": "kube-proxy:v1.33"}]}}},
          "status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 3,
                     "updatedNumberScheduled": 3, "numberAvailable": 3}}
    assert print_table("ds", [ds], now=NOW) == (
        "NAME         DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR            AGE\n"
        "kube-proxy   3         3         3       3            3           kubernetes.io/os=linux   5d\n"
    )


# --- cluster-scoped -------------------------------------------------------------------

def node(name: str, ip: str, *, ready: str = "True", roles: tuple[str, ...] = ()) -> dict:
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": meta(name, 5 * DAY, namespace=None,
                             labels={f"node-role.kubernetes.io/{r}": "" for r in roles}),
            "spec": {},
            "status": {"conditions": [{"type": "MemoryPressure", "status": "False"},
                                      {"type": "Ready", "status": ready}],
                       "addresses": [{"type": "InternalIP", "address": ip},
                                     {"type": "Hostname", "address": name}],
                       "nodeInfo": {"kubeletVersion": "v1.33.1", "osImage": "Debian GNU/Linux 12 (bookworm)",
                                    "kernelVersion": "6.8.0-1", "containerRuntimeVersion": "containerd://2.1.1"}}}


def test_nodes_table_and_wide_ignore_all_namespaces() -> None:
    nodes = [node("kind-worker", "172.18.0.3"), node("kind-control-plane", "172.18.0.2", roles=("control-plane",)),
             node("kind-worker2", "172.18.0.4", ready="Unknown")]
    nodes[0]["spec"]["unschedulable"] = True
    assert print_table("no", nodes, now=NOW, all_namespaces=True) == (
        "NAME                 STATUS                     ROLES           AGE   VERSION\n"
        "kind-control-plane   Ready                      control-plane   5d    v1.33.1\n"
        "kind-worker          Ready,SchedulingDisabled   <none>          5d    v1.33.1\n"
        "kind-worker2         NotReady                   <none>          5d    v1.33.1\n"
    )
    assert print_table("nodes", nodes[1:2], now=NOW, wide=True) == (
        "NAME                 STATUS   ROLES           AGE   VERSION   INTERNAL-IP   EXTERNAL-IP   OS-IMAGE                         KERNEL-VERSION   CONTAINER-RUNTIME\n"
        "kind-control-plane   Ready    control-plane   5d    v1.33.1   172.18.0.2    <none>        Debian GNU/Linux 12 (bookworm)   6.8.0-1          containerd://2.1.1\n"
    )


def test_namespaces_table() -> None:
    nss = [{"apiVersion": "v1", "kind": "Namespace", "metadata": meta(n, age, namespace=None),
            "status": {"phase": phase}}
           for n, age, phase in (("default", 5 * DAY, "Active"), ("demo", 90, "Terminating"),
                                 ("kube-system", 5 * DAY, "Active"))]
    assert print_table("ns", nss, now=NOW) == (
        "NAME          STATUS        AGE\n"
        "default       Active        5d\n"
        "demo          Terminating   90s\n"
        "kube-system   Active        5d\n"
    )


# --- B.7 get all / multi-kind ---------------------------------------------------------

def test_b7_get_all() -> None:
    groups = [("Pod", REDIS_PODS), ("Service", [SERVICES[1], SERVICES[0]]), ("DaemonSet", []),
              ("Deployment", [deployment("redis", 12, 2, 2)]),
              ("ReplicaSet", [replicaset("redis-5f7c8d9b6d", 12, 2, 2, "5f7c8d9b6d")])]
    assert print_get_all(groups, now=NOW) == (
        "NAME                         READY   STATUS    RESTARTS   AGE\n"
        "pod/redis-5f7c8d9b6d-q9zvn   1/1     Running   0          12s\n"
        "pod/redis-5f7c8d9b6d-x7k2p   1/1     Running   0          12s\n"
        "\n"
        "NAME                 TYPE        CLUSTER-IP     EXTERNAL-IP   PORT(S)    AGE\n"
        "service/kubernetes   ClusterIP   10.96.0.1      <none>        443/TCP    5d\n"
        "service/redis        ClusterIP   10.96.140.27   <none>        6379/TCP   12s\n"
        "\n"
        "NAME                    READY   UP-TO-DATE   AVAILABLE   AGE\n"
        "deployment.apps/redis   2/2     2            2           12s\n"
        "\n"
        "NAME                               DESIRED   CURRENT   READY   AGE\n"
        "replicaset.apps/redis-5f7c8d9b6d   2         2         2       12s\n"
    )


def test_get_all_with_one_nonempty_kind_still_prefixes_and_empty_is_empty() -> None:
    groups = [("Pod", []), ("Service", [SERVICES[1]])]
    assert print_get_all(groups, now=NOW) == (
        "NAME                 TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE\n"
        "service/kubernetes   ClusterIP   10.96.0.1    <none>        443/TCP   5d\n"
    )
    assert print_get_all([("Pod", []), ("Service", [])], now=NOW) == ""
    assert print_table("Pod", [], now=NOW) == ""
    slice_ = eslice("redis-8vrzq", 12, [{"port": 6379}], [ep_entry("10.244.2.3")])
    assert table("EndpointSlice", [slice_], now=NOW, show_kind=True)[1][0][0] == \
        "endpointslice.discovery.k8s.io/redis-8vrzq"


def test_expand_and_multiple_types_requested() -> None:
    assert [i.kind for i in expand_resource_args("all")] == \
        ["Pod", "ReplicationController", "Service", "DaemonSet", "Deployment", "ReplicaSet", "StatefulSet",
         "CronJob", "Job"]
    assert [i.kind for i in expand_resource_args("svc,ep,svc")] == ["Service", "Endpoints"]
    assert multiple_types_requested(["all"])
    assert multiple_types_requested(["svc,ep"])
    assert multiple_types_requested(["pod/a", "svc/b"])
    assert not multiple_types_requested(["pods"])
    assert not multiple_types_requested(["pods", "redis"])
    assert not multiple_types_requested(["svc,svc"])


# --- resources and messages -----------------------------------------------------------

@pytest.mark.parametrize("word,kind", [
    ("pods", "Pod"), ("pod", "Pod"), ("po", "Pod"), ("Pods", "Pod"), ("services", "Service"),
    ("svc", "Service"), ("ep", "Endpoints"), ("endpoints", "Endpoints"),
    ("endpointslices", "EndpointSlice"), ("endpointslice", "EndpointSlice"),
    ("endpointslices.discovery.k8s.io", "EndpointSlice"), ("deployments", "Deployment"),
    ("deploy", "Deployment"), ("deployments.apps", "Deployment"), ("deploy.apps", "Deployment"),
    ("deployments.v1.apps", "Deployment"), ("rs", "ReplicaSet"), ("replicaset", "ReplicaSet"),
    ("ds", "DaemonSet"), ("daemonsets.apps", "DaemonSet"), ("no", "Node"), ("nodes", "Node"),
    ("ns", "Namespace"), ("namespace", "Namespace"),
])
def test_resolve_resource(word: str, kind: str) -> None:
    assert resolve_resource(word).kind == kind


@pytest.mark.parametrize("word,named", [("foo", "foo"), ("svc.apps", "svc"),
                                        ("deployments.core", "deployments"), ("all", "all")])
def test_unknown_resource_type_message(word: str, named: str) -> None:
    with pytest.raises(ResourceTypeNotFound) as err:
        resolve_resource(word)
    assert str(err.value) == f'error: the server doesn\'t have a resource type "{named}"'


def test_resource_info_fields() -> None:
    dep = resolve_resource("deploy")
    assert (dep.plural, dep.group, dep.namespaced, dep.qualified, dep.qualified_plural) == \
        ("deployments", "apps", True, "deployment.apps", "deployments.apps")
    assert resolve_resource("no").namespaced is False


def test_messages() -> None:
    assert no_resources_message("default", False) == "No resources found in default namespace."
    assert no_resources_message("default", True) == "No resources found"
    assert no_resources_message("default", False, namespaced=False) == "No resources found"
    assert not_found_message(resolve_resource("deploy"), "redis") == \
        'Error from server (NotFound): deployments.apps "redis" not found'
    assert not_found_message("svc", "redis") == 'Error from server (NotFound): services "redis" not found'
    assert not_found_message("EndpointSlice", "x") == \
        'Error from server (NotFound): endpointslices.discovery.k8s.io "x" not found'


def test_print_name() -> None:
    objs = [REDIS_PODS[0], deployment("redis", 1, 1, 1), SERVICES[0],
            eslice("redis-8vrzq", 1, [], [])]
    assert print_name(objs) == ("pod/redis-5f7c8d9b6d-x7k2p\ndeployment.apps/redis\nservice/redis\n"
                                "endpointslice.discovery.k8s.io/redis-8vrzq\n")


def test_label_selector_formatting() -> None:
    sel = {"matchLabels": {"tier": "db", "app": "redis"},
           "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "dev"]},
                                {"key": "zone", "operator": "Exists"},
                                {"key": "canary", "operator": "DoesNotExist"}]}
    assert format_label_selector(sel) == "app=redis,!canary,env in (dev,prod),tier=db,zone"
    assert format_label_selector({}) == "<none>"
    assert format_label_selector(None) == "<none>"


# --- B.10 durations -------------------------------------------------------------------

MS = 0.001


@pytest.mark.parametrize("seconds,want", [
    # duration_test.go TestHumanDuration
    (1, "1s"), (70, "70s"), (190, "3m10s"), (70 * MIN, "70m"), (47 * HOUR, "47h"),
    (49 * HOUR, "2d1h"), ((8 * 24 + 2) * HOUR, "8d"), (367 * DAY, "367d"),
    ((365 * 2 * 24 + 25) * HOUR, "2y1d"), ((365 * 8 * 24 + 2) * HOUR, "8y"),
    # TestHumanDurationBoundaries
    (-2, "<invalid>"), (-2 + 1e-9, "0s"), (0, "0s"), (1 - MS, "0s"), (2 * MIN - MS, "119s"),
    (119.999, "119s"), (2 * MIN, "2m"), (2 * MIN + 1, "2m1s"), (10 * MIN - MS, "9m59s"),
    (10 * MIN, "10m"), (10 * MIN + 1, "10m"), (3 * HOUR - MS, "179m"), (3 * HOUR, "3h"),
    (3 * HOUR + MIN, "3h1m"), (8 * HOUR - MS, "7h59m"), (8 * HOUR, "8h"), (8 * HOUR + 59 * MIN, "8h"),
    (2 * DAY - MS, "47h"), (2 * DAY, "2d"), (2 * DAY + HOUR, "2d1h"), (8 * DAY - MS, "7d23h"),
    (8 * DAY, "8d"), (8 * DAY + 23 * HOUR, "8d"), (2 * 365 * DAY - MS, "729d"),
    (2 * 365 * DAY, "2y"), (2 * 365 * DAY + 23 * HOUR, "2y"),
    (2 * 365 * DAY + 23 * HOUR + 59 * MIN, "2y"), (2 * 365 * DAY + DAY - MS, "2y"),
    (2 * 365 * DAY + DAY, "2y1d"), (3 * 365 * DAY, "3y"), (7 * 365 * DAY, "7y"),
    (8 * 365 * DAY - MS, "7y364d"), (8 * 365 * DAY, "8y"), (8 * 365 * DAY + 364 * DAY, "8y"),
    (9 * 365 * DAY, "9y"), (601, "10m"),
])
def test_human_duration(seconds: float, want: str) -> None:
    assert human_duration(seconds) == want


@pytest.mark.parametrize("seconds,want", [
    (-2, "<invalid>"), (-2 + 1e-9, "0s"), (0, "0s"), (1 - MS, "0s"), (1, "1s"), (2 - MS, "1s"),
    (MIN - MS, "59s"), (MIN, "1m"), (2 * MIN - MS, "1m"), (HOUR - MS, "59m"), (HOUR, "1h"),
    (2 * HOUR - MS, "1h"), (DAY - MS, "23h"), (DAY, "1d"), (2 * DAY - MS, "1d"),
    (365 * DAY - MS, "364d"), (365 * DAY, "1y"), (2 * 365 * DAY - MS, "1y"), (2 * 365 * DAY, "2y"),
])
def test_short_human_duration(seconds: float, want: str) -> None:
    assert short_human_duration(seconds) == want


def test_since_uses_timedelta_exactly_and_unknown_for_missing() -> None:
    assert since(ts(2 * MIN), NOW) == "2m"
    assert since("2025-06-10T11:58:00.001Z", NOW) == "119s"
    assert since(None, NOW) == "<unknown>"
    assert since(ts(-30), NOW) == "<invalid>"
    assert since("2025-06-10T12:00:00+02:00", NOW) == "120m"


# --- tabwriter ------------------------------------------------------------------------

def test_tabwriter_min_width_padding_and_unpadded_last_column() -> None:
    assert render_table([["A", "BB", "C"], ["x", "", "last"]]) == (
        "A     BB    C\n"
        "x           last\n"
    )
    assert render_table([["NAME", "X"], ["a-long-name", "1"]]) == "NAME          X\na-long-name   1\n"


def test_tabwriter_ragged_rows_use_column_blocks() -> None:
    # a shorter row ends the block of column 1, so the rows after it are sized alone
    assert render_table([["a", "bbbbbbbbbb", "c"], ["a", "b"], ["a", "b", "c"]]) == (
        "a     bbbbbbbbbb   c\n"
        "a     b\n"
        "a     b     c\n"
    )


def test_cells_are_cut_at_line_breaks() -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": meta("x", 1, namespace=None),
          "status": {"phase": "Active\nmore"}}
    assert table("ns", [ns], now=NOW)[1][0][1] == "Active..."


# --- -o yaml / -o json ----------------------------------------------------------------

REDIS_SVC = {
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"creationTimestamp": "2025-06-01T10:00:00Z", "labels": {"app": "redis"},
                 "name": "redis", "namespace": "default", "resourceVersion": "1234",
                 "uid": "8d7e6f50-1a2b-4c3d-9e8f-0123456789ab",
                 "managedFields": [{"manager": "kubectl", "operation": "Apply"}]},
    "spec": {"clusterIP": "10.96.140.27", "clusterIPs": ["10.96.140.27"],
             "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"],
             "ipFamilyPolicy": "SingleStack",
             "ports": [{"port": 6379, "protocol": "TCP", "targetPort": 6379}],
             "selector": {"app": "redis"}, "sessionAffinity": "None", "type": "ClusterIP"},
    "status": {"loadBalancer": {}},
}

REDIS_SVC_YAML = """\
apiVersion: v1
kind: Service
metadata:
  creationTimestamp: "2025-06-01T10:00:00Z"
  labels:
    app: redis
  name: redis
  namespace: default
  resourceVersion: "1234"
  uid: 8d7e6f50-1a2b-4c3d-9e8f-0123456789ab
spec:
  clusterIP: 10.96.140.27
  clusterIPs:
  - 10.96.140.27
  internalTrafficPolicy: Cluster
  ipFamilies:
  - IPv4
  ipFamilyPolicy: SingleStack
  ports:
  - port: 6379
    protocol: TCP
    targetPort: 6379
  selector:
    app: redis
  sessionAffinity: None
  type: ClusterIP
status:
  loadBalancer: {}
"""


def test_to_yaml_service_as_kubectl_prints_it() -> None:
    assert to_yaml(REDIS_SVC) == REDIS_SVC_YAML


def test_to_yaml_list_wrapper() -> None:
    assert to_yaml([]) == "apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: \"\"\n"
    text = to_yaml([REDIS_SVC, REDIS_SVC])
    assert text.startswith("apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata:\n")
    assert text.endswith("    loadBalancer: {}\nkind: List\nmetadata:\n  resourceVersion: \"\"\n")


def test_to_yaml_scalar_styles() -> None:
    # all checked against kubectl v1.32 (`kubectl annotate --local -o yaml`)
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"},
          "data": {"a10": "yes", "a9": "", "b": "# not a comment", "c": "line1\nline2\n",
                   "d": "tab\there", "e": "<none>", "f": "2025-06-01", "g": "0x1F", "h": "10:30",
                   "i": "it's", "j": 'Back-off pulling image "nginx:1.14.2x": ErrImagePull: rpc error: code = NotFound desc = failed'},
          "n": {"f": 1.5, "g": 2.0, "h": 1e-7, "i": None, "j": True}}
    assert to_yaml(cm) == (
        "apiVersion: v1\n"
        "data:\n"
        "  a9: \"\"\n"
        "  a10: \"yes\"\n"
        "  b: '# not a comment'\n"
        "  c: |\n"
        "    line1\n"
        "    line2\n"
        "  d: \"tab\\there\"\n"
        "  e: <none>\n"
        "  f: \"2025-06-01\"\n"
        "  g: \"0x1F\"\n"
        "  h: \"10:30\"\n"
        "  i: it's\n"
        "  j: 'Back-off pulling image \"nginx:1.14.2x\": ErrImagePull: rpc error: code = NotFound\n"
        "    desc = failed'\n"
        "kind: ConfigMap\n"
        "metadata:\n"
        "  name: x\n"
        "\"n\":\n"
        "  f: 1.5\n"
        "  g: 2\n"
        "  h: 1e-07\n"
        "  i: null\n"
        "  j: true\n"
    )


def test_to_json() -> None:
    obj = {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "x", "labels": {}},
           "data": {"k": "<a & b>"}, "n": [1, 2.5, 2.0], "e": []}
    assert to_json(obj) == (
        "{\n"
        "    \"apiVersion\": \"v1\",\n"
        "    \"data\": {\n"
        "        \"k\": \"\\u003ca \\u0026 b\\u003e\"\n"
        "    },\n"
        "    \"e\": [],\n"
        "    \"kind\": \"ConfigMap\",\n"
        "    \"metadata\": {\n"
        "        \"labels\": {},\n"
        "        \"name\": \"x\"\n"
        "    },\n"
        "    \"n\": [\n"
        "        1,\n"
        "        2.5,\n"
        "        2\n"
        "    ]\n"
        "}\n"
    )
    assert to_json([]) == ('{\n    "apiVersion": "v1",\n    "items": [],\n    "kind": "List",\n'
                           '    "metadata": {\n        "resourceVersion": ""\n    }\n}\n')


def test_short_names_are_case_sensitive_like_kubectl() -> None:
    # checked against kubectl v1.32: `get Pods` works, `get SVC` is an unknown type
    assert resolve_resource("Pods").kind == "Pod"
    with pytest.raises(ResourceTypeNotFound, match='resource type "SVC"'):
        resolve_resource("SVC")


def test_api_order_is_storage_key_order() -> None:
    a = running_pod("z", "10.0.0.1", "n")
    a["metadata"]["namespace"] = "a"
    ab = running_pod("b", "10.0.0.2", "n")
    ab["metadata"]["namespace"] = "a-b"
    rows = table("Pod", [a, ab], now=NOW, all_namespaces=True)[1]
    assert [r[0] for r in rows] == ["a-b", "a"]  # "a-b/b" < "a/z" bytewise ('-' < '/')
