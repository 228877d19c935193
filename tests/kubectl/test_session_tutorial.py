"""The tutorial, typed line by line into `svcflow session`, answers as a real cluster does."""
from __future__ import annotations

import re

import pytest

from engine.cluster.cluster import Cluster
from engine.kubectl import proxyrules as proxytools
from engine.kubectl.session import Session, trace
from tests.helpers import SAMPLES, apply_yaml, sample


def _pod(c: Cluster, prefix: str) -> dict:
    return next(p for p in c.store.list("Pod", "default") if p["metadata"]["name"].startswith(prefix))


@pytest.fixture
def session() -> Session:
    return Session(Cluster(deterministic=True), cwd=SAMPLES)


def test_the_tutorial_end_to_end(session):
    s, c = session, session.cluster
    assert s.feed("kubectl apply -f counter-redis-svc.yml") == "deployment.apps/redis created\nservice/redis created\n"
    all_ = s.feed("kubectl get all")
    assert re.search(r"^service/redis\s+ClusterIP\s+10\.96\.\d+\.\d+\s+<none>\s+6379/TCP", all_, re.M)
    assert s.feed("kubectl apply -f counter-app.yml") == "deployment.apps/counter created\n"
    assert re.search(r"^counter-\S+\s+1/1\s+Running", s.feed("kubectl get po"), re.M)
    counter = _pod(c, "counter-")["metadata"]["name"]
    assert s.feed(f"kubectl exec -it {counter} -- sh") == "" and s.prompt == "/app # "
    assert s.feed("curl localhost:3000") == "sh: curl: not found\n"
    apk = s.feed("apk add curl busybox-extras # install telnet")
    assert "Installing curl (" in apk and "Installing busybox-extras (" in apk and apk.splitlines()[-1].startswith("OK: ")
    assert s.feed("curl localhost:3000") == "1\n"
    assert s.feed("curl localhost:3000") == "2\n"
    assert s.feed("telnet redis 6379") == "Connected to redis\n"
    assert s.feed("dbsize") == ":1\n"
    assert s.feed("KEYS *") == "*1\n$5\ncount\n"
    assert s.feed("GET count") == "$1\n2\n"
    assert s.feed("quit") == "+OK\nConnection closed by foreign host\n"
    assert s.feed("exit") == "" and s.prompt == "$ "
    redis_ip = _pod(c, "redis-")["status"]["podIP"]
    ep = s.feed("kubectl get ep")
    assert re.search(rf"^redis\s+{re.escape(redis_ip)}:6379\s", ep, re.M)
    assert f"  Addresses:          {redis_ip}\n" in s.feed("kubectl describe ep/redis")
    assert s.feed("kubectl apply -f counter-nodeport.yml") == "service/counter-np created\n"
    assert re.search(r"^counter-np\s+NodePort\s+\S+\s+<none>\s+3000:31000/TCP", s.feed("kubectl get svc"), re.M)
    assert s.feed("curl 172.18.0.3:31000") == "3\n"  # from outside, through any node
    assert s.feed("curl 172.18.0.2:31000") == "4\n"


def test_redis_cli_and_nslookup_inside_pods(session):
    s, c = session, session.cluster
    s.feed("kubectl apply -f counter-redis-svc.yml")
    s.feed("kubectl apply -f counter-app.yml")
    redis = _pod(c, "redis-")["metadata"]["name"]
    assert s.feed(f"kubectl exec {redis} -- redis-cli SET greeting hello") == "OK\n"
    # without a TTY redis-cli prints raw replies; `-it` gives its terminal's formatting
    assert s.feed(f"kubectl exec {redis} -- redis-cli GET greeting") == "hello\n"
    assert s.feed(f"kubectl exec -it {redis} -- redis-cli GET greeting") == '"hello"\n'
    assert s.feed(f"kubectl exec -it {redis} -- redis-cli INCR greeting") == \
        "(error) ERR value is not an integer or out of range\n"
    assert s.feed(f"kubectl exec {redis} -- redis-cli INCR greeting") == \
        "ERR value is not an integer or out of range\n\n"
    out = s.feed("kubectl exec deploy/counter -- nslookup redis")
    ip = c.get("Service", "default", "redis")["spec"]["clusterIP"]
    assert "Name:\tredis.default.svc.cluster.local\nAddress: " + ip in out
    assert s.feed("kubectl exec deploy/counter -- curl localhost:3000").startswith("error: Internal error occurred")


def test_deleting_the_redis_pod_loses_the_count(session):
    s, c = session, session.cluster
    s.feed("kubectl apply -f counter-redis-svc.yml")
    s.feed("kubectl apply -f counter-app.yml")
    s.feed("kubectl apply -f counter-nodeport.yml")
    assert s.feed("curl 172.18.0.3:31000") == "1\n"
    assert s.feed("curl 172.18.0.3:31000") == "2\n"
    old = _pod(c, "redis-")
    assert s.feed(f"kubectl delete pod {old['metadata']['name']}") == \
        f'pod "{old["metadata"]["name"]}" deleted\n'
    new = _pod(c, "redis-")
    assert new["status"]["podIP"] != old["status"]["podIP"]
    assert new["status"]["podIP"] in s.feed("kubectl get ep redis")
    rules = proxytools.proxy_rules(c, node="kind-worker").stdout
    assert f"--to-destination {new['status']['podIP']}:6379" in rules
    assert f"--to-destination {old['status']['podIP']}:6379" not in rules
    assert s.feed("curl 172.18.0.3:31000") == "1\n"


def _rules_printed(c: Cluster, node: str) -> set[str]:
    return set(proxytools.proxy_rules(c, node=node).stdout.splitlines())


def test_trace_clusterip_walks_the_rules_proxy_rules_prints():
    c = Cluster(deterministic=True)
    apply_yaml(c, sample("counter-redis-svc.yml"))
    apply_yaml(c, sample("counter-app.yml"))
    counter = _pod(c, "counter-")
    out = trace(c, counter["metadata"]["name"], "redis:6379")
    assert out.code == 0
    text = out.stdout
    assert "  dns  redis.default.svc.cluster.local: NOERROR -> " in text
    assert f"  reached pod default/{_pod(c, 'redis-')['metadata']['name']} on " in text
    printed = _rules_printed(c, counter["spec"]["nodeName"])
    walked = [m.group(1) for l in text.splitlines()
              if (m := re.match(r"^  (?:match|     ) \S+\s+(-A .*?)(?:  \[.*\])?$", l))]
    assert walked and all(r in printed for r in walked)
    assert re.search(r"rules evaluated: \d+", text)


def test_trace_nodeport_from_outside():
    c = Cluster(deterministic=True)
    for f in ("counter-redis-svc.yml", "counter-app.yml", "counter-nodeport.yml"):
        apply_yaml(c, sample(f))
    out = trace(c, "outside", "172.18.0.4:31000")
    assert out.code == 0
    assert "-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule " \
           "in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS" in out.stdout
    assert re.search(r"DNAT -> 10\.244\.\d+\.\d+:3000", out.stdout)


def test_trace_service_without_endpoints_is_refused():
    c = Cluster(deterministic=True)
    apply_yaml(c, sample("counter-app.yml"))
    apply_yaml(c, "apiVersion: v1\nkind: Service\nmetadata: {name: nothing}\n"
                  "spec: {selector: {app: nope}, ports: [{port: 80}]}\n")
    out = trace(c, "deploy/counter", "nothing:80")
    assert out.code == 1
    assert '"default/nothing has no endpoints"' in out.stdout and "-j REJECT" in out.stdout
    assert out.stdout.rstrip().endswith("result: refused: Connection refused")
    s = Session(c)
    pod = _pod(c, "counter-")["metadata"]["name"]
    s.feed(f"kubectl exec -it {pod} -- sh")
    s.feed("apk add curl")
    assert s.feed("curl nothing") == "curl: (7) Failed to connect to nothing port 80 after 0 ms: Could not connect to server\n"


def test_trace_headless_service_goes_straight_to_a_pod():
    c = Cluster(deterministic=True)
    apply_yaml(c, sample("counter-redis-svc.yml"))
    apply_yaml(c, sample("counter-app.yml"))
    apply_yaml(c, "apiVersion: v1\nkind: Service\nmetadata: {name: redis-hl}\n"
                  "spec: {clusterIP: None, selector: {app: counter, tier: db}, ports: [{port: 6379}]}\n")
    out = trace(c, "deploy/counter", "redis-hl:6379")
    redis_ip = _pod(c, "redis-")["status"]["podIP"]
    assert f"redis-hl.default.svc.cluster.local: NOERROR -> {redis_ip}" in out.stdout
    assert "DNAT" not in out.stdout and "result: connected" in out.stdout


def test_trace_selector_matching_nothing():
    c = Cluster(deterministic=True)
    apply_yaml(c, sample("counter-app.yml"))
    apply_yaml(c, sample("counter-redis-svc.yml").split("---")[1].replace("tier: db", "tier: dbx"))
    out = trace(c, "deploy/counter", "redis:6379")
    assert "result: refused" in out.stdout and '"default/redis has no endpoints"' in out.stdout


WEB = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: nginx, image: nginx:1.27, ports: [{containerPort: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 8080, targetPort: 80}]}
---
apiVersion: v1
kind: Pod
metadata: {name: box, labels: {app: box}}
spec: {containers: [{name: box, image: busybox:1.36, ports: [{containerPort: 9000}]}]}
"""


def test_web_servers_fallback_tcp_env_label_and_rollout():
    c = Cluster(deterministic=True)
    apply_yaml(c, sample("counter-redis-svc.yml"))
    apply_yaml(c, WEB)
    s = Session(c)
    assert s.feed("kubectl exec -it box -- sh") == "" and s.prompt == "/ # "
    page = s.feed("wget -qO- web:8080")
    assert "<title>Welcome to nginx!</title>" in page
    assert s.feed("wget -qO- web:8080/nope") == "wget: server returned error: HTTP/1.1 404 Not Found\n"
    pod_ip = c.get("Pod", "default", "box")["status"]["podIP"]
    # busybox nc (nc_bloaty.c): -z alone prints nothing, -v says "open", a refusal needs -vv
    assert s.feed(f"nc -z {pod_ip} 9000; echo $?") == "0\n"
    assert s.feed(f"nc -zv {pod_ip} 9000") == f"{pod_ip} ({pod_ip}:9000) open\n"
    assert s.feed(f"nc -zv {pod_ip} 9001; echo $?") == "1\n"
    assert s.feed(f"nc -zvv {pod_ip} 9001") == f"nc: {pod_ip} ({pod_ip}:9001): Connection refused\nsent 0, rcvd 0\n"
    env = s.feed("env")
    ip = c.get("Service", "default", "redis")["spec"]["clusterIP"]
    assert f"REDIS_SERVICE_HOST={ip}\n" in env and f"REDIS_PORT_6379_TCP=tcp://{ip}:6379\n" in env
    assert s.feed("hostname") == "box\n" and s.feed("echo hi there") == "hi there\n"
    s.feed("exit")
    assert s.feed("kubectl label pod box tier=debug") == "pod/box labeled\n"
    assert c.get("Pod", "default", "box")["metadata"]["labels"]["tier"] == "debug"
    old = {p["metadata"]["name"] for p in c.store.list("Pod", "default") if p["metadata"]["name"].startswith("web-")}
    assert s.feed("kubectl rollout restart deploy/web") == "deployment.apps/web restarted\n"
    new = {p["metadata"]["name"] for p in c.store.list("Pod", "default") if p["metadata"]["name"].startswith("web-")}
    assert len(new) == 2 and not (old & new)
    assert "Welcome to nginx!" in s.feed("kubectl exec box -- wget -qO- web:8080")


def test_get_events_lists_what_the_controllers_and_kubelet_recorded():
    c = Cluster(deterministic=True)
    apply_yaml(c, sample("counter-redis-svc.yml"))
    out = Session(c).feed("kubectl get events")
    lines = out.splitlines()
    assert re.match(r"^LAST SEEN +TYPE +REASON +OBJECT +MESSAGE$", lines[0])
    pod = _pod(c, "redis-")["metadata"]["name"]
    assert re.search(rf"^\d+s +Normal +Scheduled +pod/{pod} +Successfully assigned default/{pod} to kind-worker2?$",
                     out, re.M)
    assert re.search(r"^\d+s +Normal +ScalingReplicaSet +deployment/redis +Scaled up replica set redis-\S+ from 0 to 1$",
                     out, re.M)
    wide = Session(c).feed("kubectl get ev -o wide").splitlines()
    # (`ev` is also events.k8s.io's short name: kubectl warns first, as on a kind cluster)
    assert wide[0] == 'Warning: short name "ev" could also match lower priority resource events.events.k8s.io'
    assert re.match(r"^LAST SEEN +TYPE +REASON +OBJECT +SUBOBJECT +SOURCE +MESSAGE +FIRST SEEN +COUNT +NAME$", wide[1])
    assert any(re.search(rf"kubelet, kind-worker2? .* 1 +{pod}\.[0-9a-f]+$", line) for line in wide)


def test_the_coredns_configmap_holds_the_corefile_coredns_serves_by():
    c = Cluster(deterministic=True)
    s = Session(c)
    # (both made as the cluster boots, as kubeadm and the root-ca publisher make them: the cluster's age)
    assert re.match(r"^NAME +DATA +AGE\ncoredns +1 +2m\nkube-root-ca\.crt +1 +2m\n$",
                    s.feed("kubectl get cm -n kube-system"))
    corefile = c.coredns.config.corefile()
    out = s.feed("kubectl describe configmap coredns -n kube-system")
    assert out.startswith("Name:         coredns\nNamespace:    kube-system\nLabels:       <none>\n"
                          "Annotations:  <none>\n\nData\n====\nCorefile:\n----\n.:53 {\n")
    assert "    kubernetes cluster.local in-addr.arpa ip6.arpa {\n" in out and corefile.rstrip("\n") in out
    assert out.endswith("}\n\n\n\nBinaryData\n====\n\nEvents:  <none>\n")  # kubectl >= 1.31: a blank line after each value
    assert "  Corefile: |\n    .:53 {\n" in s.feed("kubectl get cm coredns -n kube-system -o yaml")


def test_every_namespace_gets_the_root_ca_configmap_and_keeps_it():
    c = Cluster(deterministic=True)
    s = Session(c)
    assert re.match(r"^NAME +DATA +AGE\nkube-root-ca\.crt +1 +2m\n$", s.feed("kubectl get cm"))
    s.feed("kubectl create ns shop")
    cm = c.store.get("ConfigMap", "shop", "kube-root-ca.crt")
    assert cm["data"]["ca.crt"].startswith("-----BEGIN CERTIFICATE-----\n")
    assert cm["data"]["ca.crt"] == c.store.get("ConfigMap", "default", "kube-root-ca.crt")["data"]["ca.crt"]
    assert cm["metadata"]["annotations"]["kubernetes.io/description"].startswith(
        "Contains a CA bundle that can be used to verify the kube-apiserver")
    s.feed("kubectl delete cm kube-root-ca.crt -n shop")  # the publisher puts it back
    assert c.store.get("ConfigMap", "shop", "kube-root-ca.crt") is not None
    s.feed("kubectl delete ns shop")  # and leaves a terminating namespace alone
    assert c.store.get("Namespace", "", "shop") is None and c.store.list("ConfigMap", "shop") == []
