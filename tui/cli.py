"""The `svcflow` command: the dashboard, and headless kubectl-style commands.

Headless commands use `engine/` only and never import Textual, so `svcflow get ...`
starts fast. Each one loads `-f` into a fresh simulated cluster, runs it to a steady
state, then acts — printing what kubectl would print, with kubectl's exit codes.
"""
from __future__ import annotations

import argparse
import sys
from functools import partial
from typing import Sequence, TextIO

HEADLESS = {"web", "tour", "screenshot", "apply", "get", "describe", "explain", "events", "dig", "dns-records", "corefile",
            "proxy-rules", "session", "trace", "serve", "kubeconfig"}
#: Headless commands that are kubectl's (its words for a flag left without its value).
KUBECTL_VERBS = {"apply", "get", "describe", "explain", "events"}
#: Headless commands that can read a real cluster instead (`--kubeconfig`, `--context`).
ATTACHABLE = {"get", "describe", "dig", "dns-records", "corefile", "proxy-rules", "trace", "screenshot"}


def _global_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--deterministic", action="store_true", default=argparse.SUPPRESS,
                   help="fixed clock and seeded randomness: identical output on every run")
    p.add_argument("--bare", action="store_true", default=argparse.SUPPRESS,
                   help="no kube-system objects and no `kubernetes` Service")
    p.add_argument("--seed", type=int, default=argparse.SUPPRESS, help="seed for --deterministic runs")


def _attach_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kubeconfig", default=None, metavar="PATH",
                   help="attach read-only to the real cluster of this kubeconfig (default: $KUBECONFIG, "
                        "~/.kube/config when --context is given) instead of simulating one")
    p.add_argument("--context", default=None, metavar="NAME", help="the kubeconfig context to attach to")


class _StringSlice(argparse.Action):
    """pflag's StringSlice, as kubectl's `-f` and `-L` are declared: one value per flag, the
    flag may repeat, and a value is comma-separated (read as Go's CSV) -- `-f a.yml -f b.yml`,
    `-f a.yml,b.yml`; a word after the value is an argument again (`get -f samples/ pods`).
    A value Go's CSV refuses ends the command with kubectl's usage error (exit 1)."""

    #: What an empty value adds: for `-f ""` a path that is not there (said so), never "no -f".
    EMPTY: tuple[str, ...] = ("",)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        from engine.kubectl.commands import invalid_argument, usage_error
        from engine.kubectl.flagvalues import CSVError, read_as_csv

        have = list(getattr(namespace, self.dest, None) or [])
        try:
            have += read_as_csv(values) if values else self.EMPTY
        except CSVError as e:
            name = self.option_strings[-1].lstrip("-")
            parser.exit(1, usage_error(parser.prog.split()[-1], invalid_argument(name, values, e)).stderr)
        setattr(namespace, self.dest, have)


class _LabelColumns(_StringSlice):
    """`-L/--label-columns`: as kubectl, `-L ""` adds no column."""

    EMPTY = ()


def _files(p: argparse.ArgumentParser, required: bool = False) -> None:
    p.add_argument("-f", "--filename", dest="files", action=_StringSlice, default=[],
                   required=required, metavar="PATH", help="manifest files or folders (repeat -f, or a,b)")


DASHBOARD_HELP = """\
the dashboard:
  svcflow [PATH...] [--present] [--lang en|ko] [--no-serve] [--port N]
          [--deterministic] [--bare] [--seed N]
                        open the simulated cluster of PATH (default samples/) in the
                        full-screen dashboard, following edits to the files; it needs
                        a terminal (stdin and stdout)
  --present             hide the header and footer, for projectors
  --lang en|ko          the dashboard's language (Kubernetes' terms stay as they are)
  --no-serve            do not serve the cluster's Kubernetes API (by default it is
                        served on 127.0.0.1:6443, or the next free port, for kubectl)
  --port N              serve it on exactly this port
  svcflow --kubeconfig PATH [--context NAME]   (or: svcflow attach [...])
                        attach read-only to a real cluster: its Pods, Services,
                        Endpoints, Nodes live; kube-proxy's rules and CoreDNS's
                        records computed from them (needs pip install 'svcflow[attach]');
                        --kubeconfig and --context may also come before or after a
                        command that reads a cluster (svcflow --kubeconfig P get pods)
"""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("svcflow")
    except PackageNotFoundError:  # (run from a checkout that was never installed)
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="svcflow", description=__doc__.splitlines()[0],
                                  usage="svcflow [PATH...] [--present]  |  svcflow COMMAND ...",
                                  epilog=DASHBOARD_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("--version", action="version", version=f"svcflow {_version()}")
    _global_flags(top)
    sub = top.add_subparsers(dest="command", prog="svcflow")  # (`usage: svcflow serve ...`)
    p = sub.add_parser("apply", help="apply manifests and print kubectl apply's lines")
    _global_flags(p)
    _files(p, required=True)
    p = sub.add_parser("get", help="kubectl get")
    _global_flags(p)
    _attach_flags(p)
    p.add_argument("args", nargs="*", metavar="TYPE[/NAME] [NAME...]")
    p.add_argument("-n", "--namespace", default=None)
    p.add_argument("-A", "--all-namespaces", action="store_true")
    p.add_argument("-o", "--output", default=None)  # checked as kubectl checks it, with its message
    p.add_argument("-l", "--selector", default=None)
    p.add_argument("--show-labels", action="store_true", help="a LABELS column, as kubectl's")
    p.add_argument("-L", "--label-columns", dest="label_columns", action=_LabelColumns, default=[],
                   metavar="KEY[,KEY]", help="one column per label key, as kubectl's (repeat -L, or a,b)")
    p.add_argument("--sort-by", default=None, metavar="JSONPATH", help="sort as kubectl does (.metadata.name)")
    p.add_argument("--no-headers", action="store_true")
    _files(p)
    p = sub.add_parser("describe", help="kubectl describe")
    _global_flags(p)
    _attach_flags(p)
    p.add_argument("args", nargs="*", metavar="TYPE/NAME | TYPE NAME")
    p.add_argument("-n", "--namespace", default=None)
    p.add_argument("-A", "--all-namespaces", action="store_true")
    p.add_argument("-l", "--selector", default=None)
    _files(p)
    p = sub.add_parser("explain", help="kubectl explain: the served kinds' fields, from Kubernetes v1.33's schemas")
    p.add_argument("args", nargs="*", metavar="RESOURCE[.FIELD...]")
    p.add_argument("--recursive", action="store_true", help="every nested field, one line each")
    p.add_argument("--api-version", default=None, metavar="GROUP/VERSION")
    p.add_argument("--output", default=None, metavar="plaintext")
    p = sub.add_parser("dig", help="ask CoreDNS, as dig would (or as a pod resolves with --from)")
    _global_flags(p)
    _attach_flags(p)
    p.add_argument("name")
    p.add_argument("type", nargs="?", default="A")
    p.add_argument("--from", dest="from_pod", default=None, metavar="POD")
    p.add_argument("-n", "--namespace", default=None)
    _files(p)
    p = sub.add_parser("dns-records", help="the whole cluster zone as CoreDNS serves it")
    _global_flags(p)
    _attach_flags(p)
    _files(p)
    p = sub.add_parser("corefile", help="the Corefile (kubeadm's)")
    _global_flags(p)
    _attach_flags(p)
    _files(p)
    p = sub.add_parser("proxy-rules", help="a node's kube-proxy rules")
    _global_flags(p)
    _attach_flags(p)
    p.add_argument("--node", default=None)
    p.add_argument("--mode", choices=["iptables", "ipvs", "nftables"], default=None)
    p.add_argument("--format", choices=["save", "restore"], default="save")
    _files(p)
    p = sub.add_parser("session", help="type kubectl / exec / curl lines; answered like a terminal")
    _global_flags(p)
    p.add_argument("script", nargs="?", default=None, help="a file of lines (default: stdin)")
    _files(p)
    p = sub.add_parser("trace", help="the path of one connection: DNS, each rule, DNAT, the pod")
    _global_flags(p)
    _attach_flags(p)
    p.add_argument("source", metavar="FROM", help="a pod, deploy/NAME, or outside")
    p.add_argument("target", metavar="TO", help="name:port, ip:port or NODE_IP:nodePort")
    p.add_argument("-n", "--namespace", default="default")
    p.add_argument("--mode", choices=["iptables", "ipvs", "nftables"], default=None,
                   help="route as this kube-proxy mode would (default: the cluster's)")
    _files(p)
    p = sub.add_parser("tour", help="play a narrated tour (default: the tutorial) with presenter keys")
    _global_flags(p)
    p.add_argument("script", nargs="?", default=None, help="a tour YAML file (see README)")
    p.add_argument("--lang", default=None, help="caption language, e.g. en or ko")
    p.add_argument("--present", action="store_true", help="high contrast, no footer")
    p.add_argument("--step", type=int, default=None,
                   help="start after this step (its commands and those before it already run): rehearse one part")
    p = sub.add_parser("web", help="serve the dashboard in a browser (textual-serve, 127.0.0.1 only)")
    _global_flags(p)
    p.add_argument("paths", nargs="*", default=["samples/"])
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--tour", default=None, metavar="FILE", help="serve a tour instead ('tutorial' for the built-in)")
    p.add_argument("--lang", default=None)
    p = sub.add_parser("serve", help="run the simulated cluster headless behind a real Kubernetes API (for kubectl)")
    _global_flags(p)
    p.add_argument("paths", nargs="*", default=["samples/"], metavar="PATH")
    p.add_argument("--port", type=int, default=None, help="default: 6443, or the next free port")
    p.add_argument("--address", default="127.0.0.1", help="a loopback address (default 127.0.0.1)")
    p.add_argument("--allow-remote", action="store_true",
                   help="allow a non-loopback --address (the API has no authentication)")
    p.add_argument("--kubeconfig", default=None, metavar="PATH",
                   help="where to write the kubeconfig (default .svcflow/kubeconfig)")
    p = sub.add_parser("kubeconfig", help="print the line that points kubectl at `svcflow serve`")
    p.add_argument("--kubeconfig", default=None, metavar="PATH",
                   help="the kubeconfig `svcflow serve` wrote (default .svcflow/kubeconfig)")
    p = sub.add_parser("screenshot", help="render a state headlessly to SVG")
    _global_flags(p)
    _attach_flags(p)
    _files(p)
    p.add_argument("--tour", default=None, metavar="FILE", help="a tour file ('tutorial' for the built-in one)")
    p.add_argument("--step", type=int, default=None)
    p.add_argument("--lang", default=None)
    p.add_argument("--size", default="160x48")
    p.add_argument("--focus", default=None, metavar="PANE",
                   help="pods, services, endpoints, proxy, dns, events, or flow (the diagram), as a tour's focus:")
    p.add_argument("-o", "--output", required=True, metavar="FILE.svg")
    p = sub.add_parser("events", help="the controllers' recorded actions, oldest first")
    _global_flags(p)
    p.add_argument("--all", action="store_true", help="include the cluster's own boot")
    _files(p)
    return top


#: The flags before a command or the dashboard's paths that take the next word as their value.
VALUE_FLAGS = ("--seed", "--kubeconfig", "--context", "--lang", "--port")


def _first_word(argv: list[str]) -> str | None:
    """The first positional argument (skipping flags and their values): the command, or
    the dashboard's first path. Global flags may come before the command, as kubectl's
    persistent flags do (`svcflow --deterministic get all -f samples/`)."""
    i = 0
    while i < len(argv):
        if argv[i] in VALUE_FLAGS:
            i += 2
        elif argv[i].startswith("-"):
            i += 1
        else:
            return argv[i]
    return None


def _names_a_path(word: str) -> bool:
    """`svcflow WORD`: the dashboard on a folder or file, or a mistyped command? A word
    that exists, or that looks like a path (a separator, a dot, a manifest's suffix) is
    a path; a bare word that is neither (`svcflow wait`) is a command svcflow lacks."""
    import os

    return os.path.exists(word) or os.sep in word or "/" in word or word.startswith(".") \
        or word.lower().endswith((".yaml", ".yml", ".json"))


def _unknown_command(verb: str, err: TextIO) -> int:
    """As kubectl (cobra) says it, with the nearest commands as suggestions."""
    import difflib

    err.write(f'Error: unknown command "{verb}" for "svcflow"\n')
    near = difflib.get_close_matches(verb, sorted(HEADLESS), n=3, cutoff=0.6)
    if near:
        err.write("\nDid you mean this?\n" + "".join(f"\t{n}\n" for n in near) + "\n")
    err.write("Run 'svcflow --help' for usage.\n")
    return 1


def _needs_terminal(err: TextIO, what: str) -> bool:
    """The full-screen app only starts on a terminal (or under `svcflow web`, whose
    driver talks over pipes): from a script it would wait for keys that never come."""
    import os

    if "TEXTUAL_DRIVER" in os.environ:
        return False
    missing = [name for name, f in (("stdin", sys.stdin), ("stdout", sys.stdout))
               if f is None or not f.isatty()]
    if not missing:
        return False
    err.write(f"svcflow: {what} needs a terminal, and {' and '.join(missing)} "
              f"{'is' if len(missing) == 1 else 'are'} not one.\n"
              "For scripts: svcflow get/describe/session/trace ... -f PATH, or svcflow screenshot -o FILE.svg "
              "(svcflow --help lists them).\n")
    return True


def _cluster(args: argparse.Namespace):
    from engine.apply.workspace import cluster_from_paths

    return cluster_from_paths(args.files, deterministic=getattr(args, "deterministic", False),
                              bare=getattr(args, "bare", False), seed=getattr(args, "seed", None))


#: The flags that point svcflow at a real cluster; like kubectl's persistent flags they may
#: come before the command or after it (`svcflow --kubeconfig P get pods`, `svcflow get pods --kubeconfig P`).
ATTACH_FLAGS = ("--kubeconfig", "--context")
#: Commands whose own parser takes `--kubeconfig` (serve and kubeconfig: where the kubeconfig is written).
_TAKES_KUBECONFIG = ATTACHABLE | {"attach", "serve", "kubeconfig"}


def _attach_flag(arg: str) -> str | None:
    """`--kubeconfig` for `--kubeconfig` and `--kubeconfig=PATH` (likewise --context), else None."""
    name = arg.split("=", 1)[0]
    return name if name in ATTACH_FLAGS else None


def _attach_flags_after_command(argv: list[str]) -> list[str] | str:
    """argv with `--kubeconfig`/`--context` given before the command moved after it, where the
    command's parser reads them; a message (str) when the command cannot attach at all. The
    dashboard (no command, or a path) parses them itself and is left as it is."""
    verb_at = None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--seed", *ATTACH_FLAGS):
            i += 2
        elif a.startswith("-"):
            i += 1
        else:
            verb_at = i
            break
    if verb_at is None:
        return argv
    verb = argv[verb_at]
    given = [a for a in argv if _attach_flag(a)]
    if not given or verb not in HEADLESS | {"attach"}:
        return argv
    if verb not in _TAKES_KUBECONFIG:
        flag = _attach_flag(given[0])
        return (f"svcflow: {verb} does not take {flag}: it runs on the simulated cluster of -f; attached to a real "
                f"cluster svcflow only reads ({', '.join(sorted(ATTACHABLE))}, or the dashboard)")
    before, moved = [], []
    i = 0
    while i < verb_at:
        a = argv[i]
        if a in ATTACH_FLAGS:
            moved += argv[i:i + 2]
            i += 2
            continue
        (moved if _attach_flag(a) else before).append(a)
        i += 1
    return before + [verb] + moved + argv[verb_at + 1:]


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    out = out or sys.stdout
    err = err or sys.stderr
    placed = _attach_flags_after_command(argv)
    if isinstance(placed, str):
        err.write(placed + "\n")
        return 1
    argv = placed
    if argv and argv[0] == "attach":  # the same as `svcflow --kubeconfig ...`
        return _dashboard(argv[1:], err, attach=True)
    verb = _first_word(argv)
    if verb in KUBECTL_VERBS:
        from engine.kubectl.rootflags import trailing_error

        said = trailing_error(argv[argv.index(verb):])
        if said is not None:  # (`svcflow get pods -n`: kubectl's words, not argparse's usage)
            err.write(said)
            return 1
    if not argv or (verb not in HEADLESS and argv[0] not in ("-h", "--help", "--version")):
        if verb is not None and not _names_a_path(verb):
            return _unknown_command(verb, err)
        return _dashboard(argv, err)
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # kubectl takes names after flags too (`get svc -n default redis`); argparse stops at the flag
        if isinstance(getattr(args, "args", None), list) and not any(e.startswith("-") for e in extra):
            args.args += extra
        else:
            parser.parse_args(argv)  # (argparse's own message and exit status 2)
    if _attaching(args) and getattr(args, "files", None):
        err.write(BOTH_SOURCES + "\n")
        return 1
    from engine.kubectl import commands as kubectl

    if args.command == "tour":
        return _tour(args, err)
    if args.command == "web":
        return _web(args)
    if args.command in ("serve", "kubeconfig"):
        return _serve(args, out, err)
    if args.command == "explain":  # (no cluster: the schemas are the API's)
        res = kubectl.explain(args.args, recursive=args.recursive, api_version=args.api_version,
                              output=args.output)
        out.write(res.stdout)
        err.write(res.stderr)
        return res.code
    if args.command == "screenshot":
        code = _screenshot(args, err)
        if code == 0:  # a script (or a person) learns where the picture went
            out.write(f"wrote {args.output} ({args.size})\n")
        return code
    refused: list[str] = []
    if args.command in ATTACHABLE and _attaching(args):
        attached = _attached_cluster(args, err)
        if attached is None:
            return 1
        cluster, session = attached
        if getattr(args, "namespace", None) is None:  # kubectl: the context's namespace when -n is not given
            args.namespace = session.namespace
        refused = _attached_refusals(session, args)
    else:
        hint = simulation_hint(args.command, "an empty simulated cluster (no -f given)")
        if hint and not args.files:
            err.write(hint + "\n")
        cluster, report = _cluster(args)
        fatal = [w for w in report.warnings if w.fatal]
        if fatal:  # kind refuses the Cluster config: there is no cluster to act on
            err.write("".join(f"{w.message}\n" for w in fatal))
            return 1
        for w in report.warnings:  # svcflow's own notes (duplicate keys, a Cluster file it could not use)
            msg = w.message if w.message.startswith(("warning:", "svcflow:")) else f"warning: {w.message}"
            err.write(f"{w.source}: {msg}\n" if msg.startswith("svcflow:") else f"svcflow: {w.source}: {msg}\n")
        if args.command == "apply":
            out.write(report.stdout())
            err.write(report.stderr())
            return 0 if report.ok else 1
        err.write(report.stderr())
    if args.command == "get":
        res = kubectl.get(cluster, args.args, namespace=args.namespace, all_namespaces=args.all_namespaces,
                          output=args.output, selector=args.selector, show_labels=args.show_labels,
                          label_columns=args.label_columns, sort_by=args.sort_by, no_headers=args.no_headers)
    elif args.command == "describe":
        res = kubectl.describe(cluster, args.args, namespace=args.namespace, selector=args.selector,
                               all_namespaces=args.all_namespaces)
    elif args.command in ("dig", "dns-records", "corefile"):
        from engine.kubectl import dns as dnstools

        if args.command == "dig":
            res = dnstools.dig(cluster, args.name, args.type, from_pod=args.from_pod, namespace=args.namespace)
        elif args.command == "dns-records":
            res = dnstools.dns_records(cluster)
        else:
            res = dnstools.corefile(cluster)
    elif args.command == "session":
        return _session(cluster, args, out, err)
    elif args.command == "trace":
        from engine.kubectl.session import trace

        res = trace(cluster, args.source, args.target, namespace=args.namespace, mode=args.mode)
    elif args.command == "proxy-rules":
        from engine.kubectl import proxyrules as proxytools

        res = proxytools.proxy_rules(cluster, node=args.node, mode=args.mode, form=args.format)
    else:
        res = kubectl.events(cluster, include_boot=args.all)
    err.write(getattr(res, "warnings", ""))
    if refused:  # (what could be read was printed; the refused kinds are kubectl's errors, and exit 1)
        res.stderr = "".join(f"{line}\n" for line in refused)  # (not "No resources found")
        res.code = 1
    err.flush()
    out.write(res.stdout)
    err.write(res.stderr)
    return res.code


def simulation_hint(command: str, shown: str) -> str | None:
    """The one stderr line for a command that can read a real cluster but simulates one, while
    $KUBECONFIG is set (serve's `export KUBECONFIG=...` line invites it): only --kubeconfig
    attaches, so say so, off stdout, which stays what kubectl prints."""
    import os

    if command not in ATTACHABLE or not os.environ.get("KUBECONFIG"):
        return None
    return (f'svcflow: showing {shown}; $KUBECONFIG is set: add --kubeconfig "$KUBECONFIG" to read that '
            "cluster (or run 'svcflow attach' for the dashboard)")


#: `-f`/PATH and `--kubeconfig` together: one would be ignored.
BOTH_SOURCES = ("svcflow: --kubeconfig/--context attach to a real cluster, and manifests (-f, PATH) make a "
                "simulated one: give one or the other")


def _attaching(args: argparse.Namespace) -> bool:
    """`--kubeconfig` or `--context` given: read the real cluster instead of simulating one."""
    return bool(getattr(args, "kubeconfig", None) or getattr(args, "context", None))


def _attach_options(args: argparse.Namespace):
    from engine.attach.session import AttachOptions

    return AttachOptions(kubeconfig=getattr(args, "kubeconfig", None), context=getattr(args, "context", None))


def _attached_cluster(args: argparse.Namespace, err: TextIO):
    """The real cluster's objects, listed once, with kube-proxy and CoreDNS computed over
    them; None (after one line on `err`) when it cannot be had."""
    from engine.attach.client import AttachError
    from engine.attach.session import COMPUTING_COMMANDS, AttachSession

    session = AttachSession(_attach_options(args))
    try:
        cluster = asyncio_run(session.snapshot(compute=args.command in COMPUTING_COMMANDS,
                                               events=partial(_events_queries, args)))
    except AttachError as e:
        err.write(f"svcflow: {e.line}\n")
        return None
    for line in session.headless_lines(args.command):
        err.write(f"svcflow: {line}\n")
    problem = session.events_read.problem()
    if problem:
        err.write(f"svcflow: events: {problem}\n")
    if args.command in ("proxy-rules", "dig", "dns-records", "trace"):
        err.write(f"svcflow: computed from the live objects of {session.server} "
                  "(svcflow cannot read a node's rules or ask its CoreDNS)\n")
    return cluster, session


def _events_queries(args: argparse.Namespace, context_namespace: str) -> list:
    """The events lists an attached `get`/`describe` reads before it prints, as kubectl
    reads them (engine/attach/events.py); none for the other commands."""
    from engine.attach.events import queries_for

    if args.command not in ("get", "describe"):
        return []
    return queries_for(args.command, list(args.args), namespace=getattr(args, "namespace", None) or context_namespace,
                       all_namespaces=bool(getattr(args, "all_namespaces", False)))


def _attached_refusals(session, args: argparse.Namespace) -> list[str]:
    """kubectl's `Error from server (Forbidden): ...` for each kind a `get`/`describe` asks
    for that RBAC kept svcflow from reading (the command then exits 1, as kubectl does)."""
    if args.command not in ("get", "describe") or not args.args:
        return []
    from engine.kubectl.printers.get import ResourceTypeNotFound, expand_resource_args

    words = args.args[0] if "/" not in args.args[0] else args.args[0].split("/", 1)[0]
    try:
        infos = expand_resource_args(words)
    except ResourceTypeNotFound:
        return []
    ns = None if getattr(args, "all_namespaces", False) else args.namespace
    return [line for info in infos if (line := session.forbidden(info.kind, ns if info.namespaced else None))]


def asyncio_run(coro):
    """Run a headless attached command. Ctrl+C ends it as it ends kubectl: killed by the
    signal (the shell's status 130), no traceback -- asyncio.run has cancelled the command
    and let it close its connections and its decoding process first."""
    import asyncio
    import os
    import signal

    try:
        return asyncio.run(coro)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
        raise  # (only where SIGINT cannot end the process)


def _serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """`svcflow serve` and `svcflow kubeconfig` (tui/serve.py; headless, no Textual)."""
    from pathlib import Path

    from tui import serve

    path = Path(args.kubeconfig) if args.kubeconfig else serve.DEFAULT_KUBECONFIG
    if args.command == "kubeconfig":
        return serve.print_kubeconfig(path, out, err)
    if args.port is not None and not 0 <= args.port <= 65535:
        err.write(f"svcflow: --port {args.port}: not a port number (0-65535)\n")
        return 1
    opts = serve.ServeOptions(paths=args.paths, address=args.address, port=args.port,
                              allow_remote=args.allow_remote, kubeconfig=path,
                              deterministic=getattr(args, "deterministic", False),
                              bare=getattr(args, "bare", False), seed=getattr(args, "seed", None))
    return serve.main(opts, out, err)


def _session(cluster, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Echo prompt + line when the input is a script or a pipe; a person at a terminal
    sees their own typing, so then only the prompt is printed."""
    from pathlib import Path

    from engine.kubectl.session import Session

    s = Session(cluster)
    try:
        src = open(args.script, encoding="utf-8") if args.script else sys.stdin
    except IsADirectoryError:
        err.write(f"svcflow session: {args.script} is a folder: a session reads a file of lines (or stdin); "
                  f"manifests come with -f (svcflow session -f {args.script})\n")
        return 1
    except OSError as e:
        err.write(f"svcflow session: {args.script}: {e.strerror or e}\n")
        return 1
    interactive = src.isatty()
    try:
        while True:
            if interactive:
                out.write(s.prompt)
                out.flush()
            line = src.readline()
            if not line:
                break
            if not interactive:
                p = s.prompt
                out.write(f"{p}{line.rstrip()}\n" if p else f"{line.rstrip()}\n")
            out.write(s.feed(line))
            out.flush()
    finally:
        if args.script:
            src.close()
    del Path
    return 0


def _web(args: argparse.Namespace) -> int:
    """Each browser tab runs its own svcflow process behind textual-serve, bound to
    127.0.0.1: venues project the browser, nothing is exposed to the network.

    The server owns its children: each app process starts in its own session (process
    group), and SIGTERM/SIGINT end them before the server stops -- SIGTERM first (the
    app's web driver then says goodbye to its tab), SIGKILL for any still there after
    WEB_CHILD_GRACE seconds (an app busy enough not to answer), so no orphan is left
    spinning. The children also watch the server (SVCFLOW_WEB_SERVER): if it is killed
    outright, they exit too."""
    import asyncio
    import os
    import shlex
    import signal

    import textual_serve.server as serve_mod
    from aiohttp import web
    from aiohttp.web_runner import GracefulExit
    from textual_serve.app_service import AppService

    cmd = [sys.executable, "-m", "tui.cli"]
    if args.tour is not None:
        cmd += ["tour"] + ([] if args.tour == "tutorial" else [args.tour]) + (["--lang", args.lang] if args.lang else [])
    else:
        cmd += [*args.paths]
    for flag in ("deterministic", "bare"):
        if getattr(args, flag, False):
            cmd.append(f"--{flag}")
    children: set[int] = set()  # process-group ids of the running apps

    class OwnedAppService(AppService):
        async def _open_app_process(self, width: int = 80, height: int = 24):
            env = self._build_environment(width=width, height=height)
            self._process = process = await asyncio.create_subprocess_shell(
                self.command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, env=env, start_new_session=True)
            children.add(process.pid)
            assert process.stdin is not None
            self._stdin = process.stdin
            return process

    def end_children(sig: int) -> None:
        for pgid in list(children):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                children.discard(pgid)
            except PermissionError:
                pass

    def reap_children(grace: float) -> None:
        import time

        end_children(signal.SIGTERM)
        deadline = time.monotonic() + grace
        while children and time.monotonic() < deadline:
            for pgid in list(children):
                try:
                    os.waitpid(pgid, os.WNOHANG)  # (a leader that exited is no zombie of ours)
                except ChildProcessError:
                    pass
                try:
                    os.killpg(pgid, 0)
                except ProcessLookupError:
                    children.discard(pgid)
            time.sleep(0.05)
        end_children(signal.SIGKILL)

    class OwnedServer(serve_mod.Server):
        def request_exit(self) -> None:
            end_children(signal.SIGTERM)  # the apps close their tabs, so the sockets end
            raise GracefulExit()

        def serve(self, debug: bool = False) -> None:
            self.debug = debug
            self.initialize_logging()
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            loop.add_signal_handler(signal.SIGINT, self.request_exit)
            loop.add_signal_handler(signal.SIGTERM, self.request_exit)
            web.run_app(self._make_app(), host=self.host, port=self.port, handle_signals=False, loop=loop,
                        print=lambda *a: None, shutdown_timeout=WEB_CHILD_GRACE)

    os.environ["SVCFLOW_WEB_SERVER"] = str(os.getpid())  # the children's environment is a copy of ours
    serve_mod.AppService = OwnedAppService  # (textual-serve builds one per tab by this name)
    try:
        OwnedServer(shlex.join(cmd), host="127.0.0.1", port=args.port, title="svcflow").serve()
    finally:
        reap_children(WEB_CHILD_GRACE)
    return 0


WEB_CHILD_GRACE = 2.0  # seconds an app under `svcflow web` gets to exit after SIGTERM


def _exit_with_web_server() -> None:
    """Under `svcflow web`: exit when the server is gone (killed with SIGKILL, say), so an
    app never outlives the server that was its only way to the browser."""
    import os
    import threading
    import time

    pid = os.environ.get("SVCFLOW_WEB_SERVER", "")
    if not pid.isdigit() or "TEXTUAL_DRIVER" not in os.environ:
        return

    def watch() -> None:
        while True:
            time.sleep(0.5)
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:
                pass

    threading.Thread(target=watch, name="svcflow-web-server-watch", daemon=True).start()


def _load_tour(path: str | None, err: TextIO):
    from tui.tour_script import TourError, load_tour

    try:
        return load_tour(None if path in (None, "tutorial") else path)
    except TourError as e:
        err.write(f"error: {e}\n")
        return None


def _bad_step(tour, step: int | None, err: TextIO) -> bool:
    """`--step` outside the tour (0 = before its first step): say so."""
    if step is not None and not 0 <= step <= len(tour.steps):
        err.write(f"error: --step must be between 0 and {len(tour.steps)}\n")
        return True
    return False


def _tour(args: argparse.Namespace, err: TextIO) -> int:
    import os

    tour = _load_tour(args.script, err)
    if tour is None:
        return 1
    lang = args.lang or tour.language
    if lang not in tour.languages:
        err.write(f"error: the tour has no captions in {lang!r} (it has: {', '.join(tour.languages)})\n")
        return 1
    if _bad_step(tour, args.step, err):
        return 1
    if _needs_terminal(err, "svcflow tour"):
        return 1
    _exit_with_web_server()
    from tui.tour import TourApp

    animate = os.environ.get("TEXTUAL_ANIMATIONS", "").lower() != "none"
    TourApp(tour, lang=lang, present=args.present, animate=animate, seed=getattr(args, "seed", None),
            start=args.step or 0).run()
    return 0


def _screenshot(args: argparse.Namespace, err: TextIO) -> int:
    """Render headlessly (deterministic mode) and write the SVG."""
    import asyncio

    size = screenshot_size(args.size)
    if isinstance(size, str):
        err.write(f"error: {size}\n")
        return 1
    w, h = size
    from tui.screenshot import screenshot_svg
    from tui.tour_script import FOCUS

    if args.focus is not None and args.focus not in FOCUS:
        err.write(f"error: --focus: unsupported value {args.focus!r}: supported values: "
                  + ", ".join(f'"{f}"' for f in FOCUS) + "\n")
        return 2
    if args.tour is not None:
        from tui.tour import TourApp

        tour = _load_tour(args.tour, err)
        if tour is None:
            return 1
        if _bad_step(tour, args.step, err):
            return 1
        app = TourApp(tour, lang=args.lang or tour.language, animate=False, seed=getattr(args, "seed", None))
    elif _attaching(args):
        from engine.attach.workspace import AttachWorkspace
        from tui.app import SvcflowApp

        app = SvcflowApp([], watch=False, lang=args.lang, animate_flow=False,
                         workspace=AttachWorkspace(_attach_options(args)))
    else:
        from tui.app import SvcflowApp

        hint = None if args.files else simulation_hint("screenshot", "the simulation of samples/ (no -f given)")
        if hint:
            err.write(hint + "\n")
        app = SvcflowApp(args.files or ["samples/"], deterministic=True, watch=False,
                         bare=getattr(args, "bare", False), seed=getattr(args, "seed", None), lang=args.lang)

    async def shoot() -> str:
        async with app.run_test(size=(w, h)) as pilot:
            if args.tour is not None and args.step:
                app.seek(args.step)
            await pilot.pause()
            if getattr(app, "read_only", False):  # attached: wait for the first lists (or a problem)
                ws = app.workspace
                for _ in range(int(ATTACH_SCREENSHOT_WAIT / 0.05)):
                    if ws.built or ws.session.problem_lines():
                        break
                    await asyncio.sleep(0.05)
                ws.advance(0)
                app.refresh_panes(flash=False)
                await pilot.pause()
            if args.focus is not None:  # once the folder's flows have played (deterministic)
                from tui.widgets.flow_diagram import focus_pane

                focus_pane(app, args.focus)
                await pilot.pause()
            return screenshot_svg(app)

    svg = asyncio.run(shoot())
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(svg)
    return 0


ATTACH_SCREENSHOT_WAIT = 30.0  # seconds `screenshot --kubeconfig` waits for the first lists
#: The terminal sizes `screenshot --size` renders: from one cell to a wall of 2000x2000 (a
#: bigger screen takes minutes and gigabytes to lay out, and no terminal is that big).
SCREENSHOT_MAX_SIDE = 2000


def screenshot_size(text: str) -> tuple[int, int] | str:
    """`--size WxH` as (columns, rows), or the one line that refuses it."""
    w, x, h = text.lower().partition("x")
    if not (x and w.isascii() and w.isdigit() and h.isascii() and h.isdigit()):
        return f"--size must look like 160x48, got {text!r}"
    cols, rows = int(w), int(h)
    if not (1 <= cols <= SCREENSHOT_MAX_SIDE and 1 <= rows <= SCREENSHOT_MAX_SIDE):
        return (f"--size {text}: columns and rows must each be between 1 and {SCREENSHOT_MAX_SIDE} "
                "(like 160x48)")
    return cols, rows


def _dashboard(argv: list[str], err: TextIO | None = None, attach: bool = False) -> int:
    p = argparse.ArgumentParser(prog="svcflow attach" if attach else "svcflow", description="svcflow dashboard")
    _global_flags(p)
    _attach_flags(p)
    p.add_argument("paths", nargs="*", default=None, help="manifest folders or files (default: samples/)")
    p.add_argument("--present", action="store_true", help="high contrast, no footer: for projectors")
    p.add_argument("--lang", default=None, choices=("en", "ko"),
                   help="the dashboard's language (pane titles, keys, help); Kubernetes' terms stay as they are")
    p.add_argument("--no-serve", dest="serve", action="store_false", default=None,
                   help="do not serve the cluster's Kubernetes API (by default the dashboard serves it on "
                        "127.0.0.1:6443 or the next free port and writes .svcflow/kubeconfig)")
    p.add_argument("--port", type=int, default=None, metavar="N",
                   help="serve the Kubernetes API on this port of 127.0.0.1 (one kubeconfig across runs)")
    args = p.parse_args(argv)
    if (attach or _attaching(args)) and args.paths:
        (err or sys.stderr).write(BOTH_SOURCES + "\n")
        return 1
    if _needs_terminal(err or sys.stderr, "the svcflow dashboard"):
        return 1
    _exit_with_web_server()
    from tui.app import run

    if attach or _attaching(args):
        return _attach_dashboard(args, err or sys.stderr)
    return run(args.paths or ["samples/"], deterministic=getattr(args, "deterministic", False), bare=getattr(args, "bare", False),
               seed=getattr(args, "seed", None), present=args.present, lang=args.lang, serve=args.serve,
               api_port=args.port)


def _attach_dashboard(args: argparse.Namespace, err: TextIO) -> int:
    """The dashboard on a real cluster, read-only (engine.attach)."""
    from engine.attach.client import INSTALL_HINT, client_installed

    if not client_installed():  # said at once, not on the dashboard's error bar
        err.write(f"svcflow: {INSTALL_HINT}\n")
        return 1
    from engine.attach.client import AttachError, check_kubeconfig

    try:  # a kubeconfig that cannot be used: one line and exit 1, as kubectl (nothing to retry)
        check_kubeconfig(getattr(args, "kubeconfig", None), getattr(args, "context", None))
    except AttachError as e:
        err.write(f"svcflow: {e.line}\n")
        return 1
    from engine.attach.workspace import AttachWorkspace
    from tui.app import SvcflowApp

    SvcflowApp([], present=args.present, lang=args.lang, watch=False,
               workspace=AttachWorkspace(_attach_options(args))).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
