"""A pod's hostname and /etc/hosts as the kubelet writes them (tester5 #13): spec.hostname and
spec.subdomain (a StatefulSet's pods behind a headless Service) give the FQDN line;
setHostnameAsFQDN makes `hostname` print the FQDN."""
from __future__ import annotations

from engine.cluster.cluster import Cluster
from engine.kubectl.session import Session
from tests.helpers import apply_yaml

POD = """apiVersion: v1
kind: Pod
metadata: {name: box, namespace: default}
spec:
  hostname: db-0
  subdomain: db
  setHostnameAsFQDN: {fqdn}
  containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
"""


def _session(fqdn: bool) -> tuple[Session, str]:
    c = Cluster(deterministic=True)
    apply_yaml(c, POD.replace("{fqdn}", "true" if fqdn else "false"))
    c.run_for(30)
    return Session(c, settle=True), c.get("Pod", "default", "box")["status"]["podIP"]


def test_hosts_file_names_the_pods_fqdn_when_it_has_a_subdomain():
    s, ip = _session(False)
    hosts = s.feed("kubectl exec box -- cat /etc/hosts")
    assert hosts.startswith("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n")
    assert hosts.endswith(f"{ip}\tdb-0.db.default.svc.cluster.local\tdb-0\n")
    assert s.feed("kubectl exec box -- hostname") == "db-0\n"
    assert s.feed("kubectl exec box -- printenv HOSTNAME") == "db-0\n"
    assert s.feed("kubectl exec box -- hostname -f") == "db-0.db.default.svc.cluster.local\n"
    assert s.feed("kubectl exec box -- hostname -d") == "db.default.svc.cluster.local\n"
    assert s.feed("kubectl exec box -- hostname -i") == f"{ip}\n"


def test_set_hostname_as_fqdn():
    s, _ = _session(True)
    assert s.feed("kubectl exec box -- hostname") == "db-0.db.default.svc.cluster.local\n"
    assert s.feed("kubectl exec box -- cat /etc/hostname") == "db-0.db.default.svc.cluster.local\n"
