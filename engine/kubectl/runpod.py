"""`kubectl run NAME --image=IMAGE ...` (kubectl v1.33, pkg/cmd/run/run.go): one bare pod.

The checks come in run.go's order -- the image's reference, then `--restart`
(getRestartPolicy) and `--image-pull-policy` (getImagePullPolicy), both usage errors -- and
the pod is the one createPod writes: labelled run=NAME, one container named NAME, what
follows `--` its args (its command with `--command`), the pull policy only when given (else
the API server defaults it from the image's tag).
"""
from __future__ import annotations

from engine.api.apiserver import ApiError
from engine.api.gostrconv import go_quote
from engine.cluster.cluster import Cluster
from engine.kubectl import writeprint
from engine.kubelet.images import is_reference

RESTART_POLICIES = ("Always", "OnFailure", "Never")
#: corev1.PullAlways, PullIfNotPresent, PullNever: what getImagePullPolicy accepts ("" is unset).
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
_USAGE = "See 'kubectl run -h' for help and examples\n"

Result = tuple[str, str, int]  # (stdout, stderr, exit code)


def run(cluster: Cluster, pos: list[str], opts: dict, namespace: str | None, dry_run: str) -> Result:
    """The command with its flags parsed (`pos`: NAME and what follows `--`)."""
    if not pos:
        return "", f"error: NAME is required for run\n{_USAGE}", 1
    problem = writeprint.output_error(opts.get("output"))
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
    return create_pod(cluster, pos[0], image, namespace=namespace, dry_run=dry_run, args=pos[1:],
                      command=bool(opts.get("command")), restart=restart, image_pull_policy=pull,
                      output=opts.get("output"))


def pod_for_run(name: str, image: str, *, args: list[str] | None = None, command: bool = False,
                restart: str = "Always", image_pull_policy: str = "") -> dict:
    """The pod run.go's generator builds (run=NAME, one container named NAME, the restart
    policy given and dnsPolicy ClusterFirst), as Go marshals it."""
    container: dict = {"name": name, "image": image, "resources": {}}
    if image_pull_policy:
        container["imagePullPolicy"] = image_pull_policy
    if args:
        container["command" if command else "args"] = list(args)
    return writeprint.go_typed({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"run": name}},
        "spec": {"containers": [container], "dnsPolicy": "ClusterFirst", "restartPolicy": restart}, "status": {}})


def create_pod(cluster: Cluster, name: str, image: str, *, namespace: str | None = None, dry_run: str = "none",
               args: list[str] | None = None, command: bool = False, restart: str = "Always",
               image_pull_policy: str = "", output: str | None = None) -> Result:
    """createPod's pod, sent (a client dry run sends nothing; a server one is checked and
    not kept), and printed as `-o` asks: the pod built, or the API server's answer."""
    pod = pod_for_run(name, image, args=args, command=command, restart=restart, image_pull_policy=image_pull_policy)
    shown = pod
    if namespace and dry_run == "client":  # (an explicit -n names it: EnforceNamespace)
        shown["metadata"]["namespace"] = namespace
    try:
        if dry_run != "client":
            shown = writeprint.go_typed(cluster.api.create(
                {**pod, "metadata": {**pod["metadata"], "namespace": namespace or "default"}},
                dry_run=dry_run == "server"))
    except ApiError as e:
        return "", e.message + "\n", 1
    return writeprint.printed([shown], output, "created", dry_run, typed=True), "", 0
