"""Hardening: YAML that is broken, odd or hostile is refused with a clear message, fast, with
bounded memory, and never crashes or constructs anything.

Messages are kubectl's (go-yaml v2 through sigs.k8s.io/yaml) where kubectl has one; where svcflow
has its own limit (file size, nesting) the message says it is svcflow's.
"""
from __future__ import annotations

import os
import random
import time
import tracemalloc
from pathlib import Path

import pytest

from engine.manifests import loader as manifests
from engine.manifests.gojson import MAX_NESTING
from engine.manifests.loader import MAX_MANIFEST_BYTES, load_paths, load_text
from engine.apply.workspace import cluster_from_paths

SVC = "apiVersion: v1\nkind: Service\nmetadata:\n  name: redis\nspec:\n  ports:\n  - port: 6379\n"
PARSE = "error: error parsing f.yaml: error converting YAML to JSON: yaml: "


def one_error(text: str, display: str = "f.yaml"):
    r = load_text(text, display)
    assert len(r.errors) == 1, r.errors
    return r.errors[0]


# ---- syntax -------------------------------------------------------------------------------

def test_syntax_error_names_file_line_and_go_yaml_words():
    e = one_error("apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n   oops: y\n")
    assert e.message == PARSE + "line 5: mapping values are not allowed in this context"
    assert (e.display, e.line) == ("f.yaml", 5)


def test_tab_indentation_is_found_character_that_cannot_start_any_token():
    e = one_error("apiVersion: v1\nkind: Service\nmetadata:\n\tname: x\n")
    assert e.message == PARSE + "line 4: found character that cannot start any token"
    assert e.line == 4


def test_a_document_that_is_a_list_or_a_scalar_is_an_invalid_object_to_validate():
    for text in ("- a\n- b\n", "just a string\n", "42\n"):
        e = one_error(text)
        assert e.message == ('error: error validating "f.yaml": error validating data: invalid object to '
                             'validate; if you choose to ignore these errors, turn validation off with '
                             '--validate=false')
        assert e.line == 1


@pytest.mark.parametrize("text", ["", "\n\n", "# only\n# comments\n", "---\n---\n", "--- # c\n---\n"])
def test_empty_and_comment_only_files_are_skipped_silently(text):
    r = load_text(text, "f.yaml")
    assert (r.documents, r.errors, r.warnings) == ([], [], [])


def test_a_broken_second_document_still_applies_the_first_like_kubectl():
    r = load_text(SVC + "---\napiVersion: v1\nkind: Service\nmetadata: [\n")
    assert [d.name for d in r.kubectl_documents] == ["redis"]
    assert r.errors[0].line == 12 and "yaml: line 3: did not find expected node content" in r.errors[0].message


# ---- duplicate keys -----------------------------------------------------------------------

def test_duplicate_key_keeps_the_last_value_like_kubectl_and_warns_with_both_lines():
    text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: first\n  name: second\nspec:\n  ports: [{port: 80}]\n"
    r = load_text(text, "f.yaml")
    assert r.errors == []
    assert r.documents[0].name == "second"  # sigs.k8s.io/yaml (not strict): the last one wins
    (w,) = r.warnings
    assert (w.display, w.line, w.field, w.code) == ("f.yaml", 5, "name", "duplicate-key")
    assert w.message == 'warning: mapping key "name" already defined at line 4; kubectl keeps the last value'


def test_duplicate_keys_are_compared_as_kubectl_sees_them_and_merges_are_not_duplicates():
    text = ('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  "1": a\n  1: b\n'
            "base: &b {x: '1'}\nover:\n  <<: *b\n  x: '2'\n")
    r = load_text(text, "f.yaml", check_kinds=False)
    assert [(w.line, w.field) for w in r.warnings] == [(6, "1")]
    assert r.documents[0].obj["over"] == {"x": "2"}


def test_duplicate_key_warning_reaches_the_apply_report_but_not_kubectls_stderr(tmp_path):
    f = tmp_path / "svc.yaml"
    f.write_text(SVC.replace("  name: redis\n", "  name: redis\n  labels: {a: b}\n  labels: {c: d}\n"))
    cluster, report = cluster_from_paths([f], deterministic=True)
    assert report.stderr() == "" and report.lines == ["service/redis created"]
    assert [w.source for w in report.warnings] == [f"{f}:6"]
    assert cluster.get("Service", "default", "redis")["metadata"]["labels"] == {"c": "d"}


# ---- bytes that are not text ------------------------------------------------------------------

@pytest.mark.parametrize("raw, problem, line", [
    (b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: \"caf\xe9\"}\n",
     "invalid trailing UTF-8 octet", 4),
    (b"apiVersion: v1\n\xff\xfe\n", "invalid leading UTF-8 octet", 2),
    (b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n# \xe2\x82", "incomplete UTF-8 octet sequence", 4),
    (b"a: \xc0\xaf\n", "invalid length of a UTF-8 sequence", 1),
    (b"a: \xed\xa0\x80\n", "invalid Unicode character", 1),
    (b"apiVersion: v1\x00\n", "control characters are not allowed", 1),
])
def test_bytes_that_are_not_utf8_get_go_yamls_reader_error(tmp_path, raw, problem, line):
    f = tmp_path / "f.yaml"
    f.write_bytes(raw)
    (e,) = load_paths([f]).errors
    assert e.message == f"error: error parsing {f}: error converting YAML to JSON: yaml: {problem}"
    assert e.line == line


def test_non_utf8_bytes_in_a_later_document_do_not_stop_the_first(tmp_path):
    f = tmp_path / "f.yaml"
    f.write_bytes(SVC.encode() + b"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: \"\xff\"}\n")
    r = load_paths([f])
    assert [d.name for d in r.kubectl_documents] == ["redis"]
    assert r.errors[0].line == 11


def test_a_binary_file_named_yaml_is_refused_quickly_without_crashing(tmp_path):
    rnd = random.Random(8)
    png = b"\x89PNG\r\n\x1a\n" + bytes(rnd.randrange(256) for _ in range(300_000))
    (tmp_path / "logo.yaml").write_bytes(png)
    (tmp_path / "noise.yml").write_bytes(bytes(rnd.randrange(256) for _ in range(300_000)))
    (tmp_path / "zeros.json").write_bytes(b"{" + b"\x00" * 1000)
    t = time.perf_counter()
    r = load_paths([tmp_path])
    assert time.perf_counter() - t < 2
    assert r.documents == []
    assert {e.display for e in r.errors} == {str(tmp_path / n) for n in ("logo.yaml", "noise.yml", "zeros.json")}
    assert "yaml: invalid leading UTF-8 octet" in [e for e in r.errors if "logo" in e.display][0].message


def test_utf16_with_a_bom_is_read(tmp_path):
    f = tmp_path / "win.yaml"
    f.write_bytes(SVC.encode("utf-16"))
    assert [d.name for d in load_paths([f]).documents] == ["redis"]


# ---- size ---------------------------------------------------------------------------------------

def test_a_50_mb_file_is_refused_fast_without_being_read(tmp_path, monkeypatch):
    f = tmp_path / "huge.yaml"
    with open(f, "wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # sparse: instant to make
    reads = []
    real_read = os.read
    monkeypatch.setattr(manifests.os, "read", lambda fd, n: reads.append(n) or real_read(fd, n))
    t = time.perf_counter()
    (e,) = load_paths([f]).errors
    assert time.perf_counter() - t < 0.5
    assert reads == []
    assert e.code == "limit" and e.display == str(f)
    assert e.message == (f"error: refusing to read {f}: it is 50.0 MiB, over svcflow's "
                         f"{MAX_MANIFEST_BYTES // 2**20} MiB limit for one manifest file")


def test_a_huge_string_is_refused_too():
    (e,) = load_text("a: b\n" * (MAX_MANIFEST_BYTES // 4), "big.yaml").errors
    assert e.code == "limit"


# ---- alias bombs and nesting --------------------------------------------------------------------

def laughs(levels: int = 9, fanout: int = 9) -> str:
    out = ["apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  a: &a [" + ",".join(['"lol"'] * fanout) + "]\n"]
    prev = "a"
    for i in range(1, levels):
        name = chr(ord("a") + i)
        out.append(f"  {name}: &{name} [" + ",".join([f"*{prev}"] * fanout) + "]\n")
        prev = name
    return "".join(out)


def test_billion_laughs_is_refused_fast_with_bounded_memory_in_go_yamls_words():
    tracemalloc.start()
    t = time.perf_counter()
    try:
        e = one_error(laughs())
        elapsed = time.perf_counter() - t
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert e.message == PARSE + "document contains excessive aliasing"
    assert elapsed < 1
    assert peak < 20 * 2**20


def test_a_wide_alias_fan_out_is_refused_too():
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  a: &a [" + ",".join(["x"] * 5000)
            + "]\n  b: [" + ",".join(["*a"] * 3000) + "]\n")
    t = time.perf_counter()
    assert one_error(text).message == PARSE + "document contains excessive aliasing"
    assert time.perf_counter() - t < 2


def test_modest_aliases_and_merge_keys_still_work():
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  a: &a hello\n  b: *a\n"
            "extra: &base {k: v}\nmore: {<<: *base, z: w}\n")
    r = load_text(text, "f.yaml", check_kinds=False)
    assert r.errors == []
    assert r.documents[0].obj["data"] == {"a": "hello", "b": "hello"}
    assert r.documents[0].obj["more"] == {"k": "v", "z": "w"}


def test_an_anchor_that_contains_itself_is_refused_not_recursed():
    assert one_error("apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: *m}\n").message == \
        PARSE + "anchor 'm' value contains itself"


@pytest.mark.parametrize("text", [
    "a: " + "[" * 500 + "]" * 500 + "\n",
    "a: " + "[" * 5000 + "]" * 5000 + "\n",
    "a:\n" + "".join("  " * i + "- \n" for i in range(1, 150)),
    '{"a": ' + "[" * 50_000 + "]" * 50_000 + "}",
    '{"a": ' + "[" * 200,
])
def test_deep_nesting_is_refused_by_svcflows_limit_without_recursion_errors(text):
    e = one_error(text)
    assert f"objects nested more than {MAX_NESTING} levels deep are refused by svcflow" in e.message


def test_nesting_at_the_limit_is_fine():
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\nx: " + "[" * (MAX_NESTING - 2) + "]" * (MAX_NESTING - 2) + "\n"
    assert load_text(text, "f.yaml", check_kinds=False).errors == []


# ---- tags: only safe loading, go-yaml's rules -----------------------------------------------------

def test_python_tags_construct_nothing_and_decode_by_shape(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(os, "system", lambda cmd: calls.append(cmd) or 0)
    marker = tmp_path / "pwned"
    text = (f"apiVersion: v1\nkind: ConfigMap\nmetadata: !!python/object:os.system {{name: x}}\n"
            f"data:\n  a: !!python/object/apply:os.system ['touch {marker}']\n"
            f"  b: !!python/name:os.system\n  c: !!python/object/new:subprocess.Popen [['touch', '{marker}']]\n")
    r = load_text(text, "f.yaml")
    assert calls == [] and not marker.exists()
    assert r.errors == []
    assert r.documents[0].obj["metadata"] == {"name": "x"}
    assert r.documents[0].obj["data"]["a"] == [f"touch {marker}"]
    assert r.documents[0].obj["data"]["b"] == ""


@pytest.mark.parametrize("value, message", [
    ("!!int foo", "cannot decode !!str `foo` as a !!int"),
    ("!!int 1.5", "cannot decode !!float `1.5` as a !!int"),
    ("!!bool maybe", "cannot decode !!str `maybe` as a !!bool"),
    ("!!float x", "cannot decode !!str `x` as a !!float"),
    ("!!timestamp soon", "cannot decode !!str `soon` as a !!timestamp"),
    ("!!binary '***'", "!!binary value contains invalid base64 data"),
])
def test_explicit_tags_that_do_not_fit_get_go_yamls_message(value, message):
    e = one_error(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x}}\ndata:\n  a: {value}\n")
    assert e.message == PARSE + message
    assert e.line == 5


@pytest.mark.parametrize("value, decoded", [
    ("!!int 0x1F", 31), ("!!float 2", 2), ("!!str 80", "80"), ("!!binary aGVsbG8=", "hello"),
    ("!!timestamp 2024-05-01", "2024-05-01"), ("!!set {x, y}", {"x": None, "true": None}),
    ("!!omap [{x: 1}]", [{"x": 1}]), ("!!map [1]", [1]), ("!!null x", "x"),
])
def test_explicit_tags_that_fit_decode_as_go_yaml_does(value, decoded):
    r = load_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x}}\ndata:\n  a: {value}\n", "f.yaml")
    assert r.errors == []
    assert r.documents[0].obj["data"]["a"] == decoded


def test_merge_of_a_scalar_is_go_yamls_map_merge_error():
    assert one_error("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  <<: 5\n").message == \
        PARSE + "map merge requires map or sequence of maps as the value"


# ---- files that are not files ----------------------------------------------------------------------

def test_a_fifo_or_device_named_yaml_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")
    os.symlink("/dev/zero", tmp_path / "zero.yaml")
    t = time.perf_counter()
    r = load_paths([tmp_path])
    assert time.perf_counter() - t < 1
    assert sorted(e.message for e in r.errors) == [
        f"error: refusing to read {tmp_path / n}: not a regular file" for n in ("pipe.yaml", "zero.yaml")]


def test_symlinks_to_files_and_folders_are_read_and_loops_end(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (real / "svc.yaml").write_text(SVC)
    root = tmp_path / "root"
    root.mkdir()
    (root / "linked.yaml").symlink_to(real / "svc.yaml")
    (root / "folder").symlink_to(real)
    (root / "folder-again").symlink_to(real)  # the same folder twice: read once
    (root / "loop").symlink_to(root)  # a folder loop
    (root / "self.yaml").symlink_to(root / "self.yaml")  # a file loop
    (root / "dangling.yaml").symlink_to(tmp_path / "nowhere.yaml")
    (root / ".#lock.yaml").symlink_to("user@host.1234")  # emacs lock link: not a manifest
    r = load_paths([root])
    assert sorted(d.display for d in r.documents) == [str(root / "folder" / "svc.yaml"), str(root / "linked.yaml")]
    assert sorted(e.message for e in r.errors) == [
        f"error: open {root / 'dangling.yaml'}: no such file or directory",
        f"error: open {root / 'self.yaml'}: too many levels of symbolic links",
    ]


def test_an_unreadable_file_is_reported_with_kubectls_open_error(tmp_path, monkeypatch):
    f = tmp_path / "secret.yaml"
    f.write_text(SVC)
    real_open = os.open

    def deny(path, flags, *a):
        if str(path) == str(f):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *a)

    monkeypatch.setattr(manifests.os, "open", deny)
    (e,) = load_paths([tmp_path]).errors
    assert e.message == f"error: open {f}: permission denied" and e.code == "io"


def test_load_text_never_raises_on_random_garbage():
    rnd = random.Random(1)
    alphabet = list("ab:- \n\t{}[],&*!|>'\"#%@`?~\\\x00\x1b\u00e9\ud800")
    for _ in range(300):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randrange(1, 80)))
        load_text(text, "g.yaml")
        load_text("{" + text, "g.json")
