"""The Go struct field order of the API types kubectl prints from its typed clients.

`kubectl create deployment ... -o json` (and the other generators, `kubectl run`) marshal a
Go struct with encoding/json, which writes a struct's fields in their declaration order
(`kind` before `apiVersion`, `metadata`, `spec`, `status`), a map's keys sorted. An
unstructured object (what `create -f`, `apply`, `get` print) is a map: sorted throughout.
`ordered` puts an object's keys in its type's order (k8s.io/api v0.33 types.go) as a
`GoStruct`, which engine.kubectl.printers.encoding writes in that order; a field the tables
do not know goes last, sorted, so nothing is ever dropped.
"""
from __future__ import annotations

from typing import Any


class GoStruct(dict):
    """A JSON object whose keys are written in insertion order (a Go struct's fields)."""


#: type -> its fields in declaration order, each with the type of its value (a struct of this
#: table, `[T]` a list of it, or None: a scalar, a map or a type written as a map).
TYPES: dict[str, list[tuple[str, str | None]]] = {
    "ObjectMeta": [("name", None), ("generateName", None), ("namespace", None), ("selfLink", None), ("uid", None),
                   ("resourceVersion", None), ("generation", None), ("creationTimestamp", None),
                   ("deletionTimestamp", None), ("deletionGracePeriodSeconds", None), ("labels", None),
                   ("annotations", None), ("ownerReferences", "[OwnerReference]"), ("finalizers", None),
                   ("managedFields", None)],
    "OwnerReference": [("apiVersion", None), ("kind", None), ("name", None), ("uid", None), ("controller", None),
                       ("blockOwnerDeletion", None)],
    "Deployment": [("kind", None), ("apiVersion", None), ("metadata", "ObjectMeta"), ("spec", "DeploymentSpec"),
                   ("status", "DeploymentStatus")],
    "DeploymentSpec": [("replicas", None), ("selector", "LabelSelector"), ("template", "PodTemplateSpec"),
                       ("strategy", "DeploymentStrategy"), ("minReadySeconds", None),
                       ("revisionHistoryLimit", None), ("paused", None), ("progressDeadlineSeconds", None)],
    "DeploymentStrategy": [("type", None), ("rollingUpdate", "RollingUpdateDeployment")],
    "RollingUpdateDeployment": [("maxUnavailable", None), ("maxSurge", None)],
    "DeploymentStatus": [("observedGeneration", None), ("replicas", None), ("updatedReplicas", None),
                         ("readyReplicas", None), ("availableReplicas", None), ("unavailableReplicas", None),
                         ("terminatingReplicas", None), ("conditions", "[DeploymentCondition]"),
                         ("collisionCount", None)],
    "DeploymentCondition": [("type", None), ("status", None), ("lastUpdateTime", None), ("lastTransitionTime", None),
                            ("reason", None), ("message", None)],
    "LabelSelector": [("matchLabels", None), ("matchExpressions", "[LabelSelectorRequirement]")],
    "LabelSelectorRequirement": [("key", None), ("operator", None), ("values", None)],
    "PodTemplateSpec": [("metadata", "ObjectMeta"), ("spec", "PodSpec")],
    "Pod": [("kind", None), ("apiVersion", None), ("metadata", "ObjectMeta"), ("spec", "PodSpec"),
            ("status", "PodStatus")],
    "PodSpec": [("volumes", "[Volume]"), ("initContainers", "[Container]"), ("containers", "[Container]"),
                ("ephemeralContainers", None), ("restartPolicy", None), ("terminationGracePeriodSeconds", None),
                ("activeDeadlineSeconds", None), ("dnsPolicy", None), ("nodeSelector", None),
                ("serviceAccountName", None), ("serviceAccount", None), ("automountServiceAccountToken", None),
                ("nodeName", None), ("hostNetwork", None), ("hostPID", None), ("hostIPC", None),
                ("shareProcessNamespace", None), ("securityContext", None), ("imagePullSecrets", None),
                ("hostname", None), ("subdomain", None), ("affinity", None), ("schedulerName", None),
                ("tolerations", "[Toleration]"), ("hostAliases", None), ("priorityClassName", None),
                ("priority", None), ("dnsConfig", None), ("readinessGates", None), ("runtimeClassName", None),
                ("enableServiceLinks", None), ("preemptionPolicy", None), ("overhead", None),
                ("topologySpreadConstraints", None), ("setHostnameAsFQDN", None), ("os", None),
                ("hostUsers", None), ("schedulingGates", None), ("resourceClaims", None), ("resources", None)],
    "Container": [("name", None), ("image", None), ("command", None), ("args", None), ("workingDir", None),
                  ("ports", "[ContainerPort]"), ("envFrom", None), ("env", "[EnvVar]"), ("resources", None),
                  ("resizePolicy", None), ("restartPolicy", None), ("volumeMounts", "[VolumeMount]"),
                  ("volumeDevices", None), ("livenessProbe", None), ("readinessProbe", None),
                  ("startupProbe", None), ("lifecycle", None), ("terminationMessagePath", None),
                  ("terminationMessagePolicy", None), ("imagePullPolicy", None), ("securityContext", None),
                  ("stdin", None), ("stdinOnce", None), ("tty", None)],
    "ContainerPort": [("name", None), ("hostPort", None), ("containerPort", None), ("protocol", None),
                      ("hostIP", None)],
    "EnvVar": [("name", None), ("value", None), ("valueFrom", None)],
    "VolumeMount": [("name", None), ("readOnly", None), ("recursiveReadOnly", None), ("mountPath", None),
                    ("subPath", None), ("mountPropagation", None), ("subPathExpr", None)],
    "Volume": [("name", None), ("projected", "ProjectedVolumeSource")],
    "ProjectedVolumeSource": [("sources", "[VolumeProjection]"), ("defaultMode", None)],
    "VolumeProjection": [("secret", None), ("downwardAPI", "DownwardAPIProjection"),
                         ("configMap", "ConfigMapProjection"), ("serviceAccountToken", "ServiceAccountTokenProjection"),
                         ("clusterTrustBundle", None)],
    "ServiceAccountTokenProjection": [("audience", None), ("expirationSeconds", None), ("path", None)],
    "ConfigMapProjection": [("name", None), ("items", "[KeyToPath]"), ("optional", None)],
    "KeyToPath": [("key", None), ("path", None), ("mode", None)],
    "DownwardAPIProjection": [("items", "[DownwardAPIVolumeFile]")],
    "DownwardAPIVolumeFile": [("path", None), ("fieldRef", "ObjectFieldSelector"), ("resourceFieldRef", None),
                              ("mode", None)],
    "ObjectFieldSelector": [("apiVersion", None), ("fieldPath", None)],
    "Toleration": [("key", None), ("operator", None), ("value", None), ("effect", None),
                   ("tolerationSeconds", None)],
    "PodStatus": [("observedGeneration", None), ("phase", None), ("conditions", "[PodCondition]"),
                  ("message", None), ("reason", None), ("nominatedNodeName", None), ("hostIP", None),
                  ("hostIPs", None), ("podIP", None), ("podIPs", None), ("startTime", None),
                  ("initContainerStatuses", "[ContainerStatus]"), ("containerStatuses", "[ContainerStatus]"),
                  ("qosClass", None), ("ephemeralContainerStatuses", "[ContainerStatus]"), ("resize", None),
                  ("resourceClaimStatuses", None)],
    "PodCondition": [("type", None), ("observedGeneration", None), ("status", None), ("lastProbeTime", None),
                     ("lastTransitionTime", None), ("reason", None), ("message", None)],
    "ContainerStatus": [("name", None), ("state", "ContainerState"), ("lastState", "ContainerState"),
                        ("ready", None), ("restartCount", None), ("image", None), ("imageID", None),
                        ("containerID", None), ("started", None), ("allocatedResources", None), ("resources", None),
                        ("volumeMounts", "[VolumeMount]"), ("user", None), ("allocatedResourcesStatus", None),
                        ("stopSignal", None)],
    "ContainerState": [("waiting", "ContainerStateWaiting"), ("running", None),
                       ("terminated", "ContainerStateTerminated")],
    "ContainerStateWaiting": [("reason", None), ("message", None)],
    "ContainerStateTerminated": [("exitCode", None), ("signal", None), ("reason", None), ("message", None),
                                 ("startedAt", None), ("finishedAt", None), ("containerID", None)],
    "Service": [("kind", None), ("apiVersion", None), ("metadata", "ObjectMeta"), ("spec", "ServiceSpec"),
                ("status", "ServiceStatus")],
    "ServiceSpec": [("ports", "[ServicePort]"), ("selector", None), ("clusterIP", None), ("clusterIPs", None),
                    ("type", None), ("externalIPs", None), ("sessionAffinity", None), ("loadBalancerIP", None),
                    ("loadBalancerSourceRanges", None), ("externalName", None), ("externalTrafficPolicy", None),
                    ("healthCheckNodePort", None), ("publishNotReadyAddresses", None),
                    ("sessionAffinityConfig", None), ("ipFamilies", None), ("ipFamilyPolicy", None),
                    ("allocateLoadBalancerNodePorts", None), ("loadBalancerClass", None),
                    ("internalTrafficPolicy", None), ("trafficDistribution", None)],
    "ServicePort": [("name", None), ("protocol", None), ("appProtocol", None), ("port", None),
                    ("targetPort", None), ("nodePort", None)],
    "ServiceStatus": [("loadBalancer", None), ("conditions", None)],
    "Namespace": [("kind", None), ("apiVersion", None), ("metadata", "ObjectMeta"), ("spec", None),
                  ("status", "NamespaceStatus")],
    "NamespaceStatus": [("phase", None), ("conditions", None)],
    "ConfigMap": [("kind", None), ("apiVersion", None), ("metadata", "ObjectMeta"), ("immutable", None),
                  ("data", None), ("binaryData", None)],
    "ServiceAccount": [("kind", None), ("apiVersion", None), ("metadata", "ObjectMeta"), ("secrets", None),
                       ("imagePullSecrets", None), ("automountServiceAccountToken", None)],
}


def ordered(obj: dict) -> Any:
    """`obj` (an API object of a kind of TYPES) with its keys in Go's order; any other object
    as it is (written sorted, as a map)."""
    kind = obj.get("kind")
    return _in_order(obj, kind) if isinstance(kind, str) and kind in TYPES else obj


def _in_order(value: Any, typ: str | None) -> Any:
    if typ is None:
        return value
    if typ.startswith("["):
        inner = typ[1:-1]
        return [_in_order(v, inner) for v in value] if isinstance(value, list) else value
    if not isinstance(value, dict):
        return value
    fields = TYPES[typ]
    out = GoStruct()
    for name, sub in fields:
        if name in value:
            out[name] = _in_order(value[name], sub)
    for name in sorted(k for k in value if k not in out):
        out[name] = value[name]
    return out
