"""A container's Service variables are fixed when the kubelet starts it (tester5 #3): a
Service made later is not in a running pod's environment, a deleted one stays, a restarted
container sees the Services of its restart; every pod, whatever its namespace, has the API
server's KUBERNETES_SERVICE_* (getServiceEnvVarMap)."""
from __future__ import annotations

from engine.cluster.cluster import Cluster
from engine.kubectl.session import Session
from tests.helpers import SAMPLES, apply_yaml

LATE = """apiVersion: v1
kind: Service
metadata: {name: late}
spec: {selector: {app: late}, ports: [{port: 1234}]}
"""


def test_service_variables_are_the_ones_of_the_containers_start():
    c = Cluster(deterministic=True)
    s = Session(c, cwd=SAMPLES, settle=True)
    s.feed("kubectl apply -f .")
    apply_yaml(c, LATE)
    redis_ip = c.store.get("Service", "default", "redis")["spec"]["clusterIP"]
    assert s.feed("kubectl exec deploy/counter -- printenv LATE_SERVICE_HOST") == "command terminated with exit code 1\n"
    s.feed("kubectl delete svc redis")
    assert s.feed("kubectl exec deploy/counter -- printenv REDIS_SERVICE_HOST") == f"{redis_ip}\n"
    # a new pod (the rollout's) is started with the Services of now
    s.feed("kubectl rollout restart deploy/counter")
    c.run_for(60)
    late_ip = c.store.get("Service", "default", "late")["spec"]["clusterIP"]
    pod = next(p for p in c.store.list("Pod", "default")
               if p["metadata"]["name"].startswith("counter-") and not p["metadata"].get("deletionTimestamp"))
    assert s.feed(f"kubectl exec {pod['metadata']['name']} -- printenv LATE_SERVICE_HOST") == f"{late_ip}\n"
    assert "command terminated" in s.feed(f"kubectl exec {pod['metadata']['name']} -- printenv REDIS_SERVICE_HOST")


def test_a_pod_in_another_namespace_has_the_api_servers_variables():
    c = Cluster(deterministic=True)
    s = Session(c, settle=True)
    s.feed("kubectl create namespace other")
    s.feed("kubectl run box -n other --image=busybox -- sleep 3600")
    c.run_for(30)
    assert s.feed("kubectl exec -n other box -- printenv KUBERNETES_SERVICE_HOST KUBERNETES_SERVICE_PORT") == \
        "10.96.0.1\n443\n"
