"""validate(): the per-kind dispatch the API server's write path calls after defaulting."""
from __future__ import annotations

from engine.api.defaults import with_defaults
from engine.api.validation.controllerrevision import validate_controller_revision
from engine.api.validation.endpoints import validate_endpoints, validate_endpointslice
from engine.api.validation.errors import FieldError
from engine.api.validation.networkpolicy import validate_network_policy
from engine.api.validation.node import validate_configmap, validate_namespace, validate_node, validate_service_account
from engine.api.validation.pod import validate_pod
from engine.api.validation.service import DEFAULT_NODE_PORT_RANGE, validate_node_port_range, validate_service
from engine.api.validation.workloads import (
    validate_daemonset,
    validate_deployment,
    validate_replicaset,
    validate_statefulset,
)

# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------

_VALIDATORS = {
    ("v1", "Service"): validate_service,
    ("v1", "Pod"): validate_pod,
    ("v1", "Namespace"): validate_namespace,
    ("v1", "Node"): validate_node,
    ("v1", "ConfigMap"): validate_configmap,
    ("v1", "ServiceAccount"): validate_service_account,
    ("v1", "Endpoints"): validate_endpoints,
    ("apps/v1", "Deployment"): validate_deployment,
    ("apps/v1", "ReplicaSet"): validate_replicaset,
    ("apps/v1", "DaemonSet"): validate_daemonset,
    ("apps/v1", "StatefulSet"): validate_statefulset,
    ("apps/v1", "ControllerRevision"): validate_controller_revision,
    ("discovery.k8s.io/v1", "EndpointSlice"): validate_endpointslice,
    ("networking.k8s.io/v1", "NetworkPolicy"): validate_network_policy,
}


def validate(
    obj: dict,
    node_port_range: tuple[int, int] = DEFAULT_NODE_PORT_RANGE,
    *,
    check_allocation: bool = True,
    defaulted: bool = False,
) -> list[FieldError]:
    """Validate one object as kube-apiserver would on create.

    The server validates what SetDefaults made of the request: the API server's write path
    defaults once (engine.api.defaults) and passes ``defaulted=True``; any other caller hands
    in a manifest as written and a defaulted copy is validated.

    Returns the field errors (all causes, upstream order).  When there are none and
    ``check_allocation`` is true, returns the nodePort range error (alone) if any - the engine
    that allocates clusterIPs first should pass ``check_allocation=False`` and call
    ``validate_node_port_range`` after its own clusterIP allocation.  Kinds svcflow does not
    model return ``[]``.
    """
    if not isinstance(obj, dict):
        return []
    fn = _VALIDATORS.get((obj.get("apiVersion"), obj.get("kind")))
    if fn is None:
        return []
    if not defaulted:
        obj = with_defaults(obj)
    errs = fn(obj)
    if errs or not check_allocation:
        return errs
    if obj.get("kind") == "Service":
        return validate_node_port_range(obj, node_port_range)
    return []
