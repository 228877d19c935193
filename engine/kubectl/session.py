"""`svcflow session`: the tutorial's command lines, answered like a terminal would.

Outside any pod, a line is either `kubectl ...` (the same engine and printers as the
CLI, with state kept across lines) or a command on a machine outside the cluster that
reaches the nodes (`curl 172.18.0.3:31000`). `kubectl exec -it POD -- sh` enters a pod
until `exit`. After every line the cluster runs to a steady state, as if the person had
waited for it.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

from engine.api.apiserver import ApiError
from engine.api.gostrconv import go_quote
from engine.api.kinds import KINDS
from engine.api.validation.messages import kubectl_error_output
from engine.api.wellknown import LAST_APPLIED
from engine.apply.workspace import apply_documents
from engine.cluster.cluster import Cluster
from engine.containers.nettools import curl_connect_timeout, http_text
from engine.containers.processes import PodProcesses
from engine.containers.shell import PodShell, talks_to_terminal
from engine.kubectl import commands as kubectl
from engine.kubectl import create, rootflags, writeprint
from engine.kubectl import dns as dnstools
from engine.kubectl.cliflags import UsageError, parse_flags
from engine.kubectl.commands import Output
from engine.kubectl.docker import docker
from engine.kubectl.printers import encoding
from engine.kubectl.printers.get import ResourceError, resolve_resource
from engine.kubectl.printers.gostructs import GoStruct
from engine.kubelet import logs as kubelet_logs
from engine.manifests.loader import load_paths
from engine.net.network import Network

OUTSIDE_PROMPT = "$ "
#: `kubectl apply`'s flags as pflag parses them (engine.kubectl.cliflags): -f repeats.
APPLY_FLAGS = {"filename": ("f", "array"), "recursive": ("R", "bool"), "output": ("o", "str"),
               "namespace": ("n", "str"), "dry-run": ("", "str")}


#: curl's options that take a value (`-m 3`, `--max-time 3`, `-o out`): the value is not a URL.
CURL_VALUE_OPTIONS = frozenset({"-m", "--max-time", "--connect-timeout", "-o", "--output", "-H", "--header", "-X",
                                "--request", "-d", "--data", "-w", "--write-out", "-A", "--user-agent", "-u",
                                "--user", "-e", "--referer", "-x", "--proxy", "--retry", "-T", "--upload-file",
                                "--resolve", "-b", "--cookie", "-c", "--cookie-jar"})


def curl_urls(args: list[str]) -> list[str]:
    """The URLs of a curl command line (an option's value is skipped)."""
    urls, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a in CURL_VALUE_OPTIONS:
            skip = True
        elif not a.startswith("-"):
            urls.append(a)
    return urls


@dataclass
class Session:
    cluster: Cluster
    cwd: Path = field(default_factory=Path.cwd)
    net: Network | None = None
    shell: PodShell | None = None
    settle: bool = True  # run to steady state after each line (else what is due now: time is the caller's)
    driven: bool = False  # neither: the dashboard runs what a line set off, a budget at a time

    procs: PodProcesses = field(init=False)  # the pods' shells (apk installs persist per container)

    def __post_init__(self) -> None:
        self.procs = PodProcesses.of(self.cluster, self.net)
        self.net = self.procs.net

    @property
    def prompt(self) -> str:
        return self.shell.prompt if self.shell is not None else OUTSIDE_PROMPT

    def feed(self, line: str) -> str:
        """One typed line -> what the terminal shows after it. Never raises: a line svcflow
        cannot answer gets a one-line error, and the session goes on."""
        try:
            return self._feed(line)
        except Exception as e:  # last line of defence: no traceback reaches the terminal
            return f"svcflow: internal error: {type(e).__name__}: {e}\n"

    def _feed(self, line: str) -> str:
        line = line.rstrip("\n")
        if self.shell is not None:
            shell = self.shell
            out, exited = shell.run(line)
            if exited:
                self.shell = None
            self._after(shell.elapsed)
            return out
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            return ""
        try:
            argv = shlex.split(stripped, comments=True)
        except ValueError as e:
            return f"bash: {e}\n"
        if not argv:
            return ""
        if argv[0] == "kubectl":
            out = self._kubectl(argv[1:])
        elif argv[0] == "curl":
            urls = curl_urls(argv[1:])
            out = Output(stdout=http_text(self.net, None, urls[0], connect_timeout=curl_connect_timeout(argv[1:]))
                         if urls else
                         "curl: try 'curl --help' or 'curl --manual' for more information\n")
        elif argv[0] in ("exit", "logout"):
            out = Output()
        elif argv[0] == "trace" and len(argv) >= 3:
            mode = argv[argv.index("--mode") + 1] if "--mode" in argv[:-1] else None
            out = trace(self.cluster, argv[1], argv[2], net=self.net, mode=mode)
        elif argv[0] == "dig" and len(argv) >= 2:
            out = self._dig(argv[1:])
        elif argv[0] == "docker":
            out = docker(self.cluster, argv[1:])
        elif argv[0] == "generate":
            if len(argv) == 3 and argv[1] == "services" and argv[2].isdigit():
                out = generate_services(self.cluster, int(argv[2]))
            else:
                out = Output(stderr="usage: generate services N\n", code=2)
        else:
            out = Output(stderr=f"{argv[0]}: command not found\n", code=127)
        self._after()
        return out.warnings + out.stdout + out.stderr

    def _after(self, slept: float = 0.0) -> None:
        """`slept`: the seconds a pod's shell line slept (`sleep 10`): they pass on the
        cluster's clock before the next prompt, as on a node (a settled session's clock)."""
        if self.settle and 0 < slept < float("inf"):
            self.cluster.run_for(slept)
        if self.settle:
            self.cluster.run_until_idle()
        elif not self.driven:
            self.cluster.run_for(0)

    def _dig(self, args: list[str]) -> Output:

        frm = None
        if "--from" in args[:-1]:
            i = args.index("--from")
            frm = args[i + 1]
            args = args[:i] + args[i + 2:]
        pod = kubectl.pod_for(self.cluster, frm, "default") if frm else None
        if frm and pod is None:
            return Output(stderr=f'Error from server (NotFound): pods "{frm.split("/")[-1]}" not found\n', code=1)
        qtype = args[1] if len(args) > 1 else "A"
        return dnstools.dig(self.cluster, args[0], qtype, from_pod=pod["metadata"]["name"] if pod else None,
                            namespace=pod["metadata"]["namespace"] if pod else None, net=self.net)

    def _kubectl(self, argv: list[str]) -> Output:
        if (err := rootflags.usage_error(argv)) is not None:  # (`kubectl -n`)
            return Output(stderr=err, code=1)
        if rootflags.no_command(argv):
            return Output(stderr="kubectl controls the Kubernetes cluster manager.\n", code=0)
        argv = kubectl.global_flags_after_verb(argv)  # (`kubectl -n other exec ...`)
        if argv[0] in ("apply", "exec") and (err := rootflags.trailing_error(argv)) is not None:
            return Output(stderr=err, code=1)  # (`kubectl exec -n`: its parsers below take no root flag last)
        if argv[0] == "apply":
            return self._apply(argv[1:])
        if argv[0] == "exec":
            return self._exec(argv[1:])
        if argv[0] == "logs":
            return self._logs(argv[1:])
        if argv[0] == "create":  # (`create -f` reads the session's folder)
            return create.run(self.cluster, argv[1:], cwd=self.cwd)
        return kubectl.run_line(self.cluster, shlex.join(argv))

    def _apply(self, args: list[str]) -> Output:
        try:
            opts, _ = parse_flags(args, "apply", APPLY_FLAGS)
        except UsageError as e:
            return kubectl.usage_error("apply", str(e))
        paths: list[str] = opts.get("filename") or []
        recursive = bool(opts.get("recursive"))
        dry_flag: str | None = opts.get("dry-run")
        output: str | None = opts.get("output")
        namespace: str | None = opts.get("namespace")  # -n: the objects' namespace where they name none
        try:
            dry, warning = kubectl.dry_run_strategy(dry_flag, self.cluster.now())
        except ValueError as e:
            return Output(stderr=f"error: {e}\n", code=1)
        problem = writeprint.output_error(output)
        if problem:
            return Output(stderr=f"error: {problem}" + ("" if problem.endswith("\n") else "\n"), code=1,
                          warnings=warning)
        if not paths:
            return Output(stderr="error: must specify one of -f and -k\n", code=1, warnings=warning)
        resolved = [p if Path(p).is_absolute() else str(self.cwd / p) for p in paths]
        missing = [p for p, r in zip(paths, resolved) if not Path(r).exists()]
        if missing:
            return Output(stderr=f'error: the path "{missing[0]}" does not exist\n', code=1)
        loaded = load_paths(resolved, recursive=recursive)  # kubectl reads sub-folders only with -R
        if not loaded.documents and not loaded.errors:
            return Output(stderr="error: no objects passed to apply\n", code=1)
        for d in loaded.documents:
            d.display = str(Path(d.display).relative_to(self.cwd)) if Path(d.display).is_relative_to(self.cwd) else d.display
        docs, refused = in_namespace(loaded.kubectl_documents, namespace) if namespace else \
            (loaded.kubectl_documents, [])
        warning += "".join(missing_last_applied(self.cluster, d.obj) for d in docs)
        report = apply_documents(self.cluster, docs, loaded.errors, dry_run=dry)
        stdout = report.stdout() if not output else applied_output(report, output, dry)
        stderr = report.stderr()
        if refused:  # (the builder's errors first, the API's after them)
            text = kubectl_error_output(refused + [e.load_detail for e in report.errors if e.load_detail is not None],
                                        [e.status for e in report.errors if e.status is not None])
            stderr = text + "\n"
        return Output(stdout=stdout, stderr=stderr, code=0 if report.ok and not refused else 1, warnings=warning)

    #: `kubectl logs` flags svcflow's own logs does not run: refused, pointing at the real kubectl.
    LOGS_FLAGS_ELSEWHERE = ("--since", "--since-time", "--limit-bytes", "--all-containers", "--prefix",
                            "--max-log-requests", "--selector", "-l", "--ignore-errors", "--insecure-skip-tls-verify-backend",
                            "--pod-running-timeout")

    def _logs(self, args: list[str]) -> Output:
        """`kubectl logs (POD | TYPE/NAME) [-c C] [--tail N] [--timestamps] [-n NS]`: what the
        container's process printed, picked and refused as the kubelet does
        (engine.kubelet.logs, which the served API's `pods/log` uses too)."""
        if any(a in ("-f", "--follow") or a.startswith("--follow=") for a in args):
            return Output(stderr="error: svcflow's logs does not follow (-f); the real kubectl does, against "
                                 "`svcflow serve`\n", code=1)
        elsewhere = next((a.split("=")[0] for a in args if a.split("=")[0] in self.LOGS_FLAGS_ELSEWHERE), None)
        if elsewhere is not None:
            return Output(stderr=f"error: svcflow's logs does not take {elsewhere}; the real kubectl does, against "
                                 "`svcflow serve`\n", code=1)
        try:
            flags, targets = kubectl.parse_flags(args, "logs")
        except kubectl.UsageError as e:
            return kubectl.usage_error("logs", str(e))
        unknown = sorted(set(flags) - {"namespace", "container", "tail", "timestamps", "previous"})
        if unknown:
            return kubectl.usage_error("logs", f"unknown flag: --{unknown[0]}")
        if not targets or len(targets) > 2:
            return Output(stderr="error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\n"
                                 "POD or TYPE/NAME is a required argument for the logs command\n"
                                 "See 'kubectl logs -h' for help and examples\n", code=1)
        if len(targets) == 2:  # `logs POD CONTAINER`
            if flags.get("container") is not None:
                return Output(stderr="error: only one of -c or an inline [CONTAINER] arg is allowed\n", code=1)
            flags["container"] = targets[1]
        ns = flags.get("namespace") or "default"
        word, slash, name = targets[0].rpartition("/")
        if slash and not (word and name):
            return Output(stderr="error: arguments in resource/name form must have a single resource and name\n",
                          code=1)
        try:
            what = resolve_resource(word).qualified_plural if word else "pods"
            pods = kubectl.pods_for_logs(self.cluster, targets[0], ns)
        except ResourceError as e:
            return Output(stderr=f"{e}\n", code=1)
        if pods is None:  # (logs.go wraps the GET's error in its own words)
            return Output(stderr=f'error: error from server (NotFound): {what} "{name}" not found in namespace '
                                 f'"{ns}"\n', code=1)
        if not pods:  # (kubectl would wait --pod-running-timeout for one to come)
            return Output(stderr="error: timed out waiting for the condition\n", code=1)
        pod = pods[0]
        pod_name = pod["metadata"]["name"]
        names = [str(c.get("name")) for c in pod["spec"].get("containers") or []]
        out = Output(stderr=f"Found {len(pods)} pods, using pod/{pod_name}\n" if len(pods) > 1 else "")
        container = flags.get("container")
        if container is None:  # podcmd.FindOrDefaultContainerByName
            container = (pod["metadata"].get("annotations") or {}).get("kubectl.kubernetes.io/default-container") \
                or (names[0] if names else "")
            if len(names) > 1:
                out.stderr += f'Defaulted container "{container}" out of: {", ".join(names)}\n'
        elif container not in names:
            return Output(stderr=f"error: container {container} is not valid for pod {pod_name}\n", code=1)
        tail = flags.get("tail")
        previous = bool(flags.get("previous"))
        refused = (kubelet_logs.previous_not_found if previous else kubelet_logs.not_started)(pod, container)
        if refused is not None:
            return Output(stderr=out.stderr + f"Error from server (BadRequest): {refused}\n", code=1)
        proc = self.net.processes(pod)[names.index(container)]
        logged = kubelet_logs.previous_lines(pod, container, proc) if previous else list(proc.log)
        lines = kubelet_logs.select(logged, tail=None if tail is None or tail < 0 else tail)
        out.stdout = kubelet_logs.render(lines, bool(flags.get("timestamps")))
        return out

    def _exec(self, args: list[str]) -> Output:
        ns = "default"
        if "--" not in args:
            return Output(stderr="error: you must specify at least one command for the container\n", code=1)
        split = args.index("--")
        opts, cmd = args[:split], args[split + 1:]
        interactive = any(o in ("-it", "-ti", "-i", "-t", "--stdin", "--tty") for o in opts)
        try:
            flags, targets = kubectl.parse_flags(opts, "exec")
        except kubectl.UsageError as e:
            return kubectl.usage_error("exec", str(e))
        ns = flags.get("namespace") or ns
        interactive = interactive or bool(flags.get("stdin"))
        tty = bool(flags.get("tty")) and bool(flags.get("stdin"))  # (kubectl: no TTY without stdin)
        if not targets:
            return Output(stderr="error: expected 'exec (POD | TYPE/NAME) [-c CONTAINER] [flags] -- COMMAND [args...]'\n", code=1)
        pod = kubectl.pod_for(self.cluster, targets[0], ns)
        if pod is None:
            name = targets[0].split("/", 1)[-1]
            what = "deployments.apps" if targets[0].startswith(("deploy/", "deployment/")) else "pods"
            return Output(stderr=f'Error from server (NotFound): {what} "{name}" not found\n', code=1)
        if (pod.get("status") or {}).get("phase") != "Running":
            return Output(stderr=f"error: unable to upgrade connection: container not found (\"{pod['spec']['containers'][0]['name']}\")\n", code=1)
        container = flags.get("container")
        names = [c.get("name") for c in pod["spec"].get("containers") or []]
        if container is not None and container not in names:
            return Output(stderr=f"Error from server (BadRequest): container {container} is not valid for pod "
                                 f"{pod['metadata']['name']}\n", code=1)
        shell = self.procs.shell(pod, container if container is not None else str(names[0]))
        if cmd in (["sh"], ["/bin/sh"], ["bash"], ["/bin/bash"]) and interactive:
            if cmd[0].endswith("bash") and shell.distro == "alpine":
                return Output(stderr='error: Internal error occurred: error executing command in container: failed to exec in container: failed to start exec: OCI runtime exec failed: exec failed: unable to start container process: exec: "bash": executable file not found in $PATH: unknown\n', code=1)
            shell.login(cmd[0], tty=tty)
            self.shell = shell
            return Output()
        refused = shell.start(cmd)
        if refused is not None:
            return Output(stderr=f"error: {refused}\n", code=1)
        # (a one-shot exec keeps no connection open; stdout and stderr in the order printed, then
        # kubectl's own line for a command that failed, as the real kubectl prints it)
        out = shell.exec(cmd, None if tty and talks_to_terminal(cmd) else "", tty=tty).text()
        if shell.attached:  # (`kubectl exec -it redis -- redis-cli`: the lines typed next are its)
            self.shell = shell
            return Output(stdout=out)
        code = shell.status
        if self.settle and 0 < shell.elapsed < float("inf"):
            self.cluster.run_for(shell.elapsed)  # (the command's sleeps pass on the cluster's clock)
        return Output(stdout=out, stderr=f"command terminated with exit code {code}\n" if code else "", code=code)


def in_namespace(docs: list, namespace: str) -> tuple[list, list[str]]:
    """`apply -n NAMESPACE`: the resource builder's NamespaceParam puts the documents that name
    no namespace in it; one that names another is refused (its words), the others go on."""
    kept, refused = [], []
    for d in docs:
        info = KINDS.get(d.obj.get("kind") or "")
        md = d.obj.get("metadata")
        if info is not None and info.namespaced and isinstance(md, dict):
            own = md.get("namespace")
            if isinstance(own, str) and own and own != namespace:
                refused.append(f"the namespace from the provided object {go_quote(own)} does not match the namespace "
                               f"{go_quote(namespace)}. You must pass '--namespace={own}' to perform this operation.")
                continue
            md["namespace"] = namespace
        kept.append(d)
    return kept, refused


def missing_last_applied(cluster: Cluster, obj: dict) -> str:
    """apply.go's warning for an object that exists without the last-applied annotation (one
    `kubectl create` made): apply patches it in, and says so on stderr first."""
    info = KINDS.get(obj.get("kind") or "")
    md = obj.get("metadata")
    if info is None or info.api_version != obj.get("apiVersion") or not isinstance(md, dict):
        return ""
    ns = "" if not info.namespaced else (md.get("namespace") if isinstance(md.get("namespace"), str)
                                         and md.get("namespace") else "default")
    live = cluster.store.get(info.kind, ns, md.get("name") if isinstance(md.get("name"), str) else "")
    if live is None or LAST_APPLIED in (live["metadata"].get("annotations") or {}):
        return ""
    return (f"Warning: resource {info.plural}/{live['metadata']['name']} is missing the {LAST_APPLIED} annotation "
            "which is required by kubectl apply. kubectl apply should only be used on resources created "
            "declaratively by either kubectl create --save-config or kubectl apply. The missing annotation will be "
            "patched automatically.\n")


def applied_output(report, output: str, dry_run: str) -> str:
    """`kubectl apply -o FORMAT`: `-o name` prints each object as it is applied; any other
    format prints them once all are (apply.go printObjects: several as one List)."""
    objs = [r.obj for r in report.results if r.obj is not None]
    if output == "name" or len(objs) < 2:
        return writeprint.printed(objs, output, "", dry_run)
    items = [encoding.as_output_object(o) for o in objs]  # (without their managedFields)
    # (an UnstructuredList: JSON writes its kind, apiVersion, metadata and items in that order)
    listed = GoStruct(kind="List", apiVersion="v1", metadata={}, items=items)
    return writeprint.printed([listed], output, "", dry_run)


def run_script(cluster: Cluster, lines: list[str], *, cwd: Path | None = None, echo: bool = True) -> str:
    """Feed lines and return the transcript (prompt + line, then the answer)."""
    s = Session(cluster, cwd=cwd or Path.cwd())
    out = []
    for line in lines:
        if echo:
            p = s.prompt
            out.append(f"{p}{line.rstrip()}\n" if p else f"{line.rstrip()}\n")
        out.append(s.feed(line))
    return "".join(out)


def generate_services(cluster: Cluster, n: int, *, selector: dict | None = None) -> Output:
    """`generate services N`: N extra ClusterIP Services named filler-0001..., labelled
    svcflow/filler=true, so kube-proxy's KUBE-SERVICES chains grow the way a big cluster's
    do. They select no pods, so each adds a "has no endpoints" REJECT rule that every new
    connection is checked against."""

    sel = selector or {"svcflow/filler": "none"}
    width = max(4, len(str(n)))
    made = 0
    last = 0
    for i in range(1, n + 1):
        name = f"filler-{i:0{width}d}"
        if cluster.store.get("Service", "default", name) is not None:
            last = i
            continue
        try:
            cluster.api.create({"apiVersion": "v1", "kind": "Service",
                                "metadata": {"name": name, "namespace": "default", "labels": {"svcflow/filler": "true"}},
                                "spec": {"selector": dict(sel), "ports": [{"port": 20000 + i % 40000, "targetPort": 6379}]}})
        except ApiError as e:  # the Service range is full: stop there, the ones made stay
            done = f"{made} services created (filler-{1:0{width}d} .. filler-{last:0{width}d})\n" if last else ""
            return Output(stdout=done, stderr=e.message + "\n", code=1)
        made += 1
        last = i
    return Output(stdout=f"{made} services created (filler-{1:0{width}d} .. filler-{n:0{width}d})\n")


def trace(cluster: Cluster, source: str, target: str, *, namespace: str = "default",
          net: Network | None = None, mode: str | None = None) -> Output:
    """`svcflow trace FROM TO`: open one connection and print every hop it took."""
    net = net or Network(cluster)
    client = None
    if source != "outside":
        client = kubectl.pod_for(cluster, source, namespace)
        if client is None:
            return Output(stderr=f'Error from server (NotFound): pods "{source.split("/")[-1]}" not found\n', code=1)
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        return Output(stderr=f"error: TO must be name:port or ip:port, got {target!r}\n", code=1)
    conn = net.connect(client, host, int(port), mode=mode)
    return Output(stdout="\n".join(conn.trace.lines()) + "\n", code=0 if conn.ok else 1)
