"""`kubectl run NAME --image=IMAGE ...` (kubectl v1.33, pkg/cmd/run/run.go): one bare pod.

The checks come in run.go's order -- the image's reference, then `--restart`
(getRestartPolicy) and `--image-pull-policy` (getImagePullPolicy), both usage errors -- and
the pod is the one createPod writes: labelled run=NAME, one container named NAME, what
follows `--` its args (its command with `--command`), the pull policy only when given (else
the API server defaults it from the image's tag).
"""
from __future__ import annotations

import re

from engine.api.apiserver import ApiError
from engine.api.gostrconv import go_quote
from engine.cluster.cluster import Cluster
from engine.kubectl import expose, writeprint
from engine.kubectl.cliflags import Output, UsageError, dry_run_strategy, parse_flags, usage_error
from engine.kubectl.create import Request, send
from engine.kubelet.images import is_reference

RESTART_POLICIES = ("Always", "OnFailure", "Never")
#: corev1.PullAlways, PullIfNotPresent, PullNever: what getImagePullPolicy accepts ("" is unset).
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
_USAGE = "See 'kubectl run -h' for help and examples\n"

Result = tuple[str, str, int]  # (stdout, stderr, exit code)

#: `kubectl run`'s flags (its own: `-l` is --labels here), kubectl's global -n among them.
FLAGS: dict[str, tuple[str, str]] = {
    "namespace": ("n", "str"), "output": ("o", "str"), "dry-run": ("", "str"), "image": ("", "str"),
    "restart": ("", "str"), "rm": ("", "bool"), "command": ("", "bool"), "image-pull-policy": ("", "str"),
    "stdin": ("i", "bool"), "tty": ("t", "bool"), "port": ("", "str"), "labels": ("l", "str"),
    "env": ("", "array"), "expose": ("", "bool"), "attach": ("", "bool"), "leave-stdin-open": ("", "bool"),
    "annotations": ("", "array"), "overrides": ("", "str"), "privileged": ("", "bool"), "quiet": ("q", "bool"),
    "save-config": ("", "bool"), "field-manager": ("", "str"), "show-managed-fields": ("", "bool"),
    "template": ("", "str"), "allow-missing-template-keys": ("", "bool"), "pod-running-timeout": ("", "str"),
    "cascade": ("", "str"), "filename": ("f", "strings"), "force": ("", "bool"), "grace-period": ("", "int"),
    "recursive": ("R", "bool"), "timeout": ("", "str"), "wait": ("", "bool"), "kustomize": ("k", "str"),
}
#: What svcflow's run does not do: refused in words, never ignored.
ELSEWHERE = ("overrides", "annotations", "privileged", "attach", "save-config", "show-managed-fields")
#: validation.IsEnvVarName (what parseEnvs takes).
_ENV_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")


def command(cluster: Cluster, argv: list[str]) -> Output:
    """`kubectl run ARGS...` (what follows `run`): its flags parsed, then `run`."""
    try:
        opts, pos = parse_flags(argv, "run", FLAGS)
    except UsageError as e:
        return usage_error("run", str(e))
    refused = next((f for f in ELSEWHERE if opts.get(f)), None)
    if refused is not None:
        return Output(stderr=f"error: svcflow's run does not take --{refused}; the real kubectl does, against "
                             "`svcflow serve`\n", code=1)
    try:
        dry, warning = dry_run_strategy(opts.get("dry-run"), cluster.now())
    except ValueError as e:
        return Output(stderr=f"error: {e}\n", code=1)
    return Output(*run(cluster, pos, opts, opts.get("namespace"), dry), warnings=warning)


def run(cluster: Cluster, pos: list[str], opts: dict, namespace: str | None, dry_run: str) -> Result:
    """The command with its flags parsed (`pos`: NAME and what follows `--`)."""
    if not pos:
        return "", f"error: NAME is required for run\n{_USAGE}", 1
    problem = writeprint.output_error(opts.get("output"), opts.get("template"))
    if problem:  # (Complete: PrintFlags.ToPrinter)
        return "", f"error: {problem}" + ("" if problem.endswith("\n") else "\n"), 1
    if "image" not in opts:
        return "", "error: required flag(s) \"image\" not set\n", 1
    image = str(opts["image"])
    if not image:  # (given, empty: run.go's own check)
        return "", "error: --image is required\n", 1
    if not is_reference(image):  # (reference.ReferenceRegexp, before any request)
        return "", f"error: Invalid image name {go_quote(image)}: invalid reference format\n", 1
    restart = str(opts.get("restart") or "Always")
    if restart not in RESTART_POLICIES:
        return "", f"error: invalid restart policy: {restart}\n{_USAGE}", 1
    pull = str(opts.get("image-pull-policy") or "")
    if pull and pull not in PULL_POLICIES:
        return "", f"error: invalid image pull policy: {pull}\n{_USAGE}", 1
    if opts.get("rm") and not opts.get("stdin"):
        return "", "error: --rm should only be used for attached containers\n", 1
    if opts.get("stdin") or opts.get("tty"):
        # (this prompt is no terminal a container's stdin could be attached to)
        return "", ("error: svcflow's prompt does not attach to a container: run it with the real kubectl against "
                    "the served API (the Terminal's export line), or leave out -i/-t/--rm here and read "
                    f"`kubectl logs {pos[0]}`\n"), 1
    name = pos[0]
    if not name:  # (the generator's ValidateParams)
        return "", "error: Parameter: name is required\n", 1
    if opts.get("expose") and not opts.get("port"):
        return "", f"error: --port must be set when exposing a service\n{_USAGE}", 1
    try:
        labels = expose.parse_labels(opts["labels"]) if opts.get("labels") else {"run": name}
        env = [_env(e) for e in opts.get("env") or ()]
        port = _atoi(opts["port"]) if opts.get("port") else None
    except ValueError as e:
        return "", f"error: {e}\n", 1
    pod = pod_for_run(name, image, args=pos[1:], command=bool(opts.get("command")), restart=restart,
                      image_pull_policy=pull, labels=labels, env=env, port=port)
    output = opts.get("output")
    created, err = create_pod(cluster, pod, namespace=namespace, dry_run=dry_run)
    if created is None:
        return "", err, 1
    shown = writeprint.printed([created], output, "created", dry_run, typed=True)
    if not opts.get("expose"):
        return shown, "", 0
    # (generateService: the Service the expose generator makes of the pod's labels and port, created
    # and printed after the pod is created and before it is printed; the printer has written a
    # document by then, and the YAML printer separates the next one twice)
    svc = expose.service_for({}, name, expose.joined(labels), expose.joined(labels) if opts.get("labels") else "",
                             str(port), "", {})
    req = Request("run", opts, [], dry_run, namespace or "default", bool(namespace))
    made, svc_err = send(cluster, svc, req)
    if made is None:
        return shown, svc_err, 1
    first = writeprint.printed([writeprint.go_typed(made)], output, "created", dry_run, typed=True)
    return first + ("---\n---\n" if output == "yaml" else "") + shown, "", 0


def _env(spec: str) -> dict:
    """run.go parseEnvs: `NAME=VALUE`; ValueError with its words."""
    name, eq, value = spec.partition("=")
    if not eq or not _ENV_NAME.fullmatch(name):
        raise ValueError(f"invalid env: {spec}")
    return {"name": name, "value": value}


def _atoi(text: str) -> int:
    """strconv.Atoi of `--port` (updatePodPorts); ValueError with its words."""
    body = text[1:] if text[:1] in "+-" else text
    if not body.isascii() or not body.isdigit():
        raise ValueError(f"strconv.Atoi: parsing {go_quote(text)}: invalid syntax")
    return int(text)


def pod_for_run(name: str, image: str, *, args: list[str] | None = None, command: bool = False,
                restart: str = "Always", image_pull_policy: str = "", labels: dict[str, str] | None = None,
                env: list[dict] | None = None, port: int | None = None) -> dict:
    """The pod run.go's generator builds (labelled run=NAME unless --labels says otherwise, one
    container named NAME with its env and port, the restart policy given and dnsPolicy
    ClusterFirst), as Go marshals it."""
    container: dict = {"name": name, "image": image, "resources": {}}
    if image_pull_policy:
        container["imagePullPolicy"] = image_pull_policy
    if args:
        container["command" if command else "args"] = list(args)
    if env:
        container["env"] = list(env)
    if port is not None:
        container["ports"] = [{"containerPort": port}]
    return writeprint.go_typed({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": dict(labels or {"run": name})},
        "spec": {"containers": [container], "dnsPolicy": "ClusterFirst", "restartPolicy": restart}, "status": {}})


def create_pod(cluster: Cluster, pod: dict, *, namespace: str | None = None,
               dry_run: str = "none") -> tuple[dict | None, str]:
    """createPod's pod, sent (a client dry run sends nothing; a server one is checked and
    not kept): (the pod to print -- the one built, or the API server's answer -- or None;
    kubectl's error)."""
    shown = pod
    if namespace and dry_run == "client":  # (an explicit -n names it: EnforceNamespace)
        shown["metadata"]["namespace"] = namespace
    try:
        if dry_run != "client":
            shown = writeprint.go_typed(cluster.api.create(
                {**pod, "metadata": {**pod["metadata"], "namespace": namespace or "default"}},
                dry_run=dry_run == "server"))
    except ApiError as e:
        return None, e.message + "\n"
    return shown, ""
