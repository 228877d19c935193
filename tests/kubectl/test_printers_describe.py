"""`kubectl describe` output, byte for byte.

Every expected text below is what kubectl prints for the same object (spec B.8/B.9, or
derived by hand from describe.go's PrefixWriter calls and Go's tabwriter rules). Lines
that end in padding are built with explicit trailing spaces, because kubectl really
prints them.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from engine.kubectl.printers import describe as d
from engine.kubectl.printers.describe import describe

NOW = datetime(2025, 6, 1, 10, 5, 0, tzinfo=timezone.utc)
T0 = "2025-06-01T10:00:00Z"


# -- fixtures --------------------------------------------------------------------------

def make_lister(*objs: dict):
    """A lister over hand-built objects, in API order (namespace, then name)."""

    def lister(kind: str, namespace: str | None) -> list[dict]:
        found = [o for o in objs if o.get("kind") == kind
                 and (namespace is None or o["metadata"].get("namespace", "") == namespace)]
        return sorted(found, key=lambda o: (o["metadata"].get("namespace", ""),
                                            o["metadata"]["name"]))

    return lister


def service(name: str, *, spec: dict, labels: dict | None = None,
            annotations: dict | None = None, status: dict | None = None) -> dict:
    return {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "namespace": "default", "uid": f"uid-svc-{name}",
                     "resourceVersion": "1000", "creationTimestamp": T0,
                     "labels": labels or {}, "annotations": annotations or {}},
        "spec": spec,
        "status": status or {"loadBalancer": {}},
    }


def cluster_ip_spec(ip: str, ports: list[dict], selector: dict | None, **extra) -> dict:
    spec = {"type": "ClusterIP", "clusterIP": ip, "clusterIPs": [ip], "ports": ports,
            "sessionAffinity": "None", "internalTrafficPolicy": "Cluster",
            "ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv4"]}
    if selector is not None:
        spec["selector"] = selector
    spec.update(extra)
    return spec


def endpoint(ip: str, ready: bool | None = True, pod: str | None = None,
             node: str | None = None) -> dict:
    ep: dict = {"addresses": [ip], "conditions": {}}
    if ready is not None:
        ep["conditions"] = {"ready": ready, "serving": ready, "terminating": False}
    if pod:
        ep["targetRef"] = {"kind": "Pod", "name": pod, "namespace": "default"}
    if node:
        ep["nodeName"] = node
    return ep


def endpoint_slice(name: str, service_name: str, ports: list[dict], endpoints: list[dict],
                   annotations: dict | None = None) -> dict:
    return {
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": name, "namespace": "default", "uid": f"uid-eps-{name}",
                     "creationTimestamp": T0,
                     "labels": {"endpointslice.kubernetes.io/managed-by":
                                "endpointslice-controller.k8s.io",
                                "kubernetes.io/service-name": service_name},
                     "annotations": annotations or {}},
        "addressType": "IPv4",
        "ports": ports,
        "endpoints": endpoints,
    }


def event(name: str, *, kind: str, obj: str, uid: str, reason: str, message: str,
          component: str, first: str, last: str | None = None, count: int = 1,
          type_: str = "Normal", namespace: str = "default", field_path: str | None = None,
          ) -> dict:
    involved = {"kind": kind, "name": obj, "namespace": namespace, "uid": uid}
    if field_path:
        involved["fieldPath"] = field_path
    return {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": name, "namespace": namespace or "default"},
        "involvedObject": involved, "reason": reason, "message": message, "type": type_,
        "source": {"component": component}, "firstTimestamp": first,
        "lastTimestamp": last or first, "count": count,
    }


REDIS_SLICE = endpoint_slice(
    "redis-abc12", "redis", [{"name": "", "port": 6379, "protocol": "TCP"}],
    [endpoint("10.244.2.3"), endpoint("10.244.1.5")])

REDIS_SVC = service("redis", labels={"app": "redis"}, spec=cluster_ip_spec(
    "10.96.140.27", [{"port": 6379, "protocol": "TCP", "targetPort": 6379}], {"app": "redis"}))


# -- Service (spec B.8) ----------------------------------------------------------------

def test_service_matches_spec_example() -> None:
    expected = (
        "Name:                     redis\n"
        "Namespace:                default\n"
        "Labels:                   app=redis\n"
        "Annotations:              <none>\n"
        "Selector:                 app=redis\n"
        "Type:                     ClusterIP\n"
        "IP Family Policy:         SingleStack\n"
        "IP Families:              IPv4\n"
        "IP:                       10.96.140.27\n"
        "IPs:                      10.96.140.27\n"
        "Port:                     <unset>  6379/TCP\n"
        "TargetPort:               6379/TCP\n"
        "Endpoints:                10.244.2.3:6379,10.244.1.5:6379\n"
        "Session Affinity:         None\n"
        "Internal Traffic Policy:  Cluster\n"
        "Events:                   <none>\n"
    )
    assert describe("Service", REDIS_SVC, lister=make_lister(REDIS_SLICE), now=NOW) == expected


def test_service_hides_last_applied_configuration() -> None:
    svc = service("redis", labels={"app": "redis"}, spec=REDIS_SVC["spec"], annotations={
        "kubectl.kubernetes.io/last-applied-configuration": '{"apiVersion":"v1"}\n'})
    out = describe("svc", svc, lister=make_lister(REDIS_SLICE), now=NOW)
    assert "Annotations:              <none>\n" in out
    assert "last-applied" not in out


def test_nodeport_service_adds_nodeport_and_external_policy_lines() -> None:
    svc = service("counter-np", spec=cluster_ip_spec(
        "10.96.45.12", [{"port": 3000, "protocol": "TCP", "targetPort": 3000, "nodePort": 31000}],
        {"app": "counter", "tier": "app"}, type="NodePort", externalTrafficPolicy="Cluster"))
    eps = endpoint_slice("counter-np-x1y2z", "counter-np",
                         [{"name": "", "port": 3000, "protocol": "TCP"}],
                         [endpoint("10.244.1.7"), endpoint("10.244.2.8")])
    expected = (
        "Name:                     counter-np\n"
        "Namespace:                default\n"
        "Labels:                   <none>\n"
        "Annotations:              <none>\n"
        "Selector:                 app=counter,tier=app\n"
        "Type:                     NodePort\n"
        "IP Family Policy:         SingleStack\n"
        "IP Families:              IPv4\n"
        "IP:                       10.96.45.12\n"
        "IPs:                      10.96.45.12\n"
        "Port:                     <unset>  3000/TCP\n"
        "TargetPort:               3000/TCP\n"
        "NodePort:                 <unset>  31000/TCP\n"
        "Endpoints:                10.244.1.7:3000,10.244.2.8:3000\n"
        "Session Affinity:         None\n"
        "External Traffic Policy:  Cluster\n"
        "Internal Traffic Policy:  Cluster\n"
        "Events:                   <none>\n"
    )
    assert describe("Service", svc, lister=make_lister(eps), now=NOW) == expected


def test_kubernetes_service() -> None:
    svc = service("kubernetes", labels={"component": "apiserver", "provider": "kubernetes"},
                  spec=cluster_ip_spec("10.96.0.1", [{"name": "https", "port": 443,
                                                      "protocol": "TCP", "targetPort": 6443}],
                                       None))
    eps = endpoint_slice("kubernetes", "kubernetes",
                         [{"name": "https", "port": 6443, "protocol": "TCP"}],
                         [endpoint("172.18.0.2")])
    expected = (
        "Name:                     kubernetes\n"
        "Namespace:                default\n"
        "Labels:                   component=apiserver\n"
        "                          provider=kubernetes\n"
        "Annotations:              <none>\n"
        "Selector:                 <none>\n"
        "Type:                     ClusterIP\n"
        "IP Family Policy:         SingleStack\n"
        "IP Families:              IPv4\n"
        "IP:                       10.96.0.1\n"
        "IPs:                      10.96.0.1\n"
        "Port:                     https  443/TCP\n"
        "TargetPort:               6443/TCP\n"
        "Endpoints:                172.18.0.2:6443\n"
        "Session Affinity:         None\n"
        "Internal Traffic Policy:  Cluster\n"
        "Events:                   <none>\n"
    )
    assert describe("Service", svc, lister=make_lister(eps), now=NOW) == expected


def test_headless_service_shows_none_ip() -> None:
    spec = cluster_ip_spec("None", [{"name": "redis", "port": 6379, "protocol": "TCP",
                                     "targetPort": "redis"}], {"app": "redis"})
    svc = service("redis-headless", labels={"app": "redis"}, spec=spec)
    eps = endpoint_slice("redis-headless-q8w2e", "redis-headless",
                         [{"name": "redis", "port": 6379, "protocol": "TCP"}],
                         [endpoint("10.244.1.5"), endpoint("10.244.2.3")])
    out = describe("Service", svc, lister=make_lister(eps), now=NOW)
    assert "IP:                       None\n" in out
    assert "IPs:                      None\n" in out
    assert "Port:                     redis  6379/TCP\n" in out
    assert "TargetPort:               redis/TCP\n" in out
    assert "Endpoints:                10.244.1.5:6379,10.244.2.3:6379\n" in out


def test_service_with_only_unready_endpoints_has_blank_endpoints_line() -> None:
    eps = endpoint_slice("redis-abc12", "redis", [{"name": "", "port": 6379, "protocol": "TCP"}],
                         [endpoint("10.244.1.5", ready=False)])
    out = describe("Service", REDIS_SVC, lister=make_lister(eps), now=NOW)
    # The tab-terminated key cell is padded even though the value is empty.
    assert "\nEndpoints:" + " " * 16 + "\nSession Affinity:" in out


def test_service_without_slices_shows_none_endpoints() -> None:
    svc = service("manual", spec=cluster_ip_spec(
        "10.96.7.7", [{"port": 80, "protocol": "TCP", "targetPort": 8080}], None))
    out = describe("Service", svc, lister=make_lister(REDIS_SLICE), now=NOW)
    assert "TargetPort:               8080/TCP\nEndpoints:                <none>\n" in out


def test_external_name_service() -> None:
    svc = service("ext", spec={"type": "ExternalName", "externalName": "db.example.com",
                               "sessionAffinity": "None"})
    expected = (
        "Name:              ext\n"
        "Namespace:         default\n"
        "Labels:            <none>\n"
        "Annotations:       <none>\n"
        "Selector:          <none>\n"
        "Type:              ExternalName\n"
        "IP Families:       <none>\n"
        "IP:                \n"
        "IPs:               <none>\n"
        "External Name:     db.example.com\n"
        "Session Affinity:  None\n"
        "Events:            <none>\n"
    )
    assert describe("Service", svc, lister=make_lister(), now=NOW) == expected


def test_load_balancer_service_lines() -> None:
    spec = cluster_ip_spec(
        "10.96.9.9", [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080,
                       "nodePort": 30080, "appProtocol": "http"}], {"app": "web"},
        type="LoadBalancer", externalTrafficPolicy="Local", healthCheckNodePort=32000,
        externalIPs=["192.0.2.10"], loadBalancerSourceRanges=["10.0.0.0/8", "192.168.0.0/16"])
    status = {"loadBalancer": {"ingress": [{"ip": "172.18.255.200", "ipMode": "VIP"},
                                           {"hostname": "lb.example.com"}]}}
    svc = service("web", spec=spec, status=status)
    out = describe("Service", svc, lister=make_lister(), now=NOW)
    body = out.split("IPs:", 1)[1]
    assert body == (
        "                         10.96.9.9\n"
        "External IPs:                192.0.2.10\n"
        "LoadBalancer Ingress:        172.18.255.200 (VIP), lb.example.com\n"
        "Port:                        http  80/TCP\n"
        "TargetPort:                  8080/TCP\n"
        "AppProtocol:                 http\n"
        "NodePort:                    http  30080/TCP\n"
        "Endpoints:                   <none>\n"
        "Session Affinity:            None\n"
        "External Traffic Policy:     Local\n"
        "Internal Traffic Policy:     Cluster\n"
        "HealthCheck NodePort:        32000\n"
        "LoadBalancer Source Ranges:  10.0.0.0/8,192.168.0.0/16\n"
        "Events:                      <none>\n"
    )


def test_service_endpoints_are_per_port_name_and_capped_at_three() -> None:
    ports = [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080},
             {"name": "metrics", "port": 9090, "protocol": "TCP", "targetPort": 9090}]
    svc = service("web", spec=cluster_ip_spec("10.96.3.3", ports, {"app": "web"}))
    eps = endpoint_slice(
        "web-aaaaa", "web",
        [{"name": "http", "port": 8080, "protocol": "TCP"},
         {"name": "metrics", "port": 9090, "protocol": "TCP"}],
        [endpoint(f"10.244.1.{i}") for i in range(1, 6)] + [endpoint("10.244.1.9", ready=False)])
    out = describe("Service", svc, lister=make_lister(eps), now=NOW)
    assert ("Endpoints:                10.244.1.1:8080,10.244.1.2:8080,10.244.1.3:8080"
            " + 2 more...\n") in out
    assert ("Endpoints:                10.244.1.1:9090,10.244.1.2:9090,10.244.1.3:9090"
            " + 2 more...\n") in out


def test_service_events_table_is_aligned_on_its_own() -> None:
    ev = event("redis.1", kind="Service", obj="redis", uid="uid-svc-redis",
               reason="Type", message="ClusterIP -> NodePort", component="service-controller",
               first="2025-06-01T10:04:48Z")
    out = describe("Service", REDIS_SVC, lister=make_lister(REDIS_SLICE, ev), now=NOW)
    assert out.endswith(
        "Internal Traffic Policy:  Cluster\n"
        "Events:\n"
        "  Type    Reason  Age   From                Message\n"
        "  ----    ------  ----  ----                -------\n"
        "  Normal  Type    12s   service-controller  ClusterIP -> NodePort\n")


# -- Endpoints / EndpointSlice (spec B.9) ----------------------------------------------

def endpoints(subsets: list[dict], annotations: dict | None = None) -> dict:
    return {"apiVersion": "v1", "kind": "Endpoints",
            "metadata": {"name": "redis", "namespace": "default", "uid": "uid-ep-redis",
                         "creationTimestamp": T0, "labels": {"app": "redis"},
                         "annotations": annotations or {}},
            "subsets": subsets}


TRIGGER = {"endpoints.kubernetes.io/last-change-trigger-time": "2025-06-01T10:00:00Z"}


def test_endpoints_matches_spec_example() -> None:
    ep = endpoints([{"addresses": [{"ip": "10.244.1.5"}, {"ip": "10.244.2.3"}],
                     "ports": [{"port": 6379, "protocol": "TCP"}]}], TRIGGER)
    expected = (
        "Name:         redis\n"
        "Namespace:    default\n"
        "Labels:       app=redis\n"
        "Annotations:  endpoints.kubernetes.io/last-change-trigger-time: 2025-06-01T10:00:00Z\n"
        "Subsets:\n"
        "  Addresses:          10.244.1.5,10.244.2.3\n"
        "  NotReadyAddresses:  <none>\n"
        "  Ports:\n"
        "    Name     Port  Protocol\n"
        "    ----     ----  --------\n"
        "    <unset>  6379  TCP\n"
        "\n"
        "Events:  <none>\n"
    )
    assert describe("Endpoints", ep, lister=make_lister(), now=NOW) == expected


def test_endpoints_with_not_ready_addresses() -> None:
    ep = endpoints([{"addresses": [{"ip": "10.244.1.5"}],
                     "notReadyAddresses": [{"ip": "10.244.2.3"}],
                     "ports": [{"name": "redis", "port": 6379, "protocol": "TCP"}]}], TRIGGER)
    expected = (
        "Name:         redis\n"
        "Namespace:    default\n"
        "Labels:       app=redis\n"
        "Annotations:  endpoints.kubernetes.io/last-change-trigger-time: 2025-06-01T10:00:00Z\n"
        "Subsets:\n"
        "  Addresses:          10.244.1.5\n"
        "  NotReadyAddresses:  10.244.2.3\n"
        "  Ports:\n"
        "    Name   Port  Protocol\n"
        "    ----   ----  --------\n"
        "    redis  6379  TCP\n"
        "\n"
        "Events:  <none>\n"
    )
    assert describe("ep", ep, lister=make_lister(), now=NOW) == expected


def test_endpoints_all_not_ready_and_empty() -> None:
    ep = endpoints([{"notReadyAddresses": [{"ip": "10.244.1.5"}]}])
    assert describe("Endpoints", ep, lister=make_lister(), now=NOW).endswith(
        "Subsets:\n"
        "  Addresses:          <none>\n"
        "  NotReadyAddresses:  10.244.1.5\n"
        "\n"
        "Events:  <none>\n")
    empty = endpoints([])
    assert describe("Endpoints", empty, lister=make_lister(), now=NOW).endswith(
        "Annotations:  <none>\nSubsets:\nEvents:  <none>\n")


def test_endpoint_slice() -> None:
    eps = endpoint_slice(
        "redis-abc12", "redis", [{"name": "", "port": 6379, "protocol": "TCP"}],
        [endpoint("10.244.2.3", pod="redis-5f7c8d9b6d-q9zvn", node="kind-worker2"),
         endpoint("10.244.1.5", ready=False, pod="redis-5f7c8d9b6d-x7k2p", node="kind-worker")],
        annotations=TRIGGER)
    expected = (
        "Name:         redis-abc12\n"
        "Namespace:    default\n"
        "Labels:       endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io\n"
        "              kubernetes.io/service-name=redis\n"
        "Annotations:  endpoints.kubernetes.io/last-change-trigger-time: 2025-06-01T10:00:00Z\n"
        "AddressType:  IPv4\n"
        "Ports:\n"
        "  Name     Port  Protocol\n"
        "  ----     ----  --------\n"
        "  <unset>  6379  TCP\n"
        "Endpoints:\n"
        "  - Addresses:  10.244.2.3\n"
        "    Conditions:\n"
        "      Ready:    true\n"
        "    Hostname:   <unset>\n"
        "    TargetRef:  Pod/redis-5f7c8d9b6d-q9zvn\n"
        "    NodeName:   kind-worker2\n"
        "    Zone:       <unset>\n"
        "  - Addresses:  10.244.1.5\n"
        "    Conditions:\n"
        "      Ready:    false\n"
        "    Hostname:   <unset>\n"
        "    TargetRef:  Pod/redis-5f7c8d9b6d-x7k2p\n"
        "    NodeName:   kind-worker\n"
        "    Zone:       <unset>\n"
        "Events:         <none>\n"
    )
    assert describe("EndpointSlice", eps, lister=make_lister(), now=NOW) == expected


def test_endpoint_slice_without_ports_or_endpoints() -> None:
    eps = endpoint_slice("empty-1", "empty", [], [])
    assert describe("endpointslices", eps, lister=make_lister(), now=NOW).endswith(
        "AddressType:  IPv4\n"
        "Ports: <unset>\n"
        "Endpoints: <none>\n"
        "Events:  <none>\n")


# -- Pod -------------------------------------------------------------------------------

POD_NAME = "redis-5f7c8d9b6d-x7k2p"
RS_NAME = "redis-5f7c8d9b6d"


def redis_container() -> dict:
    return {"name": "redis", "image": "redis:7", "imagePullPolicy": "IfNotPresent",
            "ports": [{"containerPort": 6379, "protocol": "TCP"}], "resources": {}}


def redis_pod(name: str = POD_NAME, *, phase: str = "Running", node: str = "kind-worker",
              ip: str = "10.244.1.5", owner_uid: str = "uid-rs", created: str = T0) -> dict:
    container = redis_container()
    container["env"] = [
        {"name": "REDIS_PORT", "value": "6379"},
        {"name": "POD_IP", "valueFrom": {"fieldRef": {"apiVersion": "v1",
                                                      "fieldPath": "status.podIP"}}},
    ]
    container["readinessProbe"] = {"tcpSocket": {"port": 6379}, "periodSeconds": 5,
                                   "timeoutSeconds": 1, "successThreshold": 1,
                                   "failureThreshold": 3}
    container["volumeMounts"] = [{"name": "kube-api-access-7xk2p", "readOnly": True,
                                  "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": name, "namespace": "default", "uid": f"uid-pod-{name}",
            "creationTimestamp": created,
            "labels": {"app": "redis", "pod-template-hash": "5f7c8d9b6d"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": RS_NAME,
                                 "uid": owner_uid, "controller": True,
                                 "blockOwnerDeletion": True}],
        },
        "spec": {
            "containers": [container], "nodeName": node, "priority": 0,
            "serviceAccountName": "default",
            "tolerations": [
                {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable",
                 "operator": "Exists", "tolerationSeconds": 300},
                {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready",
                 "operator": "Exists", "tolerationSeconds": 300},
            ],
            "volumes": [{"name": "kube-api-access-7xk2p", "projected": {"sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt",
                               "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
                    "apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
            ]}}],
        },
        "status": {
            "phase": phase, "hostIP": "172.18.0.3", "podIP": ip, "podIPs": [{"ip": ip}],
            "startTime": "2025-06-01T10:00:02Z", "qosClass": "BestEffort",
            "conditions": [{"type": t, "status": "True"} for t in (
                "PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady",
                "PodScheduled")],
            "containerStatuses": [{
                "name": "redis", "ready": True, "restartCount": 0, "started": True,
                "image": "docker.io/library/redis:7",
                "imageID": "docker.io/library/redis@sha256:feed",
                "containerID": "containerd://0123abcd",
                "state": {"running": {"startedAt": "2025-06-01T10:00:05Z"}},
            }],
        },
    }


def pod_events() -> list[dict]:
    pod_uid = f"uid-pod-{POD_NAME}"
    path = "spec.containers{redis}"

    def ev(n: str, reason: str, message: str, first: str, **kw) -> dict:
        kw.setdefault("component", "kubelet")
        return event(f"{POD_NAME}.{n}", kind="Pod", obj=POD_NAME, uid=pod_uid, reason=reason,
                     message=message, first=first, **kw)

    return [
        ev("5", "Unhealthy", "Readiness probe failed: dial tcp 10.244.1.5:6379: connect: "
           "connection refused", "2025-06-01T10:01:00Z", last="2025-06-01T10:03:00Z",
           count=3, type_="Warning", field_path=path),
        ev("1", "Scheduled", f"Successfully assigned default/{POD_NAME} to kind-worker",
           "2025-06-01T10:00:00Z", component="default-scheduler"),
        ev("2", "Pulled", 'Container image "redis:7" already present on machine',
           "2025-06-01T10:00:03Z", field_path=path),
        ev("3", "Created", "Created container: redis", "2025-06-01T10:00:03Z", field_path=path),
        ev("4", "Started", "Started container redis", "2025-06-01T10:00:04Z", field_path=path),
        # Not about this pod: another pod, and an earlier pod that had the same name.
        event("other.1", kind="Pod", obj="other", uid="uid-other", reason="Scheduled",
              message="x", component="default-scheduler", first=T0),
        event(f"{POD_NAME}.old", kind="Pod", obj=POD_NAME, uid="uid-old-pod",
              reason="Killing", message="old", component="kubelet", first=T0),
    ]


def test_pod_with_events() -> None:
    expected = (
        "Name:             redis-5f7c8d9b6d-x7k2p\n"
        "Namespace:        default\n"
        "Priority:         0\n"
        "Service Account:  default\n"
        "Node:             kind-worker/172.18.0.3\n"
        "Start Time:       Sun, 01 Jun 2025 10:00:02 +0000\n"
        "Labels:           app=redis\n"
        "                  pod-template-hash=5f7c8d9b6d\n"
        "Annotations:      <none>\n"
        "Status:           Running\n"
        "IP:               10.244.1.5\n"
        "IPs:\n"
        "  IP:           10.244.1.5\n"
        "Controlled By:  ReplicaSet/redis-5f7c8d9b6d\n"
        "Containers:\n"
        "  redis:\n"
        "    Container ID:   containerd://0123abcd\n"
        "    Image:          redis:7\n"
        "    Image ID:       docker.io/library/redis@sha256:feed\n"
        "    Port:           6379/TCP\n"
        "    Host Port:      0/TCP\n"
        "    State:          Running\n"
        "      Started:      Sun, 01 Jun 2025 10:00:05 +0000\n"
        "    Ready:          True\n"
        "    Restart Count:  0\n"
        "    Readiness:      tcp-socket :6379 delay=0s timeout=1s period=5s #success=1 #failure=3\n"
        "    Environment:\n"
        "      REDIS_PORT:  6379\n"
        "      POD_IP:      10.244.1.5 (v1:status.podIP)\n"
        "    Mounts:\n"
        "      /var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-7xk2p (ro)\n"
        "Conditions:\n"
        "  Type                        Status\n"
        "  PodReadyToStartContainers   True \n"
        "  Initialized                 True \n"
        "  Ready                       True \n"
        "  ContainersReady             True \n"
        "  PodScheduled                True \n"
        "Volumes:\n"
        "  kube-api-access-7xk2p:\n"
        "    Type:                    Projected (a volume that contains injected data from multiple sources)\n"
        "    TokenExpirationSeconds:  3607\n"
        "    ConfigMapName:           kube-root-ca.crt\n"
        "    Optional:                false\n"
        "    DownwardAPI:             true\n"
        "QoS Class:                   BestEffort\n"
        "Node-Selectors:              <none>\n"
        "Tolerations:                 node.kubernetes.io/not-ready:NoExecute op=Exists for 300s\n"
        "                             node.kubernetes.io/unreachable:NoExecute op=Exists for 300s\n"
        "Events:\n"
        "  Type     Reason     Age              From               Message\n"
        "  ----     ------     ----             ----               -------\n"
        "  Normal   Scheduled  5m               default-scheduler  Successfully assigned default/redis-5f7c8d9b6d-x7k2p to kind-worker\n"
        "  Normal   Pulled     4m57s            kubelet            spec.containers{redis}: Container image \"redis:7\" already present on machine\n"
        "  Normal   Created    4m57s            kubelet            spec.containers{redis}: Created container: redis\n"
        "  Normal   Started    4m56s            kubelet            spec.containers{redis}: Started container redis\n"
        "  Warning  Unhealthy  2m (x3 over 4m)  kubelet            spec.containers{redis}: Readiness probe failed: dial tcp 10.244.1.5:6379: connect: connection refused\n"
    )
    out = describe("Pod", redis_pod(), lister=make_lister(*pod_events()), now=NOW)
    assert out == expected


def test_pod_events_without_field_path_prefix_before_kubectl_1_35(monkeypatch) -> None:
    monkeypatch.setattr(d, "SHOW_EVENT_FIELD_PATH", False)
    out = describe("Pod", redis_pod(), lister=make_lister(*pod_events()), now=NOW)
    assert "kubelet            Started container redis\n" in out


def test_pending_pod_without_node_or_ip() -> None:
    pod = redis_pod()
    pod["spec"].pop("nodeName")
    pod["status"] = {"phase": "Pending", "qosClass": "BestEffort",
                     "conditions": [{"type": "PodScheduled", "status": "False"}]}
    out = describe("Pod", pod, lister=make_lister(), now=NOW)
    assert ("Node:             <none>\n"
            "Labels:           app=redis\n") in out
    assert ("Status:           Pending\n"
            "IP:               \n"
            "IPs:              <none>\n"
            "Controlled By:    ReplicaSet/redis-5f7c8d9b6d\n") in out
    assert "    Image:      redis:7\n    Port:" in out  # no status: no IDs, no State
    assert "Container ID" not in out
    assert out.endswith("Events:                      <none>\n")


def test_terminating_pod_and_waiting_state() -> None:
    pod = redis_pod()
    pod["metadata"]["deletionTimestamp"] = "2025-06-01T10:04:30Z"
    pod["metadata"]["deletionGracePeriodSeconds"] = 30
    pod["status"]["containerStatuses"][0]["state"] = {
        "waiting": {"reason": "CrashLoopBackOff"}}
    pod["status"]["containerStatuses"][0]["lastState"] = {"terminated": {
        "exitCode": 1, "reason": "Error", "startedAt": "2025-06-01T10:03:00Z",
        "finishedAt": "2025-06-01T10:03:01Z"}}
    out = describe("Pod", pod, lister=make_lister(), now=NOW)
    assert ("Status:                    Terminating (lasts 30s)\n"
            "Termination Grace Period:  30s\n") in out
    assert ("    State:          Waiting\n"
            "      Reason:       CrashLoopBackOff\n"
            "    Last State:     Terminated\n"
            "      Reason:       Error\n"
            "      Exit Code:    1\n"
            "      Started:      Sun, 01 Jun 2025 10:03:00 +0000\n"
            "      Finished:     Sun, 01 Jun 2025 10:03:01 +0000\n"
            "    Ready:          True\n") in out


def test_pod_container_details_and_volume_types() -> None:
    pod = redis_pod()
    c = pod["spec"]["containers"][0]
    c["command"], c["args"] = ["redis-server"], ["--port", "6379"]
    c["resources"] = {"limits": {"cpu": "500m", "memory": "128Mi"},
                      "requests": {"cpu": "250m", "memory": "64Mi"}}
    c["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"},  # as stored: defaulted
                          "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}
    c.pop("readinessProbe")
    c["envFrom"] = [{"configMapRef": {"name": "cfg"}},
                    {"secretRef": {"name": "creds", "optional": True}, "prefix": "DB_"}]
    c["env"] = [{"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}}]
    c["volumeMounts"] = [{"name": "data", "mountPath": "/data"},
                         {"name": "cfg", "mountPath": "/etc/cfg", "readOnly": True,
                          "subPath": "app.conf"}]
    pod["spec"]["volumes"] = [{"name": "data", "emptyDir": {}},
                              {"name": "cfg", "configMap": {"name": "cfg"}},
                              {"name": "logs", "hostPath": {"path": "/var/log", "type": ""}}]
    pod["status"].pop("qosClass")  # computed: requests != limits
    out = describe("Pod", pod, lister=make_lister(), now=NOW)
    section = out[out.index("Containers:"):out.index("Node-Selectors:")]
    assert section == (
        "Containers:\n"
        "  redis:\n"
        "    Container ID:  containerd://0123abcd\n"
        "    Image:         redis:7\n"
        "    Image ID:      docker.io/library/redis@sha256:feed\n"
        "    Port:          6379/TCP\n"
        "    Host Port:     0/TCP\n"
        "    Command:\n"
        "      redis-server\n"
        "    Args:\n"
        "      --port\n"
        "      6379\n"
        "    State:          Running\n"
        "      Started:      Sun, 01 Jun 2025 10:00:05 +0000\n"
        "    Ready:          True\n"
        "    Restart Count:  0\n"
        "    Limits:\n"
        "      cpu:     500m\n"
        "      memory:  128Mi\n"
        "    Requests:\n"
        "      cpu:     250m\n"
        "      memory:  64Mi\n"
        "    Liveness:  http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3\n"
        "    Environment Variables from:\n"
        "      cfg    ConfigMap                 Optional: false\n"
        "      creds  Secret with prefix 'DB_'  Optional: true\n"
        "    Environment:\n"
        "      PASSWORD:  <set to the key 'pw' in secret 'db'>  Optional: false\n"
        "    Mounts:\n"
        "      /data from data (rw)\n"
        "      /etc/cfg from cfg (ro,path=\"app.conf\")\n"
        "Conditions:\n"
        "  Type                        Status\n"
        "  PodReadyToStartContainers   True \n"
        "  Initialized                 True \n"
        "  Ready                       True \n"
        "  ContainersReady             True \n"
        "  PodScheduled                True \n"
        "Volumes:\n"
        "  data:\n"
        "    Type:       EmptyDir (a temporary directory that shares a pod's lifetime)\n"
        "    Medium:     \n"
        "    SizeLimit:  <unset>\n"
        "  cfg:\n"
        "    Type:      ConfigMap (a volume populated by a ConfigMap)\n"
        "    Name:      cfg\n"
        "    Optional:  false\n"
        "  logs:\n"
        "    Type:          HostPath (bare host directory volume)\n"
        "    Path:          /var/log\n"
        "    HostPathType:  \n"
        "QoS Class:         Burstable\n"
    )


# -- ReplicaSet / Deployment -----------------------------------------------------------

def template(hash_label: str | None = None, image: str = "redis:7") -> dict:
    labels = {"app": "redis"}
    if hash_label:
        labels["pod-template-hash"] = hash_label
    container = redis_container()
    container["image"] = image
    return {"metadata": {"creationTimestamp": None, "labels": labels},
            "spec": {"containers": [container], "restartPolicy": "Always",
                     "dnsPolicy": "ClusterFirst", "terminationGracePeriodSeconds": 30}}


def replica_set(name: str, hash_label: str, *, replicas: int, created: str,
                image: str = "redis:7", dep_uid: str = "uid-dep") -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {
            "name": name, "namespace": "default", "uid": f"uid-rs-{name}",
            "creationTimestamp": created,
            "labels": {"app": "redis", "pod-template-hash": hash_label},
            "annotations": {"deployment.kubernetes.io/desired-replicas": "2",
                            "deployment.kubernetes.io/max-replicas": "3",
                            "deployment.kubernetes.io/revision": "1"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "redis",
                                 "uid": dep_uid, "controller": True,
                                 "blockOwnerDeletion": True}],
        },
        "spec": {"replicas": replicas,
                 "selector": {"matchLabels": {"app": "redis", "pod-template-hash": hash_label}},
                 "template": template(hash_label, image)},
        "status": {"replicas": replicas, "readyReplicas": replicas,
                   "availableReplicas": replicas},
    }


def test_replica_set() -> None:
    rs = replica_set(RS_NAME, "5f7c8d9b6d", replicas=2, created=T0)
    rs_uid = rs["metadata"]["uid"]
    pending = redis_pod("redis-5f7c8d9b6d-q9zvn", phase="Pending", owner_uid=rs_uid)
    orphan = redis_pod("redis-orphan", owner_uid="uid-someone-else")
    created = [event(f"{RS_NAME}.{i}", kind="ReplicaSet", obj=RS_NAME, uid=rs_uid,
                     reason="SuccessfulCreate", message=f"Created pod: {pod}",
                     component="replicaset-controller", first=T0)
               for i, pod in enumerate((POD_NAME, "redis-5f7c8d9b6d-q9zvn"))]
    lister = make_lister(rs, redis_pod(owner_uid=rs_uid), pending, orphan, *created)
    expected = (
        "Name:           redis-5f7c8d9b6d\n"
        "Namespace:      default\n"
        "Selector:       app=redis,pod-template-hash=5f7c8d9b6d\n"
        "Labels:         app=redis\n"
        "                pod-template-hash=5f7c8d9b6d\n"
        "Annotations:    deployment.kubernetes.io/desired-replicas: 2\n"
        "                deployment.kubernetes.io/max-replicas: 3\n"
        "                deployment.kubernetes.io/revision: 1\n"
        "Controlled By:  Deployment/redis\n"
        "Replicas:       2 current / 2 desired\n"
        "Pods Status:    1 Running / 1 Waiting / 0 Succeeded / 0 Failed\n"
        "Pod Template:\n"
        "  Labels:  app=redis\n"
        "           pod-template-hash=5f7c8d9b6d\n"
        "  Containers:\n"
        "   redis:\n"
        "    Image:         redis:7\n"
        "    Port:          6379/TCP\n"
        "    Host Port:     0/TCP\n"
        "    Environment:   <none>\n"
        "    Mounts:        <none>\n"
        "  Volumes:         <none>\n"
        "  Node-Selectors:  <none>\n"
        "  Tolerations:     <none>\n"
        "Events:\n"
        "  Type    Reason            Age   From                   Message\n"
        "  ----    ------            ----  ----                   -------\n"
        "  Normal  SuccessfulCreate  5m    replicaset-controller  Created pod: redis-5f7c8d9b6d-x7k2p\n"
        "  Normal  SuccessfulCreate  5m    replicaset-controller  Created pod: redis-5f7c8d9b6d-q9zvn\n"
    )
    assert describe("rs", rs, lister=lister, now=NOW) == expected


def redis_deployment() -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "redis", "namespace": "default", "uid": "uid-dep",
                     "generation": 1, "creationTimestamp": T0, "labels": {"app": "redis"},
                     "annotations": {"deployment.kubernetes.io/revision": "1"}},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "redis"}},
                 "template": template(), "revisionHistoryLimit": 10,
                 "progressDeadlineSeconds": 600,
                 "strategy": {"type": "RollingUpdate",
                              "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}},
        "status": {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2,
                   "readyReplicas": 2, "availableReplicas": 2, "conditions": [
                       {"type": "Available", "status": "True",
                        "reason": "MinimumReplicasAvailable"},
                       {"type": "Progressing", "status": "True",
                        "reason": "NewReplicaSetAvailable"}]},
    }


def test_deployment() -> None:
    new = replica_set(RS_NAME, "5f7c8d9b6d", replicas=2, created=T0)
    old = replica_set("redis-7d4b9c8f5", "7d4b9c8f5", replicas=0, created="2025-06-01T09:00:00Z",
                      image="redis:6")
    foreign = replica_set("redis-foreign", "abc", replicas=1, created=T0, dep_uid="uid-other")
    scaled = event("redis.1", kind="Deployment", obj="redis", uid="uid-dep",
                   reason="ScalingReplicaSet", component="deployment-controller",
                   message=f"Scaled up replica set {RS_NAME} from 0 to 2", first=T0)
    expected = (
        "Name:                   redis\n"
        "Namespace:              default\n"
        "CreationTimestamp:      Sun, 01 Jun 2025 10:00:00 +0000\n"
        "Labels:                 app=redis\n"
        "Annotations:            deployment.kubernetes.io/revision: 1\n"
        "Selector:               app=redis\n"
        "Replicas:               2 desired | 2 updated | 2 total | 2 available | 0 unavailable\n"
        "StrategyType:           RollingUpdate\n"
        "MinReadySeconds:        0\n"
        "RollingUpdateStrategy:  25% max unavailable, 25% max surge\n"
        "Pod Template:\n"
        "  Labels:  app=redis\n"
        "  Containers:\n"
        "   redis:\n"
        "    Image:         redis:7\n"
        "    Port:          6379/TCP\n"
        "    Host Port:     0/TCP\n"
        "    Environment:   <none>\n"
        "    Mounts:        <none>\n"
        "  Volumes:         <none>\n"
        "  Node-Selectors:  <none>\n"
        "  Tolerations:     <none>\n"
        "Conditions:\n"
        "  Type           Status  Reason\n"
        "  ----           ------  ------\n"
        "  Available      True    MinimumReplicasAvailable\n"
        "  Progressing    True    NewReplicaSetAvailable\n"
        "OldReplicaSets:  redis-7d4b9c8f5 (0/0 replicas created)\n"
        "NewReplicaSet:   redis-5f7c8d9b6d (2/2 replicas created)\n"
        "Events:\n"
        "  Type    Reason             Age   From                   Message\n"
        "  ----    ------             ----  ----                   -------\n"
        "  Normal  ScalingReplicaSet  5m    deployment-controller  Scaled up replica set redis-5f7c8d9b6d from 0 to 2\n"
    )
    lister = make_lister(new, old, foreign, scaled)
    assert describe("Deployment", redis_deployment(), lister=lister, now=NOW) == expected


def test_deployment_before_its_replica_set_exists() -> None:
    out = describe("deploy", redis_deployment(), lister=make_lister(), now=NOW)
    assert "OldReplicaSets" not in out and "NewReplicaSet:" not in out
    assert out.endswith("  Type          Status  Reason\n"
                        "  ----          ------  ------\n"
                        "  Available     True    MinimumReplicasAvailable\n"
                        "  Progressing   True    NewReplicaSetAvailable\n"
                        "Events:         <none>\n")


# -- Node ------------------------------------------------------------------------------

def kind_worker() -> dict:
    def cond(type_: str, status: str, reason: str, message: str) -> dict:
        return {"type": type_, "status": status, "reason": reason, "message": message,
                "lastHeartbeatTime": "2025-06-01T10:04:30Z",
                "lastTransitionTime": "2025-06-01T09:00:00Z"}

    resources = {"cpu": "8", "ephemeral-storage": "102625208Ki", "hugepages-2Mi": "0",
                 "memory": "16266548Ki", "pods": "110"}
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {
            "name": "kind-worker", "uid": "uid-node-worker",
            "creationTimestamp": "2025-06-01T09:00:00Z",
            "labels": {"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
                       "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": "kind-worker",
                       "kubernetes.io/os": "linux"},
            "annotations": {
                "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///run/containerd/containerd.sock",
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true"},
        },
        "spec": {"podCIDR": "10.244.1.0/24", "podCIDRs": ["10.244.1.0/24"],
                 "providerID": "kind://docker/kind/kind-worker"},
        "status": {
            "addresses": [{"type": "InternalIP", "address": "172.18.0.3"},
                          {"type": "Hostname", "address": "kind-worker"}],
            "capacity": dict(resources), "allocatable": dict(resources),
            "conditions": [
                cond("MemoryPressure", "False", "KubeletHasSufficientMemory",
                     "kubelet has sufficient memory available"),
                cond("DiskPressure", "False", "KubeletHasNoDiskPressure",
                     "kubelet has no disk pressure"),
                cond("PIDPressure", "False", "KubeletHasSufficientPID",
                     "kubelet has sufficient PID available"),
                cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
            ],
            "nodeInfo": {"machineID": "m1", "systemUUID": "s1", "bootID": "b1",
                         "kernelVersion": "6.8.0", "osImage": "Debian GNU/Linux 12 (bookworm)",
                         "operatingSystem": "linux", "architecture": "amd64",
                         "containerRuntimeVersion": "containerd://2.1.1",
                         "kubeletVersion": "v1.33.1"},
        },
    }


def system_pod(name: str, created: str, resources: dict | None = None, *,
               node: str = "kind-worker", phase: str = "Running") -> dict:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "kube-system", "uid": f"uid-{name}",
                         "creationTimestamp": created},
            "spec": {"nodeName": node, "containers": [
                {"name": "c", "image": "x", "resources": resources or {}}]},
            "status": {"phase": phase}}


def test_node() -> None:
    kindnet = system_pod("kindnet-abcde", "2025-06-01T09:00:10Z", {
        "requests": {"cpu": "100m", "memory": "50Mi"},
        "limits": {"cpu": "100m", "memory": "50Mi"}})
    proxy = system_pod("kube-proxy-fghij", "2025-06-01T09:00:20Z")
    done = system_pod("job-done", T0, phase="Succeeded")
    elsewhere = system_pod("kube-proxy-zzzzz", T0, node="kind-worker2")
    events = [
        event("kind-worker.1", kind="Node", obj="kind-worker", uid="kind-worker", namespace="",
              reason="Starting", message="Starting kubelet.", component="kubelet",
              first="2025-06-01T09:00:05Z"),
        event("kind-worker.2", kind="Node", obj="kind-worker", uid="uid-node-worker",
              namespace="", reason="RegisteredNode", component="node-controller",
              message="Node kind-worker event: Registered Node kind-worker in Controller",
              first="2025-06-01T09:00:10Z"),
    ]
    # The kubelet's Lease, as it writes it (no acquireTime; renewTime a MicroTime)
    lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
             "metadata": {"name": "kind-worker", "namespace": "kube-node-lease"},
             "spec": {"holderIdentity": "kind-worker", "leaseDurationSeconds": 40,
                      "renewTime": "2025-06-01T10:05:00.250000Z"}}
    lister = make_lister(kindnet, proxy, done, elsewhere, redis_pod(), lease, *events)
    T = "Sun, 01 Jun 2025 "
    expected = (
        "Name:               kind-worker\n"
        "Roles:              <none>\n"
        "Labels:             beta.kubernetes.io/arch=amd64\n"
        "                    beta.kubernetes.io/os=linux\n"
        "                    kubernetes.io/arch=amd64\n"
        "                    kubernetes.io/hostname=kind-worker\n"
        "                    kubernetes.io/os=linux\n"
        "Annotations:        kubeadm.alpha.kubernetes.io/cri-socket: unix:///run/containerd/containerd.sock\n"
        "                    node.alpha.kubernetes.io/ttl: 0\n"
        "                    volumes.kubernetes.io/controller-managed-attach-detach: true\n"
        f"CreationTimestamp:  {T}09:00:00 +0000\n"
        "Taints:             <none>\n"
        "Unschedulable:      false\n"
        "Lease:\n"
        "  HolderIdentity:  kind-worker\n"
        "  AcquireTime:     <unset>\n"
        f"  RenewTime:       {T}10:05:00 +0000\n"
        "Conditions:\n"
        "  Type             Status  LastHeartbeatTime                 LastTransitionTime                Reason                       Message\n"
        "  ----             ------  -----------------                 ------------------                ------                       -------\n"
        f"  MemoryPressure   False   {T}10:04:30 +0000   {T}09:00:00 +0000   KubeletHasSufficientMemory   kubelet has sufficient memory available\n"
        f"  DiskPressure     False   {T}10:04:30 +0000   {T}09:00:00 +0000   KubeletHasNoDiskPressure     kubelet has no disk pressure\n"
        f"  PIDPressure      False   {T}10:04:30 +0000   {T}09:00:00 +0000   KubeletHasSufficientPID      kubelet has sufficient PID available\n"
        f"  Ready            True    {T}10:04:30 +0000   {T}09:00:00 +0000   KubeletReady                 kubelet is posting ready status\n"
        "Addresses:\n"
        "  InternalIP:  172.18.0.3\n"
        "  Hostname:    kind-worker\n"
        "Capacity:\n"
        "  cpu:                8\n"
        "  ephemeral-storage:  102625208Ki\n"
        "  hugepages-2Mi:      0\n"
        "  memory:             16266548Ki\n"
        "  pods:               110\n"
        "Allocatable:\n"
        "  cpu:                8\n"
        "  ephemeral-storage:  102625208Ki\n"
        "  hugepages-2Mi:      0\n"
        "  memory:             16266548Ki\n"
        "  pods:               110\n"
        "System Info:\n"
        "  Machine ID:                 m1\n"
        "  System UUID:                s1\n"
        "  Boot ID:                    b1\n"
        "  Kernel Version:             6.8.0\n"
        "  OS Image:                   Debian GNU/Linux 12 (bookworm)\n"
        "  Operating System:           linux\n"
        "  Architecture:               amd64\n"
        "  Container Runtime Version:  containerd://2.1.1\n"
        "  Kubelet Version:            v1.33.1\n"
        "  Kube-Proxy Version:         \n"
        "PodCIDR:                      10.244.1.0/24\n"
        "PodCIDRs:                     10.244.1.0/24\n"
        "ProviderID:                   kind://docker/kind/kind-worker\n"
        "Non-terminated Pods:          (3 in total)\n"
        "  Namespace                   Name                      CPU Requests  CPU Limits  Memory Requests  Memory Limits  Age\n"
        "  ---------                   ----                      ------------  ----------  ---------------  -------------  ---\n"
        "  default                     redis-5f7c8d9b6d-x7k2p    0 (0%)        0 (0%)      0 (0%)           0 (0%)         5m\n"
        "  kube-system                 kindnet-abcde             100m (1%)     100m (1%)   50Mi (0%)        50Mi (0%)      64m\n"
        "  kube-system                 kube-proxy-fghij          0 (0%)        0 (0%)      0 (0%)           0 (0%)         64m\n"
        "Allocated resources:\n"
        "  (Total limits may be over 100 percent, i.e., overcommitted.)\n"
        "  Resource           Requests   Limits\n"
        "  --------           --------   ------\n"
        "  cpu                100m (1%)  100m (1%)\n"
        "  memory             50Mi (0%)  50Mi (0%)\n"
        "  ephemeral-storage  0 (0%)     0 (0%)\n"
        "  hugepages-2Mi      0 (0%)     0 (0%)\n"
        "Events:\n"
        "  Type    Reason          Age   From             Message\n"
        "  ----    ------          ----  ----             -------\n"
        "  Normal  Starting        64m   kubelet          Starting kubelet.\n"
        "  Normal  RegisteredNode  64m   node-controller  Node kind-worker event: Registered Node kind-worker in Controller\n"
    )
    assert describe("Node", kind_worker(), lister=lister, now=NOW) == expected


def test_control_plane_node_roles_and_taints() -> None:
    node = kind_worker()
    node["metadata"]["name"] = "kind-control-plane"
    node["metadata"]["labels"]["node-role.kubernetes.io/control-plane"] = ""
    node["spec"]["taints"] = [{"key": "node-role.kubernetes.io/control-plane",
                               "effect": "NoSchedule"},
                              {"key": "example.com/dedicated", "value": "infra",
                               "effect": "NoExecute"}]
    out = describe("Node", node, lister=make_lister(), now=NOW)
    assert "Roles:              control-plane\n" in out
    assert ("Taints:             example.com/dedicated=infra:NoExecute\n"
            "                    node-role.kubernetes.io/control-plane:NoSchedule\n") in out
    assert "Non-terminated Pods:          (0 in total)\n" in out
    assert out.endswith("  hugepages-2Mi      0 (0%)    0 (0%)\nEvents:              <none>\n")


# -- shared formatting -----------------------------------------------------------------

@pytest.mark.parametrize("seconds,text", [
    (-5, "<invalid>"), (-1, "0s"), (0, "0s"), (1, "1s"), (70, "70s"), (119.999, "119s"),
    (120, "2m"), (121, "2m1s"), (190, "3m10s"), (600, "10m"), (601, "10m"),
    (70 * 60, "70m"), (3 * 3600, "3h"), (3 * 3600 + 60, "3h1m"), (8 * 3600 + 59 * 60, "8h"),
    (47 * 3600, "47h"), (48 * 3600, "2d"), (49 * 3600, "2d1h"), ((8 * 24 + 2) * 3600, "8d"),
    (367 * 86400, "367d"), ((2 * 365 * 24 + 25) * 3600, "2y1d"),
    ((8 * 365 * 24 + 2) * 3600, "8y"),
])
def test_human_duration_matches_upstream_vectors(seconds: float, text: str) -> None:
    assert d._human_duration(timedelta(seconds=seconds)) == text


def test_event_age_for_repeated_events() -> None:
    ev = {"firstTimestamp": "2025-06-01T10:00:00Z", "lastTimestamp": "2025-06-01T10:03:00Z",
          "count": 3}
    assert d._event_age(ev, NOW) == "2m (x3 over 5m)"
    assert d._event_age({"firstTimestamp": "2025-06-01T10:04:48Z", "count": 1}, NOW) == "12s"
    assert d._event_age({}, NOW) == "<unknown>"


def test_tabwriter_blocks_break_at_tabless_lines() -> None:
    text = "a:\t1\nlonger key:\t2\nbreak\nb:\t3\n"
    assert d._tabwrite(text) == "a:           1\nlonger key:  2\nbreak\nb:  3\n"


def test_tabwriter_last_cell_is_not_a_column() -> None:
    assert d._tabwrite("x\ty\tzzzzzz\nxxxx\tyy\n") == "x     y  zzzzzz\nxxxx  yy\n"


def test_long_and_multiline_annotations_are_wrapped() -> None:
    long_value = "v" * 150
    svc = service("redis", spec=REDIS_SVC["spec"], annotations={
        "a.example/long": long_value, "b.example/multi": "line1\nline2\n", "c": "short"})
    out = describe("Service", svc, lister=make_lister(REDIS_SLICE), now=NOW)
    assert ("Annotations:              a.example/long:\n"
            f"                            {'v' * 138}...\n"
            "                          b.example/multi:\n"
            "                            line1\n"
            "                            line2\n"
            "                          c: short\n"
            "Selector:") in out


def test_terminal_escapes_are_neutralised() -> None:
    svc = service("redis", spec=REDIS_SVC["spec"], labels={"app": "x\x1b[31mred\r"})
    out = describe("Service", svc, lister=make_lister(REDIS_SLICE), now=NOW)
    assert "Labels:                   app=x^[[31mred\\r\n" in out


def test_timestamps_follow_the_time_zone_of_now() -> None:
    cest = timezone(timedelta(hours=2))
    out = describe("Deployment", redis_deployment(), lister=make_lister(),
                   now=NOW.astimezone(cest))
    assert "CreationTimestamp:      Sun, 01 Jun 2025 12:00:00 +0200\n" in out


def test_a_kind_without_a_describer_gets_kubectls_generic_describer() -> None:
    lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
             "metadata": {"name": "kind-worker", "namespace": "kube-node-lease"},
             "spec": {"holderIdentity": "kind-worker", "leaseDurationSeconds": 40}}
    out = describe("Lease", lease, lister=make_lister(), now=NOW)
    assert out.splitlines() == [
        "Name:         kind-worker",
        "Namespace:    kube-node-lease",
        "Labels:       <none>",
        "Annotations:  <none>",
        "API Version:  coordination.k8s.io/v1",
        "Kind:         Lease",
        "Metadata:",
        "Spec:",
        "  Holder Identity:         kind-worker",
        "  Lease Duration Seconds:  40",
        "Events:                    <none>",
    ]


def test_missing_fields_do_not_crash() -> None:
    lister = make_lister()
    for kind in d.describable_kinds():
        out = describe(kind, {"kind": kind, "metadata": {"name": "x"}}, lister=lister, now=NOW)
        assert out.startswith("Name:") and out.endswith("\n")


def test_probe_timings_are_printed_as_stored_not_filled_in() -> None:
    """DescribeProbe prints the probe's fields; the API server defaulted them (engine.api.defaults),
    so an object that lacks them shows Go's zero values, as kubectl would."""
    pod = redis_pod()
    c = pod["spec"]["containers"][0]
    c["readinessProbe"] = {"tcpSocket": {"port": 6379}}
    c["livenessProbe"] = {"httpGet": {"port": 8080}}
    out = describe("Pod", pod, lister=make_lister(), now=NOW)
    assert "tcp-socket :6379 delay=0s timeout=0s period=0s #success=0 #failure=0" in out
    assert "http-get //:8080 delay=0s timeout=0s period=0s #success=0 #failure=0" in out


def test_node_without_its_lease_prints_kubectls_failed_get() -> None:
    """describe.go Gets the Lease; a missing one is the Get's error on the block's one line."""
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "kind-worker2", "creationTimestamp": T0},
            "spec": {}, "status": {}}
    out = describe("Node", node, lister=make_lister(), now=NOW)
    assert 'Unschedulable:      false\nLease:              Failed to get lease: leases.coordination.k8s.io ' \
           '"kind-worker2" not found\n' in out
