"""API-server validation for the objects svcflow simulates, with kube-apiserver's exact messages.

Why this package exists: the simulator must reject a bad manifest the way a real cluster does,
word for word, so a learner who reads svcflow's error can paste it into a search engine and land
on the same answers as for real kubectl output.  Everything here restates upstream Go code
(kubernetes/kubernetes ``pkg/apis/core/validation``, ``pkg/apis/apps/validation``,
``apimachinery/pkg/util/validation`` and ``.../field/errors.go``, kubectl ``cmd/util/helpers.go``)
for a v1.31-v1.33 server.  Composite values are rendered in Go ``%#v`` syntax
(``map[string]string{"app":"x"}``); v1.34+ servers print JSON instead (PR #132314).

The flow mirrors the API server:

1. ``decoding.decode_error`` - a value of the wrong JSON type for its Go field fails the request
   (``BadRequest``: ``... cannot be handled as a Service: json: cannot unmarshal ...``); then
   ``decoding.strict_unknown_fields`` - strict decoding (``fieldValidation=Strict``, kubectl's
   default) fails it with ``BadRequest`` before anything is validated;
2. defaulting (``engine.api.defaults``, once), then ``validator.validate`` - field validation;
   all causes are reported together;
3. allocation (REST layer) - only when 2. passed: clusterIP (the engine's allocator), then
   nodePorts (range check in ``service.validate_node_port_range``; collisions are the engine's).
   Allocation errors are reported alone, never mixed with field errors.

The modules, lowest first (each imports only those above it; import a name from the module
that owns it, this file exports nothing):

* ``errors``     field.Error (ErrorType, FieldError) and Go's ``%v``/``%#v`` of bad values (GoLiteral, go_value)
* ``names``      the Is* predicates (DNS labels and subdomains, qualified names, label values, ports, IPs)
                 and the object-name validators; a leaf that engine/api/labels.py imports
* ``values``     reading untyped manifest values as their Go types; IntOrString
* ``metadata``   ObjectMeta: labels, annotations, owner references, finalizers; label selectors
* ``service``    Service, and the nodePort range check (DEFAULT_NODE_PORT_RANGE)
* ``pod``        Pod and pod templates: containers, ports, env, probes, DNS config
* ``workloads``  Deployment, ReplicaSet, DaemonSet
* ``node``       Namespace, Node (parse_cidr_sloppy, node_pod_cidrs), ConfigMap
* ``endpoints``  Endpoints, EndpointSlice
* ``validator``  validate(): the per-kind dispatch
* ``messages``   how refusals read: ApiError (Status), format_invalid, aggregate_message,
                 kubectl_error_output, kubectl's own ClientError
* ``decoding``   decoding into Go types (decode_error, decoded), strict unknown fields, the config
                 documents' types (config_decode_error)

Go's strconv (quoting, float formatting) lives in engine/api/gostrconv.py. Nothing here imports Textual.
"""
