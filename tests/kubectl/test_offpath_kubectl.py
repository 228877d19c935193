"""Off the tutorial's path (issue 13): session and `:` prompt lines answered as kubectl, curl
and busybox answer them, with their messages and exit codes, and never a traceback."""
from __future__ import annotations

import io
import re
import time

import pytest

from engine.api import labels
from engine.apply.workspace import cluster_from_paths
from engine.cluster.cluster import Cluster
from engine.kubectl import commands as kubectl
from engine.kubectl.session import Session, generate_services
from tests.helpers import ROOT, SAMPLES
from tui.cli import main

SEE_SCALE = "See 'kubectl scale --help' for usage.\n"


@pytest.fixture
def s() -> Session:
    sess = Session(Cluster(deterministic=True), cwd=SAMPLES)
    sess.feed("kubectl apply -f .")
    return sess


def k(s: Session, line: str) -> kubectl.Output:
    return kubectl.run_line(s.cluster, line)


def test_replicas_is_parsed_as_pflag_parses_an_int(s):
    out = k(s, "scale deploy/redis --replicas=abc")
    assert (out.code, out.stdout) == (1, "")
    assert out.stderr == ('error: invalid argument "abc" for "--replicas" flag: strconv.ParseInt: parsing "abc": '
                          "invalid syntax\n" + SEE_SCALE)
    assert s.feed("kubectl scale deploy/redis --replicas=") == (
        'error: invalid argument "" for "--replicas" flag: strconv.ParseInt: parsing "": invalid syntax\n' + SEE_SCALE)
    assert s.feed("kubectl scale deploy/redis --replicas") == "error: flag needs an argument: --replicas\n" + SEE_SCALE
    assert s.feed("kubectl scale deploy/redis --replicas=99999999999999999999") == (
        'error: invalid argument "99999999999999999999" for "--replicas" flag: strconv.ParseInt: parsing '
        '"99999999999999999999": value out of range\n' + SEE_SCALE)
    out = k(s, "scale deploy/redis --replicas=-1")
    assert (out.code, out.stderr) == (
        1, "error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0\n")
    assert s.cluster.store.get("Deployment", "default", "redis")["spec"]["replicas"] == 1


def test_replicas_beyond_int32_is_refused_at_once_by_the_api_server(s):
    t = time.monotonic()
    out = k(s, "scale deploy/redis --replicas=999999999999")
    assert time.monotonic() - t < 2
    assert out.code == 1 and out.stdout == ""
    assert out.stderr.startswith('error: The request is invalid: patch: Invalid value: "{\\"apiVersion\\":'
                                 '\\"autoscaling/v1\\",\\"kind\\":\\"Scale\\"')
    assert out.stderr.endswith(": json: cannot unmarshal number 999999999999 into Go struct field "
                               "ScaleSpec.spec.replicas of type int32\n")
    assert s.cluster.store.get("Deployment", "default", "redis")["spec"]["replicas"] == 1


def test_large_valid_replicas_and_go_integer_forms_are_accepted(s):
    assert k(s, "scale deploy/redis --replicas 2000").stdout == "deployment.apps/redis scaled\n"
    assert s.cluster.store.get("Deployment", "default", "redis")["spec"]["replicas"] == 2000
    k(s, "scale deploy/redis --replicas=0x3")  # ParseInt base 0
    assert s.cluster.store.get("Deployment", "default", "redis")["spec"]["replicas"] == 3


def test_scale_with_a_selector_and_all(s):
    assert k(s, "scale deploy -l tier=db --replicas=2").stderr == "error: no objects passed to scale\n"
    k(s, "label deploy redis tier=db")
    assert k(s, "scale deploy -l tier=db --replicas=2").stdout == "deployment.apps/redis scaled\n"
    out = k(s, "scale deploy --all --replicas=1")
    assert out.stdout == "deployment.apps/counter scaled\ndeployment.apps/redis scaled\n"


def test_rollout_restart_of_a_kind_that_cannot_restart(s):
    out = k(s, "rollout restart svc/redis")
    assert (out.code, out.stdout, out.stderr) == (1, "", 'error: services "redis" restarting is not supported\n')
    assert k(s, "rollout restart deploy/redis").stdout == "deployment.apps/redis restarted\n"


@pytest.mark.parametrize("url,msg", [
    ("172.18.0.3:99999", "curl: (3) URL rejected: Port number was not a decimal number between 0 and 65535\n"),
    ("172.18.0.3:-1", "curl: (3) URL rejected: Port number was not a decimal number between 0 and 65535\n"),
    ("172.18.0.3:abc", "curl: (3) URL rejected: Port number was not a decimal number between 0 and 65535\n"),
    ("http://[::1", "curl: (3) URL rejected: Bad IPv6 address\n"),
    ("172.18.0.3:31001", "curl: (7) Failed to connect to 172.18.0.3 port 31001 after 0 ms: Could not connect to server\n"),
])
def test_curl_from_outside_says_what_curl_8_says(s, url, msg):
    assert s.feed(f"curl {url}") == msg


def test_wget_telnet_nc_with_bad_ports_inside_a_pod(s):
    assert s.feed("kubectl exec -it deploy/counter -- sh") == ""
    assert s.feed("wget -qO- redis:99999") == "wget: bad port spec 'redis:99999'\n"
    assert s.feed("wget -qO- redis:abc") == "wget: bad port spec 'redis:abc'\n"
    s.feed("apk add busybox-extras")
    # busybox's bb_lookup_port falls back to telnet's port 23 when the port is not a number
    ip = s.cluster.store.get("Service", "default", "redis")["spec"]["clusterIP"]
    assert s.feed("telnet redis 99999").startswith(f"telnet: can't connect to remote host ({ip}): ")
    assert s.feed("telnet redis abc").startswith(f"telnet: can't connect to remote host ({ip}): ")
    assert s.feed("curl localhost:99999") == "sh: curl: not found\n"
    s.feed("apk add curl")
    assert s.feed("curl localhost:99999") == (
        "curl: (3) URL rejected: Port number was not a decimal number between 0 and 65535\n")


def test_generate_services_stops_where_the_service_range_ends():
    from engine.cluster.topology import build_topology

    kind = {"kind": "Cluster", "apiVersion": "kind.x-k8s.io/v1alpha4", "networking": {"serviceSubnet": "10.96.0.0/24"}}
    c = Cluster(build_topology([kind], []), deterministic=True, bare=True)
    out = generate_services(c, 300)  # a /24 Service CIDR holds 254 addresses
    assert out.code == 1
    made = len([x for x in c.store.list("Service", "default") if x["metadata"]["name"].startswith("filler-")])
    assert made == 254
    assert out.stdout == "254 services created (filler-0001 .. filler-0254)\n"
    # allocIPs: AllocateNext's failure is an InternalError (500), not a field error.
    assert out.stderr == ("Error from server (InternalError): Internal error occurred: "
                          "failed to allocate a serviceIP: range is full\n")


def test_apply_reads_only_the_top_folder_without_recursive(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: deep\n")
    (tmp_path / "notes.txt").write_text("not a manifest\n")
    sess = Session(Cluster(deterministic=True), cwd=tmp_path)
    assert sess.feed("kubectl apply -f .") == "error: no objects passed to apply\n"
    assert sess.feed("kubectl apply -R -f .") == "namespace/deep created\n"
    t = time.monotonic()
    out = sess.feed("kubectl apply -f /")
    assert time.monotonic() - t < 5 and "Traceback" not in out


def test_output_format_and_selector_checks(s):
    out = k(s, "get po -o x")
    assert (out.code, out.stderr) == (1, 'error: unable to match a printer suitable for the output format "x", '
                                         "allowed formats are: custom-columns,custom-columns-file,go-template,"
                                         "go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,"
                                         "template,templatefile,wide,yaml\n")
    out = k(s, "get po -l 'a b'")
    assert (out.code, out.stderr) == (1, 'Error from server (BadRequest): Unable to find "/v1, Resource=pods" that '
                                         'match label selector "a b", field selector "": unable to parse requirement: '
                                         "found 'b', expected: in, notin, =, ==, !=, gt, lt\n")
    assert re.search(r"^redis-\S+\s+1/1\s+Running", k(s, "get po -l 'app in (counter),tier notin (web),!nope'").stdout,
                     re.M)
    assert "counter-" not in k(s, "get po -l 'tier in (db)'").stdout
    out = k(s, "get po --bogus")
    assert out.stderr == "error: unknown flag: --bogus\nSee 'kubectl get --help' for usage.\n"


def test_selector_parser_messages():
    def err(sel):
        with pytest.raises(labels.SelectorError) as e:
            labels.parse(sel)
        return str(e.value)
    assert err("foo=bar=42") == "found '=', expected: ',' or 'end of string'"
    assert err("app:x") .startswith('unable to parse requirement: <nil>: Invalid value: "app:x": name part must')
    assert err("a,") == "found '', expected: identifier after ','"
    assert err("x in (a") == "unable to parse requirement: found '', expected: ',' or ')'"
    assert [r.as_tuple() for r in labels.parse("x in (a,b),!y,z").requirements] == [
        ("x", "in", ["a", "b"]), ("y", "!", []), ("z", "exists", [])]


def test_get_and_describe_without_a_type(s):
    out = k(s, "get")
    assert (out.code, out.stdout) == (1, "")
    assert out.stderr == ('You must specify the type of resource to get. Use "kubectl api-resources" for a complete '
                          "list of supported resources.\n\nerror: Required resource not specified.\nUse \"kubectl "
                          'explain <resource>" for a detailed description of that resource (e.g. kubectl explain '
                          "pods).\nSee 'kubectl get -h' for help and examples\n")
    out = k(s, "describe")
    assert (out.code, out.stderr) == (1, 'error: You must specify the type of resource to describe. Use "kubectl '
                                         'api-resources" for a complete list of supported resources.\n')


def test_delete_all_with_selector_and_exec_container(s):
    out = k(s, "delete po --all -l app=counter")
    assert (out.code, out.stderr) == (1, "error: cannot set --all and --selector at the same time\n")
    pod = next(p for p in s.cluster.store.list("Pod", "default") if p["metadata"]["name"].startswith("counter-"))
    assert s.feed("kubectl exec deploy/counter -c nope -- ls") == (
        f"Error from server (BadRequest): container nope is not valid for pod {pod['metadata']['name']}\n")


def test_drain_cordon_uncordon(s):
    c = s.cluster
    ds = sorted(f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in c.store.list("Pod")
                if p["spec"].get("nodeName") == "kind-worker"
                and any(o.get("kind") == "DaemonSet" for o in p["metadata"].get("ownerReferences") or []))
    assert len(ds) == 2
    refused = "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): " + ", ".join(ds)
    out = k(s, "drain kind-worker")
    assert (out.code, out.stdout) == (1, "node/kind-worker cordoned\n")
    assert out.stderr == (f'error: unable to drain node "kind-worker" due to error: {refused}, continuing command...\n'
                          f"There are pending nodes to be drained:\n kind-worker\n{refused}\n")
    assert c.store.get("Node", "", "kind-worker")["spec"]["unschedulable"] is True
    assert k(s, "cordon kind-worker").stdout == "node/kind-worker already cordoned\n"
    out = k(s, "drain kind-worker --ignore-daemonsets")
    assert out.code == 0 and out.stdout.startswith("node/kind-worker already cordoned\n")
    assert out.stdout.endswith("node/kind-worker drained\n")
    # kubectl's order: the warning before the evictions, every "evicting" line before the "evicted" ones
    assert out.warnings == "Warning: ignoring DaemonSet-managed Pods: " + ", ".join(ds) + "\n"
    lines = out.stdout.splitlines()[1:-1]
    evicting = [ln for ln in lines if ln.startswith("evicting pod ")]
    assert evicting and lines == evicting + [f"pod/{ln.rsplit('/', 1)[1]} evicted" for ln in evicting]
    assert k(s, "uncordon kind-worker").stdout == "node/kind-worker uncordoned\n"
    assert k(s, "uncordon kind-worker").stdout == "node/kind-worker already uncordoned\n"
    assert not c.store.get("Node", "", "kind-worker")["spec"].get("unschedulable")


def test_label_checks_keys_values_and_overwrite(s):
    assert k(s, "label deploy redis a=b=c").stderr == "error: invalid label spec: a=b=c\n"
    out = k(s, "label deploy redis 'x=a b'")
    assert out.code == 1 and out.stderr.startswith('error: invalid label value: "x=a b": a valid label must be')
    out = k(s, "label deploy redis 'bad key=x'")
    assert out.code == 1 and out.stderr.startswith(
        'The Deployment "redis" is invalid: metadata.labels: Invalid value: "bad key": name part must consist of')
    assert k(s, "label deploy redis x=y").stdout == "deployment.apps/redis labeled\n"
    assert k(s, "label deploy redis x=y").stderr == "error: 'x' already has a value (y), and --overwrite is false\n"
    assert k(s, "label deploy redis x=z --overwrite").stdout == "deployment.apps/redis labeled\n"
    assert k(s, "label deploy redis x-").stdout == "deployment.apps/redis unlabeled\n"
    assert k(s, "label deploy redis x-").stdout == 'label "x" not found.\ndeployment.apps/redis not labeled\n'
    assert k(s, "label deploy redis").stderr == "error: at least one label update is required\n"


MALFORMED = [
    "kubectl", "kubectl get -o", "kubectl get po -l", "kubectl get po -l '('", "kubectl get nope/x",
    "kubectl describe po nope", "kubectl scale", "kubectl scale deploy --replicas=1", "kubectl scale foo/x --replicas=1",
    "kubectl scale deploy/redis --replicas=1 --current-replicas=x", "kubectl delete", "kubectl delete po",
    "kubectl delete nope/x", "kubectl label", "kubectl label po", "kubectl label po x=", "kubectl rollout",
    "kubectl rollout status deploy/redis", "kubectl rollout restart", "kubectl rollout restart nope/x",
    "kubectl drain", "kubectl drain nope", "kubectl cordon", "kubectl run", "kubectl run x", "kubectl create",
    "kubectl exec", "kubectl exec -- sh", "kubectl exec nope -- sh", "kubectl exec deploy/counter -c", "kubectl apply",
    "kubectl apply -f", "kubectl apply -f /nope", "kubectl apply --bogus -f .", "kubectl -n", "kubectl frobnicate",
    "curl", "curl ''", "curl http://", "curl ftp://x", "curl '[::1]:80'", "trace", "trace a", "trace deploy/counter x:y",
    "dig", "generate", "generate services", "generate services -1", "exit", "'unterminated", "kubectl get po -o 'jsonpath={'",
    "kubectl get po --all-namespaces=maybe", "kubectl get po -Ao", "kubectl label deploy redis --all -l a=b x=y",
]


def test_no_line_makes_a_traceback(s):
    for line in MALFORMED:
        out = s.feed(line)
        assert "Traceback" not in out and "internal error" not in out, (line, out)
        if line not in ("exit",):
            assert out, line
    assert s.feed("kubectl get deploy redis").startswith("NAME")  # the session still works


def test_feed_turns_an_unexpected_exception_into_one_line(s, monkeypatch):
    def boom(*a, **kw):
        raise KeyError("template")
    monkeypatch.setattr(kubectl, "run_line", boom)
    assert s.feed("kubectl get po") == "svcflow: internal error: KeyError: 'template'\n"


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([*args], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_get_checks_output_and_type_as_kubectl():
    code, out, err = run_cli("get", "po", "-o", "x", "-f", str(ROOT / "samples"), "--deterministic")
    assert code == 1 and out == "" and err.startswith(
        'error: unable to match a printer suitable for the output format "x", allowed formats are: custom-columns,')
    code, out, err = run_cli("get", "-f", str(ROOT / "samples"), "--deterministic")
    assert code == 1 and err.startswith("You must specify the type of resource to get.")
    code, out, err = run_cli("get", "po", "-l", "a b", "-f", str(ROOT / "samples"), "--deterministic")
    assert code == 1 and err.startswith('Error from server (BadRequest): Unable to find "/v1, Resource=pods"')


def test_a_dry_run_at_the_prompt_never_writes():
    """`kubectl delete pods --all --dry-run=server` typed at the `:` prompt once deleted every
    pod. svcflow's own writes now do dry runs as kubectl does: each says what it would do, with
    kubectl's `(server dry run)` / `(dry run)`, and nothing changes (the real kubectl's lines
    against `svcflow serve` are the proof: tests/kapi/test_kapi_dry_run.py)."""
    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    before = {k: sorted(o["metadata"]["name"] for o in c.store.list(k)) for k in ("Pod", "Service", "Deployment")}
    redis_pod = next(p for p in before["Pod"] if p.startswith("redis-"))
    for line, said in (("kubectl delete pods --all --dry-run=server", f'pod "{redis_pod}" deleted (server dry run)\n'),
                       ("kubectl delete svc redis --dry-run=client", 'service "redis" deleted (dry run)\n'),
                       ("kubectl scale deploy/redis --replicas=5 --dry-run=client",
                        "deployment.apps/redis scaled (dry run)\n"),
                       ("kubectl label svc redis a=b --dry-run=server", "service/redis labeled (server dry run)\n")):
        out = kubectl.run_line(c, line)
        assert (out.code, out.stderr) == (0, ""), line
        assert out.stdout.endswith(said), line
    out = kubectl.run_line(c, "kubectl delete svc redis --dry-run=bogus")
    assert (out.code, out.stderr) == (1, 'error: Invalid dry-run value (bogus). Must be "none", "server", or "client".\n')
    out = kubectl.run_line(c, "kubectl rollout restart deploy/redis --dry-run=server")  # (1.33's has no --dry-run)
    assert (out.code, out.stderr) == (1, "error: unknown flag: --dry-run\nSee 'kubectl rollout restart --help' "
                                         "for usage.\n")
    c.run_until_idle()
    assert {k: sorted(o["metadata"]["name"] for o in c.store.list(k)) for k in before} == before
    assert (c.store.get("Service", "default", "redis")["metadata"].get("labels") or {}).get("a") is None
    assert kubectl.run_line(c, "kubectl delete svc redis --dry-run=none").stdout == 'service "redis" deleted\n'


def test_deploy_name_finds_its_pods_when_the_deployment_is_not_stored():
    """An attached cluster's mirror reads pods but no Deployments or ReplicaSets: `trace
    deploy/counter redis:6379` (the README's example), `dig --from deploy/counter` and `logs
    deploy/redis` still find the pods, through their ReplicaSet owner NAME-<pod-template-hash>."""
    c = cluster_from_paths([SAMPLES], deterministic=True)[0]
    counter = kubectl.pod_for(c, "deploy/counter", "default")
    for kind in ("Deployment", "ReplicaSet"):  # (taken out of the store as a mirror never had them)
        for o in list(c.store.list(kind)):
            c.store.delete(kind, o["metadata"]["namespace"], o["metadata"]["name"])
    assert kubectl.pod_for(c, "deploy/counter", "default") == counter is not None
    assert kubectl.pod_for(c, "deploy/nosuch", "default") is None
    rs = counter["metadata"]["ownerReferences"][0]["name"]
    assert kubectl.pod_for(c, f"rs/{rs}", "default") == counter
    redis = kubectl.pod_for(c, "deploy/redis", "default")
    assert kubectl.pods_for_logs(c, "deploy/redis", "default") == [redis]
    assert kubectl.pods_for_logs(c, "deploy/nosuch", "default") is None
    # (one line: the simulation's garbage collector then removes pods whose owner is gone, as
    # a cluster's would; a mirror runs no controllers)
    out = Session(c, cwd=SAMPLES.parent).feed("trace deploy/counter redis:6379")
    assert out.startswith(f"trace default/{counter['metadata']['name']} -> redis:6379") and "result: connected" in out


def test_names_may_follow_flags_as_kubectl_takes_them():
    """`svcflow get svc -n default redis` said `unrecognized arguments: redis` (kubectl takes it)."""
    assert run_cli("get", "svc", "-n", "default", "redis", "-f", str(ROOT / "samples"), "--deterministic") == \
        run_cli("get", "svc", "redis", "-n", "default", "-f", str(ROOT / "samples"), "--deterministic")
    code, out, err = run_cli("get", "svc", "-n", "default", "redis", "-f", str(ROOT / "samples"), "--deterministic")
    assert code == 0 and out.splitlines()[1].startswith("redis ")
    with pytest.raises(SystemExit) as exited:  # (argparse's own refusal, as before)
        run_cli("get", "svc", "-f", str(ROOT / "samples"), "--bogus")
    assert exited.value.code == 2


def test_delete_force_grace_period_and_cascade_as_kubectl_1_33(s):
    """tester3 #9; the words checked against the real kubectl 1.33 against svcflow serve."""
    c = s.cluster
    out = k(s, "kubectl delete pod -l tier=app --force --grace-period=0")
    pod = out.stdout.split('"')[1]
    assert out.warnings == ("Warning: Immediate deletion does not wait for confirmation that the running resource has "
                            "been terminated. The resource may continue to run on the cluster indefinitely.\n")
    assert out.stdout == f'pod "{pod}" force deleted\n' and c.store.get("Pod", "default", pod) is None
    out = k(s, "kubectl delete deploy counter --force --grace-period=5")
    assert (out.code, out.stderr) == (1, "error: --force and --grace-period greater than 0 cannot be specified "
                                         "together\n")
    out = k(s, "kubectl delete deploy counter --cascade=sometimes")
    assert out.stderr == 'error: invalid cascade value (sometimes). Must be "background", "foreground", or "orphan"\n'
    rs = [r["metadata"]["name"] for r in c.store.list("ReplicaSet", "default") if r["metadata"]["name"].startswith("redis-")]
    out = k(s, "kubectl delete deploy redis --cascade=false")
    assert out.warnings == ("warning: --cascade=false is deprecated (boolean value) and can be replaced with "
                            "--cascade=orphan.\n")
    assert out.stdout == 'deployment.apps "redis" deleted\n'
    assert [r["metadata"]["name"] for r in c.store.list("ReplicaSet", "default")
            if r["metadata"]["name"].startswith("redis-")] == rs  # orphaned, not collected
    assert k(s, "kubectl top pods").stderr == "error: Metrics API not available\n"
    assert k(s, "kubectl annotate deploy counter a=b").stderr.startswith(
        "error: svcflow does not run `kubectl annotate` at this prompt")


def test_run_takes_args_restart_and_refuses_to_attach(s):
    """runfix's note: the prompt's `kubectl run` dropped `-- ARGS` and `--restart`; a pod whose
    command ends now completes (the kubelet), and -i/-t/--rm say this prompt attaches nothing."""
    c = s.cluster
    assert k(s, "kubectl run once --image=busybox --restart=Never -- echo hi").stdout == "pod/once created\n"
    c.run_until_idle()
    pod = c.store.get("Pod", "default", "once")
    assert pod["spec"]["containers"][0]["args"] == ["echo", "hi"] and pod["spec"]["restartPolicy"] == "Never"
    assert pod["status"]["phase"] == "Succeeded"
    assert k(s, "kubectl run c --image=busybox --command -- sleep 3600").stdout == "pod/c created\n"
    assert c.store.get("Pod", "default", "c")["spec"]["containers"][0]["command"] == ["sleep", "3600"]
    assert k(s, "kubectl run u --image=busybox --rm -- sh").stderr == (
        "error: --rm should only be used for attached containers\n")
    assert k(s, "kubectl run t --image=busybox --rm -it -- nslookup redis").stderr.startswith(
        "error: svcflow's prompt does not attach to a container")
    assert k(s, "kubectl run w --image=").stderr == "error: --image is required\n"  # (the real kubectl's words)
    assert k(s, "kubectl run v --image=busybox --restart=Sometimes").stderr.startswith(
        "error: invalid restart policy: Sometimes\n")


@pytest.mark.parametrize("line", ["kubectl -n kube-system get svc kube-dns", "kubectl --namespace=kube-system get svc kube-dns",
                                  "kubectl --namespace kube-system get svc kube-dns", "kubectl -n=kube-system get svc kube-dns",
                                  "kubectl get svc kube-dns -n kube-system"])
def test_global_flags_before_the_verb_belong_to_it(s, line):
    """tester5 #23: `kubectl -n other get po` is how most people type it (cobra persistent flags)."""
    assert s.feed(line) == s.feed("kubectl get svc kube-dns -n kube-system")
    assert s.feed(line).startswith("NAME ")


def test_global_flags_before_exec_stay_before_its_command(s):
    assert s.feed("kubectl -n kube-system exec deploy/coredns -- hostname").startswith("coredns-")
    assert s.feed("kubectl --foo get po") == "error: unknown flag: --foo\nSee 'kubectl get --help' for usage.\n"


def test_the_attached_prompt_reads_the_verb_after_global_flags():
    from tui.commands import reads_only

    assert reads_only("kubectl -n other get po") and reads_only("kubectl --namespace=other describe svc x")
    assert not reads_only("kubectl -n other delete po x") and not reads_only("kubectl -n get po")
