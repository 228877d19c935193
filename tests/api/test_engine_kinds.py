"""Service types, user-supplied Endpoints, cluster shapes from config files, delete."""
from __future__ import annotations

from engine.apply.workspace import cluster_from_paths
from engine.cluster.cluster import Cluster
from engine.kubectl import commands as kubectl
from tests.helpers import apply_yaml, sample

SERVICES = """
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {type: ExternalName, externalName: db.example.com}
---
apiVersion: v1
kind: Service
metadata: {name: redis-hl}
spec:
  clusterIP: None
  selector: {app: counter, tier: db}
  ports: [{port: 6379}]
---
apiVersion: v1
kind: Service
metadata: {name: web-lb}
spec:
  type: LoadBalancer
  selector: {app: counter, tier: app}
  ports: [{port: 80, targetPort: 3000}]
---
apiVersion: v1
kind: Service
metadata: {name: legacy}
spec:
  ports: [{port: 5432}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: legacy}
subsets:
- addresses: [{ip: 192.168.10.5}]
  ports: [{port: 5432}]
"""


def test_service_types_print_like_kubectl():
    c = Cluster(deterministic=True)
    apply_yaml(c, sample("counter-redis-svc.yml"))
    apply_yaml(c, SERVICES)
    out = kubectl.get(c, ["svc"]).stdout.splitlines()
    rows = {line.split()[0]: line.split() for line in out[1:]}
    assert rows["db"][1:5] == ["ExternalName", "<none>", "db.example.com", "<none>"]
    assert rows["redis-hl"][1:5] == ["ClusterIP", "None", "<none>", "6379/TCP"]
    assert rows["web-lb"][1] == "LoadBalancer" and rows["web-lb"][4].startswith("80:3")
    assert c.get("Service", "default", "db")["spec"].get("clusterIP") is None
    hl = c.get("Endpoints", "default", "redis-hl")
    assert hl["metadata"]["labels"] == {"service.kubernetes.io/headless": ""}


def test_selectorless_service_uses_the_users_endpoints_mirrored_into_a_slice():
    c = Cluster(deterministic=True)
    res = apply_yaml(c, SERVICES)
    assert "endpoints/legacy created" in [r.line for r in res]
    assert kubectl.get(c, ["ep", "legacy"]).stdout.splitlines()[1].split()[1] == "192.168.10.5:5432"
    (sl,) = [s for s in c.store.list("EndpointSlice", "default")
             if s["metadata"]["labels"].get("kubernetes.io/service-name") == "legacy"]
    assert sl["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] == \
        "endpointslicemirroring-controller.k8s.io"
    assert [e["addresses"] for e in sl["endpoints"]] == [["192.168.10.5"]]


def test_kind_cluster_config_shapes_the_nodes(tmp_path):
    (tmp_path / "kind.yaml").write_text("""
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
name: demo
nodes: [{role: control-plane}, {role: worker}, {role: worker}, {role: worker}]
networking: {podSubnet: 10.10.0.0/16, serviceSubnet: 10.20.0.0/16, kubeProxyMode: ipvs}
""")
    (tmp_path / "app.yml").write_text(sample("counter-redis-svc.yml"))
    c, report = cluster_from_paths([tmp_path], deterministic=True)
    assert report.ok and report.lines == ["deployment.apps/redis created", "service/redis created"]
    nodes = c.store.list("Node")
    assert [n["metadata"]["name"] for n in nodes] == ["demo-control-plane", "demo-worker", "demo-worker2", "demo-worker3"]
    assert [n["spec"]["podCIDR"] for n in nodes] == ["10.10.0.0/24", "10.10.1.0/24", "10.10.2.0/24", "10.10.3.0/24"]
    assert c.get("Service", "kube-system", "kube-dns")["spec"]["clusterIP"] == "10.20.0.10"
    assert c.topology.proxy.mode == "ipvs" and c.topology.proxy.cluster_cidr == "10.10.0.0/16"


def test_kube_proxy_configuration_is_read(tmp_path):
    (tmp_path / "kp.yaml").write_text("""
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: nftables
clusterCIDR: 10.244.0.0/16
iptables: {masqueradeAll: true, masqueradeBit: 15, localhostNodePorts: false}
nodePortAddresses: [172.18.0.0/16]
""")
    c, report = cluster_from_paths([tmp_path], deterministic=True)
    p = c.topology.proxy
    assert report.ok and (p.mode, p.masquerade_all, p.masquerade_bit, p.localhost_node_ports) == \
        ("nftables", True, 15, False)
    assert p.node_port_addresses == ["172.18.0.0/16"]


def test_node_objects_define_the_nodes(tmp_path):
    (tmp_path / "nodes.yaml").write_text("""
apiVersion: v1
kind: Node
metadata: {name: cp1, labels: {node-role.kubernetes.io/control-plane: ""}}
spec:
  podCIDR: 10.244.7.0/24
  taints: [{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}]
status: {addresses: [{type: InternalIP, address: 192.168.1.10}]}
---
apiVersion: v1
kind: Node
metadata: {name: w1}
spec: {podCIDR: 10.244.8.0/24}
status: {addresses: [{type: InternalIP, address: 192.168.1.11}]}
""")
    (tmp_path / "app.yml").write_text(sample("counter-redis-svc.yml"))
    c, _ = cluster_from_paths([tmp_path], deterministic=True)
    assert [n["metadata"]["name"] for n in c.store.list("Node")] == ["cp1", "w1"]
    pod = next(p for p in c.store.list("Pod", "default"))
    assert pod["spec"]["nodeName"] == "w1" and pod["status"]["podIP"].startswith("10.244.8.")
    assert pod["status"]["hostIP"] == "192.168.1.11"


def test_delete_prints_kubectls_line():
    c = Cluster(deterministic=True)
    apply_yaml(c, sample("counter-redis-svc.yml"))
    out = kubectl.delete(c, ["svc/redis", "deployment/redis"])
    assert out.stdout == ('service "redis" deleted\n'
                          'deployment.apps "redis" deleted\n')
    out = kubectl.delete(c, ["svc", "redis"])
    assert out.code == 1 and out.stderr == 'Error from server (NotFound): services "redis" not found\n'


# --- the one kinds registry (engine/api/kinds.py) --------------------------------------

from engine.api import kinds as registry  # noqa: E402
from engine.api.store import CLUSTER_SCOPED  # noqa: E402
from engine.kubectl.printers import describe as describe_printer  # noqa: E402
from engine.kubectl.printers import get as get_printer  # noqa: E402
from engine.manifests.documents import KNOWN_KINDS  # noqa: E402


def test_registry_is_kube_apiserver_discovery():
    """apiserver-spec §10: core v1, then apps v1, batch v1 (group priority 17400), networking.k8s.io v1
    (17200), coordination.k8s.io v1 (16500) and discovery.k8s.io v1 (16200), alphabetical in each; the
    kinds of kubectl's default prune allow-list are served read-only (apiserver-spec §3.6)."""
    assert registry.group_versions() == [("", "v1"), ("apps", "v1"), ("batch", "v1"), ("networking.k8s.io", "v1"),
                                         ("coordination.k8s.io", "v1"), ("discovery.k8s.io", "v1")]
    assert [i.resource for i in registry.in_group_version("coordination.k8s.io", "v1")] == ["leases"]
    assert [i.resource for i in registry.in_group_version("", "v1")] == [
        "configmaps", "endpoints", "events", "limitranges", "namespaces", "nodes", "persistentvolumeclaims",
        "persistentvolumes", "pods", "replicationcontrollers", "resourcequotas", "secrets", "serviceaccounts",
            "services"]
    assert [i.resource for i in registry.in_group_version("apps", "v1")] == [
        "controllerrevisions", "daemonsets", "deployments", "replicasets", "statefulsets"]
    assert [i.resource for i in registry.in_group_version("batch", "v1")] == ["cronjobs", "jobs"]
    short = {i.kind: i.short_names for i in registry.KINDS.values()}
    assert short == {"ConfigMap": ("cm",), "Endpoints": ("ep",), "Event": ("ev",), "LimitRange": ("limits",),
                     "ResourceQuota": ("quota",), "Namespace": ("ns",),
                     "Node": ("no",), "PersistentVolumeClaim": ("pvc",), "PersistentVolume": ("pv",),
                     "Pod": ("po",), "ReplicationController": ("rc",), "Secret": (), "ServiceAccount": ("sa",),
                     "Service": ("svc",),
                     "ControllerRevision": (), "DaemonSet": ("ds",), "Deployment": ("deploy",), "ReplicaSet": ("rs",),
                     "StatefulSet": ("sts",),
                     "CronJob": ("cj",), "Job": (), "Ingress": ("ing",), "NetworkPolicy": ("netpol",), "Lease": (),
                     "EndpointSlice": ()}
    assert [i.resource for i in registry.in_group_version("networking.k8s.io", "v1")] == [
        "ingresses", "networkpolicies"]
    assert [i.kind for i in registry.in_category("all")] == [
        "Pod", "ReplicationController", "Service", "DaemonSet", "Deployment", "ReplicaSet", "StatefulSet",
        "CronJob", "Job"]
    prune = ["ConfigMap", "Endpoints", "PersistentVolumeClaim", "Pod", "ReplicationController", "Secret", "Service",
             "Job", "CronJob", "Ingress", "DaemonSet", "Deployment", "ReplicaSet", "StatefulSet", "Namespace",
             "PersistentVolume"]
    assert all(k in registry.KINDS for k in prune)  # kubectl apply --prune needs a mapping for each
    ns, pod = registry.KINDS["Namespace"], registry.KINDS["Pod"]
    assert ns.scope == "Cluster" and "deletecollection" not in ns.verbs
    assert pod.verbs == ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
    assert [s.name for s in pod.subresources] == ["attach", "eviction", "exec", "log", "portforward", "status"]
    assert registry.KINDS["Deployment"].subresource("scale").group == "autoscaling"
    assert registry.KINDS["DaemonSet"].subresource("scale") is None
    assert pod.subresource("eviction").response_kind(pod) == ("policy", "v1", "Eviction")
    assert pod.subresource("exec").response_kind(pod) == ("", "v1", "PodExecOptions")
    rs = registry.KINDS["ReplicaSet"]
    assert rs.subresource("scale").response_kind(rs) == ("autoscaling", "v1", "Scale")
    assert rs.subresource("status").response_kind(rs) == ("apps", "v1", "ReplicaSet")


def test_registry_lookups():
    assert registry.by_resource("apps", "v1", "deployments").kind == "Deployment"
    assert registry.by_resource("", "v1", "deployments") is None
    assert registry.by_gvk("apps/v1", "ReplicaSet").resource == "replicasets"
    assert registry.by_gvk("v1", "ReplicaSet") is None
    assert registry.match_resource("svc").kind == "Service"
    assert registry.match_resource("SVC") is None  # short names are case-sensitive, as in kubectl
    assert registry.match_resource("Pods").kind == "Pod"
    assert registry.match_resource("deploy", group="apps").kind == "Deployment"
    assert registry.match_resource("deploy", group="") is None


def test_every_copy_reads_the_registry():
    assert get_printer.RESOURCES is registry.KINDS
    assert CLUSTER_SCOPED == {"Namespace", "Node", "PersistentVolume"}
    # (Events are recorded by the cluster, Leases written by the kubelets: neither comes from manifests)
    assert KNOWN_KINDS == {(i.api_version, i.kind) for i in registry.KINDS.values() if i.from_manifests}
    assert {i.kind for i in registry.KINDS.values() if not i.from_manifests} == {
        "Event", "Lease", "PersistentVolumeClaim", "PersistentVolume", "ReplicationController", "Secret",
        "CronJob", "Job", "Ingress", "ResourceQuota", "LimitRange"}  # recorded by the cluster, or served read-only
    sts = registry.KINDS["StatefulSet"]  # simulated: read-write, with scale and status as kube-apiserver serves them
    assert sts.from_manifests and sts.verbs == registry.KINDS["Deployment"].verbs
    assert [s.name for s in sts.subresources] == ["scale", "status"]
    assert describe_printer._ALIASES["ep"] == "Endpoints" and describe_printer._ALIASES["endpointslices"] == "EndpointSlice"
