"""nginx's log as the official image writes it (tester5 #24): the entrypoint's and nginx's
start-up lines, then one `combined` access-log line per request -- from the client's address
and with its User-Agent, in the log of the pod kube-proxy picked."""
from __future__ import annotations

import re

from engine.cluster.cluster import Cluster
from engine.kubectl.session import Session
from tests.helpers import SAMPLES, apply_yaml

WEB = """apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec: {containers: [{name: nginx, image: nginx, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
"""


def test_nginx_logs_its_start_and_each_request():
    c = Cluster(deterministic=True)
    s = Session(c, cwd=SAMPLES, settle=True)
    s.feed("kubectl apply -f .")
    apply_yaml(c, WEB)
    counter = next(p for p in c.store.list("Pod", "default") if p["metadata"]["name"].startswith("counter-"))
    s.feed("kubectl exec deploy/counter -- wget -qO- -T 2 web")
    s.feed("kubectl exec deploy/counter -- wget -qO- -T 2 web/nope")
    s.feed("kubectl exec -it deploy/counter -- sh")
    s.feed("apk add curl")
    s.feed("curl -s web >/dev/null")
    s.feed("exit")
    log = s.feed("kubectl logs web").splitlines()
    assert log[0] == "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration"
    assert "/docker-entrypoint.sh: Configuration complete; ready for start up" in log
    assert any(re.fullmatch(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[notice\] 1#1: nginx/1\.27\.5", line) for line in log)
    ip = counter["status"]["podIP"]
    access = [line for line in log if line.startswith(f"{ip} - - [")]
    assert [re.sub(r"\[[^]]+\]", "[T]", line) for line in access] == [
        f'{ip} - - [T] "GET / HTTP/1.1" 200 615 "-" "Wget" "-"',
        f'{ip} - - [T] "GET /nope HTTP/1.1" 404 153 "-" "Wget" "-"',
        f'{ip} - - [T] "GET / HTTP/1.1" 200 615 "-" "curl/8.12.1" "-"']
