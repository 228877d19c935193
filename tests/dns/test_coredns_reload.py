"""A learner edits ConfigMap kube-system/coredns: the edit reaches each CoreDNS pod as on kind
(the kubelet's volume sync, then the `reload` plugin's check), the pods log it in CoreDNS's
words, and what a pod's nslookup/dig sees follows the Corefile its CoreDNS runs."""
from __future__ import annotations

import copy
import re
from datetime import datetime

import pytest

from engine.cluster.cluster import Cluster
from engine.dns.caddyfile import config_sha512, parse
from engine.dns.corefile import CoreDNSConfig, CorefileError, load_corefile
from engine.kubectl import dns as dnstools
from engine.kubectl.session import Session
from tests.helpers import SAMPLES

KUBEADM = CoreDNSConfig().corefile()


@pytest.fixture(scope="module")
def booted() -> Session:
    s = Session(Cluster(deterministic=True), cwd=SAMPLES)
    s.feed("kubectl apply -f counter-redis-svc.yml")
    s.feed("kubectl run box --image=busybox:1.36 -- sleep 36000")
    s.cluster.run_until_idle()
    return s


@pytest.fixture
def s() -> Session:
    s = Session(Cluster(deterministic=True), cwd=SAMPLES)
    s.feed("kubectl apply -f counter-redis-svc.yml")
    s.feed("kubectl run box --image=busybox:1.36 -- sleep 36000")
    s.cluster.run_until_idle()
    return s


def edit(s: Session, corefile: str) -> None:
    c = s.cluster
    cm = c.get("ConfigMap", "kube-system", "coredns")
    new = copy.deepcopy(cm)
    new["data"]["Corefile"] = corefile
    c.api.update(cm, new)
    c.run_until_idle()


def coredns_pods(s: Session) -> list[str]:
    return sorted(p["metadata"]["name"] for p in s.cluster.store.list("Pod", "kube-system")
                  if p["metadata"]["name"].startswith("coredns-"))


def logs(s: Session, pod: str) -> str:
    return s.feed(f"kubectl logs -n kube-system {pod}")


def with_plugins(lines: str, corefile: str = KUBEADM) -> str:
    """kubeadm's Corefile with `lines` added after `ready`."""
    return corefile.replace("    ready\n", "    ready\n" + lines)


def test_the_reload_plugin_hashes_the_parsed_blocks_as_coredns_does():
    # kubeadm's Corefile: the hash every kind and minikube CoreDNS logs at start-up
    assert config_sha512(parse(KUBEADM)) == (
        "591cf328cccc12bc490481273e738df59329c62c0b729d94e8b61db9961c2fa5f046dd37f1cf888b953814040d180f52594972691"
        "cd6ff41be96639138a43908")
    # an indent or a comment at a line's end is no change of configuration; a line moved is
    # (the tokens' line numbers are hashed too)
    same = KUBEADM.replace("    errors", "  errors  # mine")
    assert config_sha512(parse(same)) == config_sha512(parse(KUBEADM))
    assert config_sha512(parse("# mine\n" + KUBEADM)) != config_sha512(parse(KUBEADM))


def test_a_coredns_pod_logs_its_start_up_as_coredns_1_12_does(booted):
    pod = coredns_pods(booted)[0]
    assert logs(booted, pod) == (
        ".:53\n"
        "[INFO] plugin/reload: Running configuration SHA512 = 591cf328cccc12bc490481273e738df59329c62c0b729d94e8b61db"
        "9961c2fa5f046dd37f1cf888b953814040d180f52594972691cd6ff41be96639138a43908\n"
        "CoreDNS-1.12.0\nlinux/amd64, go1.23.3, 51e11f1\n")


def test_an_edit_reaches_each_pod_within_the_volume_sync_and_the_reload_check(s):
    new = with_plugins("    hosts {\n       10.1.2.3 hello.example\n       fallthrough\n    }\n")
    edit(s, new)
    assert dnstools.corefile(s.cluster).stdout == KUBEADM  # (not read yet)
    t0 = s.cluster.now()
    # not yet: the kubelet has not refreshed the volume, CoreDNS has not looked
    assert "** server can't find hello.example: NXDOMAIN" in s.feed("kubectl exec box -- nslookup hello.example")
    s.cluster.run_for(90)  # at most a minute for the kubelet, then at most 30 s for reload
    sha = config_sha512(parse(new))
    for pod in coredns_pods(s):
        out = s.feed(f"kubectl logs -n kube-system {pod} --timestamps")
        lines = out.splitlines()[-3:]
        assert [ln.split(" ", 1)[1] for ln in lines] == [
            "[INFO] Reloading", f"[INFO] plugin/reload: Running configuration SHA512 = {sha}",
            "[INFO] Reloading complete"]
        when = datetime.fromisoformat(lines[0].split(" ", 1)[0][:26] + "+00:00")
        assert 0 < (when - t0).total_seconds() <= 90
    out = s.feed("kubectl exec box -- nslookup hello.example")
    assert "Name:\thello.example\nAddress: 10.1.2.3\n" in out
    assert dnstools.corefile(s.cluster).stdout == new  # (`svcflow corefile`: what CoreDNS serves by)


def test_the_two_replicas_reload_at_moments_of_their_own(s):
    edit(s, with_plugins("    log\n"))
    s.cluster.run_for(90)
    moments = set()
    for pod in coredns_pods(s):
        line = next(ln for ln in s.feed(f"kubectl logs -n kube-system {pod} --timestamps").splitlines()
                    if ln.endswith("[INFO] Reloading"))
        moments.add(line.split(" ", 1)[0])
    assert len(moments) == 2


def test_a_corefile_coredns_refuses_keeps_the_old_one_serving(s):
    edit(s, KUBEADM.replace("    forward . /etc/resolv.conf {", "    foward . /etc/resolv.conf {"))
    s.cluster.run_for(90)
    for pod in coredns_pods(s):
        tail = logs(s, pod).splitlines()[-3:]
        assert tail == [
            "[INFO] Reloading",
            "[ERROR] Restart failed: /etc/coredns/Corefile:13 - Error during parsing: Unknown directive 'foward'",
            "[ERROR] plugin/reload: Corefile changed but reload failed: starting with listener file descriptors: "
            "/etc/coredns/Corefile:13 - Error during parsing: Unknown directive 'foward'"]
    out = s.feed("kubectl exec box -- nslookup redis.default.svc.cluster.local")
    assert "Name:\tredis.default.svc.cluster.local\nAddress: 10.96." in out
    # the same broken file is not tried again
    s.cluster.run_for(120)
    assert logs(s, coredns_pods(s)[0]).count("[INFO] Reloading") == 1


def test_a_corefile_that_does_not_parse_is_a_warning_at_every_check(s):
    edit(s, KUBEADM.rstrip().removesuffix("}") + "\n")  # the closing brace gone
    s.cluster.run_for(150)
    out = logs(s, coredns_pods(s)[0])
    assert "[INFO] Reloading" not in out
    warnings = [ln for ln in out.splitlines() if ln.startswith("[WARNING]")]
    assert len(warnings) >= 2
    assert warnings[0] == "[WARNING] plugin/reload: Corefile parse failed: /etc/coredns/Corefile:19 - Error during " \
                          "parsing: Unexpected EOF"


def test_without_reload_the_file_is_never_read_again_until_a_pod_starts(s):
    no_reload = KUBEADM.replace("    reload\n", "")
    edit(s, no_reload)
    s.cluster.run_for(90)
    # the running `reload` reads the file without it; its ticker goes on (the hook runs for
    # the new instance before the plugin is marked unused), so these pods keep reloading
    for pod in coredns_pods(s):
        assert logs(s, pod).endswith("[INFO] Reloading\n[INFO] plugin/reload: Running configuration SHA512 = "
                                     f"{config_sha512(parse(no_reload))}\n[INFO] Reloading complete\n")
    # pods started with it never read the file again
    s.feed("kubectl rollout restart -n kube-system deployment/coredns")
    s.cluster.run_for(60)
    first = coredns_pods(s)
    for pod in first:
        assert logs(s, pod) == ".:53\nCoreDNS-1.12.0\nlinux/amd64, go1.23.3, 51e11f1\n"
    edit(s, with_plugins("    hosts {\n       10.1.2.3 hello.example\n       fallthrough\n    }\n", no_reload))
    s.cluster.run_for(300)
    assert "NXDOMAIN" in s.feed("kubectl exec box -- nslookup hello.example")
    for pod in first:
        assert "Reloading" not in logs(s, pod)
    # a restart reads the file the volume holds now
    s.feed("kubectl rollout restart -n kube-system deployment/coredns")
    s.cluster.run_for(60)
    fresh = [p for p in coredns_pods(s) if p not in first]
    assert fresh
    start = logs(s, fresh[0])
    assert "plugin/reload" not in start and start.startswith(".:53\nCoreDNS-1.12.0\n")
    assert "Address: 10.1.2.3" in s.feed("kubectl exec box -- nslookup hello.example")


def test_without_the_kubernetes_stanza_cluster_names_go_to_forward(s):
    edit(s, re.sub(r"    kubernetes .*?\n    }\n", "", KUBEADM, flags=re.S))
    s.cluster.run_for(90)
    out = s.feed("kubectl exec box -- nslookup redis.default.svc.cluster.local")
    assert "** server can't find redis.default.svc.cluster.local: NXDOMAIN" in out
    dig = s.feed("dig redis.default.svc.cluster.local")
    # the node's resolver answered, not CoreDNS: recursion available, not authoritative
    assert "status: NXDOMAIN" in dig and ";; flags: qr rd ra;" in dig
    assert s.cluster.coredns.record_rows() == []  # (the DNS pane: nothing served for the cluster)


def test_corefile_errors_are_coredns_own_words():
    with pytest.raises(CorefileError, match=r"^plugin/kubernetes: /etc/coredns/Corefile:3 - Error during parsing: "
                                            r"ttl must be in range \[0, 3600\]: 9999$"):
        load_corefile(".:53 {\n    kubernetes cluster.local {\n        ttl 9999\n    }\n}\n")
    with pytest.raises(CorefileError, match=r"^/etc/coredns/Corefile:2 - Error during parsing: Unknown directive "
                                            r"'foward'$"):
        load_corefile(".:53 {\n    foward . 1.1.1.1\n}\n")
    with pytest.raises(CorefileError, match="^plugin/kubernetes: this plugin can only be used once per Server Block$"):
        load_corefile(".:53 {\n    kubernetes cluster.local\n    kubernetes cluster.local\n}\n")
