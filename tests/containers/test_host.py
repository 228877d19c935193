"""bind-tools' `host` in a pod (tester4 #7): it printed nothing and exited 0 after `apk add
bind-tools`, which reads as "DNS returned nothing"."""
from __future__ import annotations

from engine.apply.workspace import cluster_from_paths
from engine.kubectl.session import Session
from tests.helpers import SAMPLES


def test_host_answers_through_the_search_list_and_says_nxdomain():
    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    s = Session(c)
    s.feed("kubectl exec deploy/counter -- apk add bind-tools")
    ip = c.store.get("Service", "default", "redis")["spec"]["clusterIP"]
    assert s.feed("kubectl exec deploy/counter -- host redis") == f"redis.default.svc.cluster.local has address {ip}\n"
    assert s.feed("kubectl exec deploy/counter -- host nosuch") == (
        "Host nosuch not found: 3(NXDOMAIN)\ncommand terminated with exit code 1\n")
    assert s.feed("kubectl exec deploy/counter -- dig +short redis.default.svc.cluster.local") == f"{ip}\n"
