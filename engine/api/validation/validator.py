"""validate(): the per-kind dispatch the API server's write path calls after defaulting."""
from __future__ import annotations

from engine.api.defaults import with_defaults
from engine.api.validation.endpoints import _validate_endpoints, _validate_endpointslice
from engine.api.validation.errors import FieldError
from engine.api.validation.node import _validate_configmap, _validate_namespace, _validate_node
from engine.api.validation.pod import _validate_pod
from engine.api.validation.service import DEFAULT_NODE_PORT_RANGE, validate_node_port_range, _validate_service
from engine.api.validation.workloads import _validate_daemonset, _validate_deployment, _validate_replicaset

# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------

_VALIDATORS = {
    ("v1", "Service"): _validate_service,
    ("v1", "Pod"): _validate_pod,
    ("v1", "Namespace"): _validate_namespace,
    ("v1", "Node"): _validate_node,
    ("v1", "ConfigMap"): _validate_configmap,
    ("v1", "Endpoints"): _validate_endpoints,
    ("apps/v1", "Deployment"): _validate_deployment,
    ("apps/v1", "ReplicaSet"): _validate_replicaset,
    ("apps/v1", "DaemonSet"): _validate_daemonset,
    ("discovery.k8s.io/v1", "EndpointSlice"): _validate_endpointslice,
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
