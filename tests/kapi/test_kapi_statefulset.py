"""A StatefulSet through the real kubectl against `svcflow serve`: apply, get (the Table's
NAME READY AGE, -o wide's CONTAINERS IMAGES), `get all`, scale (the scale subresource),
rollout status and restart, the API server's refusal of a fixed field, delete (the pods
garbage-collected); each `get` equal to svcflow's own kubectl."""
from __future__ import annotations

from engine.kubectl.session import Session
from tests.helpers import SAMPLES
from tests.served import served_samples

served = served_samples()

WEB = """\
apiVersion: v1
kind: Service
metadata:
  name: web
  labels:
    app: nginx
spec:
  clusterIP: None
  selector:
    app: nginx
  ports:
    - name: web
      port: 80
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: web
  replicas: 2
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
        - name: nginx
          image: nginx:1.27
          ports:
            - name: web
              containerPort: 80
"""


def pods(served) -> list[str]:
    return served.call(lambda: sorted(p["metadata"]["name"] for p in served.cluster.store.list("Pod", "default")
                                      if p["metadata"]["name"].startswith("web-")))


def twin(served, line: str) -> str:
    """svcflow's own kubectl on the served cluster."""
    return served.call(lambda: Session(served.cluster, cwd=SAMPLES.parent).feed(line))


async def test_a_statefulset_through_the_real_kubectl(served, kubectl, tmp_path):
    f = tmp_path / "web.yaml"
    f.write_text(WEB)
    assert await kubectl("apply", "-f", str(f)) == (0, "service/web created\nstatefulset.apps/web created\n", "")
    assert pods(served) == ["web-0", "web-1"]
    code, out, err = await kubectl("get", "sts")
    assert (code, err) == (0, "") and out == twin(served, "kubectl get sts")
    assert out.splitlines()[0].split() == ["NAME", "READY", "AGE"] and out.splitlines()[1].split()[:2] == [
        "web", "2/2"]
    code, out, _ = await kubectl("get", "sts", "-o", "wide")
    assert out.splitlines()[0].split() == ["NAME", "READY", "AGE", "CONTAINERS", "IMAGES"]
    assert out.splitlines()[1].split()[3:] == ["nginx", "nginx:1.27"] and out == twin(served, "kubectl get sts -o wide")
    code, out, _ = await kubectl("get", "all")
    assert "\nstatefulset.apps/web   2/2  " in out and out == twin(served, "kubectl get all")
    code, out, _ = await kubectl("get", "pod", "web-0", "-o",
                                 "jsonpath={.spec.hostname}.{.spec.subdomain} {.metadata.labels}")
    assert out.startswith("web-0.web {") and '"statefulset.kubernetes.io/pod-name":"web-0"' in out
    assert '"apps.kubernetes.io/pod-index":"0"' in out and '"controller-revision-hash":"web-' in out

    assert await kubectl("rollout", "status", "sts/web") == (
        0, "partitioned roll out complete: 2 new pods have been updated...\n", "")
    assert await kubectl("scale", "sts", "web", "--replicas=3") == (0, "statefulset.apps/web scaled\n", "")
    assert pods(served) == ["web-0", "web-1", "web-2"]
    code, out, _ = await kubectl("get", "sts", "web", "-o", "jsonpath={.status.readyReplicas}/{.spec.replicas}")
    assert out == "3/3"
    uids = served.call(lambda: {p["metadata"]["name"]: p["metadata"]["uid"]
                                for p in served.cluster.store.list("Pod", "default")})
    assert await kubectl("rollout", "restart", "sts/web") == (0, "statefulset.apps/web restarted\n", "")
    assert await kubectl("rollout", "status", "sts/web") == (
        0, "partitioned roll out complete: 3 new pods have been updated...\n", "")
    after = served.call(lambda: {p["metadata"]["name"]: p["metadata"]["uid"]
                                 for p in served.cluster.store.list("Pod", "default")})
    assert all(after[n] != uids[n] for n in ("web-0", "web-1", "web-2"))
    code, out, _ = await kubectl("get", "sts", "web", "-o",
                                 "jsonpath={.status.currentRevision}={.status.updateRevision} "
                                 "{.status.updatedReplicas} {.status.observedGeneration}")
    current, rest = out.split("=", 1)
    assert rest == f"{current} 3 3"

    f.write_text(WEB.replace("serviceName: web", "serviceName: other"))
    code, out, err = await kubectl("apply", "-f", str(f))
    assert (code, out) == (1, "service/web unchanged\n") and err == (
        'The StatefulSet "web" is invalid: spec: Forbidden: updates to statefulset spec for fields other than '
        "'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', "
        "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden\n")
    assert twin(served, f"kubectl apply -f {f}") == out + err

    assert await kubectl("delete", "sts", "web") == (0, 'statefulset.apps "web" deleted\n', "")
    assert pods(served) == []


NGINX = WEB.replace("  name: web\n  labels:", "  name: nginx\n  labels:").replace("serviceName: web", "serviceName: nginx")


async def test_each_pod_answers_on_its_own_dns_name(served, kubectl, tmp_path):
    """The docs' lesson (StatefulSet basics): StatefulSet `web` behind the headless Service
    `nginx`; each pod's endpoint carries its hostname and `web-N.nginx.default.svc.cluster.local`
    answers that pod's IP, asked from another pod."""
    f = tmp_path / "nginx.yaml"
    f.write_text(NGINX)
    assert await kubectl("apply", "-f", str(f)) == (0, "service/nginx created\nstatefulset.apps/web created\n", "")
    code, out, _ = await kubectl("get", "endpointslices", "-l", "kubernetes.io/service-name=nginx", "-o",
                                 "jsonpath={range .items[*].endpoints[*]}{.hostname}={.addresses[0]} {end}")
    ips = served.call(lambda: {n: served.cluster.store.get("Pod", "default", n)["status"]["podIP"]
                               for n in ("web-0", "web-1")})
    assert sorted(out.split()) == [f"web-0={ips['web-0']}", f"web-1={ips['web-1']}"]
    assert (await kubectl("run", "dbg", "--image=busybox:1.36", "--restart=Never", "--", "sleep", "3600"))[0] == 0
    for n in ("web-0", "web-1"):
        code, out, err = await kubectl("exec", "dbg", "--", "nslookup", f"{n}.nginx.default.svc.cluster.local")
        assert code == 0 and f"Name:\t{n}.nginx.default.svc.cluster.local\nAddress: {ips[n]}\n" in out, (out, err)
    code, out, _ = await kubectl("exec", "web-1", "--", "hostname")
    assert (code, out) == (0, "web-1\n")
    assert (await kubectl("delete", "-f", str(f)))[0] == 0
