"""Reading manifests like `kubectl apply -f`: documents, lines, and kubectl's error texts.

YAML error lines follow go-yaml v2 (what kubectl uses): 1-based within the failing document,
except parser errors, which go-yaml reports one line early, and errors on a document's first
line, which carry no `line N:` at all.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.manifests.documents import (
    Document,
    LoadResult,
    field_line,
    is_config_kind,
    is_known_kind,
    unknown_kind_message,
)
from engine.manifests.loader import load_paths, load_text

ROOT = Path(__file__).resolve().parents[2]

NS_A = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n"
NS_B = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n"


def names(result: LoadResult) -> list[str]:
    return [d.name for d in result.documents]


def only_error(result: LoadResult) -> str:
    assert len(result.errors) == 1, result.errors
    return result.errors[0].message


# ---- YAML syntax errors ------------------------------------------------------------------


def test_mapping_values_not_allowed_names_the_line():
    text = (
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: redis\nspec:\n  ports:\n"
        "  - port: 6379: x\n"
    )
    r = load_text(text, "redis.yaml")
    assert only_error(r) == (
        "error: error parsing redis.yaml: error converting YAML to JSON: yaml: line 7: "
        "mapping values are not allowed in this context"
    )
    assert r.errors[0].line == 7 and r.errors[0].stops_file
    assert r.errors[0].detail == only_error(r)[len("error: "):]


def test_error_on_first_line_has_no_line_number():
    assert only_error(load_text("kind: Service: x\n", "a.yaml")) == (
        "error: error parsing a.yaml: error converting YAML to JSON: yaml: mapping values are not allowed in this context"
    )


def test_did_not_find_expected_key_is_reported_one_line_early_like_go_yaml():
    text = "apiVersion: v1\nkind: Service\nspec:\n  ports:\n  - port: 80\n   name: x\n"
    r = load_text(text, "svc.yaml")
    assert only_error(r) == (
        "error: error parsing svc.yaml: error converting YAML to JSON: yaml: line 5: did not find expected key"
    )
    assert r.errors[0].line == 6  # svcflow's own pointer is the true line


def test_tab_indentation():
    text = "apiVersion: v1\nkind: Service\nmetadata:\n\tname: x\n"
    assert only_error(load_text(text, "tab.yaml")) == (
        "error: error parsing tab.yaml: error converting YAML to JSON: yaml: line 4: "
        "found character that cannot start any token"
    )


def test_could_not_find_expected_colon():
    text = "apiVersion: v1\nkind: Service\nmetadata\n  name: x\n"
    r = load_text(text, "c.yaml")
    assert only_error(r) == (
        "error: error parsing c.yaml: error converting YAML to JSON: yaml: line 4: could not find expected ':'"
    )
    assert r.errors[0].line == 3  # the key missing its colon


def test_unterminated_quote_and_block_sequence_errors():
    r = load_text('a: "abc\nb: c\n', "q.yaml")
    assert only_error(r).endswith("yaml: line 3: found unexpected end of stream")
    r = load_text("a:\n  - b\n  c: d\n", "s.yaml")
    assert only_error(r).endswith("yaml: line 2: did not find expected '-' indicator")


def test_undefined_alias():
    assert only_error(load_text("a: *nope\n", "x.yaml")).endswith("yaml: unknown anchor 'nope' referenced")


def test_line_numbers_restart_in_each_document():
    text = NS_A + "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: x: y\n"
    r = load_text(text, "multi.yaml")
    assert only_error(r).endswith("yaml: line 4: mapping values are not allowed in this context")
    assert r.errors[0].line == 9


# ---- documents -----------------------------------------------------------------------------


def test_multi_document_with_one_bad_document_still_yields_the_good_ones():
    bad = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: [x\n"
    text = NS_A + "---\n" + bad + "---\n" + NS_B
    r = load_text(text, "m.yaml")
    assert names(r) == ["a", "b"]
    assert len(r.errors) == 1 and r.errors[0].code == "yaml"
    # kubectl stops reading this file at the broken document: "b" is never applied by it
    assert [d.name for d in r.kubectl_documents] == ["a"]
    assert [d.after_stream_error for d in r.documents] == [False, True]


def test_document_lines_and_indexes():
    text = "# leading comment\n" + NS_A + "---\n# only a comment\n---\n\n" + NS_B
    r = load_text(text, "m.yaml")
    assert [(d.name, d.line, d.index, d.chunk_line) for d in r.documents] == [
        ("a", 2, 0, 1),
        ("b", 10, 2, 9),
    ]
    assert r.documents[1].location == "m.yaml:10"


def test_empty_documents_are_skipped_silently():
    r = load_text("---\n---\n# nothing\n---\n\n---\n" + NS_A + "---\n", "e.yaml")
    assert names(r) == ["a"] and r.errors == []
    assert load_text("", "empty.yaml").documents == []
    assert load_text("null\n", "n.yaml").ok


def test_document_separator_with_comment_and_invalid_separator():
    r = load_text(NS_A + "--- # next\n" + NS_B, "s.yaml")
    assert names(r) == ["a", "b"]
    r = load_text(NS_A + "--- !!map\n" + NS_B, "s.yaml")
    assert names(r) == ["a"]
    assert only_error(r) == "error: error parsing s.yaml: invalid Yaml document separator: !!map"


def test_crlf_line_endings():
    r = load_text((NS_A + "---\n" + NS_B).replace("\n", "\r\n"), "w.yaml")
    assert names(r) == ["a", "b"]


def test_list_kind_is_expanded_with_item_lines():
    text = (
        "apiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: a\n"
        "- apiVersion: v1\n  kind: Service\n  metadata:\n    name: web\n  spec:\n    ports:\n    - port: 80\n"
    )
    r = load_text(text, "list.yaml")
    assert [(d.kind, d.name, d.line, d.item_index) for d in r.documents] == [
        ("Namespace", "a", 4, 0),
        ("Service", "web", 8, 1),
    ]
    assert field_line(r.documents[1], "spec.ports[0].port") == 14


def test_list_items_with_unknown_kind_are_errors_but_others_load():
    text = (
        "apiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: apps/v1\n  kind: Deploymnt\n  metadata:\n    name: redis\n"
        "- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: a\n"
    )
    r = load_text(text, "list.yaml")
    assert names(r) == ["a"]
    assert r.errors[0].code == "unknown-kind" and r.errors[0].line == 4


# ---- schema / kind errors ------------------------------------------------------------------


def test_kind_not_set():
    r = load_text("apiVersion: v1\nmetadata:\n  name: redis\n", "redis.yaml")
    assert only_error(r) == (
        'error: error validating "redis.yaml": error validating data: kind not set; if you choose to ignore '
        "these errors, turn validation off with --validate=false"
    )
    assert r.errors[0].stops_file


def test_api_version_not_set_and_both():
    r = load_text("kind: Service\nmetadata:\n  name: redis\n", "redis.yaml")
    assert only_error(r) == (
        'error: error validating "redis.yaml": error validating data: apiVersion not set; if you choose to ignore '
        "these errors, turn validation off with --validate=false"
    )
    r = load_text("metadata:\n  name: redis\n", "redis.yaml")
    assert "error validating data: [apiVersion not set, kind not set]; if you choose" in only_error(r)


def test_document_that_is_not_a_mapping():
    for text in ("just a string\n", "- a\n- b\n", "42\n"):
        r = load_text(text, "odd.yaml")
        assert only_error(r) == (
            'error: error validating "odd.yaml": error validating data: invalid object to validate; '
            "if you choose to ignore these errors, turn validation off with --validate=false"
        )


def test_unknown_kind_message():
    r = load_text("apiVersion: apps/v1\nkind: Deploymnt\nmetadata:\n  name: redis\n", "redis.yaml")
    assert only_error(r) == (
        'error: resource mapping not found for name: "redis" namespace: "" from "redis.yaml": '
        'no matches for kind "Deploymnt" in version "apps/v1"\nensure CRDs are installed first'
    )
    assert not r.errors[0].stops_file  # kubectl goes on with the rest of the file


def test_unknown_kind_keeps_manifest_namespace_and_wrong_api_version():
    obj = {"apiVersion": "v1", "kind": "Deployment", "metadata": {"name": "redis", "namespace": "demo"}}
    assert unknown_kind_message(obj, "d.yaml") == (
        'error: resource mapping not found for name: "redis" namespace: "demo" from "d.yaml": '
        'no matches for kind "Deployment" in version "v1"\nensure CRDs are installed first'
    )
    assert unknown_kind_message(obj, "d.yaml", prefix=False).startswith("resource mapping not found")


def test_unknown_kind_does_not_stop_the_file():
    text = "apiVersion: apps/v1\nkind: Deploymnt\nmetadata:\n  name: redis\n---\n" + NS_A
    r = load_text(text, "redis.yaml")
    assert names(r) == ["a"] and r.documents[0].after_stream_error is False


def test_kind_not_set_stops_the_rest_of_the_file():
    text = NS_A + "---\napiVersion: v1\nmetadata:\n  name: x\n---\n" + NS_B
    r = load_text(text, "k.yaml")
    assert [d.name for d in r.kubectl_documents] == ["a"]
    assert names(r) == ["a", "b"]


def test_config_kinds():
    text = (
        "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: control-plane\n- role: worker\n---\n"
        "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ipvs\n"
    )
    r = load_text(text, "cluster.yaml")
    assert r.ok and [d.is_config for d in r.documents] == [True, True]
    assert r.objects == [] and len(r.configs) == 2
    assert is_config_kind({"apiVersion": "kind.x-k8s.io/v1alpha4", "kind": "Cluster"})
    assert not is_config_kind({"apiVersion": "v1", "kind": "Service"})
    assert is_known_kind({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice"})
    assert not is_known_kind({"apiVersion": "extensions/v1beta1", "kind": "Deployment"})


def test_check_kinds_can_be_turned_off():
    r = load_text("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n", "w.yaml", check_kinds=False)
    assert r.ok and r.documents[0].kind == "Widget"


# ---- scalar resolution (go-yaml v2 + JSON, what kubectl sends) -------------------------------


def test_scalars_resolve_like_kubectl():
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n"
        "  yes_: yes\n  y_: y\n  date: 2024-01-01\n  sexa: 1:30\n  hex: 0x1F\n  octal: 017\n"
        "  float: 80.0\n  half: 0.5\n  under: 1_000\n  quoted: '42'\n  nul: ~\n  empty:\n  1: one\n  tagged: !Ref x\n"
    )
    data = load_text(text, "c.yaml").documents[0].obj["data"]
    assert data == {
        "yes_": True, "y_": True, "date": "2024-01-01", "sexa": "1:30", "hex": 31, "octal": 15,
        "float": 80, "half": 0.5, "under": 1000, "quoted": "42", "nul": None, "empty": None, "1": "one",
        "tagged": "x",
    }
    assert isinstance(data["float"], int)


def test_merge_keys_and_anchors():
    text = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  labels: &l {app: d}\n"
        "spec:\n  selector:\n    matchLabels: *l\n  template:\n    metadata:\n      labels:\n        <<: *l\n        tier: web\n"
    )
    spec = load_text(text, "d.yaml").documents[0].obj["spec"]
    assert spec["selector"]["matchLabels"] == {"app": "d"}
    assert spec["template"]["metadata"]["labels"] == {"app": "d", "tier": "web"}


# ---- JSON ------------------------------------------------------------------------------------


def test_json_file_and_json_stream():
    text = '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}\n' \
           '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b"}}\n'
    r = load_text(text, "ns.json")
    assert names(r) == ["a", "b"] and [d.line for d in r.documents] == [1, 2]
    assert all(d.is_json for d in r.documents)


def test_json_syntax_error_uses_byte_offset():
    text = '{\n  "apiVersion": "v1",\n  "kind": "Namespace",\n  "metadata": {"name": }\n}\n'
    r = load_text(text, "bad.json")
    assert only_error(r) == (
        "error: error parsing bad.json: json: offset 71: invalid character '}' looking for beginning of value"
    )
    assert r.errors[0].line == 4


@pytest.mark.parametrize(
    "text,message",
    [
        ('{"a" 1}', "json: offset 6: invalid character '1' after object key"),
        ('{"a": 1 "b": 2}', "json: offset 9: invalid character '\"' after object key:value pair"),
        ('{"a": [1 2]}', "json: offset 10: invalid character '2' after array element"),
        ('{"a": tru}', "json: offset 10: invalid character '}' in literal true (expecting 'e')"),
        ("{'a': 1}", "json: offset 2: invalid character '\\'' looking for beginning of object key string"),
        ('{"a": 01}', "json: offset 8: invalid character '1' after object key:value pair"),
        ('{"a": "x\ty"}', "json: offset 9: invalid character '\\t' in string literal"),
        ('{"a": 1', "unexpected EOF"),
    ],
)
def test_json_error_messages_match_go(text, message):
    assert only_error(load_text(text, "f.json")) == f"error: error parsing f.json: {message}"


def test_stream_type_is_sniffed_not_taken_from_the_extension():
    assert names(load_text('{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "j"}}', "x.yaml")) == ["j"]
    assert names(load_text(NS_A, "x.json")) == ["a"]


# ---- files and folders ---------------------------------------------------------------------


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_folder_recursion_order_extensions_and_display(tmp_path, monkeypatch):
    write(tmp_path / "app" / "b.yaml", NS_B)
    write(tmp_path / "app" / "a.yml", NS_A)
    write(tmp_path / "app" / "sub" / "c.json", '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "c"}}')
    write(tmp_path / "app" / "a-x.yaml", NS_A.replace("name: a", "name: ax"))
    write(tmp_path / "app" / "README.md", "not yaml: [")
    write(tmp_path / "app" / "notes.txt", "kind: [")
    monkeypatch.chdir(tmp_path)
    r = load_paths(["app"])
    assert r.ok
    # filepath.Walk order: a-x.yaml < a.yml < b.yaml < sub/ (per-directory lexical order)
    assert [(d.display, d.name) for d in r.documents] == [
        ("app/a-x.yaml", "ax"), ("app/a.yml", "a"), ("app/b.yaml", "b"), ("app/sub/c.json", "c"),
    ]
    assert names(load_paths(["app"], recursive=False)) == ["ax", "a", "b"]
    # ./app and app/ display like Go's filepath.Join (cleaned)
    assert load_paths(["./app/"]).documents[0].display == "app/a-x.yaml"


def test_files_given_directly_keep_their_spelling_and_any_extension(tmp_path, monkeypatch):
    write(tmp_path / "manifest.txt", NS_A)
    monkeypatch.chdir(tmp_path)
    r = load_paths(["./manifest.txt"])
    assert r.documents[0].display == "./manifest.txt" and r.documents[0].path == Path("./manifest.txt")


def test_broken_file_does_not_stop_other_files(tmp_path, monkeypatch):
    write(tmp_path / "a.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: [oops\n")
    write(tmp_path / "b.yaml", NS_B)
    monkeypatch.chdir(tmp_path)
    r = load_paths(["a.yaml", "b.yaml"])
    assert names(r) == ["b"] and r.errors[0].display == "a.yaml"
    assert r.errors[0].message.startswith("error: error parsing a.yaml: error converting YAML to JSON: yaml: ")


def test_missing_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = load_paths(["nope.yaml", tmp_path])
    assert only_error(r) == 'error: the path "nope.yaml" does not exist'


def test_samples_load_cleanly():
    r = load_paths([ROOT / "samples"])
    assert r.ok
    assert [(d.kind, d.name) for d in r.documents] == [
        ("Deployment", "counter"), ("Service", "counter-np"), ("Deployment", "redis"), ("Service", "redis"),
    ]


# ---- field -> line ---------------------------------------------------------------------------


def test_field_line_finds_fields_and_falls_back_to_ancestors():
    text = NS_A + "---\n" + (
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  labels:\n    app: web\n"
        "spec:\n  type: NodePort\n  ports:\n  - port: 80\n    nodePort: 80\n  - port: 81\n"
    )
    doc: Document = load_text(text, "s.yaml").documents[1]
    assert field_line(doc, "spec.ports[0].nodePort") == 16
    assert field_line(doc, "spec.ports[1].port") == 17
    assert field_line(doc, "spec.ports[0].targetPort") == 15  # defaulted: the port entry
    assert field_line(doc, "metadata.labels[app]") == 11
    assert field_line(doc, "spec.selector") == 12  # absent: "spec"
    assert field_line(doc, "metadata.name") == 9


def test_editor_side_files_have_one_rule(tmp_path):
    """The walk and the dashboard's watcher ask the same function (engine/manifests/paths.py):
    a side file that ends in .yaml (emacs' lock link) is never read, the others never trigger
    a reload; a folder is walked whatever its name."""
    from engine.manifests import paths
    from tui import watcher

    assert watcher.is_editor_junk is paths.is_editor_junk
    assert all(paths.is_editor_junk(n) for n in (".#a.yaml", "#a.yaml#", "a.yaml~", ".a.yaml.swp", "4913",
                                                  "a.yaml___jb_tmp___", ".goutputstream-X1Y2Z3", "a.yaml.bak"))
    assert not any(paths.is_editor_junk(n) for n in ("a.yaml", "deploy.yml", "svc.json"))
    (tmp_path / "2024").mkdir()
    (tmp_path / "2024" / "ns.yaml").write_text(NS_A)
    (tmp_path / "ns.yaml~").write_text(NS_B)
    (tmp_path / ".#b.yaml").symlink_to("user@host.4242:1700000000")
    result = load_paths([tmp_path])
    assert names(result) == ["a"] and not result.errors
