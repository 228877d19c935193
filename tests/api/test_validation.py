"""API validation messages, byte for byte against the behaviour spec (section D).

Each D.1 case has its own test with the expected text written out literally, so a change in
rendering (spacing, quoting, Go value syntax) fails loudly.
"""
from __future__ import annotations

import copy

import pytest

from engine.api.gostrconv import go_quote
from engine.api.validation.decoding import format_unknown_fields, strict_unknown_fields
from engine.api.validation.errors import ErrorType, FieldError, GoLiteral, go_value
from engine.api.validation.messages import ApiError, format_invalid, format_invalid_status_message, kubectl_error_output
from engine.api.validation.service import validate_node_port_range
from engine.api.validation.validator import validate

DNS1035 = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
    "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)


def svc(name: str = "redis", **spec) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec}


def deploy(name: str = "redis", labels=None, selector="same", containers=None, **spec) -> dict:
    labels = {"app": "redis"} if labels is None else labels
    tmpl = {"metadata": {"labels": labels}, "spec": {"containers": containers or [{"name": "redis", "image": "redis"}]}}
    body = {"template": tmpl, **spec}
    if selector == "same":
        body["selector"] = {"matchLabels": {"app": "redis"}}
    elif selector is not None:
        body["selector"] = selector
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name}, "spec": body}


def render(obj: dict) -> str:
    return format_invalid(obj["kind"], obj["metadata"]["name"], validate(obj))


# ---- D.1, one test per case -------------------------------------------------------------


def test_service_name_not_dns1035():
    assert render(svc("My_Svc", ports=[{"port": 80}])) == (
        'The Service "My_Svc" is invalid: metadata.name: Invalid value: "My_Svc": ' + DNS1035
    )


def test_service_name_starting_with_digit_fails_the_same_way():
    assert render(svc("1redis", ports=[{"port": 80}])) == (
        'The Service "1redis" is invalid: metadata.name: Invalid value: "1redis": ' + DNS1035
    )


def test_service_name_longer_than_63_characters():
    name = "a" * 64
    assert render(svc(name, ports=[{"port": 80}])) == (
        f'The Service "{name}" is invalid: metadata.name: Invalid value: "{name}": must be no more than 63 characters'
    )
    bad = "A" * 64  # too long *and* not a label: the length cause comes first
    assert render(svc(bad, ports=[{"port": 80}])) == (
        f'The Service "{bad}" is invalid: \n'
        f'* metadata.name: Invalid value: "{bad}": must be no more than 63 characters\n'
        f'* metadata.name: Invalid value: "{bad}": ' + DNS1035
    )


def test_deployment_name_not_dns1123_subdomain():
    assert render(deploy("Redis")) == (
        'The Deployment "Redis" is invalid: metadata.name: Invalid value: "Redis": a lowercase RFC 1123 '
        "subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end "
        "with an alphanumeric character (e.g. 'example.com', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    )


def test_deployment_name_max_253():
    ok = ".".join(["a" * 63] * 4)[:253]
    assert [e for e in validate(deploy(ok)) if e.field == "metadata.name"] == []
    long = "a" * 254
    assert str(validate(deploy(long))[0]) == f'metadata.name: Invalid value: "{long}": must be no more than 253 characters'


def test_port_out_of_range_with_defaulted_target_port():
    assert render(svc(ports=[{"port": 70000}])) == (
        'The Service "redis" is invalid: \n'
        "* spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive\n"
        "* spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive"
    )


def test_only_target_port_out_of_range():
    assert render(svc(ports=[{"port": 80, "targetPort": 70000}])) == (
        'The Service "redis" is invalid: spec.ports[0].targetPort: Invalid value: 70000: '
        "must be between 1 and 65535, inclusive"
    )


def test_container_port_out_of_range():
    d = deploy(containers=[{"name": "redis", "image": "redis", "ports": [{"containerPort": 70000}]}])
    assert render(d) == (
        'The Deployment "redis" is invalid: spec.template.spec.containers[0].ports[0].containerPort: '
        "Invalid value: 70000: must be between 1 and 65535, inclusive"
    )


def test_node_port_outside_range():
    s = svc("web", type="NodePort", ports=[{"port": 80, "nodePort": 80}])
    assert render(s) == (
        'The Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in '
        "the valid range. The range of valid ports is 30000-32767"
    )


def test_node_port_range_is_configurable_and_reported_alone():
    s = svc("web", type="NodePort", ports=[{"port": 80, "nodePort": 31000}])
    assert validate(s, node_port_range=(30000, 30999))[0].detail.endswith("30000-30999")
    # a field error hides the allocation error (REST layer runs only after validation passed)
    s2 = svc("Web", type="NodePort", ports=[{"port": 80, "nodePort": 80}])
    assert [e.field for e in validate(s2)] == ["metadata.name"]
    # the engine can run allocation itself, after its clusterIP allocation
    assert validate(s, node_port_range=(30000, 30999), check_allocation=False) == []
    assert validate_node_port_range(s, (30000, 30999))[0].allocation


def test_node_port_already_allocated_renders_like_the_allocator():
    # Collisions across services are the engine's allocator's job; the rendering is ours.
    err = FieldError(ErrorType.Invalid, "spec.ports[0].nodePort", 31000, "provided port is already allocated", allocation=True)
    assert format_invalid("Service", "web2", [err]) == (
        'The Service "web2" is invalid: spec.ports[0].nodePort: Invalid value: 31000: provided port is already allocated'
    )


def test_node_port_on_cluster_ip_service():
    assert render(svc(ports=[{"port": 6379, "nodePort": 31000}])) == (
        "The Service \"redis\" is invalid: spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"
    )


def test_same_node_port_twice_in_one_service():
    s = svc(type="NodePort", ports=[{"name": "a", "port": 80, "nodePort": 31000}, {"name": "b", "port": 81, "nodePort": 31000}])
    assert [str(e) for e in validate(s)] == ["spec.ports[1].nodePort: Duplicate value: 31000"]
    # same nodePort on different protocols is fine
    s["spec"]["ports"][1]["protocol"] = "UDP"
    assert validate(s) == []


def test_no_ports():
    assert render(svc(selector={"app": "redis"})) == 'The Service "redis" is invalid: spec.ports: Required value'


def test_no_ports_is_fine_for_headless_and_external_name():
    assert validate(svc(clusterIP="None", selector={"app": "redis"})) == []
    assert validate(svc(type="ExternalName", externalName="example.com")) == []


def test_two_ports_without_names():
    assert render(svc(ports=[{"port": 80}, {"port": 81}])) == (
        'The Service "redis" is invalid: \n* spec.ports[0].name: Required value\n* spec.ports[1].name: Required value'
    )


def test_duplicate_port_name():
    s = svc(ports=[{"name": "http", "port": 80}, {"name": "http", "port": 81}])
    assert [str(e) for e in validate(s)] == ['spec.ports[1].name: Duplicate value: "http"']


def test_duplicate_port_and_protocol():
    assert render(svc(ports=[{"port": 6379}, {"port": 6379}])) == (
        'The Service "redis" is invalid: \n'
        "* spec.ports[0].name: Required value\n"
        "* spec.ports[1].name: Required value\n"
        '* spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), '
        'Port:6379, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}'
    )


def test_deployment_selector_does_not_match_template_labels():
    assert render(deploy(labels={"app": "redis-x"})) == (
        'The Deployment "redis" is invalid: spec.template.metadata.labels: Invalid value: '
        'map[string]string{"app":"redis-x"}: `selector` does not match template `labels`'
    )


def test_deployment_missing_selector():
    assert render(deploy(selector=None)) == (
        'The Deployment "redis" is invalid: \n'
        "* spec.selector: Required value\n"
        '* spec.template.metadata.labels: Invalid value: map[string]string{"app":"redis"}: '
        "`selector` does not match template `labels`"
    )


def test_cluster_ip_already_taken_renders_go_slice():
    err = FieldError(ErrorType.Invalid, "spec.clusterIPs", ["10.96.0.10"],
                     "failed to allocate IP 10.96.0.10: provided IP is already allocated", allocation=True)
    assert format_invalid("Service", "redis2", [err]) == (
        'The Service "redis2" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: '
        "failed to allocate IP 10.96.0.10: provided IP is already allocated"
    )


def test_cluster_ip_outside_range_renders_go_slice():
    err = FieldError(ErrorType.Invalid, "spec.clusterIPs", ["10.0.0.5"],
                     "failed to allocate IP 10.0.0.5: the provided IP (10.0.0.5) is not in the valid range. "
                     "The range of valid IPs is 10.96.0.0/12")
    assert format_invalid("Service", "redis", [err]) == (
        'The Service "redis" is invalid: spec.clusterIPs: Invalid value: []string{"10.0.0.5"}: failed to allocate '
        "IP 10.0.0.5: the provided IP (10.0.0.5) is not in the valid range. The range of valid IPs is 10.96.0.0/12"
    )


def test_changing_cluster_ip_renders_go_slice():
    err = FieldError(ErrorType.Invalid, "spec.clusterIPs[0]", ["10.96.1.1"], "may not change once set")
    assert str(err) == 'spec.clusterIPs[0]: Invalid value: []string{"10.96.1.1"}: may not change once set'


def test_unknown_field_strict_decoding():
    d = deploy()
    d["spec"]["replica"] = 3
    fields = strict_unknown_fields(d)
    assert fields == ["spec.replica"]
    assert format_unknown_fields("Deployment", "apps/v1", "redis.yaml", fields) == (
        'Error from server (BadRequest): error when creating "redis.yaml": Deployment in version "v1" cannot '
        'be handled as a Deployment: strict decoding error: unknown field "spec.replica"'
    )


# ---- D.0 formatting ---------------------------------------------------------------------


def test_multi_cause_header_has_trailing_space_and_star_lines():
    out = render(svc(ports=[{"port": 80}, {"port": 81}]))
    first, *rest = out.split("\n")
    assert first == 'The Service "redis" is invalid: '
    assert all(line.startswith("* ") for line in rest)


def test_duplicate_causes_are_collapsed():
    e = FieldError(ErrorType.Required, "spec.ports", "")
    assert format_invalid("Service", "x", [e, e]) == 'The Service "x" is invalid: spec.ports: Required value'
    f = FieldError(ErrorType.Required, "spec.type", "")
    assert format_invalid("Service", "x", [e, f, e]).count("spec.ports") == 1


def test_no_causes_and_quoted_names():
    assert format_invalid("Service", "x", []) == 'The Service "x" is invalid'
    assert format_invalid("Service", 'a"b', []) == 'The Service "a\\"b" is invalid'


def test_bodies_by_type():
    assert str(FieldError(ErrorType.Required, "a", "", "detail")) == "a: Required value: detail"
    assert str(FieldError(ErrorType.Forbidden, "a", "", "no")) == "a: Forbidden: no"
    assert str(FieldError(ErrorType.TooLong, "a", "xxx", "must have at most 3 bytes")) == "a: Too long: must have at most 3 bytes"
    assert str(FieldError(ErrorType.Duplicate, "a", "x")) == 'a: Duplicate value: "x"'
    assert str(FieldError(ErrorType.Invalid, "a", None, "d")) == "a: Invalid value: null: d"


def test_go_value_rendering():
    assert go_value("My_Svc") == '"My_Svc"'
    assert go_value(70000) == "70000"
    assert go_value(True) == "true"
    assert go_value({"b": "2", "a": "1"}) == 'map[string]string{"a":"1", "b":"2"}'
    assert go_value(["10.96.0.10", "fd00::a"]) == '[]string{"10.96.0.10", "fd00::a"}'
    assert go_value(GoLiteral("map[string]string(nil)")) == "map[string]string(nil)"
    assert go_value(1e6) == "1e+06" and go_value(0.5) == "0.5" and go_value(80.0) == "80"
    assert go_quote("tab\there\n") == '"tab\\there\\n"'
    assert go_quote("é") == '"é"'


def test_status_message_and_kubectl_aggregation():
    errs = validate(deploy(selector=None))
    assert format_invalid_status_message("Deployment", "apps", "redis", errs) == (
        'Deployment.apps "redis" is invalid: [spec.selector: Required value, spec.template.metadata.labels: '
        'Invalid value: map[string]string{"app":"redis"}: `selector` does not match template `labels`]'
    )
    inv = ApiError("Invalid", kind="Service", name="redis", causes=validate(svc()), source="redis.yaml")
    # alone: checkErr's "The X is invalid" form
    assert kubectl_error_output([], [inv]) == 'The Service "redis" is invalid: spec.ports: Required value'
    # among others: StandardErrorMessage form, builder errors first as one aggregate
    out = kubectl_error_output(["error parsing a.yaml: x"], [inv])
    assert out == (
        "error parsing a.yaml: x\n"
        'Error from server (Invalid): error when creating "redis.yaml": Service "redis" is invalid: spec.ports: Required value'
    )
    assert kubectl_error_output(["error parsing a.yaml: x"], []) == "error: error parsing a.yaml: x"
    assert kubectl_error_output(["a", "b"], []) == "a\nb"
    assert kubectl_error_output(["a", "b"], [inv]).startswith("[a, b]\n")
    exists = ApiError("AlreadyExists", message='services "redis" already exists', source="redis.yaml")
    assert kubectl_error_output([], [exists]) == (
        'Error from server (AlreadyExists): error when creating "redis.yaml": services "redis" already exists'
    )


# ---- more Service rules -----------------------------------------------------------------


def test_type_and_protocol_unsupported_values():
    s = svc(type="Nodeport", ports=[{"port": 80, "protocol": "HTTP"}])
    assert [str(e) for e in validate(s)] == [
        'spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
        'spec.type: Unsupported value: "Nodeport": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    ]


def test_headless_with_node_port_or_load_balancer():
    s = svc(type="NodePort", clusterIP="None", ports=[{"port": 80}])
    assert [str(e) for e in validate(s)] == [
        "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services"
    ]
    s["spec"]["type"] = "LoadBalancer"
    assert "for LoadBalancer services" in str(validate(s)[0])


def test_named_target_port_must_be_iana_svc_name():
    s = svc(ports=[{"port": 80, "targetPort": "http_web-port-xy"}])
    assert [str(e) for e in validate(s)] == [
        'spec.ports[0].targetPort: Invalid value: "http_web-port-xy": must be no more than 15 characters',
        'spec.ports[0].targetPort: Invalid value: "http_web-port-xy": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
    ]
    assert validate(svc(ports=[{"port": 80, "targetPort": "http"}])) == []
    assert [str(e) for e in validate(svc(ports=[{"port": 80, "targetPort": "8080"}]))] == [
        'spec.ports[0].targetPort: Invalid value: "8080": must contain at least one letter (a-z)'
    ]


def test_port_zero_and_missing():
    assert [str(e) for e in validate(svc(ports=[{"name": "x"}]))] == [
        "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
        "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive",
    ]


def test_port_name_must_be_dns_label():
    s = svc(ports=[{"name": "Web", "port": 80}])
    assert str(validate(s)[0]).startswith('spec.ports[0].name: Invalid value: "Web": a lowercase RFC 1123 label')


def test_selector_label_validity():
    s = svc(ports=[{"port": 80}], selector={"app": "redis x", "bad key!": "v"})
    assert [str(e) for e in validate(s)] == [
        "spec.selector: Invalid value: \"redis x\": a valid label must be an empty string or consist of alphanumeric "
        "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
        "'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        "spec.selector: Invalid value: \"bad key!\": name part must consist of alphanumeric characters, '-', '_' or "
        "'.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', "
        "regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ]


def test_metadata_label_prefix_must_be_subdomain():
    s = svc(ports=[{"port": 80}])
    s["metadata"]["labels"] = {"Example.com/app": "x"}
    assert str(validate(s)[0]).startswith(
        'metadata.labels: Invalid value: "Example.com/app": prefix part a lowercase RFC 1123 subdomain'
    )


def test_external_name_rules():
    assert [str(e) for e in validate(svc(type="ExternalName"))] == ["spec.externalName: Required value"]
    assert validate(svc(type="ExternalName", externalName="db.example.com.")) == []
    s = svc(type="ExternalName", externalName="db.example.com", clusterIP="10.96.0.5")
    assert str(validate(s)[0]) == "spec.clusterIPs: Forbidden: may not be set for ExternalName services"


def test_invalid_cluster_ip_and_traffic_policy():
    s = svc(ports=[{"port": 80}], clusterIP="10.96.0.500")
    assert [str(e) for e in validate(s)] == [
        'spec.clusterIPs[0]: Invalid value: "10.96.0.500": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'
    ]
    s = svc(ports=[{"port": 80}], externalTrafficPolicy="Local")
    assert [str(e) for e in validate(s)] == [
        'spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services'
    ]


def test_valid_samples_pass():
    s = svc("counter-np", type="NodePort", ports=[{"port": 3000, "protocol": "TCP", "nodePort": 31000}],
            selector={"app": "counter", "tier": "app"})
    assert validate(s) == []
    assert validate(deploy()) == []


def test_validate_does_not_mutate_input():
    s = svc(ports=[{"port": 80}])
    before = copy.deepcopy(s)
    validate(s)
    assert s == before


# ---- workloads and pods -----------------------------------------------------------------


def test_negative_replicas_and_container_rules():
    d = deploy(replicas=-1, containers=[{"name": "Redis_1", "ports": [{"containerPort": 80, "name": "HTTP"}]},
                                        {"name": "Redis_1", "image": "redis"}])
    assert [str(e) for e in validate(d)] == [
        "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
        'spec.template.spec.containers[0].name: Invalid value: "Redis_1": a lowercase RFC 1123 label must consist '
        "of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character "
        "(e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        "spec.template.spec.containers[0].image: Required value",
        'spec.template.spec.containers[0].ports[0].name: Invalid value: "HTTP": must contain only alpha-numeric '
        "characters (a-z, 0-9), and hyphens (-)",
        'spec.template.spec.containers[0].ports[0].name: Invalid value: "HTTP": must contain at least one letter (a-z)',
        'spec.template.spec.containers[1].name: Invalid value: "Redis_1": a lowercase RFC 1123 label must consist '
        "of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character "
        "(e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        'spec.template.spec.containers[1].name: Duplicate value: "Redis_1"',
    ]


def test_containers_required_and_restart_policy():
    d = deploy(containers=[])
    d["spec"]["template"]["spec"] = {"containers": [], "restartPolicy": "Never"}
    assert [str(e) for e in validate(d)] == [
        "spec.template.spec.containers: Required value",
        'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ]


def test_empty_selector_and_strategy_rules():
    d = deploy(selector={})
    assert [str(e) for e in validate(d)] == [
        "spec.selector: Invalid value: &LabelSelector{MatchLabels:map[string]string{},MatchExpressions:"
        "[]LabelSelectorRequirement{},}: empty selector is invalid for deployment"
    ]
    d = deploy(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}})
    assert [str(e) for e in validate(d)] == [
        "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"
    ]
    d = deploy(strategy={"type": "Recreate", "rollingUpdate": {"maxSurge": 1}})
    assert [str(e) for e in validate(d)] == [
        "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"
    ]


def test_match_expressions_selector():
    sel = {"matchExpressions": [{"key": "app", "operator": "In", "values": ["redis", "cache"]}]}
    assert validate(deploy(selector=sel)) == []
    sel = {"matchExpressions": [{"key": "app", "operator": "In", "values": ["other"]}]}
    assert validate(deploy(selector=sel))[0].field == "spec.template.metadata.labels"


def test_replicaset_and_daemonset():
    rs = deploy()
    rs["kind"] = "ReplicaSet"
    assert validate(rs) == []
    ds = deploy(selector=None)
    ds["kind"] = "DaemonSet"
    # no "Required value" for a DaemonSet: only the (never matching) nil selector
    assert [e.field for e in validate(ds)] == ["spec.template.metadata.labels"]


def test_pod_validation():
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}, "spec": {}}
    assert [str(e) for e in validate(pod)] == ["spec.containers: Required value"]
    pod["spec"] = {"containers": [{"name": "web", "image": "nginx", "imagePullPolicy": "Sometimes"}]}
    assert [str(e) for e in validate(pod)] == [
        'spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"'
    ]
    pod["spec"]["containers"][0].pop("imagePullPolicy")
    pod["metadata"]["name"] = "Web"
    assert validate(pod)[0].field == "metadata.name"


def test_probe_handler_required():
    d = deploy(containers=[{"name": "redis", "image": "redis", "readinessProbe": {"periodSeconds": 5}}])
    assert [str(e) for e in validate(d)] == [
        "spec.template.spec.containers[0].readinessProbe: Required value: must specify a handler type"
    ]


def test_namespace_name_is_dns_label():
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "My_NS"}}
    assert str(validate(ns)[0]).startswith('metadata.name: Invalid value: "My_NS": a lowercase RFC 1123 label')
    ns["metadata"]["name"] = "demo.x"
    assert [str(e) for e in validate(ns)] == ['metadata.name: Invalid value: "demo.x": must not contain dots']
    ns["metadata"]["name"] = "demo"
    assert validate(ns) == []


def test_missing_name():
    s = svc("", ports=[{"port": 80}])
    assert [str(e) for e in validate(s)] == ["metadata.name: Required value: name or generateName is required"]


def test_endpoints_basics():
    ep = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "ext"},
          "subsets": [{"addresses": [{"ip": "10.0.0.300"}], "ports": [{"port": 80}, {"port": 81, "name": "b"}]}]}
    assert [str(e) for e in validate(ep)] == [
        'subsets[0].addresses[0].ip: Invalid value: "10.0.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
        "subsets[0].ports[0].name: Required value",
    ]
    ep["subsets"] = [{"ports": [{"port": 80}]}]
    assert [str(e) for e in validate(ep)] == ["subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`"]


def test_endpointslice_basics():
    es = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "redis-abcde"},
          "addressType": "IPv4", "endpoints": [{"addresses": ["10.244.1.5"]}], "ports": [{"name": "", "port": 6379}]}
    assert validate(es) == []
    es["addressType"] = "IPv5"
    assert str(validate(es)[0]) == 'addressType: Unsupported value: "IPv5": supported values: "IPv4", "IPv6", "FQDN"'


def test_unmodelled_kinds_are_not_validated():
    assert validate({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "X"}}) == []


# ---- strict decoding --------------------------------------------------------------------


def test_unknown_fields_across_the_tree_in_sorted_order():
    d = deploy(containers=[{"name": "redis", "image": "redis", "imagePullPolicyy": "Always",
                            "ports": [{"containerport": 6379}], "env": [{"name": "A", "valu": "1"}],
                            "resources": {"limits": {"cpu": "1"}}, "livenessProbe": {"httpGet": {"pth": "/"}}}])
    d["spec"]["replica"] = 2
    d["metadata"]["label"] = {}
    assert strict_unknown_fields(d) == [
        "metadata.label",
        "spec.replica",
        "spec.template.spec.containers[0].env[0].valu",
        "spec.template.spec.containers[0].imagePullPolicyy",
        "spec.template.spec.containers[0].livenessProbe.httpGet.pth",
        "spec.template.spec.containers[0].ports[0].containerport",
    ]


def test_unknown_service_fields_are_case_sensitive():
    s = svc(ports=[{"port": 80, "nodeport": 30080, "targetport": 80}], Selector={"app": "x"})
    assert strict_unknown_fields(s) == ["spec.Selector", "spec.ports[0].nodeport", "spec.ports[0].targetport"]
    assert format_unknown_fields("Service", "v1", "svc.yaml", strict_unknown_fields(s), verb="creating") == (
        'Error from server (BadRequest): error when creating "svc.yaml": Service in version "v1" cannot be handled '
        'as a Service: strict decoding error: unknown field "spec.Selector", unknown field "spec.ports[0].nodeport", '
        'unknown field "spec.ports[0].targetport"'
    )


def test_known_manifests_have_no_unknown_fields():
    assert strict_unknown_fields(deploy()) == []
    assert strict_unknown_fields(svc(ports=[{"name": "a", "port": 1, "targetPort": "a", "nodePort": 3, "protocol": "TCP",
                                             "appProtocol": "http"}], type="NodePort", sessionAffinity="None")) == []
    cfg = {"apiVersion": "kind.x-k8s.io/v1alpha4", "kind": "Cluster", "nodes": [{"role": "worker"}]}
    assert strict_unknown_fields(cfg) == []


@pytest.mark.parametrize("kind,api", [("Deployment", "apps/v1"), ("Service", "v1"), ("EndpointSlice", "discovery.k8s.io/v1")])
def test_unknown_field_message_uses_bare_version(kind, api):
    assert f'{kind} in version "v1" cannot be handled as a {kind}' in format_unknown_fields(kind, api, "f.yaml", ["x"])


# --------------------------------------------------------------------------------------------
# Defaulting: what kube-apiserver stores (SetDefaults, pkg/apis/core/v1 and apps/v1 defaults.go)
# --------------------------------------------------------------------------------------------

import yaml as _yaml  # noqa: E402

from engine.cluster.cluster import Cluster  # noqa: E402
from engine.kubectl import commands as _kubectl  # noqa: E402
from tests.helpers import apply_yaml as _apply_yaml  # noqa: E402

_PROBED = """
apiVersion: v1
kind: Pod
metadata: {name: probed}
spec:
  containers:
  - name: app
    image: nginx:1.27
    livenessProbe: {tcpSocket: {port: 8080}, initialDelaySeconds: 10}
    readinessProbe: {httpGet: {port: 8080}}
  initContainers:
  - name: init
    image: busybox
"""


def _stored_yaml(cluster: Cluster, kind: str, name: str) -> dict:
    out = _kubectl.get(cluster, [kind, name], output="yaml")
    assert out.code == 0, out.stderr
    return _yaml.safe_load(out.stdout)


def test_probe_defaults_are_stored_so_get_yaml_shows_them():
    cluster = Cluster(deterministic=True)
    assert all(r.ok for r in _apply_yaml(cluster, _PROBED))
    c = _stored_yaml(cluster, "pod", "probed")["spec"]["containers"][0]
    assert c["livenessProbe"] == {"tcpSocket": {"port": 8080}, "initialDelaySeconds": 10, "timeoutSeconds": 1,
                                  "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}
    assert c["readinessProbe"] == {"httpGet": {"port": 8080, "path": "/", "scheme": "HTTP"}, "timeoutSeconds": 1,
                                   "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}


def test_init_containers_are_defaulted_like_containers():
    cluster = Cluster(deterministic=True)
    _apply_yaml(cluster, _PROBED)
    init = _stored_yaml(cluster, "pod", "probed")["spec"]["initContainers"][0]
    assert init["imagePullPolicy"] == "Always"
    assert init["terminationMessagePath"] == "/dev/termination-log"
    assert init["terminationMessagePolicy"] == "File"
    assert init["resources"] == {}


def test_describe_prints_the_stored_probe_timings():
    cluster = Cluster(deterministic=True)
    _apply_yaml(cluster, _PROBED)
    out = _kubectl.describe(cluster, ["pod", "probed"]).stdout
    assert "tcp-socket :8080 delay=10s timeout=1s period=10s #success=1 #failure=3" in out
    assert "http-get http://:8080/ delay=0s timeout=1s period=10s #success=1 #failure=3" in out


def test_external_name_services_store_session_affinity_none():
    cluster = Cluster(deterministic=True)
    _apply_yaml(cluster, "apiVersion: v1\nkind: Service\nmetadata: {name: db}\n"
                         "spec: {type: ExternalName, externalName: db.example.com}\n")
    spec = _stored_yaml(cluster, "svc", "db")["spec"]
    assert spec["sessionAffinity"] == "None"
    assert spec["type"] == "ExternalName" and "internalTrafficPolicy" not in spec


def test_client_ip_affinity_without_a_config_is_accepted_and_defaulted():
    cluster = Cluster(deterministic=True)
    (res,) = _apply_yaml(cluster, "apiVersion: v1\nkind: Service\nmetadata: {name: sticky}\n"
                                  "spec: {sessionAffinity: ClientIP, selector: {app: a}, ports: [{port: 80}]}\n")
    assert res.ok, res.error
    spec = _stored_yaml(cluster, "svc", "sticky")["spec"]
    assert spec["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}
    assert validate(svc(sessionAffinity="ClientIP", selector={"app": "a"}, ports=[{"port": 80}])) == []


def test_client_ip_affinity_config_without_a_timeout_is_replaced_by_the_default():
    """SetDefaults_Service replaces a config whose clientIP or timeoutSeconds is missing."""
    cluster = Cluster(deterministic=True)
    (res,) = _apply_yaml(cluster, "apiVersion: v1\nkind: Service\nmetadata: {name: sticky}\n"
                                  "spec: {sessionAffinity: ClientIP, sessionAffinityConfig: {clientIP: {}},\n"
                                  "       selector: {app: a}, ports: [{port: 80}]}\n")
    assert res.ok, res.error
    assert _stored_yaml(cluster, "svc", "sticky")["spec"]["sessionAffinityConfig"] == {
        "clientIP": {"timeoutSeconds": 10800}}


def test_daemonset_defaults_are_stored():
    cluster = Cluster(deterministic=True)
    (res,) = _apply_yaml(cluster, """
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: a, image: busybox:1.36}]}
""")
    assert res.ok, res.error
    spec = _stored_yaml(cluster, "ds", "agent")["spec"]
    assert spec["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}
    assert spec["revisionHistoryLimit"] == 10


def test_deployment_rolling_update_without_parameters_is_defaulted():
    cluster = Cluster(deterministic=True)
    (res,) = _apply_yaml(cluster, """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  strategy: {type: RollingUpdate}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: a, image: nginx:1.27}]}
""")
    assert res.ok, res.error
    assert _stored_yaml(cluster, "deploy", "web")["spec"]["strategy"] == {
        "type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}

