"""busybox 1.36's nslookup exit status (networking/nslookup.c): 1 as soon as one reply is not
NOERROR (`G.exitcode = EXIT_FAILURE` after `** server can't find`), 1 when no server answers,
0 otherwise -- so `nslookup redis` fails on the search list's NXDOMAINs even though it printed
the address, and `&&`/`$?` in a pod's shell see it."""
from __future__ import annotations

from engine.cluster.cluster import Cluster
from engine.kubectl.session import Session
from tests.helpers import SAMPLES


def _session() -> Session:
    s = Session(Cluster(deterministic=True), cwd=SAMPLES)
    s.feed("kubectl apply -f counter-redis-svc.yml")
    s.feed("kubectl run box --image=busybox:1.36 -- sleep 36000")
    s.cluster.run_until_idle()
    return s


def test_an_nxdomain_among_the_replies_exits_1_a_full_name_exits_0():
    s = _session()
    out = s.feed("kubectl exec box -- sh -c 'nslookup redis >/dev/null; echo $?'")
    assert out == "1\n"
    out = s.feed("kubectl exec box -- sh -c 'nslookup redis.default.svc.cluster.local >/dev/null; echo $?'")
    assert out == "0\n"
    out = s.feed("kubectl exec box -- nslookup nope.default.svc.cluster.local")
    assert out.endswith("** server can't find nope.default.svc.cluster.local: NXDOMAIN\n\n"
                        "command terminated with exit code 1\n")


def test_no_server_answering_exits_1():
    s = _session()
    s.feed("kubectl scale -n kube-system deployment/coredns --replicas=0")
    s.cluster.run_for(60)
    out = s.feed("kubectl exec box -- nslookup redis")
    assert out.endswith("command terminated with exit code 1\n")
