"""`kubectl logs -p` of a crash-looping CoreDNS (a Corefile it refuses): the refusal its last
run printed, as on kind (the kubelet keeps the previous instance's log; CoreDNS's log is its
process's, engine.dns). Its first instance, never restarted, has no previous one."""
from __future__ import annotations

from tests.dns.test_coredns_crashloop import BROKEN, REFUSED, booted, statuses
from tests.dns.test_coredns_reload import KUBEADM, coredns_pods, edit


def test_a_crash_looping_coredns_shows_its_last_runs_refusal_and_a_healthy_one_has_none():
    s = booted()
    old = coredns_pods(s)
    healthy = old[0]
    assert s.feed(f"kubectl logs -n kube-system {healthy} -p") == (
        f'Error from server (BadRequest): previous terminated container "coredns" in pod "{healthy}" not found\n')
    edit(s, BROKEN)
    s.feed("kubectl rollout restart -n kube-system deployment/coredns")
    s.cluster.run_for(60)
    new = [p for p in coredns_pods(s) if p not in old]
    assert new
    for pod in new:
        assert statuses(s)[pod]["state"]["waiting"]["reason"] == "CrashLoopBackOff"
        assert s.feed(f"kubectl logs -n kube-system {pod} --previous") == REFUSED
        assert s.feed(f"kubectl logs -n kube-system {pod} -p --tail=0") == ""
    edit(s, KUBEADM)  # fixed: each starts again with it, and runs; its previous run is the refused one
    s.cluster.run_for(400)
    for pod in new:
        cs = statuses(s)[pod]
        assert "running" in cs["state"] and cs["restartCount"] >= 3
        assert s.feed(f"kubectl logs -n kube-system {pod} -p") == REFUSED
        assert s.feed(f"kubectl logs -n kube-system {pod}") not in ("", REFUSED)
