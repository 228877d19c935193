"""kubectl's write commands at svcflow's prompt: `-o name|yaml|json` and `--dry-run` on apply,
create (-f and the generators), run, expose, scale, label, delete and rollout undo.

The oracle is the REAL kubectl against `svcflow serve`: each line runs there and at the
prompt of a session over an equal cluster, and both must print the same bytes (and leave
their clusters alike: later lines see what earlier ones made). The one difference allowed is
a server dry run's UID: kube-apiserver draws a random one for an object it does not keep,
and so do both svcflow's.
"""
from __future__ import annotations

import re
import shlex

import pytest

from engine.apply.workspace import cluster_from_paths
from engine.kubectl.session import Session
from tests.helpers import SAMPLES
from tests.served import Kubectl, as_terminal, require_kubectl_for_served, served_samples

served = served_samples()

_RANDOM_UID = re.compile(r'(uid: |"uid": ")[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')


def _masked(text: str, line: str) -> str:
    return _RANDOM_UID.sub(r"\1<random>", text) if "--dry-run=server" in line else text


@pytest.fixture(scope="module")
def kubectl(served, tmp_path_factory) -> Kubectl:
    """The real kubectl with one discovery cache for the module (writes change no API
    resource), run as the binary the dispatcher picks for the served v1.33.1: the module runs
    it some 200 times."""
    k = Kubectl(served, tmp_path_factory.mktemp("kubectl"))
    k.binary = require_kubectl_for_served()
    return k


@pytest.fixture(scope="module")
def twin() -> Session:
    """svcflow's own prompt over a cluster equal to the served one (the same writes reach both)."""
    return Session(cluster_from_paths([SAMPLES], deterministic=True)[0], cwd=SAMPLES.parent)


async def _same(kubectl, twin: Session, lines: list[str]) -> None:
    for line in lines:
        code, out, err = await kubectl(*shlex.split(line)[1:])
        real = as_terminal(out, err)
        assert _masked(twin.feed(line), line) == _masked(real, line), line


async def test_the_generators_of_create_print_what_kubectl_prints(kubectl, twin):
    """`create deployment|service ...|namespace|configmap|serviceaccount`: the object kubectl
    builds (a client dry run: Go's `creationTimestamp: null`, `resources: {}`, `status: {}`,
    `-o json` in the struct's order), the API server's answer (defaulted, allocated; not kept
    for a server dry run), and kubectl's errors, before and after the request."""
    await _same(kubectl, twin, [
        "kubectl create deployment web --image=nginx",
        "kubectl create deployment web --image=nginx",
        "kubectl create deployment web2 --image=nginx --dry-run=client -o yaml",
        "kubectl create deployment web2 --image=nginx --replicas=3 --port=80 --dry-run=client -o json",
        "kubectl create deployment web2 --image=busybox -n kube-system --dry-run=client -o yaml -- sleep 3600",
        "kubectl create deployment web2 --image=nginx --dry-run=server -o yaml",
        "kubectl create deploy web3 --image=nginx -o name",
        "kubectl create deployment web4 --image=nginx --image=redis -o json",
        "kubectl create deployment web5",
        "kubectl create deployment",
        "kubectl create deployment d1 --image=nginx -r x",
        "kubectl create deployment d1 --image=nginx --replicas=99999999999",
        "kubectl create deployment Bad --image=nginx",
        "kubectl create deployment multi --image=nginx --image=redis -- sleep 1",
        "kubectl create deployment d2 --image=nginx -o yaml --dry-run=bogus",
        "kubectl create deployment d3 --image=nginx -n nope",
        "kubectl create deployment web6 --image=nginx -o jsonpath={.spec.replicas}",
        "kubectl create deployment web6 --image=nginx -o wide",
        "kubectl create service clusterip web --tcp=80:8080",
        "kubectl create service clusterip web --tcp=80:8080",
        "kubectl create service clusterip web2 --tcp=80:8080 --tcp=443 --dry-run=client -o yaml",
        "kubectl create service nodeport np --tcp=80:http --node-port=30080 -o json",
        "kubectl create service nodeport np2 --tcp=80 --node-port=31000 --dry-run=server -o yaml",
        "kubectl create service nodeport np3 --tcp=80 --node-port=99999",
        "kubectl create service loadbalancer lb --tcp=80 --dry-run=server -o yaml",
        "kubectl create service externalname ex --external-name=example.com -o yaml",
        "kubectl create svc clusterip hl --clusterip=None --dry-run=client -o yaml",
        "kubectl create service clusterip bad --tcp=x:80",
        "kubectl create service clusterip bad --tcp=80:99999",
        "kubectl create service nodeport bad --clusterip=None",
        "kubectl create service clusterip nop",
        "kubectl create service clusterip s1 --tcp=80:8080 -n nope",
        "kubectl create namespace team -o yaml",
        "kubectl create ns team2 --dry-run=client -o yaml",
        "kubectl create ns team -o name",
        "kubectl create ns bad_ns",
        "kubectl create ns default",
        "kubectl create configmap cfg --from-literal=a=1 --from-literal=b=x,y -o yaml",
        "kubectl create cm cfg2 --from-literal=bad --dry-run=client -o yaml",
        "kubectl create configmap cfg3 --dry-run=client -o yaml",
        "kubectl create configmap c4 --from-literal=a=1 --from-literal=a=2",
        "kubectl create configmap c5 '--from-literal=bad key=1'",
        "kubectl create serviceaccount bot -o yaml",
        "kubectl create sa bot2 --dry-run=client -o json",
        "kubectl create sa default",
        "kubectl get deploy,svc,cm,sa,ns -o name",
    ])


async def test_expose_prints_what_kubectl_prints(kubectl, twin):
    """`kubectl expose`: the selector, ports, protocols and labels taken from the object,
    `--port/--target-port/--type/--name/--protocol/--selector/--labels/--cluster-ip`, and
    kubectl's refusals."""
    await _same(kubectl, twin, [
        "kubectl expose deploy counter --port 80",
        "kubectl expose deploy counter --port 80",
        "kubectl expose deploy redis --name=r2 -o yaml",
        "kubectl expose deploy redis --name=r3 --port=6380 --target-port=6379 --type=NodePort --dry-run=client -o yaml",
        "kubectl expose deploy redis --name=r4 --dry-run=server -o json",
        "kubectl expose svc redis --name=r5 -o yaml",
        "kubectl expose svc web --name=web-copy -o json",
        "kubectl expose deploy counter --name=c2",
        "kubectl expose deploy nope --port 80",
        "kubectl expose deploy",
        "kubectl expose",
        "kubectl expose deploy/redis --name=r6 -o name",
        "kubectl expose pod -l app=redis",
        "kubectl expose sts web --port 80",
        "kubectl expose deploy redis --name=r7 --protocol=UDP --dry-run=client -o yaml",
        "kubectl expose deploy redis --name=r8 --session-affinity=Bogus",
        "kubectl expose deploy redis --name=r9 --selector=app=redis,tier=x --labels=a=b --dry-run=client -o yaml",
        "kubectl expose deploy redis --name=r10 --type=LoadBalancer -o yaml",
        "kubectl expose deploy redis --name=r11 --port=abc",
        "kubectl expose deploy redis --name=r12 --cluster-ip=None --dry-run=client -o yaml",
        "kubectl expose deploy redis --name=r13 --port=6379 --target-port=redis -o yaml",
        "kubectl run web-pod --image=nginx",
        "kubectl expose pod web-pod --port 80 -o yaml",
        "kubectl expose deploy web --port 80 --type=NodePort -o yaml",
        "kubectl get svc -o name",
    ])


async def test_create_f_and_apply_print_what_kubectl_prints(kubectl, twin):
    """`create -f` (each object as it is created, the API's refusals named by their file) and
    `apply -o` (several objects as one List)."""
    await _same(kubectl, twin, [
        "kubectl create -f samples/counter-nodeport.yml",
        "kubectl create -f samples/counter-nodeport.yml --dry-run=client -o yaml",
        "kubectl create -f samples/counter-app.yml --dry-run=server -o name",
        "kubectl create -f samples/",
        "kubectl create -f nope.yml",
        "kubectl create -f samples/ -l tier=db --dry-run=client -o name",
        "kubectl create -f samples/ -l app=nope",
        "kubectl create -f samples/ -l '(' -o name",
        "kubectl create -f samples/ -l tier!=db --dry-run=server -o name",
        "kubectl create -f samples/counter-nodeport.yml -o yaml -n kube-system",
        "kubectl create",
        "kubectl apply -f samples/ -o name",
        "kubectl apply -f samples/ -o yaml --dry-run=client",
        "kubectl apply -f samples/ -o json --dry-run=client",
        "kubectl apply -f samples/ -o yaml --dry-run=server",
        "kubectl apply -f samples/counter-nodeport.yml -o yaml",
        "kubectl apply -f samples/ -o wide",
    ])


async def test_run_scale_label_delete_and_undo_print_what_kubectl_prints(kubectl, twin, tmp_path):
    """`-o` on the writes svcflow ran before: run's pod (client-built or answered), scale's and
    rollout undo's object as read before the write, label's as its labelFunc changed it,
    delete's `-o name` (and its refusal of any other format)."""
    changed = tmp_path / "counter-nginx.yml"
    changed.write_text((SAMPLES / "counter-app.yml").read_text().replace("ghcr.io/subicura/counter:latest", "nginx"))
    await _same(kubectl, twin, [
        "kubectl run t --image=busybox --dry-run=client -o yaml",
        "kubectl run t --image=busybox --dry-run=client -o json",
        "kubectl run t --image=busybox -n kube-system --dry-run=client -o yaml",
        "kubectl run t --image=busybox --restart=Never --dry-run=server -o yaml",
        "kubectl run t --image=busybox -o name",
        "kubectl run t2 --image=nginx -o json -- sleep 10",
        "kubectl run t4 --image=nginx -o yaml -n kube-system",
        "kubectl run t6 --image=nginx -o bogus",
        "kubectl run w1 --image=nginx --port=80 --dry-run=client -o yaml",
        "kubectl run w2 --image=nginx --port=80 -l app=web,tier=fe --env=A=1 --env=B=x=y -o yaml",
        "kubectl run w3 --image=nginx --port=abc",
        "kubectl run w3 --image=nginx --env=1BAD=x",
        "kubectl run w3 --image=nginx --env=NOEQ",
        "kubectl run w3 --image=nginx -l bad",
        "kubectl run w3 --image=nginx --replicas=2",
        "kubectl run w3 --image=nginx --port=0 --dry-run=client -o json",
        "kubectl expose pod w2 --port=8080 -o yaml",
        "kubectl run e1 --image=nginx --port=80 --expose",
        "kubectl run e1 --image=nginx --port=80 --expose",
        "kubectl run e2 --image=nginx --port=80 --expose --dry-run=client -o yaml",
        "kubectl run e3 --image=nginx --expose",
        "kubectl run e4 --image=nginx --port=80 --expose -l app=e4,x=y -o json",
        "kubectl run e5 --image=nginx --port=80 --expose --dry-run=server -o name",
        "kubectl run e6 --image=nginx --port=80 --expose -o yaml",
        "kubectl run e7 --image=nginx --port=80 --expose -n kube-system --dry-run=client -o json",
        "kubectl scale deploy/counter --replicas=2 -o name",
        "kubectl scale deploy/counter --replicas=3 -o yaml",
        "kubectl scale deploy/counter deploy/redis --replicas=1 -o yaml --dry-run=client",
        "kubectl scale deploy/counter --replicas=1 -o json --dry-run=server",
        "kubectl scale deploy/counter --replicas=2 -o jsonpath={.spec.replicas}",
        "kubectl scale deploy/counter --replicas=1 -o wide",
        "kubectl label pod -l app=nope x=y",
        "kubectl label deploy counter x=y -o name",
        "kubectl label deploy counter x=z --overwrite -o yaml",
        "kubectl label deploy counter redis x- -o yaml --dry-run=client",
        # (not `counter redis x-`: redis has no x, and the served API counts that patch's new
        # managedFields entry as a write -- a resourceVersion -- where the prompt, which records
        # no managedFields, writes nothing; what the line prints is the same either way)
        "kubectl label deploy counter x- -o json",
        "kubectl label deploy -l app=counter y=1 -o name --dry-run=server",
        "kubectl delete svc counter-np -o name --dry-run=client",
        "kubectl delete svc counter-np -o yaml --dry-run=server",
        f"kubectl apply -f {changed} -o name",
        "kubectl rollout undo deploy/counter -o yaml",
        "kubectl rollout undo deploy/counter --dry-run=client -o name",
        "kubectl rollout undo deploy/counter --dry-run=server -o json",
        "kubectl delete deploy counter -o name",
        "kubectl get deploy,po,svc -o name",
    ])


async def test_odd_lines_get_kubectls_own_words(kubectl, twin):
    """Flags of the wrong type or without a value, missing arguments, bad selectors and ports:
    each refused as the real kubectl refuses it, before or after its request."""
    await _same(kubectl, twin, [
        "kubectl create deployment x --image=nginx --port=abc",
        "kubectl create deployment x --image=nginx extra",
        "kubectl create deployment x --image=nginx --bogus",
        "kubectl create deployment web7 --image=nginx:1.25 -o yaml --dry-run=client",
        "kubectl create service",
        "kubectl create svc -n default",
        "kubectl create svc --tcp=80",
        "kubectl create service bogus x",
        "kubectl create -n kube-system deployment x --image=nginx --dry-run=client -o yaml",
        "kubectl -n kube-system create deployment x --image=nginx --dry-run=client -o yaml",
        "kubectl create --dry-run=client -o name deployment y --image=nginx",
        "kubectl create --dry-run=client -o name svc -n default clusterip z --tcp=80",
        "kubectl create -o yaml",
        "kubectl -n kube-system expose deploy coredns --port 53 --name=dns2 --dry-run=client -o yaml",
        "kubectl create service clusterip",
        "kubectl create -f",
        "kubectl create cm",
        "kubectl create ns",
        "kubectl create ns a b",
        "kubectl expose deploy redis --name=x1 --port=80 --target-port=",
        "kubectl expose deploy redis --name=x2 --selector=bad",
        "kubectl expose deploy redis --name=x3 --selector=a=b=c",
        "kubectl expose deploy redis --name=x4 --port=80,81 -o yaml --dry-run=client",
        "kubectl expose deploy redis --name=Bad_Name",
        "kubectl expose deploy redis --name=x5 --type=Bogus",
        "kubectl expose deploy redis --name=x6 --external-ip=1.2.3.4 -o yaml --dry-run=client",
        "kubectl expose deploy redis -x",
        "kubectl apply -f samples/ -o",
        "kubectl apply -f samples/ --output",
        "kubectl apply -f samples/ -ojson --dry-run=client",
        "kubectl apply -f samples/ --output=name",
        "kubectl run t --image=nginx -o",
        "kubectl create deployment x --image=",
        "kubectl expose deploy redis --port=",
        "kubectl create service nodeport x --tcp=80 --node-port=abc",
        "kubectl create configmap x --from-literal==v",
        "kubectl expose svc kubernetes --name=k2 --dry-run=client -o yaml",
        "kubectl create -f samples/ -o jsonpath={",
        "kubectl run x --image=nginx -o jsonpath={.x",
        "kubectl create deployment x2 --image=nginx --",
        "kubectl create deployment x3 --image=nginx -o jsonpath={.metadata.name}{\"\\n\"} --dry-run=client",
        "kubectl expose node kind-control-plane --port 80",
        "kubectl expose deploy redis --name=x4 --port=-1",
        "kubectl expose deploy redis --name=x5 --target-port=99999999999 --dry-run=client -o yaml",
        "kubectl create service clusterip x6 --tcp=,",
        "kubectl create service clusterip x7 --tcp=80:8080:9090 --dry-run=client -o yaml",
        "kubectl create deployment x8 --image=nginx --replicas=-1",
        "kubectl create deployment x9 --image=nginx --port=-5 --dry-run=client -o yaml",
        'kubectl create namespace ""',
        'kubectl create deployment "" --image=nginx',
        'kubectl create service clusterip "" --tcp=80',
        'kubectl create cm ""',
        'kubectl create sa ""',
        'kubectl run "" --image=nginx',
        'kubectl create namespace "" --dry-run=client -o yaml',
        'kubectl create deployment "" --image=nginx --dry-run=client -o name',
    ])


def test_what_the_prompt_cannot_do_is_said_never_guessed(twin):
    """A generator's random suffix (an image named `a.b_c`), files of the learner's machine,
    `--overrides`, go-templates and the generators svcflow lacks are refused in words that
    point at the real kubectl; nothing is created or changed."""
    before = twin.feed("kubectl get deploy,cm,svc,po -o yaml")
    for line, says in (("kubectl create deployment x --image=a.b_c", "adds a random suffix"),
                       ("kubectl create configmap x --from-file=y", "takes --from-literal only"),
                       ("kubectl expose deploy redis --overrides={}", "does not take --overrides"),
                       ("kubectl create secret generic x", "does not run `kubectl create secret`"),
                       ("kubectl run x --image=nginx --annotations=a=b", "does not take --annotations"),
                       ("kubectl create deployment x --image=nginx --template={{.metadata.name}}",
                        "does not print -o go-template"),
                       ("kubectl scale deploy/redis --replicas=1 -o go-template={{.metadata.name}}",
                        "does not print -o go-template")):
        out = twin.feed(line)
        assert out.startswith("error: svcflow") and says in out and "svcflow serve" in out, (line, out)
    assert twin.feed("kubectl get deploy,cm,svc,po -o yaml") == before


_IN_KUBE_SYSTEM = """apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg-ns
  namespace: kube-system
data:
  a: "1"
"""
_UNKNOWN_THEN_KNOWN = """apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-after
"""


async def test_create_f_of_a_learners_files_and_apply_after_it(kubectl, twin, tmp_path):
    """`create -f` refuses a file's namespace that -n contradicts (the resource builder's
    words), reports an unknown kind and still creates the rest, names a port out of range by
    its file, and asks the server for the field validation --validate names (an unknown field
    refused, warned of or dropped); `apply` of what `create` made warns that the last-applied
    annotation is missing; `apply -n` puts the objects in that namespace and refuses a file's
    other one, applying the rest."""
    (tmp_path / "ns.yml").write_text(_IN_KUBE_SYSTEM)
    (tmp_path / "unknown.yml").write_text(_UNKNOWN_THEN_KNOWN)
    (tmp_path / "bad.yml").write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: badsvc\nspec:\n  ports:\n"
                                      "  - port: 80000\n")
    (tmp_path / "typo.yml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-typo\ndataa:\n  a: b\n")
    await _same(kubectl, twin, [
        f"kubectl create -f {tmp_path}/ns.yml -n default",
        f"kubectl create -f {tmp_path}/ns.yml -o name",
        f"kubectl create -f {tmp_path}/bad.yml",
        f"kubectl create -f {tmp_path}/unknown.yml -o name",
        f"kubectl create -f {tmp_path}/typo.yml",
        f"kubectl create -f {tmp_path}/ns.yml -f {tmp_path}/bad.yml",
        f"kubectl apply -f {tmp_path}/ns.yml -o jsonpath={{.metadata.name}}",
        f"kubectl apply -f {tmp_path}/ns.yml -o name",
        "kubectl create configmap cm-x",
        f"kubectl apply -f {tmp_path}/unknown.yml --dry-run=server",
        f"kubectl apply -f {tmp_path}/unknown.yml",
        f"kubectl create -f {tmp_path}/typo.yml --validate=false -o yaml",
        "kubectl delete cm cm-typo",
        f"kubectl create -f {tmp_path}/typo.yml --validate=warn -o name",
        f"kubectl create -f {tmp_path}/typo.yml --validate=ignore --dry-run=server -o name",
        f"kubectl create -f {tmp_path}/typo.yml --validate=bogus",
        f"kubectl create -f {tmp_path}/typo.yml --validate=true",
        "kubectl create deployment v1 --image=nginx --validate=false -o name",
        "kubectl expose deploy redis web --port=8080 -o name --dry-run=client",
        "kubectl apply -f samples/counter-nodeport.yml -n kube-system -o name",
        "kubectl -n kube-system apply -f samples/counter-app.yml --dry-run=client -o yaml",
        f"kubectl apply -f {tmp_path}/ns.yml -f samples/counter-app.yml -n default",
        "kubectl apply -f samples/counter-app.yml -n kube-system --dry-run=server -o name",
        "kubectl apply -nkube-system -f samples/counter-app.yml --dry-run=client -o yaml",
        "kubectl get cm -A -o name",
    ])
