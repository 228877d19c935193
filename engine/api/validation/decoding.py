"""Decoding a request body into its Go type, before any validation.

A value of the wrong JSON type fails the whole request (``json: cannot unmarshal string into
Go struct field ...``), then strict field validation (kubectl's default) refuses unknown
fields; ``decoded`` is the object as the server holds it afterwards (a null field is its
zero value). svcflow's own config documents (kind's Cluster, KubeProxyConfiguration) are
decoded with the same rules.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from engine.api.gostrconv import go_json_float, go_quote
from engine.api.quantity import quantity_error
from engine.api.validation.messages import ApiError

# --------------------------------------------------------------------------------------------
# Strict decoding: unknown fields
# --------------------------------------------------------------------------------------------

# Schema: type name -> {field: spec}; spec is None (leaf / opaque map), "Type" (object) or
# ["Type"] (list of objects).  Opaque subtrees accept anything, so only the places learners
# actually mistype are strict; everything named here follows the v1.33 API.
_S: dict[str, dict[str, Any]] = {
    "ObjectMeta": dict.fromkeys(
        "name generateName namespace selfLink uid resourceVersion generation creationTimestamp "
        "deletionTimestamp deletionGracePeriodSeconds labels annotations ownerReferences finalizers "
        "managedFields".split()),
    "LabelSelector": {"matchLabels": None, "matchExpressions": ["LabelSelectorRequirement"]},
    "LabelSelectorRequirement": dict.fromkeys(["key", "operator", "values"]),
    "ServiceSpec": {
        **dict.fromkeys(
            "selector clusterIP clusterIPs type externalIPs sessionAffinity loadBalancerIP "
            "loadBalancerSourceRanges externalName externalTrafficPolicy healthCheckNodePort "
            "publishNotReadyAddresses sessionAffinityConfig ipFamilies ipFamilyPolicy "
            "allocateLoadBalancerNodePorts loadBalancerClass internalTrafficPolicy trafficDistribution".split()),
        "ports": ["ServicePort"],
    },
    "ServicePort": dict.fromkeys(["name", "protocol", "appProtocol", "port", "targetPort", "nodePort"]),
    "DeploymentSpec": {
        **dict.fromkeys(["replicas", "minReadySeconds", "revisionHistoryLimit", "paused", "progressDeadlineSeconds"]),
        "selector": "LabelSelector", "template": "PodTemplateSpec", "strategy": "DeploymentStrategy",
    },
    "DeploymentStrategy": {"type": None, "rollingUpdate": "RollingUpdate"},
    "RollingUpdate": dict.fromkeys(["maxUnavailable", "maxSurge"]),
    "ReplicaSetSpec": {**dict.fromkeys(["replicas", "minReadySeconds"]), "selector": "LabelSelector",
                       "template": "PodTemplateSpec"},
    "DaemonSetSpec": {**dict.fromkeys(["minReadySeconds", "revisionHistoryLimit"]), "selector": "LabelSelector",
                      "template": "PodTemplateSpec", "updateStrategy": "DaemonSetUpdateStrategy"},
    "DaemonSetUpdateStrategy": {"type": None, "rollingUpdate": "RollingUpdate"},
    "StatefulSetSpec": {
        **dict.fromkeys(["replicas", "serviceName", "podManagementPolicy", "revisionHistoryLimit", "minReadySeconds",
                         "persistentVolumeClaimRetentionPolicy", "ordinals"]),
        "selector": "LabelSelector", "template": "PodTemplateSpec", "updateStrategy": "StatefulSetUpdateStrategy",
        "volumeClaimTemplates": ["PersistentVolumeClaim"],
    },
    "StatefulSetUpdateStrategy": {"type": None, "rollingUpdate": "RollingUpdateStatefulSetStrategy"},
    "RollingUpdateStatefulSetStrategy": dict.fromkeys(["partition", "maxUnavailable"]),
    "PersistentVolumeClaim": {**dict.fromkeys(["apiVersion", "kind", "spec", "status"]), "metadata": "ObjectMeta"},
    "PodTemplateSpec": {"metadata": "ObjectMeta", "spec": "PodSpec"},
    "PodSpec": {
        **dict.fromkeys(
            "ephemeralContainers restartPolicy terminationGracePeriodSeconds activeDeadlineSeconds dnsPolicy "
            "nodeSelector serviceAccountName serviceAccount automountServiceAccountToken nodeName hostNetwork "
            "hostPID hostIPC shareProcessNamespace securityContext imagePullSecrets hostname subdomain affinity "
            "schedulerName tolerations hostAliases priorityClassName priority dnsConfig readinessGates "
            "runtimeClassName enableServiceLinks preemptionPolicy overhead topologySpreadConstraints "
            "setHostnameAsFQDN os hostUsers schedulingGates resourceClaims resources".split()),
        "volumes": ["Volume"], "initContainers": ["Container"], "containers": ["Container"],
    },
    "Volume": dict.fromkeys(
        "name hostPath emptyDir gcePersistentDisk awsElasticBlockStore gitRepo secret nfs iscsi glusterfs "
        "persistentVolumeClaim rbd flexVolume cinder cephfs flocker downwardAPI fc azureFile configMap "
        "vsphereVolume quobyte azureDisk photonPersistentDisk projected portworxVolume scaleIO storageos csi "
        "ephemeral image".split()),
    "Container": {
        **dict.fromkeys(
            "name image command args workingDir resizePolicy restartPolicy volumeDevices terminationMessagePath "
            "terminationMessagePolicy imagePullPolicy securityContext stdin stdinOnce tty".split()),
        "ports": ["ContainerPort"], "envFrom": ["EnvFromSource"], "env": ["EnvVar"],
        "resources": "ResourceRequirements", "volumeMounts": ["VolumeMount"],
        "livenessProbe": "Probe", "readinessProbe": "Probe", "startupProbe": "Probe", "lifecycle": "Lifecycle",
    },
    "ContainerPort": dict.fromkeys(["name", "hostPort", "containerPort", "protocol", "hostIP"]),
    "EnvVar": {"name": None, "value": None, "valueFrom": "EnvVarSource"},
    "EnvVarSource": {"fieldRef": "ObjectFieldSelector", "resourceFieldRef": "ResourceFieldSelector",
                     "configMapKeyRef": "KeySelector", "secretKeyRef": "KeySelector"},
    "ObjectFieldSelector": dict.fromkeys(["apiVersion", "fieldPath"]),
    "ResourceFieldSelector": dict.fromkeys(["containerName", "resource", "divisor"]),
    "KeySelector": dict.fromkeys(["name", "key", "optional"]),
    "EnvFromSource": {"prefix": None, "configMapRef": "EnvFromRef", "secretRef": "EnvFromRef"},
    "EnvFromRef": dict.fromkeys(["name", "optional"]),
    "ResourceRequirements": dict.fromkeys(["limits", "requests", "claims"]),
    "VolumeMount": dict.fromkeys(
        ["name", "readOnly", "recursiveReadOnly", "mountPath", "subPath", "mountPropagation", "subPathExpr"]),
    "Probe": {
        **dict.fromkeys(["initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold",
                         "failureThreshold", "terminationGracePeriodSeconds"]),
        "exec": "ExecAction", "httpGet": "HTTPGetAction", "tcpSocket": "TCPSocketAction", "grpc": "GRPCAction",
    },
    "ExecAction": {"command": None},
    "HTTPGetAction": {**dict.fromkeys(["path", "port", "host", "scheme"]), "httpHeaders": ["HTTPHeader"]},
    "HTTPHeader": dict.fromkeys(["name", "value"]),
    "TCPSocketAction": dict.fromkeys(["port", "host"]),
    "GRPCAction": dict.fromkeys(["port", "service"]),
    "Lifecycle": {"postStart": "LifecycleHandler", "preStop": "LifecycleHandler", "stopSignal": None},
    "LifecycleHandler": {"exec": "ExecAction", "httpGet": "HTTPGetAction", "tcpSocket": "TCPSocketAction",
                         "sleep": "SleepAction"},
    "SleepAction": {"seconds": None},
    "PodStatus": None,
    "NamespaceSpec": {"finalizers": None},
    "NodeSpec": dict.fromkeys(["podCIDR", "podCIDRs", "providerID", "unschedulable", "taints", "configSource",
                               "externalID"]),
    "EndpointSubset": {"addresses": ["EndpointAddress"], "notReadyAddresses": ["EndpointAddress"],
                       "ports": ["CoreEndpointPort"]},
    "EndpointAddress": dict.fromkeys(["ip", "hostname", "nodeName", "targetRef"]),
    "CoreEndpointPort": dict.fromkeys(["name", "port", "protocol", "appProtocol"]),
    "Endpoint": {**dict.fromkeys(["addresses", "hostname", "targetRef", "deprecatedTopology", "nodeName", "zone",
                                  "hints"]), "conditions": "EndpointConditions"},
    "EndpointConditions": dict.fromkeys(["ready", "serving", "terminating"]),
    "DiscoveryEndpointPort": dict.fromkeys(["name", "protocol", "port", "appProtocol"]),
    "NetworkPolicySpec": {"podSelector": "LabelSelector", "ingress": ["NetworkPolicyIngressRule"],
                          "egress": ["NetworkPolicyEgressRule"], "policyTypes": None},
    "NetworkPolicyIngressRule": {"ports": ["NetworkPolicyPort"], "from": ["NetworkPolicyPeer"]},
    "NetworkPolicyEgressRule": {"ports": ["NetworkPolicyPort"], "to": ["NetworkPolicyPeer"]},
    "NetworkPolicyPort": dict.fromkeys(["protocol", "port", "endPort"]),
    "NetworkPolicyPeer": {"podSelector": "LabelSelector", "namespaceSelector": "LabelSelector",
                          "ipBlock": "IPBlock"},
    "IPBlock": dict.fromkeys(["cidr", "except"]),
}

_TOP: dict[tuple[str, str], dict[str, Any]] = {
    ("v1", "Service"): {"spec": "ServiceSpec", "status": None},
    ("v1", "Pod"): {"spec": "PodSpec", "status": None},
    ("v1", "Namespace"): {"spec": "NamespaceSpec", "status": None},
    ("v1", "Node"): {"spec": "NodeSpec", "status": None},
    ("v1", "ConfigMap"): {"data": None, "binaryData": None, "immutable": None},
    ("v1", "ServiceAccount"): {"secrets": None, "imagePullSecrets": None, "automountServiceAccountToken": None},
    ("v1", "Endpoints"): {"subsets": ["EndpointSubset"]},
    ("apps/v1", "Deployment"): {"spec": "DeploymentSpec", "status": None},
    ("apps/v1", "ReplicaSet"): {"spec": "ReplicaSetSpec", "status": None},
    ("apps/v1", "DaemonSet"): {"spec": "DaemonSetSpec", "status": None},
    ("apps/v1", "StatefulSet"): {"spec": "StatefulSetSpec", "status": None},
    ("discovery.k8s.io/v1", "EndpointSlice"): {"addressType": None, "endpoints": ["Endpoint"],
                                               "ports": ["DiscoveryEndpointPort"]},
    ("networking.k8s.io/v1", "NetworkPolicy"): {"spec": "NetworkPolicySpec"},
}


def _walk_unknown(value: Any, fields: dict[str, Any] | None, path: str, out: list[str]) -> None:
    if fields is None or not isinstance(value, dict):
        return
    # kubectl sends JSON marshalled from a Go map: keys sorted, so errors come in sorted order.
    for key in sorted(value, key=str):
        k = str(key)
        sub = f"{path}.{k}" if path else k
        if k not in fields:
            out.append(sub)
            continue
        spec = fields[k]
        if spec is None:
            continue
        if isinstance(spec, list):
            items = value[key]
            if isinstance(items, list):
                for i, it in enumerate(items):
                    _walk_unknown(it, _S.get(spec[0]), f"{sub}[{i}]", out)
        else:
            _walk_unknown(value[key], _S.get(spec), sub, out)


def strict_unknown_fields(obj: dict) -> list[str]:
    """Paths of fields the API server's strict decoder rejects (``spec.replica``, ``spec.ports[0].nodeport``).

    Matching is case-sensitive, as in the server (``spec.Replicas`` is unknown).  Order is
    depth-first over alphabetically sorted keys - the order kubectl's JSON has.  Kinds svcflow does
    not model, and svcflow config kinds, return ``[]``.
    """
    if not isinstance(obj, dict):
        return []
    top = _TOP.get((obj.get("apiVersion"), obj.get("kind")))
    if top is None:
        return []
    fields = {"apiVersion": None, "kind": None, "metadata": "ObjectMeta", **top}
    out: list[str] = []
    _walk_unknown(obj, fields, "", out)
    return out


def unknown_fields_error(kind: str, api_version: str, display: str, fields: Sequence[str],
                         verb: str = "creating") -> "ApiError":
    """The BadRequest Status a strict-decoding rejection produces (see format_unknown_fields)."""
    version = api_version.rsplit("/", 1)[-1]
    body = ", ".join(f"unknown field {go_quote(f)}" for f in fields)
    msg = f"{kind} in version {go_quote(version)} cannot be handled as a {kind}: strict decoding error: {body}"
    return ApiError("BadRequest", message=msg, source=display, verb=verb)


def format_unknown_fields(kind: str, api_version: str, display: str, fields: Sequence[str], verb: str = "creating") -> str:
    """kubectl's line for a strict-decoding rejection (one line, no trailing newline).

    ``Error from server (BadRequest): error when creating "redis.yaml": Deployment in version "v1"
    cannot be handled as a Deployment: strict decoding error: unknown field "spec.replica"``.
    Several fields are joined with ``, `` inside the one ``strict decoding error``.
    """
    return unknown_fields_error(kind, api_version, display, fields, verb).in_list()


# --------------------------------------------------------------------------------------------
# Decoding into Go types: wrong JSON types
# --------------------------------------------------------------------------------------------
#
# Before strict decoding reports unknown fields, the API server's JSON decoder (sigs.k8s.io/json,
# encoding/json's rules) must fit every value into the Go type of its field.  A string where an
# int32 belongs fails the whole request:
#
#   Error from server (BadRequest): error when creating "redis.yaml": Service in version "v1"
#   cannot be handled as a Service: json: cannot unmarshal string into Go struct field
#   ServicePort.spec.ports.port of type int32
#
# encoding/json names the innermost struct type and the JSON path without indices; a map's or a
# slice's element reports the map's / slice's own field.  Fields are decoded in the order kubectl
# sends them (Go marshals maps with sorted keys) and the first error wins.  Types below follow
# the v1.33 API for the fields svcflow models; anything not listed is accepted as is.

_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)


def _struct(go_name: str, /, **fields: Any) -> tuple[str, str, dict[str, Any]]:
    return ("struct", go_name, fields)


def _slice(t: Any) -> tuple[str, Any]:
    return ("slice", t)


def _map(t: Any) -> tuple[str, Any]:
    return ("map", t)


_STR, _I32, _I64, _BOOL, _INTSTR, _BYTES = "string", "int32", "int64", "bool", "intstr", "[]uint8"
_FINALIZER_NAME = "v1.FinalizerName"  # (a named string type: its errors name it)
# resource.Quantity: its UnmarshalJSON takes a string or a number and says ParseQuantity's own
# words (`quantities must match the regular expression ...`), not encoding/json's
_QTY = "resource.Quantity"
_QTYMAP = _map(_QTY)
_STRS = _slice(_STR)
_STRMAP = _map(_STR)

_OBJECT_META = _struct(
    "ObjectMeta", name=_STR, generateName=_STR, namespace=_STR, uid=_STR, resourceVersion=_STR,
    generation=_I64, labels=_STRMAP, annotations=_STRMAP, finalizers=_STRS,
    deletionGracePeriodSeconds=_I64,
    ownerReferences=_slice(_struct("OwnerReference", apiVersion=_STR, kind=_STR, name=_STR, uid=_STR,
                                   controller=_BOOL, blockOwnerDeletion=_BOOL)))
_LABEL_SELECTOR = _struct(
    "LabelSelector", matchLabels=_STRMAP,
    matchExpressions=_slice(_struct("LabelSelectorRequirement", key=_STR, operator=_STR, values=_STRS)))
_EXEC = _struct("ExecAction", command=_STRS)
_HTTP_GET = _struct("HTTPGetAction", path=_STR, port=_INTSTR, host=_STR, scheme=_STR)
_TCP = _struct("TCPSocketAction", port=_INTSTR, host=_STR)
_PROBE = _struct(
    "Probe", initialDelaySeconds=_I32, timeoutSeconds=_I32, periodSeconds=_I32, successThreshold=_I32,
    failureThreshold=_I32, terminationGracePeriodSeconds=_I64, exec=_EXEC, httpGet=_HTTP_GET, tcpSocket=_TCP,
    grpc=_struct("GRPCAction", port=_I32, service=_STR))
_CONTAINER = _struct(
    "Container", name=_STR, image=_STR, command=_STRS, args=_STRS, workingDir=_STR,
    ports=_slice(_struct("ContainerPort", name=_STR, hostPort=_I32, containerPort=_I32, protocol=_STR, hostIP=_STR)),
    env=_slice(_struct("EnvVar", name=_STR, value=_STR)),
    imagePullPolicy=_STR, livenessProbe=_PROBE, readinessProbe=_PROBE, startupProbe=_PROBE,
    terminationMessagePath=_STR, terminationMessagePolicy=_STR, restartPolicy=_STR,
    stdin=_BOOL, stdinOnce=_BOOL, tty=_BOOL,
    resources=_struct("ResourceRequirements", limits=_QTYMAP, requests=_QTYMAP))
_POD_SPEC = _struct(
    "PodSpec", containers=_slice(_CONTAINER), initContainers=_slice(_CONTAINER), restartPolicy=_STR,
    terminationGracePeriodSeconds=_I64, activeDeadlineSeconds=_I64, dnsPolicy=_STR, nodeSelector=_STRMAP,
    serviceAccountName=_STR, serviceAccount=_STR, automountServiceAccountToken=_BOOL, nodeName=_STR,
    hostNetwork=_BOOL, hostPID=_BOOL, hostIPC=_BOOL, shareProcessNamespace=_BOOL, hostname=_STR, subdomain=_STR,
    schedulerName=_STR, priorityClassName=_STR, priority=_I32, enableServiceLinks=_BOOL, preemptionPolicy=_STR,
    setHostnameAsFQDN=_BOOL, hostUsers=_BOOL, runtimeClassName=_STR, overhead=_QTYMAP,
    resources=_struct("ResourceRequirements", limits=_QTYMAP, requests=_QTYMAP),
    dnsConfig=_struct("PodDNSConfig", nameservers=_STRS, searches=_STRS,
                      options=_slice(_struct("PodDNSConfigOption", name=_STR, value=_STR))))
_TEMPLATE = _struct("PodTemplateSpec", metadata=_OBJECT_META, spec=_POD_SPEC)
_SERVICE_SPEC = _struct(
    "ServiceSpec",
    ports=_slice(_struct("ServicePort", name=_STR, protocol=_STR, appProtocol=_STR, port=_I32,
                         targetPort=_INTSTR, nodePort=_I32)),
    selector=_STRMAP, clusterIP=_STR, clusterIPs=_STRS, type=_STR, externalIPs=_STRS, sessionAffinity=_STR,
    loadBalancerIP=_STR, loadBalancerSourceRanges=_STRS, externalName=_STR, externalTrafficPolicy=_STR,
    healthCheckNodePort=_I32, publishNotReadyAddresses=_BOOL, ipFamilies=_STRS, ipFamilyPolicy=_STR,
    allocateLoadBalancerNodePorts=_BOOL, loadBalancerClass=_STR, internalTrafficPolicy=_STR,
    trafficDistribution=_STR)
_ROLLING = {"maxUnavailable": _INTSTR, "maxSurge": _INTSTR}
_ENDPOINT_ADDRESS = _struct("EndpointAddress", ip=_STR, hostname=_STR, nodeName=_STR)
_NETWORK_POLICY_PORT = _struct("NetworkPolicyPort", protocol=_STR, port=_INTSTR, endPort=_I32)
_NETWORK_POLICY_PEER = _struct("NetworkPolicyPeer", podSelector=_LABEL_SELECTOR, namespaceSelector=_LABEL_SELECTOR,
                               ipBlock=_struct("IPBlock", cidr=_STR, **{"except": _STRS}))

# The workloads' statuses (what a write to their `status` subresource is decoded into: its counts
# are int32s, a string there is refused before it could be stored)
_CONDITIONS = {"conditions": _slice(_struct("Condition", type=_STR, status=_STR, reason=_STR, message=_STR,
                                            lastUpdateTime=_STR, lastTransitionTime=_STR))}
_DEPLOYMENT_STATUS = _struct("DeploymentStatus", observedGeneration=_I64, replicas=_I32, updatedReplicas=_I32,
                             readyReplicas=_I32, availableReplicas=_I32, unavailableReplicas=_I32,
                             terminatingReplicas=_I32, collisionCount=_I32, **_CONDITIONS)
_REPLICASET_STATUS = _struct("ReplicaSetStatus", replicas=_I32, fullyLabeledReplicas=_I32, readyReplicas=_I32,
                             availableReplicas=_I32, terminatingReplicas=_I32, observedGeneration=_I64,
                             **_CONDITIONS)
_STATEFULSET_STATUS = _struct("StatefulSetStatus", observedGeneration=_I64, replicas=_I32, readyReplicas=_I32,
                              currentReplicas=_I32, updatedReplicas=_I32, currentRevision=_STR, updateRevision=_STR,
                              collisionCount=_I32, availableReplicas=_I32, **_CONDITIONS)
_DAEMONSET_STATUS = _struct("DaemonSetStatus", currentNumberScheduled=_I32, numberMisscheduled=_I32,
                            desiredNumberScheduled=_I32, numberReady=_I32, observedGeneration=_I64,
                            updatedNumberScheduled=_I32, numberAvailable=_I32, numberUnavailable=_I32,
                            collisionCount=_I32, **_CONDITIONS)

_DECODE_TYPES: dict[tuple[str, str], Any] = {
    ("v1", "Service"): _struct("Service", metadata=_OBJECT_META, spec=_SERVICE_SPEC, status=_struct(
        "ServiceStatus", loadBalancer=_struct("LoadBalancerStatus", ingress=_slice(_struct(
            "LoadBalancerIngress", ip=_STR, hostname=_STR, ipMode=_STR))))),
    ("v1", "Pod"): _struct("Pod", metadata=_OBJECT_META, spec=_POD_SPEC, status=_struct(
        "PodStatus", phase=_STR, message=_STR, reason=_STR, hostIP=_STR, podIP=_STR, startTime=_STR, qosClass=_STR,
        nominatedNodeName=_STR, hostIPs=_slice(_struct("HostIP", ip=_STR)), podIPs=_slice(_struct("PodIP", ip=_STR)),
        conditions=_slice(_struct("PodCondition", type=_STR, status=_STR, reason=_STR, message=_STR)))),
    ("v1", "Namespace"): _struct("Namespace", metadata=_OBJECT_META, spec=_struct(
        "NamespaceSpec", finalizers=_slice(_FINALIZER_NAME)), status=_struct("NamespaceStatus", phase=_STR,
                                                                            **_CONDITIONS)),
    # what a `scale` subresource write is decoded into (int32 replicas)
    ("autoscaling/v1", "Scale"): _struct("Scale", metadata=_OBJECT_META, spec=_struct("ScaleSpec", replicas=_I32),
                                         status=_struct("ScaleStatus", replicas=_I32, selector=_STR)),
    ("v1", "Node"): _struct("Node", metadata=_OBJECT_META, spec=_struct(
        "NodeSpec", podCIDR=_STR, podCIDRs=_STRS, providerID=_STR, unschedulable=_BOOL,
        taints=_slice(_struct("Taint", key=_STR, value=_STR, effect=_STR))), status=_struct(
        "NodeStatus", capacity=_QTYMAP, allocatable=_QTYMAP, phase=_STR,
        addresses=_slice(_struct("NodeAddress", type=_STR, address=_STR)),
        conditions=_slice(_struct("NodeCondition", type=_STR, status=_STR, reason=_STR, message=_STR,
                                  lastHeartbeatTime=_STR, lastTransitionTime=_STR)))),
    ("v1", "ConfigMap"): _struct("ConfigMap", metadata=_OBJECT_META, data=_STRMAP, immutable=_BOOL,
                                 binaryData=_map(_BYTES)),
    ("v1", "ServiceAccount"): _struct(
        "ServiceAccount", metadata=_OBJECT_META, automountServiceAccountToken=_BOOL,
        secrets=_slice(_struct("ObjectReference", kind=_STR, namespace=_STR, name=_STR, uid=_STR, apiVersion=_STR,
                               resourceVersion=_STR, fieldPath=_STR)),
        imagePullSecrets=_slice(_struct("LocalObjectReference", name=_STR))),
    ("v1", "Endpoints"): _struct("Endpoints", metadata=_OBJECT_META, subsets=_slice(_struct(
        "EndpointSubset", addresses=_slice(_ENDPOINT_ADDRESS), notReadyAddresses=_slice(_ENDPOINT_ADDRESS),
        ports=_slice(_struct("EndpointPort", name=_STR, port=_I32, protocol=_STR, appProtocol=_STR))))),
    ("apps/v1", "Deployment"): _struct("Deployment", metadata=_OBJECT_META, spec=_struct(
        "DeploymentSpec", replicas=_I32, selector=_LABEL_SELECTOR, template=_TEMPLATE,
        strategy=_struct("DeploymentStrategy", type=_STR, rollingUpdate=_struct("RollingUpdateDeployment", **_ROLLING)),
        minReadySeconds=_I32, revisionHistoryLimit=_I32, paused=_BOOL, progressDeadlineSeconds=_I32),
        status=_DEPLOYMENT_STATUS),
    ("apps/v1", "ReplicaSet"): _struct("ReplicaSet", metadata=_OBJECT_META, spec=_struct(
        "ReplicaSetSpec", replicas=_I32, minReadySeconds=_I32, selector=_LABEL_SELECTOR, template=_TEMPLATE),
        status=_REPLICASET_STATUS),
    ("apps/v1", "DaemonSet"): _struct("DaemonSet", metadata=_OBJECT_META, spec=_struct(
        "DaemonSetSpec", selector=_LABEL_SELECTOR, template=_TEMPLATE, minReadySeconds=_I32,
        revisionHistoryLimit=_I32, updateStrategy=_struct(
            "DaemonSetUpdateStrategy", type=_STR, rollingUpdate=_struct("RollingUpdateDaemonSet", **_ROLLING))),
        status=_DAEMONSET_STATUS),
    ("apps/v1", "StatefulSet"): _struct("StatefulSet", metadata=_OBJECT_META, spec=_struct(
        "StatefulSetSpec", replicas=_I32, selector=_LABEL_SELECTOR, template=_TEMPLATE, serviceName=_STR,
        podManagementPolicy=_STR, revisionHistoryLimit=_I32, minReadySeconds=_I32,
        updateStrategy=_struct("StatefulSetUpdateStrategy", type=_STR, rollingUpdate=_struct(
            "RollingUpdateStatefulSetStrategy", partition=_I32, maxUnavailable=_INTSTR)),
        persistentVolumeClaimRetentionPolicy=_struct("StatefulSetPersistentVolumeClaimRetentionPolicy",
                                                     whenDeleted=_STR, whenScaled=_STR),
        ordinals=_struct("StatefulSetOrdinals", start=_I32),
        volumeClaimTemplates=_slice(_struct("PersistentVolumeClaim", metadata=_OBJECT_META))),
        status=_STATEFULSET_STATUS),
    ("discovery.k8s.io/v1", "EndpointSlice"): _struct(
        "EndpointSlice", metadata=_OBJECT_META, addressType=_STR,
        endpoints=_slice(_struct("Endpoint", addresses=_STRS, hostname=_STR, nodeName=_STR, zone=_STR,
                                 conditions=_struct("EndpointConditions", ready=_BOOL, serving=_BOOL,
                                                    terminating=_BOOL))),
        ports=_slice(_struct("EndpointPort", name=_STR, protocol=_STR, port=_I32, appProtocol=_STR))),
    ("networking.k8s.io/v1", "NetworkPolicy"): _struct("NetworkPolicy", metadata=_OBJECT_META, spec=_struct(
        "NetworkPolicySpec", podSelector=_LABEL_SELECTOR, policyTypes=_STRS,
        ingress=_slice(_struct("NetworkPolicyIngressRule", ports=_slice(_NETWORK_POLICY_PORT),
                               **{"from": _slice(_NETWORK_POLICY_PEER)})),
        egress=_slice(_struct("NetworkPolicyEgressRule", ports=_slice(_NETWORK_POLICY_PORT),
                              to=_slice(_NETWORK_POLICY_PEER))))),
}


def _go_type_name(t: Any) -> str:
    if t == _QTYMAP:
        return "v1.ResourceList"
    if t == _INTSTR:
        return "int32"  # IntOrString's UnmarshalJSON decodes non-strings into its int32
    if isinstance(t, str):
        return t
    if t[0] == "struct":
        return t[1] if "." in t[1] else "v1." + t[1]  # (the config kinds name their own package)
    if t[0] == "slice":
        return "[]" + _go_type_name(t[1])
    return "map[string]" + _go_type_name(t[1])


def _json_kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dict):
        return "object"
    return "array"


def go_json_number(v: int | float) -> str:
    """A number as kubectl's JSON carries it: integers exactly, floats as encoding/json writes them."""
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    return go_json_float(v)


@dataclass
class DecodeError:
    """The first value that does not fit its Go type: Go's message and the exact field path
    (with indices and map keys, for pointing at the line)."""

    message: str
    path: str


# The config documents' Go types: kind's v1alpha4 Cluster (sigs.k8s.io/kind
# pkg/apis/config/v1alpha4/types.go) and kube-proxy's v1alpha1 KubeProxyConfiguration.
_KIND_NODE = _struct(
    "v1alpha4.Node", role=_STR, image=_STR, labels=_STRMAP, kubeadmConfigPatches=_STRS,
    extraMounts=_slice(_struct("v1alpha4.Mount", containerPath=_STR, hostPath=_STR, readOnly=_BOOL,
                               selinuxRelabel=_BOOL, propagation=_STR)),
    extraPortMappings=_slice(_struct("v1alpha4.PortMapping", containerPort=_I32, hostPort=_I32, listenAddress=_STR,
                                     protocol=_STR)))
_CONFIG_DECODE_TYPES: dict[tuple[str, str], Any] = {
    ("kind.x-k8s.io/v1alpha4", "Cluster"): _struct(
        "v1alpha4.Cluster", name=_STR, nodes=_slice(_KIND_NODE), featureGates=_map(_BOOL), runtimeConfig=_STRMAP,
        kubeadmConfigPatches=_STRS, containerdConfigPatches=_STRS,
        networking=_struct("v1alpha4.Networking", ipFamily=_STR, apiServerPort=_I32, apiServerAddress=_STR,
                           podSubnet=_STR, serviceSubnet=_STR, disableDefaultCNI=_BOOL, kubeProxyMode=_STR,
                           dnsSearch=_STRS)),
    ("kubeproxy.config.k8s.io/v1alpha1", "KubeProxyConfiguration"): _struct(
        "v1alpha1.KubeProxyConfiguration", mode=_STR, clusterCIDR=_STR, nodePortAddresses=_STRS,
        bindAddress=_STR, healthzBindAddress=_STR, metricsBindAddress=_STR, hostnameOverride=_STR,
        iptables=_struct("v1alpha1.KubeProxyIPTablesConfiguration", masqueradeAll=_BOOL, masqueradeBit=_I32,
                         localhostNodePorts=_BOOL, minSyncPeriod=_STR, syncPeriod=_STR),
        ipvs=_struct("v1alpha1.KubeProxyIPVSConfiguration", scheduler=_STR, strictARP=_BOOL, minSyncPeriod=_STR,
                     syncPeriod=_STR, excludeCIDRs=_STRS)),
    ("kubelet.config.k8s.io/v1beta1", "KubeletConfiguration"): _struct(
        "v1beta1.KubeletConfiguration", maxPods=_I32, podPidsLimit=_I64, clusterDomain=_STR, clusterDNS=_STRS,
        podCIDR=_STR, resolvConf=_STR, failSwapOn=_BOOL, cgroupDriver=_STR),
}


def config_decode_error(obj: dict) -> DecodeError | None:
    """What decoding a config document (kind's Cluster, a KubeProxyConfiguration) into its Go
    type says of its types, or None when they all fit."""
    if not isinstance(obj, dict):
        return None
    top = _CONFIG_DECODE_TYPES.get((obj.get("apiVersion"), obj.get("kind")))  # type: ignore[arg-type]
    return _decode(obj, top, top[1], [], "") if top is not None else None


def decode_error(obj: dict) -> DecodeError | None:
    """What the API server's JSON decoder says of ``obj``'s types, or None when they all fit."""
    if not isinstance(obj, dict):
        return None
    top = _DECODE_TYPES.get((obj.get("apiVersion"), obj.get("kind")))  # type: ignore[arg-type]
    if top is None:
        return None
    return _decode(obj, top, top[1], [], "")


def _decode(v: Any, t: Any, struct: str, stack: list[str], path: str) -> DecodeError | None:
    if v is None:  # null leaves the zero value: never an error
        return None

    def fail(value: str, typ: Any) -> DecodeError:
        return DecodeError(f"json: cannot unmarshal {value} into Go struct field {struct.rsplit('.', 1)[-1]}."
                           f"{'.'.join(stack)} of type {_go_type_name(typ)}", path)

    if isinstance(t, str):
        if t in (_STR, _FINALIZER_NAME):
            return None if isinstance(v, str) else fail(_json_kind(v), t)
        if t == _BOOL:
            return None if isinstance(v, bool) else fail(_json_kind(v), t)
        if t == _INTSTR and isinstance(v, str):
            return None
        if t == _QTY:
            bad = quantity_error(v)
            return None if bad is None else DecodeError(bad, path)
        if t == _BYTES:  # []byte: a base64 string (encoding/json decodes it with StdEncoding)
            if not isinstance(v, str):
                return fail(_json_kind(v), t)
            bad = go_base64_error(v)
            return None if bad is None else DecodeError(f"illegal base64 data at input byte {bad}", path)
        if t in (_I32, _I64, _INTSTR):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                return fail(_json_kind(v), t)
            lo, hi = _INT64 if t == _I64 else _INT32
            if isinstance(v, float) and not v.is_integer() or not lo <= v <= hi:
                return fail("number " + go_json_number(v), t)
        return None
    kind = t[0]
    if kind == "struct":
        if not isinstance(v, dict):
            return fail(_json_kind(v), t)
        for key in sorted(v, key=str):
            sub = t[2].get(key)
            if sub is None:
                continue
            err = _decode(v[key], sub, t[1], stack + [str(key)], f"{path}.{key}" if path else str(key))
            if err:
                return err
        return None
    if kind == "slice":
        if not isinstance(v, list):
            return fail(_json_kind(v), t)
        for i, item in enumerate(v):
            err = _decode(item, t[1], struct, stack, f"{path}[{i}]")
            if err:
                return err
        return None
    if not isinstance(v, dict):  # map
        return fail(_json_kind(v), t)
    for key in sorted(v, key=str):
        err = _decode(v[key], t[1], struct, stack, f"{path}[{key}]")
        if err:
            return err
    return None


_B64 = {c: i for i, c in enumerate(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


def go_base64_error(text: str) -> int | None:
    """Where Go's ``base64.StdEncoding.Decode`` fails on ``text`` (the CorruptInputError byte
    offset, in UTF-8 bytes), or None when it decodes.  A port of decodeQuantum: CR and LF are
    skipped, padding is required, nothing may follow it."""
    src = text.encode("utf-8", "surrogatepass")
    si, n = 0, len(src)
    while si < n:
        j = 0
        while j < 4:
            if si == n:
                if j == 0:
                    return None
                return si - j
            ch = src[si]
            si += 1
            if ch in _B64:
                j += 1
                continue
            if ch in (0x0A, 0x0D):
                continue
            if ch != 0x3D:  # '='
                return si - 1
            if j in (0, 1):
                return si - 1
            if j == 2:
                while si < n and src[si] in (0x0A, 0x0D):
                    si += 1
                if si == n:
                    return n
                if src[si] != 0x3D:
                    return si - 1
                si += 1
            while si < n and src[si] in (0x0A, 0x0D):
                si += 1
            return si if si < n else None
    return None


_ZERO = {_STR: "", _FINALIZER_NAME: "", _I32: 0, _I64: 0, _BOOL: False, _INTSTR: 0}


def decoded(obj: dict, unknown: Sequence[str] | None = None) -> dict:
    """``obj`` as the API server holds it after decoding into its Go type: a ``null`` field is
    the zero value, which is the same as leaving the field out (validation then reports it as
    such, ``Invalid value: 0``); a ``null`` list element or map value becomes its type's zero
    value; a field the type does not have is gone (with ``fieldValidation`` Warn or Ignore it
    was let through, and a typo such as ``tragetPort`` must not be served back as if it were
    in effect).  Fields svcflow does not type are kept as they are. `unknown`: what
    `strict_unknown_fields` already said of `obj` (not looked for again)."""
    if strict_unknown_fields(obj) if unknown is None else unknown:
        obj = without_unknown_fields(obj)
    top = _DECODE_TYPES.get((obj.get("apiVersion"), obj.get("kind"))) if isinstance(obj, dict) else None
    return _zeroed(obj, top) if top is not None else obj


def without_unknown_fields(obj: dict) -> dict:
    """``obj`` (a modelled kind) without the fields `strict_unknown_fields` names: a copy."""
    top = _TOP[(obj.get("apiVersion"), obj.get("kind"))]
    return _pruned(obj, {"apiVersion": None, "kind": None, "metadata": "ObjectMeta", **top})


def _pruned(value: Any, fields: dict[str, Any] | None) -> Any:
    if fields is None or not isinstance(value, dict):
        return value
    out = {}
    for key, v in value.items():
        if str(key) not in fields:
            continue
        spec = fields[str(key)]
        if isinstance(spec, list):
            out[key] = [_pruned(it, _S.get(spec[0])) for it in v] if isinstance(v, list) else v
        else:
            out[key] = v if spec is None else _pruned(v, _S.get(spec))
    return out


def _zeroed(v: Any, t: Any) -> Any:
    if t is None or isinstance(t, str):
        return v
    kind = t[0]
    if kind == "struct" and isinstance(v, dict):
        out = {}
        for k, x in v.items():
            sub = t[2].get(k)
            if x is None and sub is not None:
                continue
            out[k] = _zeroed(x, sub)
        return out
    if kind == "slice" and isinstance(v, list):
        elem = t[1]
        if isinstance(elem, str):
            zero: Any = _ZERO.get(elem)
        else:
            zero = {} if elem[0] == "struct" else None
        return [zero if x is None and zero is not None else _zeroed(x, elem) for x in v]
    if kind == "map" and isinstance(v, dict):
        elem = t[1]
        if isinstance(elem, str):
            return {k: _ZERO.get(elem, x) if x is None else x for k, x in v.items()}
        return {k: _zeroed(x, elem) for k, x in v.items()}
    return v
