"""Protobuf request bodies (`application/vnd.kubernetes.protobuf`, apiserver-spec §4.2).

client-go's typed clients send protobuf and have no JSON fallback, so `kubectl create
namespace|deployment|service|configmap|secret` and `drain`'s Eviction (and k9s's
SelfSubjectAccessReview) need it. The body is `k8s\\x00` then a `runtime.Unknown`
{typeMeta{apiVersion=1, kind=2}=1, raw=2, contentEncoding=3, contentType=4}; `raw` is the
object's message. This decodes it into the JSON shape (the server answers in JSON, which
clients accept) from field tables of the types those commands send, copied from
k8s.io/api and apimachinery's `generated.proto` (kubernetes/api @10b39a3).

gogo-protobuf writes every non-pointer field, empty or not (a zero `creationTimestamp`, `""`
strings, `resources: {}`), so zero values are dropped as JSON's `omitempty` would, except for
the fields that are pointers in Go (`replicas: 0` means zero replicas). A field the tables do
not know is refused with a message rather than silently dropped, unless it holds a zero value
(gogo's empty non-pointer fields, e.g. `hostPID: false`). A create's `status` is not read (the
server ignores it), so its messages are not decoded.
"""
from __future__ import annotations

import base64
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from engine.api.gostrconv import go_utf8
from engine.kapi.status import StatusError, bad_request

if TYPE_CHECKING:
    from engine.kapi.context import ResourceRequest

MEDIA_TYPE = "application/vnd.kubernetes.protobuf"
MAGIC = b"k8s\x00"

# A message's fields: number -> (JSON name, type, repeated). Types: scalar `string`, `bytes`,
# `int`, `bool`; `map` (string -> string), `map:bytes`, `map:Quantity`; `Time`, `IntOrString`,
# `Quantity`; `ignored` (not read); or another message of this table.
Fields = dict[int, tuple[str, str, bool]]


def _f(*spec: tuple[int, str, str] | tuple[int, str, str, bool]) -> Fields:
    return {s[0]: (s[1], s[2], bool(s[3]) if len(s) > 3 else False) for s in spec}  # type: ignore[misc]


MESSAGES: dict[str, Fields] = {
    # apimachinery pkg/apis/meta/v1
    "ObjectMeta": _f((1, "name", "string"), (2, "generateName", "string"), (3, "namespace", "string"),
                     (4, "selfLink", "string"), (5, "uid", "string"), (6, "resourceVersion", "string"),
                     (7, "generation", "int"), (8, "creationTimestamp", "Time"), (9, "deletionTimestamp", "Time"),
                     (10, "deletionGracePeriodSeconds", "int"), (11, "labels", "map"), (12, "annotations", "map"),
                     (13, "ownerReferences", "OwnerReference", True), (14, "finalizers", "string", True)),
    "OwnerReference": _f((1, "kind", "string"), (3, "name", "string"), (4, "uid", "string"),
                         (5, "apiVersion", "string"), (6, "controller", "bool"), (7, "blockOwnerDeletion", "bool")),
    "LabelSelector": _f((1, "matchLabels", "map"), (2, "matchExpressions", "LabelSelectorRequirement", True)),
    "LabelSelectorRequirement": _f((1, "key", "string"), (2, "operator", "string"), (3, "values", "string", True)),
    "DeleteOptions": _f((1, "gracePeriodSeconds", "int"), (2, "preconditions", "Preconditions"),
                        (3, "orphanDependents", "bool"), (4, "propagationPolicy", "string"),
                        (5, "dryRun", "string", True)),
    "Preconditions": _f((1, "uid", "string"), (2, "resourceVersion", "string")),
    # k8s.io/api core/v1
    "Namespace": _f((1, "metadata", "ObjectMeta"), (2, "spec", "NamespaceSpec"), (3, "status", "ignored")),
    "NamespaceSpec": _f((1, "finalizers", "string", True)),
    "ConfigMap": _f((1, "metadata", "ObjectMeta"), (2, "data", "map"), (3, "binaryData", "map:bytes"),
                    (4, "immutable", "bool")),
    "Secret": _f((1, "metadata", "ObjectMeta"), (2, "data", "map:bytes"), (3, "type", "string"),
                 (4, "stringData", "map"), (5, "immutable", "bool")),
    "ServiceAccount": _f((1, "metadata", "ObjectMeta"), (2, "secrets", "ObjectReference", True),
                         (3, "imagePullSecrets", "LocalObjectReference", True),
                         (4, "automountServiceAccountToken", "bool")),
    "ObjectReference": _f((1, "kind", "string"), (2, "namespace", "string"), (3, "name", "string"),
                          (4, "uid", "string"), (5, "apiVersion", "string"), (6, "resourceVersion", "string"),
                          (7, "fieldPath", "string")),
    "LocalObjectReference": _f((1, "name", "string")),
    "Service": _f((1, "metadata", "ObjectMeta"), (2, "spec", "ServiceSpec"), (3, "status", "ignored")),
    "ServiceSpec": _f((1, "ports", "ServicePort", True), (2, "selector", "map"), (3, "clusterIP", "string"),
                      (4, "type", "string"), (5, "externalIPs", "string", True), (7, "sessionAffinity", "string"),
                      (8, "loadBalancerIP", "string"), (9, "loadBalancerSourceRanges", "string", True),
                      (10, "externalName", "string"), (11, "externalTrafficPolicy", "string"),
                      (12, "healthCheckNodePort", "int"), (13, "publishNotReadyAddresses", "bool"),
                      (14, "sessionAffinityConfig", "SessionAffinityConfig"), (17, "ipFamilyPolicy", "string"),
                      (18, "clusterIPs", "string", True), (19, "ipFamilies", "string", True),
                      (20, "allocateLoadBalancerNodePorts", "bool"), (21, "loadBalancerClass", "string"),
                      (22, "internalTrafficPolicy", "string"), (23, "trafficDistribution", "string")),
    "ServicePort": _f((1, "name", "string"), (2, "protocol", "string"), (3, "port", "int"),
                      (4, "targetPort", "IntOrString"), (5, "nodePort", "int"), (6, "appProtocol", "string")),
    "SessionAffinityConfig": _f((1, "clientIP", "ClientIPConfig")),
    "ClientIPConfig": _f((1, "timeoutSeconds", "int")),
    "Pod": _f((1, "metadata", "ObjectMeta"), (2, "spec", "PodSpec"), (3, "status", "ignored")),
    "PodTemplateSpec": _f((1, "metadata", "ObjectMeta"), (2, "spec", "PodSpec")),
    "PodSpec": _f((1, "volumes", "Volume", True), (2, "containers", "Container", True), (3, "restartPolicy", "string"),
                  (4, "terminationGracePeriodSeconds", "int"), (5, "activeDeadlineSeconds", "int"),
                  (6, "dnsPolicy", "string"), (7, "nodeSelector", "map"), (8, "serviceAccountName", "string"),
                  (9, "serviceAccount", "string"), (10, "nodeName", "string"), (11, "hostNetwork", "bool"),
                  (12, "hostPID", "bool"), (13, "hostIPC", "bool"),
                  (16, "hostname", "string"), (17, "subdomain", "string"), (19, "schedulerName", "string"),
                  (20, "initContainers", "Container", True), (21, "automountServiceAccountToken", "bool"),
                  (22, "tolerations", "Toleration", True), (24, "priorityClassName", "string"),
                  (25, "priority", "int"), (27, "shareProcessNamespace", "bool"), (30, "enableServiceLinks", "bool"),
                  (14, "securityContext", "PodSecurityContext"), (23, "hostAliases", "HostAlias", True),
                  (26, "dnsConfig", "PodDNSConfig"), (28, "readinessGates", "PodReadinessGate", True),
                  (29, "runtimeClassName", "string"), (31, "preemptionPolicy", "string"),
                  (35, "setHostnameAsFQDN", "bool")),
    # (`kubectl debug node/NAME`: the node's root file system at /host, tolerating every taint)
    "Volume": _f((1, "name", "string"), (2, "", "VolumeSource")),
    "VolumeSource": _f((1, "hostPath", "HostPathVolumeSource"), (2, "emptyDir", "EmptyDirVolumeSource"),
                       (6, "secret", "SecretVolumeSource"), (10, "persistentVolumeClaim", "PVCVolumeSource"),
                       (16, "downwardAPI", "DownwardAPIVolumeSource"), (19, "configMap", "ConfigMapVolumeSource"),
                       (26, "projected", "ProjectedVolumeSource")),
    # (a pod as svcflow stores it, which `kubectl debug --copy-to` sends back: kube-api-access)
    "PVCVolumeSource": _f((1, "claimName", "string"), (2, "readOnly", "bool")),
    "ProjectedVolumeSource": _f((1, "sources", "VolumeProjection", True), (2, "defaultMode", "int")),
    "VolumeProjection": _f((1, "secret", "KeyedObjectProjection"), (2, "downwardAPI", "DownwardAPIProjection"),
                           (3, "configMap", "KeyedObjectProjection"),
                           (4, "serviceAccountToken", "ServiceAccountTokenProjection")),
    "KeyedObjectProjection": _f((1, "", "LocalObjectReference"), (2, "items", "KeyToPath", True),
                                (4, "optional", "bool")),  # (ConfigMapProjection, SecretProjection)
    "ServiceAccountTokenProjection": _f((1, "audience", "string"), (2, "expirationSeconds", "int"),
                                        (3, "path", "string")),
    "DownwardAPIProjection": _f((1, "items", "DownwardAPIVolumeFile", True)),
    "DownwardAPIVolumeSource": _f((1, "items", "DownwardAPIVolumeFile", True), (2, "defaultMode", "int")),
    "DownwardAPIVolumeFile": _f((1, "path", "string"), (2, "fieldRef", "ObjectFieldSelector"),
                                (3, "resourceFieldRef", "ResourceFieldSelector"), (4, "mode", "int")),
    "ObjectFieldSelector": _f((1, "apiVersion", "string"), (2, "fieldPath", "string")),
    "ResourceFieldSelector": _f((1, "containerName", "string"), (2, "resource", "string"), (3, "divisor", "Quantity")),
    "EnvVarSource": _f((1, "fieldRef", "ObjectFieldSelector"), (2, "resourceFieldRef", "ResourceFieldSelector"),
                       (3, "configMapKeyRef", "KeySelector"), (4, "secretKeyRef", "KeySelector")),
    "KeySelector": _f((1, "", "LocalObjectReference"), (2, "key", "string"), (3, "optional", "bool")),
    "EnvFromSource": _f((1, "prefix", "string"), (2, "configMapRef", "EnvSource"), (3, "secretRef", "EnvSource")),
    "EnvSource": _f((1, "", "LocalObjectReference"), (2, "optional", "bool")),  # (ConfigMapEnvSource, SecretEnvSource)
    "Lifecycle": _f((1, "postStart", "ProbeHandler"), (2, "preStop", "ProbeHandler"), (3, "stopSignal", "string")),
    "ContainerResizePolicy": _f((1, "resourceName", "string"), (2, "restartPolicy", "string")),
    "PodSecurityContext": _f((2, "runAsUser", "int"), (3, "runAsNonRoot", "bool"), (4, "supplementalGroups", "int", True),
                             (5, "fsGroup", "int"), (6, "runAsGroup", "int"), (7, "sysctls", "NameValue", True),
                             (9, "fsGroupChangePolicy", "string"), (10, "seccompProfile", "SeccompProfile"),
                             (12, "supplementalGroupsPolicy", "string")),
    "NameValue": _f((1, "name", "string"), (2, "value", "string")),  # (Sysctl, PodDNSConfigOption)
    "HostAlias": _f((1, "ip", "string"), (2, "hostnames", "string", True)),
    "PodDNSConfig": _f((1, "nameservers", "string", True), (2, "searches", "string", True),
                       (3, "options", "NameValue", True)),
    "PodReadinessGate": _f((1, "conditionType", "string")),
    "HostPathVolumeSource": _f((1, "path", "string"), (2, "type", "string")),
    "EmptyDirVolumeSource": _f((1, "medium", "string"), (2, "sizeLimit", "Quantity")),
    "SecretVolumeSource": _f((1, "secretName", "string"), (2, "items", "KeyToPath", True), (3, "defaultMode", "int"),
                             (4, "optional", "bool")),
    "ConfigMapVolumeSource": _f((1, "", "LocalObjectReference"), (2, "items", "KeyToPath", True),
                                (3, "defaultMode", "int"), (4, "optional", "bool")),
    "KeyToPath": _f((1, "key", "string"), (2, "path", "string"), (3, "mode", "int")),
    "VolumeMount": _f((1, "name", "string"), (2, "readOnly", "bool"), (3, "mountPath", "string"),
                      (4, "subPath", "string"), (5, "mountPropagation", "string"), (6, "subPathExpr", "string"),
                      (7, "recursiveReadOnly", "string")),
    "Toleration": _f((1, "key", "string"), (2, "operator", "string"), (3, "value", "string"), (4, "effect", "string"),
                     (5, "tolerationSeconds", "int")),
    # (the debug profiles: sysadmin's privileged, netadmin's capabilities, restricted's drop ALL)
    "SecurityContext": _f((1, "capabilities", "Capabilities"), (2, "privileged", "bool"), (4, "runAsUser", "int"),
                          (5, "runAsNonRoot", "bool"), (6, "readOnlyRootFilesystem", "bool"),
                          (7, "allowPrivilegeEscalation", "bool"), (8, "runAsGroup", "int"), (9, "procMount", "string"),
                          (11, "seccompProfile", "SeccompProfile")),
    "Capabilities": _f((1, "add", "string", True), (2, "drop", "string", True)),
    "SeccompProfile": _f((1, "type", "string"), (2, "localhostProfile", "string")),
    "Container": _f((1, "name", "string"), (2, "image", "string"), (3, "command", "string", True),
                    (4, "args", "string", True), (5, "workingDir", "string"), (6, "ports", "ContainerPort", True),
                    (7, "env", "EnvVar", True), (8, "resources", "ResourceRequirements"),
                    (9, "volumeMounts", "VolumeMount", True), (10, "livenessProbe", "Probe"), (11, "readinessProbe", "Probe"),
                    (13, "terminationMessagePath", "string"), (14, "imagePullPolicy", "string"),
                    (12, "lifecycle", "Lifecycle"), (15, "securityContext", "SecurityContext"),
                    (19, "envFrom", "EnvFromSource", True), (23, "resizePolicy", "ContainerResizePolicy", True),
                    (24, "restartPolicy", "string"), (16, "stdin", "bool"), (17, "stdinOnce", "bool"), (18, "tty", "bool"),
                    (20, "terminationMessagePolicy", "string"), (22, "startupProbe", "Probe")),
    "ContainerPort": _f((1, "name", "string"), (2, "hostPort", "int"), (3, "containerPort", "int"),
                        (4, "protocol", "string"), (5, "hostIP", "string")),
    "EnvVar": _f((1, "name", "string"), (2, "value", "string"), (3, "valueFrom", "EnvVarSource")),
    "ResourceRequirements": _f((1, "limits", "map:Quantity"), (2, "requests", "map:Quantity")),
    "Probe": _f((1, "", "ProbeHandler"), (2, "initialDelaySeconds", "int"), (3, "timeoutSeconds", "int"),
                (4, "periodSeconds", "int"), (5, "successThreshold", "int"), (6, "failureThreshold", "int")),
    "ProbeHandler": _f((1, "exec", "ExecAction"), (2, "httpGet", "HTTPGetAction"), (3, "tcpSocket", "TCPSocketAction")),
    "ExecAction": _f((1, "command", "string", True)),
    "HTTPGetAction": _f((1, "path", "string"), (2, "port", "IntOrString"), (3, "host", "string"),
                        (4, "scheme", "string")),
    "TCPSocketAction": _f((1, "port", "IntOrString"), (2, "host", "string")),
    # apps/v1
    "Deployment": _f((1, "metadata", "ObjectMeta"), (2, "spec", "DeploymentSpec"), (3, "status", "ignored")),
    "DeploymentSpec": _f((1, "replicas", "int"), (2, "selector", "LabelSelector"), (3, "template", "PodTemplateSpec"),
                         (4, "strategy", "DeploymentStrategy"), (5, "minReadySeconds", "int"),
                         (6, "revisionHistoryLimit", "int"), (7, "paused", "bool"),
                         (9, "progressDeadlineSeconds", "int")),
    "DeploymentStrategy": _f((1, "type", "string"), (2, "rollingUpdate", "RollingUpdateDeployment")),
    "RollingUpdateDeployment": _f((1, "maxUnavailable", "IntOrString"), (2, "maxSurge", "IntOrString")),
    # policy/v1
    "Eviction": _f((1, "metadata", "ObjectMeta"), (2, "deleteOptions", "DeleteOptions")),
    # authorization.k8s.io/v1
    "SelfSubjectAccessReview": _f((1, "metadata", "ObjectMeta"), (2, "spec", "SelfSubjectAccessReviewSpec"),
                                  (3, "status", "ignored")),
    "SelfSubjectAccessReviewSpec": _f((1, "resourceAttributes", "ResourceAttributes"),
                                      (2, "nonResourceAttributes", "NonResourceAttributes")),
    "ResourceAttributes": _f((1, "namespace", "string"), (2, "verb", "string"), (3, "group", "string"),
                             (4, "version", "string"), (5, "resource", "string"), (6, "subresource", "string"),
                             (7, "name", "string")),
    "NonResourceAttributes": _f((1, "path", "string"), (2, "verb", "string")),
    "SelfSubjectRulesReview": _f((1, "metadata", "ObjectMeta"), (2, "spec", "SelfSubjectRulesReviewSpec"),
                                 (3, "status", "ignored")),
    "SelfSubjectRulesReviewSpec": _f((1, "namespace", "string")),
    "SubjectAccessReview": _f((1, "metadata", "ObjectMeta"), (2, "spec", "SubjectAccessReviewSpec"),
                              (3, "status", "ignored")),
    "SubjectAccessReviewSpec": _f((1, "resourceAttributes", "ResourceAttributes"),
                                  (2, "nonResourceAttributes", "NonResourceAttributes"), (3, "user", "string"),
                                  (4, "groups", "string", True), (6, "uid", "string")),
    # authentication.k8s.io/v1
    "SelfSubjectReview": _f((1, "metadata", "ObjectMeta"), (2, "status", "ignored")),
    "TokenReview": _f((1, "metadata", "ObjectMeta"), (2, "spec", "TokenReviewSpec"), (3, "status", "ignored")),
    "TokenReviewSpec": _f((1, "token", "string"), (2, "audiences", "string", True)),
}

#: (apiVersion, kind) of the envelope -> the object's message.
TOP_LEVEL = {
    ("v1", "Namespace"): "Namespace", ("v1", "ConfigMap"): "ConfigMap", ("v1", "Secret"): "Secret",
    ("v1", "Service"): "Service", ("v1", "ServiceAccount"): "ServiceAccount", ("v1", "Pod"): "Pod", ("apps/v1", "Deployment"): "Deployment",
    ("policy/v1", "Eviction"): "Eviction", ("v1", "DeleteOptions"): "DeleteOptions",
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview"): "SelfSubjectAccessReview",
    ("authorization.k8s.io/v1", "SelfSubjectRulesReview"): "SelfSubjectRulesReview",
    ("authorization.k8s.io/v1", "SubjectAccessReview"): "SubjectAccessReview",
    ("authorization.k8s.io/v1", "LocalSubjectAccessReview"): "SubjectAccessReview",
    ("authentication.k8s.io/v1", "SelfSubjectReview"): "SelfSubjectReview",
    ("authentication.k8s.io/v1", "TokenReview"): "TokenReview",
}

# Fields that are pointers in Go: a zero value was sent on purpose and stays.
_POINTERS = frozenset({"replicas", "immutable", "revisionHistoryLimit", "progressDeadlineSeconds",
                       "terminationGracePeriodSeconds", "gracePeriodSeconds", "orphanDependents",
                       "allocateLoadBalancerNodePorts", "automountServiceAccountToken", "enableServiceLinks",
                       "activeDeadlineSeconds", "deletionGracePeriodSeconds", "controller", "blockOwnerDeletion",
                       "timeoutSeconds", "priority", "tolerationSeconds", "defaultMode", "mode", "optional",
                       "privileged", "runAsUser", "runAsGroup", "runAsNonRoot", "readOnlyRootFilesystem",
                       "allowPrivilegeEscalation", "shareProcessNamespace", "expirationSeconds", "fsGroup",
                       "setHostnameAsFQDN"})


class DecodeError(ValueError):
    pass


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        if i >= len(buf) or shift > 63:
            raise DecodeError("truncated varint")
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, i
        shift += 7


def _fields(buf: bytes) -> list[tuple[int, int, Any]]:
    """(number, wire type, value) of every field: an int for varints and fixed widths,
    the bytes of a length-delimited field."""
    out: list[tuple[int, int, Any]] = []
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 2:
            n, i = _varint(buf, i)
            if i + n > len(buf):
                raise DecodeError("truncated length-delimited field")
            value, i = buf[i:i + n], i + n
        elif wire == 1:
            value, i = int.from_bytes(buf[i:i + 8], "little"), i + 8
        elif wire == 5:
            value, i = int.from_bytes(buf[i:i + 4], "little"), i + 4
        else:
            raise DecodeError(f"unsupported wire type {wire}")
        if i > len(buf) or num == 0:
            raise DecodeError("truncated message")
        out.append((num, wire, value))
    return out


def _signed(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _text(v: Any) -> str:
    """A string field: gogo-generated Unmarshal code takes its bytes unchecked (`string(dAtA[...])`),
    so kube-apiserver keeps bytes that are not UTF-8 and its JSON answers carry U+FFFD for them."""
    if not isinstance(v, bytes):
        raise DecodeError("expected a string")
    return go_utf8(v)


def _time(buf: bytes) -> str | None:
    seconds = 0
    for num, _, v in _fields(buf):
        if num == 1:
            seconds = _signed(v)
    if seconds == 0:
        return None  # the zero time: JSON null, left out
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _int_or_string(buf: bytes) -> int | str:
    kind, ival, sval = 0, 0, ""
    for num, _, v in _fields(buf):
        if num == 1:
            kind = v
        elif num == 2:
            ival = _signed(v)
        elif num == 3:
            sval = _text(v)
    return sval if kind == 1 else ival


def _quantity(buf: bytes) -> str:
    return next((_text(v) for num, _, v in _fields(buf) if num == 1), "")


def _map_entry(buf: bytes, value_type: str) -> tuple[str, Any]:
    key, value = "", "" if value_type != "bytes" else b""
    for num, _, v in _fields(buf):
        if num == 1:
            key = _text(v)
        elif num == 2:
            value = v if value_type == "bytes" else _quantity(v) if value_type == "Quantity" else _text(v)
    if value_type == "bytes":
        value = base64.b64encode(value).decode()
    return key, value


def _empty(v: Any) -> bool:
    return v is None or v == "" or v == {} or v == [] or v is False or v == 0


def decode_message(name: str, buf: bytes) -> dict[str, Any]:
    """One message of MESSAGES as its JSON object (zero values of non-pointers left out)."""
    table = MESSAGES[name]
    out: dict[str, Any] = {}
    for num, wire, raw in _fields(buf):
        if num not in table:
            if raw in (0, b""):
                continue  # a zero value gogo wrote for a non-pointer field: the same as absent
            raise DecodeError(f"{name} field {num} is not one svcflow decodes")
        key, typ, repeated = table[num]
        if typ == "ignored":
            continue
        if typ.startswith("map"):
            k, v = _map_entry(raw, typ.partition(":")[2] or "string")
            out.setdefault(key, {})[k] = v
            continue
        if typ in ("int", "bool"):
            if wire == 2 and repeated:  # packed
                value: Any = []
                j = 0
                while j < len(raw):
                    n, j = _varint(raw, j)
                    value.append(bool(n) if typ == "bool" else _signed(n))
                out.setdefault(key, []).extend(value)
                continue
            value = bool(raw) if typ == "bool" else _signed(raw)
        elif typ == "string":
            value = _text(raw)
        elif typ == "bytes":
            value = base64.b64encode(raw).decode()
        elif typ == "Time":
            value = _time(raw)
        elif typ == "IntOrString":
            value = _int_or_string(raw)
        elif typ == "Quantity":
            value = _quantity(raw)
        else:
            value = decode_message(typ, raw)
            if key == "":  # an embedded struct (Probe's ProbeHandler): its fields inline
                out.update(value)
                continue
        if repeated:
            out.setdefault(key, []).append(value)
        elif not _empty(value) or (key in _POINTERS and value is not None):
            out[key] = value
    return out


def accepted_types() -> list[str]:
    return ["application/json", "application/yaml", MEDIA_TYPE]


def decode(body: bytes) -> dict[str, Any]:
    """A protobuf request body as the JSON object it stands for, or kube-apiserver's 400/415."""
    if not body.startswith(MAGIC):
        raise bad_request("provided input did not contain the Kubernetes protobuf prefix (k8s\\x00)")
    try:
        api_version = kind = ""
        raw = b""
        encoding = ""
        for num, _, v in _fields(body[len(MAGIC):]):
            if num == 1:
                for n2, _, v2 in _fields(v):
                    if n2 == 1:
                        api_version = _text(v2)
                    elif n2 == 2:
                        kind = _text(v2)
            elif num == 2:
                raw = v
            elif num == 3:
                encoding = _text(v)
        message = TOP_LEVEL.get((api_version, kind))
        if message is None or encoding:
            raise StatusError("UnsupportedMediaType",
                              f"the body of the request was in an unknown format - accepted media types include: "
                              f"{', '.join(accepted_types())} (svcflow decodes protobuf for "
                              f"{', '.join(sorted(k for _, k in TOP_LEVEL))}; send {kind or 'this object'} as JSON)")
        obj = decode_message(message, raw)
    except (DecodeError, KeyError) as e:
        raise bad_request(f"unable to decode the protobuf body of {kind or 'the request'}: {e}")
    return {"apiVersion": api_version, "kind": kind, **obj}


def decode_body(body: bytes, req: "ResourceRequest | None" = None) -> dict[str, Any]:
    """The served API's body decoder for MEDIA_TYPE (`ApiContext.body_decoders`)."""
    return decode(body)
