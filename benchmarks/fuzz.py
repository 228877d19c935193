"""Fuzz the manifest path (issue 13): mutated samples through the folder load the CLI and the
dashboard use, and through the headless CLI in-process; zero tracebacks allowed.

Each case is a folder: the tutorial's samples plus a few documents that shape the cluster
(a kind `Cluster`, a `KubeProxyConfiguration`, a `Node`, a Pod with `ownerReferences` and a
`status`, a ConfigMap with `finalizers` and `binaryData`), mutated at the object level (drop a key, change a value's type to
int/str/list/dict/null, duplicate a document) and at the text level (truncate at a random
offset, insert garbage bytes). The case is loaded with `engine.apply.workspace.cluster_from_paths`
(load_paths -> topology -> boot -> apply_documents -> run to steady state), as `svcflow
get -f DIR` does; one case in `--cli-every` also runs `tui.cli.main([... "get", "all", "-f",
DIR])` in-process.

A case fails when anything raises, when a case runs past `--timeout` seconds (a hang), or
when svcflow's own reporting carries an internal exception instead of a kubectl-style refusal:
"svcflow could not apply this object (KeyError: ...)", "svcflow could not read it (...)",
"ignoring the cluster configuration (ValueError: ...)", a "Traceback". Refusals that come as
kubectl/API-server errors (`error: ...`, `The Service "x" is invalid: ...`, `Error from
server ...`) and svcflow's notices without an exception name are fine.

    .venv/bin/python -m benchmarks.fuzz --count 3000 --seed 1 --out /tmp/fuzz-failures

prints the counts (ok / refused / failed by kind) and saves each failing case's files and
its traceback or message to a folder under --out.
"""
from __future__ import annotations

import argparse
import copy
import io
import random
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"

#: Documents that shape the cluster or take other paths than the samples (topology, scheduler,
#: garbage collector), in the forms the issue's crashes used; each case picks some.
EXTRA_DOCS: dict[str, str] = {
    "kind-cluster.yaml": """\
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
networking:
  podSubnet: 10.244.0.0/16
  serviceSubnet: 10.96.0.0/16
nodes:
  - role: control-plane
  - role: worker
  - role: worker
""",
    "kube-proxy.yaml": """\
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
""",
    "node.yaml": """\
apiVersion: v1
kind: Node
metadata:
  name: extra-worker
  labels:
    kubernetes.io/hostname: extra-worker
spec:
  podCIDR: 10.244.9.0/24
  taints:
    - key: dedicated
      value: x
      effect: NoSchedule
status:
  allocatable:
    pods: "110"
""",
    "pod.yaml": """\
apiVersion: v1
kind: Pod
metadata:
  name: pinned
  labels:
    app: counter
    tier: db
  ownerReferences:
    - apiVersion: apps/v1
      kind: ReplicaSet
      name: redis-abc
      uid: 0b6ad3a4-0000-4000-8000-000000000001
      controller: true
spec:
  hostNetwork: false
  dnsPolicy: ClusterFirst
  containers:
    - name: redis
      image: redis
      ports:
        - containerPort: 6379
status:
  phase: Running
  podIP: 10.244.1.250
""",
    "configmap.yaml": """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  finalizers: [example.com/keep]
data:
  key: value
binaryData:
  blob: aGVsbG8=
""",
}

#: Values a mutation retypes a field to: int/str/list/dict/null and the edges of each.
RETYPES = [0, 1, -1, 7, 2**31, -(2**63), 10**20, "", "x", "80", "10.244.9.0/2y", "10.244.9.5/24",
           "10.96.0.0/40", "yes", "a" * 300, [], [5], [{}], ["x"], {}, {"a": 1}, None, True, 1.5]

#: svcflow's error/notice text that is really an internal exception: a Python exception's
#: name in parentheses (what the catch-alls in workspace/manifests/live write), or a traceback.
INTERNAL = re.compile(r"Traceback \(most recent call last\)|svcflow could not|"
                      r"\((?:[A-Z][A-Za-z]*(?:Error|Exception)|StopIteration|AlreadyExists|NotFound)\b")


_EXC_IN_TEXT = re.compile(r"\(([A-Z][A-Za-z]*(?:Error|Exception)|StopIteration|AlreadyExists|NotFound)\b:? ?([^)\n]*)")


def sample_docs() -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(SAMPLES.glob("*.yml"))}


# ---- mutations --------------------------------------------------------------------------------------

def _paths(value, prefix=()):
    out = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.append(prefix + (k,))
            out.extend(_paths(v, prefix + (k,)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.append(prefix + (i,))
            out.extend(_paths(v, prefix + (i,)))
    return out


def _parent(doc, path):
    node = doc
    for p in path[:-1]:
        node = node[p]
    return node


def mutate_objects(rng: random.Random, text: str) -> str:
    """Drop keys, retype values, duplicate documents of one file; its text again (YAML)."""
    docs = [d for d in yaml.safe_load_all(text) if d is not None]
    for _ in range(rng.randint(1, 3)):
        if not docs:
            break
        op = rng.choice(["drop", "retype", "retype", "duplicate"])
        i = rng.randrange(len(docs))
        if op == "duplicate":
            docs.insert(rng.randint(0, len(docs)), copy.deepcopy(docs[i]))
            continue
        paths = _paths(docs[i])
        if not paths:
            docs[i] = copy.deepcopy(rng.choice(RETYPES))
            continue
        path = rng.choice(paths)
        parent = _parent(docs[i], path)
        if op == "drop":
            del parent[path[-1]]
        else:
            parent[path[-1]] = copy.deepcopy(rng.choice(RETYPES))
    return yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True)


GARBAGE = [b"\x00", b"\xff\xfe", b"\t", b"{", b"[", b"---\n", b": :", b"&a *a", b"!!binary ", b"\xc3\x28", b"\"",
           b"'", b"- ", b"\n  ", b"%YAML 1.1\n", b"<<: *x", b"\xef\xbb\xbf", b"\r"]


def mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    """Truncate at a random offset, or insert garbage bytes at random offsets."""
    if rng.random() < 0.4:
        return data[: rng.randint(0, len(data))]
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        at = rng.randint(0, len(out))
        junk = rng.choice(GARBAGE) if rng.random() < 0.7 else bytes(rng.randrange(256) for _ in range(rng.randint(1, 6)))
        out[at:at] = junk
    return bytes(out)


def make_case(rng: random.Random) -> dict[str, bytes]:
    """One folder's files: the samples, some extra documents, one to three of them mutated."""
    files = dict(sample_docs())
    for name in rng.sample(sorted(EXTRA_DOCS), rng.randint(0, 3)):
        files[name] = EXTRA_DOCS[name]
    out = {name: text.encode() for name, text in files.items()}
    for name in rng.sample(sorted(files), rng.randint(1, min(3, len(files)))):
        if rng.random() < 0.65:
            out[name] = mutate_objects(rng, files[name]).encode()
        else:
            out[name] = mutate_bytes(rng, out[name])
    return out


# ---- running a case ---------------------------------------------------------------------------------

class Hang(Exception):
    pass


@contextmanager
def time_limit(seconds: float):
    """SIGALRM-based wall-clock limit (main thread only); no limit when seconds <= 0."""
    if seconds <= 0 or not hasattr(signal, "setitimer"):
        yield
        return

    def fire(signum, frame):
        raise Hang(f"still running after {seconds:g} s")

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@dataclass
class Outcome:
    status: str  # "ok" | "refused" | "failed"
    kind: str = ""  # for failures: "exception" | "hang" | "internal-error-text"
    detail: str = ""
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def signature(self) -> str:
        """What makes two failures the same bug: the exception and where it was raised."""
        lines = [l for l in self.detail.strip().splitlines() if l.strip()]
        if self.kind == "exception":
            where = [l.strip() for l in lines if l.strip().startswith('File "')]
            ours = [w for w in where if "/engine/" in w or "/tui/" in w]  # the deepest svcflow frame
            where = ours or where
            return f"{lines[-1].split(':')[0] if lines else ''} at {where[-1] if where else '?'}"
        if self.kind == "internal-error-text":
            m = _EXC_IN_TEXT.search(self.detail)
            if m is None:
                m = INTERNAL.search(self.detail)
                return self.detail[m.start(): m.start() + 80] if m else "?"
            line_start = self.detail.rfind("\n", 0, m.start()) + 1
            before = self.detail[max(line_start, m.start() - 50): m.start()]
            before = before[before.find("svcflow"):] if "svcflow" in before else before
            msg = re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "_", m.group(2))[:50]
            return f"{before.strip()} ({m.group(1)}: {msg})"
        return self.kind


def write_case(folder: Path, files: dict[str, bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)


def run_case(files: dict[str, bytes], *, cli: bool = False, timeout: float = 20.0) -> Outcome:
    """Load one folder as the CLI does (and, with `cli`, run `svcflow get all -f` in-process)."""
    from engine.apply.workspace import cluster_from_paths

    tmp = Path(tempfile.mkdtemp(prefix="svcflow-fuzz-"))
    try:
        write_case(tmp, files)
        texts = []
        with time_limit(timeout):
            _cluster, report = cluster_from_paths([tmp], deterministic=True)
            texts += [report.stderr(), report.stdout()] + [f"{w.source}: {w.message}" for w in report.warnings]
            if cli:
                from tui.cli import main

                out, err = io.StringIO(), io.StringIO()
                code = main(["get", "all", "-A", "--deterministic", "-f", str(tmp)], out=out, err=err)
                texts += [out.getvalue(), err.getvalue()]
                if not isinstance(code, int):
                    return Outcome("failed", "exception", f"cli main returned {code!r}", files)
        text = "\n".join(texts)
        if INTERNAL.search(text):
            return Outcome("failed", "internal-error-text", text, files)
        return Outcome("refused" if not report.ok else "ok", files=files)
    except Hang as e:
        return Outcome("failed", "hang", f"{e}\n{traceback.format_exc()}", files)
    except BaseException as e:  # noqa: BLE001 - every escape is what we look for
        if isinstance(e, KeyboardInterrupt):
            raise
        return Outcome("failed", "exception", traceback.format_exc(), files)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(count: int, seed: int, *, out: Path | None = None, cli_every: int = 10, timeout: float = 20.0,
        verbose: bool = True) -> dict:
    """`count` cases from `seed`; returns counts and the failures, one per signature first."""
    counts = {"ok": 0, "refused": 0, "failed": 0}
    failures: dict[str, list[tuple[int, Outcome]]] = {}
    t0 = time.perf_counter()
    for i in range(count):
        rng = random.Random(f"{seed}:{i}")
        files = make_case(rng)
        o = run_case(files, cli=cli_every > 0 and i % cli_every == 0, timeout=timeout)
        counts[o.status] += 1
        if o.status == "failed":
            first = o.signature not in failures
            failures.setdefault(o.signature, []).append((i, o))
            if out is not None:
                d = out / f"case-{seed}-{i:05d}"
                write_case(d, o.files)
                (d / "FAILURE.txt").write_text(f"{o.kind}\n{o.signature}\n\n{o.detail}")
            if verbose:
                print(f"case {i}: FAILED ({o.kind}{', new' if first else ''}) {o.signature}"
                      + (f" -> {out / f'case-{seed}-{i:05d}'}" if out is not None else ""), flush=True)
    return {"counts": counts, "failures": failures, "seconds": time.perf_counter() - t0}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("fuzz-failures"), help="folder for failing cases")
    ap.add_argument("--cli-every", type=int, default=10, help="run the CLI in-process on one case in N (0: never)")
    ap.add_argument("--timeout", type=float, default=20.0, help="seconds before a case counts as a hang")
    args = ap.parse_args(argv)
    res = run(args.count, args.seed, out=args.out, cli_every=args.cli_every, timeout=args.timeout)
    c = res["counts"]
    print(f"\n{args.count} cases (seed {args.seed}) in {res['seconds']:.1f} s: {c['ok']} ok, "
          f"{c['refused']} refused with svcflow's errors, {c['failed']} failed")
    for sig, cases in sorted(res["failures"].items(), key=lambda kv: -len(kv[1])):
        print(f"  {len(cases):5d} x {cases[0][1].kind}: {sig}  (first: case {cases[0][0]})")
    return 1 if c["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
