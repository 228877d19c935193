"""The plugins learners add to the Corefile, computed as CoreDNS chains them: what a pod's
nslookup, the node's dig and the CoreDNS pods' logs show once the edit is reloaded."""
from __future__ import annotations

import random
import re

import pytest

from engine.cluster.cluster import Cluster
from engine.dns.corefile import CoreDNSConfig, RewriteRule, load_corefile
from engine.dns.records import StaticUpstream
from engine.dns.server import Client, Server, rewrite_name
from engine.dns.zone import KubernetesPlugin
from engine.kubectl.session import Session
from tests.dns.test_coredns_reload import KUBEADM, coredns_pods, edit, logs, with_plugins
from tests.helpers import SAMPLES


def reloaded(corefile: str) -> Session:
    s = Session(Cluster(deterministic=True), cwd=SAMPLES)
    s.feed("kubectl apply -f counter-redis-svc.yml")
    s.feed("kubectl run box --image=busybox:1.36 -- sleep 36000")
    s.cluster.run_until_idle()
    edit(s, corefile)
    s.cluster.run_for(90)
    for pod in coredns_pods(s):
        assert logs(s, pod).endswith("[INFO] Reloading complete\n"), logs(s, pod)
    return s


def redis_ip(s: Session) -> str:
    return s.cluster.get("Service", "default", "redis")["spec"]["clusterIP"]


def test_hosts_answers_its_names_and_falls_through_to_the_cluster():
    s = reloaded(with_plugins("    hosts {\n       10.1.2.3 legacy-db.corp legacy-db\n       fallthrough\n    }\n"))
    out = s.feed("dig legacy-db.corp")
    assert re.search(r"^legacy-db\.corp\.\s+3600\s+IN\s+A\s+10\.1\.2\.3$", out, re.M)
    assert "flags: qr aa rd;" in out
    assert f"Address: {redis_ip(s)}" in s.feed("kubectl exec box -- nslookup redis.default.svc.cluster.local")


def test_hosts_without_fallthrough_answers_servfail_for_everything_else():
    s = reloaded(with_plugins("    hosts {\n       10.1.2.3 legacy-db.corp\n    }\n"))
    out = s.feed("kubectl exec box -- nslookup redis.default.svc.cluster.local")
    assert "** server can't find redis.default.svc.cluster.local: SERVFAIL" in out
    assert "status: SERVFAIL" in s.feed("dig kubernetes.default.svc.cluster.local")


def test_rewrite_exact_answers_under_the_name_asked():
    s = reloaded(with_plugins("    rewrite name exact db.corp redis.default.svc.cluster.local\n"))
    out = s.feed("dig db.corp")
    assert ";db.corp.\t\t\tIN\tA" in out
    assert re.search(rf"^db\.corp\.\s+30\s+IN\s+A\s+{re.escape(redis_ip(s))}$", out, re.M)


def test_rewrite_suffix_answers_under_the_rewritten_name_unless_answer_auto():
    plain = reloaded(with_plugins("    rewrite name suffix .corp. .default.svc.cluster.local.\n"))
    out = plain.feed("dig redis.corp")
    assert ";redis.corp.\t\t\tIN\tA" in out  # the question as asked ...
    assert re.search(r"^redis\.default\.svc\.cluster\.local\.\s+30\s+IN\s+A\s", out, re.M)  # ... the answer not
    auto = reloaded(with_plugins("    rewrite name suffix .corp. .default.svc.cluster.local. answer auto\n"))
    assert re.search(r"^redis\.corp\.\s+30\s+IN\s+A\s", auto.feed("dig redis.corp"), re.M)


def test_rewrite_rules_match_as_coredns_normalises_them():
    assert rewrite_name(RewriteRule("exact", "DB.corp", "redis.default.svc.cluster.local"), "db.corp.") == \
        "redis.default.svc.cluster.local."
    assert rewrite_name(RewriteRule("prefix", "old", "new"), "old.example.") == "new.example."  # ("old." and "new.")
    assert rewrite_name(RewriteRule("prefix", "old", "new"), "older.example.") is None
    assert rewrite_name(RewriteRule("regex", r"(.*)\.corp\.$", "{1}.default.svc.cluster.local"), "redis.corp.") == \
        "redis.default.svc.cluster.local."


def test_log_prints_each_query_in_coredns_common_log_format():
    s = reloaded(with_plugins("    log\n"))
    box_ip = s.cluster.get("Pod", "default", "box")["status"]["podIP"]
    s.feed("kubectl exec box -- nslookup redis.default.svc.cluster.local")
    lines = [ln for pod in coredns_pods(s) for ln in logs(s, pod).splitlines() if box_ip in ln]
    assert len(lines) == 2  # A and AAAA
    a = next(ln for ln in lines if '"A IN' in ln)
    assert re.fullmatch(rf'\[INFO\] {re.escape(box_ip)}:\d+ - \d+ "A IN redis\.default\.svc\.cluster\.local\. udp 49 '
                        r'false 512" NOERROR qr,aa,rd 96 0\.\d+s', a), a


def test_a_stub_domain_whose_upstream_cannot_be_reached_answers_servfail():
    stub = KUBEADM + "corp.example:53 {\n    errors\n    forward . 1.2.3.4\n}\n"
    s = reloaded(stub)
    out = s.feed("kubectl exec box -- nslookup www.corp.example")
    assert "** server can't find www.corp.example: SERVFAIL" in out
    assert "status: SERVFAIL" in s.feed("dig www.corp.example")
    errors = {pod: [ln for ln in logs(s, pod).splitlines() if "plugin/errors" in ln] for pod in coredns_pods(s)}
    pod, lines = next((p, e) for p, e in errors.items() if e)
    ip = s.cluster.get("Pod", "kube-system", pod)["status"]["podIP"]  # (forward asks from CoreDNS's own address)
    assert re.fullmatch(rf"\[ERROR\] plugin/errors: 2 www\.corp\.example\. A: read udp {re.escape(ip)}:\d+"
                        r"->1\.2\.3\.4:53: i/o timeout", lines[0]), lines
    # the other names still answer from the . block
    assert f"Address: {redis_ip(s)}" in s.feed("kubectl exec box -- nslookup redis.default.svc.cluster.local")


def test_the_startup_lines_name_every_zone_served():
    assert load_corefile(KUBEADM + "corp.example:53 {\n    forward . 1.2.3.4\n}\n").server_lines() == [
        ".:53", "corp.example.:53"]


@pytest.mark.parametrize("qname, rcode", [("google.com.", "NOERROR"), ("nope.invalid.", "NXDOMAIN")])
def test_the_node_resolver_is_what_forward_to_resolv_conf_asks(qname, rcode):
    config = CoreDNSConfig()
    plugin = KubernetesPlugin(config, clock=lambda: 0)
    plugin.on_namespace("ADDED", {"metadata": {"name": "default"}})
    server = Server(load_corefile(KUBEADM), lambda c: plugin, StaticUpstream({"google.com": {"A": ["142.250.1.1"]}}),
                    lambda line: None, random.Random(1))
    assert server.query(qname, "A", Client("10.244.1.2", 40000, 1)).rcode == rcode
