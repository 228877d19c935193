"""A CoreDNS pod that starts with a Corefile CoreDNS refuses crash-loops as on kind: the
error is its log (log.Fatal, no timestamp), the container terminates with exit code 1
(Error) and restarts with the kubelet's back-off (CrashLoopBackOff), it is never Ready,
kube-dns's EndpointSlice lists it as not ready, and once no CoreDNS pod is ready lookups
fail. Pods already running keep their old Corefile (the `reload` plugin's failed
restart). Fixing the ConfigMap heals the pods at their next restart."""
from __future__ import annotations

import pytest

from engine.cluster.cluster import Cluster
from engine.dns.corefile import CorefileError, load_corefile
from engine.kubectl.session import Session
from tests.dns.test_coredns_reload import KUBEADM, coredns_pods, edit, logs
from tests.helpers import SAMPLES

BROKEN = KUBEADM.replace("    forward . /etc/resolv.conf {", "    foward . /etc/resolv.conf {")
REFUSED = "/etc/coredns/Corefile:13 - Error during parsing: Unknown directive 'foward'\n"
LOOKUP = "kubectl exec box -- nslookup redis.default.svc.cluster.local"


def booted() -> Session:
    s = Session(Cluster(deterministic=True), cwd=SAMPLES)
    s.feed("kubectl apply -f counter-redis-svc.yml")
    s.feed("kubectl run box --image=busybox:1.36 -- sleep 36000")
    s.cluster.run_until_idle()
    return s


def statuses(s: Session) -> dict[str, dict]:
    return {p["metadata"]["name"]: p["status"]["containerStatuses"][0]
            for p in s.cluster.store.list("Pod", "kube-system") if p["metadata"]["name"].startswith("coredns-")}


def test_a_restarted_coredns_with_a_refused_corefile_crash_loops_while_the_old_pod_serves():
    s = booted()
    old = coredns_pods(s)
    edit(s, BROKEN)
    s.feed("kubectl rollout restart -n kube-system deployment/coredns")
    s.cluster.run_for(60)
    new = [p for p in coredns_pods(s) if p not in old]
    assert len(new) == 2
    for pod in new:
        cs = statuses(s)[pod]
        assert cs["ready"] is False and cs["restartCount"] >= 3
        assert cs["state"]["waiting"]["reason"] == "CrashLoopBackOff"
        assert (cs["lastState"]["terminated"]["reason"], cs["lastState"]["terminated"]["exitCode"]) == ("Error", 1)
        assert logs(s, pod) == REFUSED
        assert "CrashLoopBackOff" in s.feed(f"kubectl get pod -n kube-system {pod}")
    # maxUnavailable 1: one old pod stays, with the Corefile it started with, and answers
    kept = [p for p in coredns_pods(s) if p in old]
    assert len(kept) == 1 and statuses(s)[kept[0]]["ready"] is True
    assert "Address: 10.96." in s.feed(LOOKUP)


def test_with_no_coredns_pod_ready_lookups_fail_and_fixing_the_configmap_heals_them():
    s = booted()
    edit(s, BROKEN)
    s.feed("kubectl delete pod -n kube-system -l k8s-app=kube-dns")
    s.cluster.run_for(60)
    assert all(not cs["ready"] for cs in statuses(s).values())
    slices = [sl for sl in s.cluster.store.list("EndpointSlice", "kube-system")
              if sl["metadata"]["labels"].get("kubernetes.io/service-name") == "kube-dns"]
    assert slices and all(not (e.get("conditions") or {}).get("ready") for sl in slices
                          for e in sl.get("endpoints") or [])
    out = s.feed(LOOKUP)
    assert "Address: 10.96." not in out and "no servers could be reached" in out
    events = s.feed("kubectl get events -n kube-system")
    assert "Back-off restarting failed container coredns" in events
    edit(s, KUBEADM)
    s.cluster.run_for(330)  # (the back-off is at most 5 minutes)
    assert all(cs["ready"] and "running" in cs["state"] for cs in statuses(s).values())
    assert "Address: 10.96." in s.feed(LOOKUP)
    assert all(logs(s, p).startswith(".:53\n") for p in coredns_pods(s))


def test_a_bad_reload_interval_is_refused_in_gos_words():
    s = booted()
    edit(s, KUBEADM.replace("    reload\n", "    reload 5\n"))
    s.feed("kubectl delete pod -n kube-system -l k8s-app=kube-dns")
    s.cluster.run_for(30)
    for pod in coredns_pods(s):
        assert logs(s, pod) == 'plugin/reload: time: missing unit in duration "5"\n'


def test_corefile_durations_are_read_as_go_reads_them():
    def health(value: str) -> str:
        return KUBEADM.replace("lameduck 5s", f"lameduck {value}")
    with pytest.raises(CorefileError, match=r"^plugin/health: unable to parse lameduck duration value: '5' : "
                                            r'time: missing unit in duration "5"$'):
        load_corefile(health("5"))
    with pytest.raises(CorefileError, match=r"^plugin/health: /etc/coredns/Corefile:4 - Error during parsing: Wrong "
                                            r"argument count or unexpected line ending after 'lamduck'$"):
        load_corefile(KUBEADM.replace("lameduck 5s", "lamduck 5s"))
    with pytest.raises(CorefileError, match=r'^plugin/reload: time: unknown unit "d" in duration "1d"$'):
        load_corefile(KUBEADM.replace("    reload\n", "    reload 1d\n"))
    with pytest.raises(CorefileError, match=r"^plugin/reload: jitter value must be greater or equal to 1s$"):
        load_corefile(KUBEADM.replace("    reload\n", "    reload 30s 500ms\n"))
    assert load_corefile(KUBEADM.replace("    reload\n", "    reload 1m30s\n")).reload == 90.0
    load_corefile(health("1.5s"))
