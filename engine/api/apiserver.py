"""The API server's write path: defaulting, validation, allocation, apply and delete.

Everything that changes the store from outside the controllers comes through here, so
kubectl's messages (`service/redis created`, `The Service "x" is invalid: ...`) are decided
in one place. Allocation errors happen after field validation and are reported alone,
as in the real REST layer.
"""
from __future__ import annotations

import copy
import ipaddress
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from engine.api import templategeneration
from engine.api.admission import ServiceAccountAdmission
from engine.api.allocators import AllocationError
from engine.api.defaults import with_defaults
from engine.api.kinds import CLUSTER_SCOPED, kind_info
from engine.api.naming import generate_name
from engine.api.objects import clone, meta
from engine.api.qos import pod_qos_class
from engine.api.servicestrategy import carry_cluster_ips, drop_type_dependent_fields, normalize_cluster_ips
from engine.api.strategicpatch import three_way_merge
from engine.api.validation import decoding, errors, messages, service, validator
from engine.api.validation.controllerrevision import controller_revision_update_errors
from engine.api.validation.metadata import selector_go_value
from engine.api.validation.statusupdate import namespace_finalize_errors, status_update_errors
from engine.api.validation.workloads import statefulset_update_forbidden
from engine.api.wellknown import LAST_APPLIED

if TYPE_CHECKING:
    import random
    from collections.abc import Callable

    from engine.api.allocators import ClusterIPAllocator, NodePortAllocator
    from engine.api.store import Store
    from engine.cluster.clock import SimClock



@dataclass
class ApplyResult:
    """One line of `kubectl apply` output: either a result line or an error.

    `status` is the structured API error (kubectl prints it differently alone and among
    others); `error` is how it reads when it is the only one."""

    line: str | None = None
    error: str | None = None
    obj: dict | None = None
    source: str = ""  # file:line of the document, for error bars
    field: str | None = None
    status: "messages.ApiError | None" = None
    load_detail: str | None = None  # a builder error (no `error: ` prefix)

    @property
    def ok(self) -> bool:
        return self.error is None


#: The apps/v1 kinds whose `spec.selector` is immutable.
SELECTOR_IMMUTABLE = frozenset({"Deployment", "ReplicaSet", "DaemonSet"})


class ApiError(Exception):
    """A refused request, carrying the Status kubectl would receive."""

    def __init__(self, status: "messages.ApiError", field: str | None = None) -> None:
        super().__init__(status.standalone())
        self.status = status
        self.field = field

    @property
    def message(self) -> str:
        return self.status.standalone()


def _invalid(obj: dict, causes: list, display: str, verb: str) -> ApiError:
    info = kind_info(obj["kind"])
    return ApiError(messages.ApiError("Invalid", kind=obj["kind"], group=info.group,
                                        name=meta(obj).get("name", ""), causes=list(causes),
                                        source=display, verb=verb),
                    field=causes[0].field if causes else None)


def _selector_immutable(live: dict, merged: dict) -> list:
    """apps/v1 ValidateDeploymentUpdate (ReplicaSet, DaemonSet alike): `spec.selector` may
    not change (a changed selector would orphan the pods: delete and create instead)."""
    old, new = (live.get("spec") or {}).get("selector"), (merged.get("spec") or {}).get("selector")
    if old == new:
        return []
    return [errors.FieldError(errors.ErrorType.Invalid, "spec.selector", selector_go_value(new), "field is immutable")]


def _last_applied(manifest: dict) -> str:
    """kubectl stores the manifest as compact JSON (Go sorts map keys), plus a newline."""
    m = copy.deepcopy(manifest)
    ann = m.setdefault("metadata", {}).setdefault("annotations", {})
    ann.pop(LAST_APPLIED, None)
    return json.dumps(m, sort_keys=True, separators=(",", ":")) + "\n"


def _as_applied(manifest: dict, namespace: str) -> dict:
    """The new object a client dry run of `kubectl apply` shows: the manifest in its namespace
    (the resource builder's) with the last-applied annotation kubectl adds before a create."""
    shown = copy.deepcopy(manifest)
    md = shown.setdefault("metadata", {})
    if namespace:
        md["namespace"] = namespace
    md.setdefault("annotations", {})[LAST_APPLIED] = _last_applied(shown)
    return shown


IMMORTAL_NAMESPACES = frozenset({"default", "kube-system", "kube-public"})

# What the server owns on create, whatever the manifest says (rest.BeforeCreate clears the
# deletion fields and fills uid/creationTimestamp; kubectl's resource.Helper clears
# resourceVersion before a create; the store sets generation 1 where the strategies do).
SERVER_OWNED_METADATA = ("uid", "resourceVersion", "creationTimestamp", "generation",
                         "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink", "managedFields")


#: The workloads' status as their strategies' PrepareForCreate leave it (`Status = {}`), as Go
#: encodes it: a status struct is never left out, and its int32 fields without omitempty
#: show their 0 (what `kubectl create -f x -o json` prints before any controller wrote it).
EMPTY_STATUS = {"Deployment": {}, "ReplicaSet": {"replicas": 0},
                "DaemonSet": {"currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0,
                              "numberReady": 0},
                "StatefulSet": {"replicas": 0, "availableReplicas": 0}}


def prepare_for_create(obj: dict) -> None:
    """rest.BeforeCreate and each kind's strategy PrepareForCreate, in place: the metadata the
    server owns is dropped and the status is reset (a manifest's `status.phase: Running` or
    `podIP` means nothing to a Pod that does not exist yet)."""
    md = obj.get("metadata")
    if isinstance(md, dict):
        for f in SERVER_OWNED_METADATA:
            md.pop(f, None)
    kind = obj.get("kind")
    if kind == "Pod":  # podStrategy: Status = {Phase: Pending, QOSClass: ...}
        obj["status"] = {"phase": "Pending", "qosClass": pod_qos_class(obj)}
    elif kind == "Service":  # svcStrategy: Status = ServiceStatus{}
        obj["status"] = {"loadBalancer": {}}
    elif kind == "Namespace":  # namespaceStrategy: Status = {Phase: Active}
        obj["status"] = {"phase": "Active"}
    elif kind in EMPTY_STATUS:  # Status = {}; Generation = 1
        obj["status"] = dict(EMPTY_STATUS[kind])
    if kind == "DaemonSet":
        templategeneration.prepare_for_create(obj)



#: What kubectl's printers add to a write's line for each `--dry-run` strategy
#: (cmdutil.PrintFlagsWithDryRunStrategy).
DRY_RUN_SUFFIX = {"none": "", "client": " (dry run)", "server": " (server dry run)"}

class ApiServer:
    """kube-apiserver's write path over the store: defaulting, validation, admission,
    allocation (ClusterIPs, NodePorts), apply and graceful deletion.

    It is handed what kube-apiserver itself is configured with, not the cluster: the
    store, the clock, the random source (generated names), the Service CIDR and
    NodePort range (`--service-cluster-ip-range`, `--service-node-port-range`) and
    their allocators."""

    def __init__(self, store: Store, clock: SimClock, rng: Callable[[str], random.Random], *,
                 service_subnet: str, node_port_range: tuple[int, int],
                 cluster_ips: ClusterIPAllocator, node_ports: NodePortAllocator) -> None:
        self.store = store
        self.clock = clock
        self.rng = rng
        self.service_subnet = service_subnet
        self.node_port_range = node_port_range
        self.cluster_ips = cluster_ips
        self.node_ports = node_ports
        self.service_accounts = ServiceAccountAdmission(lambda ns, name: store.get("ServiceAccount", ns, name),
                                                        rng("names:kube-api-access"))

    # -- helpers ------------------------------------------------------------
    def _validate(self, obj: dict, display: str, verb: str) -> None:
        """Field validation; allocation checks come later, reported alone."""
        errs = validator.validate(obj, node_port_range=self.node_port_range,
                                   check_allocation=False, defaulted=True)
        if errs:
            raise _invalid(obj, errs, display, verb)

    def _namespace_check(self, obj: dict, display: str, verb: str) -> None:
        if obj["kind"] in CLUSTER_SCOPED:
            return
        ns = meta(obj).get("namespace") or "default"
        live = self.store.get("Namespace", "", ns)
        if live is None:
            raise ApiError(messages.ApiError("NotFound", message=f'namespaces "{ns}" not found',
                                               source=display, verb=verb), field="metadata.namespace")
        if meta(live).get("deletionTimestamp"):  # the NamespaceLifecycle admission plugin
            info = kind_info(obj["kind"])
            raise ApiError(messages.ApiError(
                "Forbidden", message=f'{info.qualified_plural} "{meta(obj).get("name", "")}" is forbidden: unable to '
                f"create new content in namespace {ns} because it is being terminated",
                source=display, verb=verb), field="metadata.namespace")

    def _admit(self, obj: dict, display: str = "", verb: str = "creating") -> None:
        """The mutating and validating admission a create passes after defaulting: a pod's
        ServiceAccount (engine.api.admission); ApiError with the plugin's Forbidden."""
        if obj["kind"] != "Pod":
            return
        refused = self.service_accounts.admit(obj)
        if refused is not None:
            refused.source, refused.verb = display, verb
            raise ApiError(refused, field="spec.serviceAccountName")

    # -- create -------------------------------------------------------------
    def create_internal(self, obj: dict, *, uid: str | None = None) -> dict:
        """A controller's create: defaulted and admitted, trusted (no validation messages to
        print). ApiError when admission refuses it (a pod whose ServiceAccount is missing).
        `uid`: one the writer drew from a random purpose of its own (Store.create)."""
        obj = with_defaults(obj)
        if obj.get("kind") == "DaemonSet":
            templategeneration.prepare_for_create(obj)
        self._admit(obj)
        return self._store_new(obj, uid)

    def _store_new(self, obj: dict, uid: str | None = None) -> dict:
        if obj["kind"] == "Service":
            self._allocate_service(obj, None)
        return self.store.create(obj, uid=uid)

    def create_generated(self, obj: dict) -> dict:
        """Create with `metadata.generateName`: the API server picks the suffix (after
        admission, whose refusal names the pod by its generateName, as upstream's does)."""
        obj = with_defaults(obj)
        self._admit(obj)
        md = obj["metadata"]
        prefix = md.pop("generateName")
        rng = self.rng(f"names:{obj['kind']}")
        for _ in range(100):
            md["name"] = generate_name(prefix, rng)
            ns = md.get("namespace") or ""
            if self.store.get(obj["kind"], ns, md["name"]) is None:
                out = self._store_new(obj)
                out_md = out["metadata"]
                out_md["generateName"] = prefix
                return out
        # (apierrors.NewGenerateNameConflict's words)
        raise ApiError(messages.ApiError(
            "AlreadyExists", message=f'{kind_info(obj["kind"]).qualified_plural} "{md["name"]}" already exists, the '
            "server was not able to generate a unique name for the object"))

    def create(self, manifest: dict, display: str = "", *, applied: bool = False, dry_run: bool = False,
               managed_fields: list[dict] | None = None, uid: str | None = None,
               record: Callable[[dict], list[dict]] | None = None) -> dict:
        """A user's create (kubectl create/apply): validation and allocation messages.
        `dry_run` (`?dryRun=All`): every check and allocation runs, nothing is kept; the
        answer is the object as it would be stored (UID and creationTimestamp, no
        resourceVersion), as kube-apiserver's dry-run storage returns it. `managed_fields`:
        the served API's field manager's record of the write (engine.kapi.fieldmanager), or
        `record`, which works it out from the object as defaulted here (defaulted once).
        `uid`: one a controller drew from a random purpose of its own (the store's sequence
        stays as it was)."""
        obj = with_defaults(manifest)
        if record is not None:
            managed_fields = record(obj)
        prepare_for_create(obj)
        md = obj["metadata"]
        if managed_fields:
            md["managedFields"] = managed_fields
        if obj["kind"] not in CLUSTER_SCOPED:
            md["namespace"] = md.get("namespace") or "default"
        self._namespace_check(obj, display, "creating")
        self._admit(obj, display, "creating")
        if applied:
            sent = copy.deepcopy(manifest)
            if "namespace" in md:
                sent.setdefault("metadata", {})["namespace"] = md["namespace"]
            md.setdefault("annotations", {})[LAST_APPLIED] = _last_applied(sent)
        self._validate(obj, display, "creating")
        info = kind_info(obj["kind"])
        if self.store.get(obj["kind"], md.get("namespace") or "", md["name"]) is not None:
            raise ApiError(messages.ApiError(
                "AlreadyExists", message=f'{info.qualified_plural} "{md["name"]}" already exists',
                source=display, verb="creating"))
        if obj["kind"] == "Service":
            self._allocate_service(obj, None, display, "creating")
            if dry_run:
                self._release_service(obj)  # the dry-run allocators hand the addresses back
        if dry_run:
            return self.store.as_created(obj)
        return self.store.create(obj, uid=uid)

    # -- apply --------------------------------------------------------------
    def apply(self, manifest: dict, display: str = "", *, dry_run: str = "none") -> ApplyResult:
        """`kubectl apply` of one object: created / configured / unchanged, or an error.

        First what kubectl itself checks (a usable name; a namespace that is not a string is
        replaced by the default, as kubectl's builder does), then what the server's decoder
        refuses (a value of the wrong JSON type, then unknown fields), then validation.
        `dry_run` is kubectl's strategy: "server" runs every check and keeps nothing;
        "client" sends nothing and computes no patch: a new object is "created", an
        existing one "configured", whatever it holds (apply.go); the line ends as kubectl's
        dry-run printer ends it."""
        kind = manifest["kind"]
        info = kind_info(kind)
        md = manifest.get("metadata") if isinstance(manifest.get("metadata"), dict) else {}
        name = md.get("name") if isinstance(md.get("name"), str) else ""
        raw_ns = md.get("namespace")
        if kind not in CLUSTER_SCOPED and "namespace" in md and not (isinstance(raw_ns, str) and raw_ns):
            manifest = {**manifest, "metadata": {k: v for k, v in md.items() if k != "namespace"}}
            raw_ns = None
        ns = "" if kind in CLUSTER_SCOPED else (raw_ns or "default")
        try:
            if not name:
                gen = md.get("generateName")
                if isinstance(gen, str) and gen:
                    raise ApiError(messages.generate_name_error(gen), field="metadata.generateName")
                raise ApiError(messages.empty_name_error(kind, info.api_version, info.plural, ns, display),
                               field="metadata.name")
            live = self.store.get(kind, ns, name)
            suffix = DRY_RUN_SUFFIX[dry_run]
            if dry_run == "client":  # (apply.go computes no patch then: an existing object is "configured")
                return ApplyResult(line=f"{info.qualified}/{name} {'created' if live is None else 'configured'}"
                                        f"{suffix}", obj=_as_applied(manifest, ns) if live is None else live)
            self._decode_check(manifest, display, "creating" if live is None else "patching")
            manifest = decoding.decoded(manifest, ())  # (_decode_check refused unknown fields)
            if live is None:
                obj = self.create(manifest, display, applied=True, dry_run=dry_run == "server")
                return ApplyResult(line=f"{info.qualified}/{name} created{suffix}", obj=obj)
            obj = self.update(live, self._apply_merge(live, manifest), verb="patching", display=display,
                              dry_run=dry_run == "server")
            verb = "configured" if obj is not live else "unchanged"
            return ApplyResult(line=f"{info.qualified}/{name} {verb}{suffix}", obj=obj)
        except ApiError as e:
            return ApplyResult(error=e.message, field=e.field, status=e.status, obj=manifest)

    def _decode_check(self, manifest: dict, display: str, verb: str) -> None:
        """The server decodes the request body into its Go type before anything else: a value of
        the wrong JSON type fails first, then (strict field validation, kubectl's default) any
        unknown field.  Both are BadRequest: `... cannot be handled as a Service: ...`."""
        kind, api_version = manifest["kind"], manifest.get("apiVersion", "")
        bad = decoding.decode_error(manifest)
        if bad is not None:
            raise ApiError(messages.cannot_handle_error(kind, api_version, display, bad.message, verb),
                           field=bad.path)
        unknown = decoding.strict_unknown_fields(manifest)
        if unknown:
            raise ApiError(decoding.unknown_fields_error(kind, api_version, display, unknown, verb),
                           field=unknown[0])

    def decode_check(self, manifest: dict, display: str, verb: str,
                     field_validation: str = "Strict") -> tuple[dict, list[str]]:
        """`_decode_check` for a write that is not an apply (`kubectl create -f`), with the
        request's `fieldValidation` (kubectl's --validate): Strict refuses unknown fields,
        Warn drops them with a warning each, Ignore drops them. (the manifest as decoded, the
        warnings), or ApiError with the decoder's refusal."""
        if field_validation == "Strict":
            self._decode_check(manifest, display, verb)
            return decoding.decoded(manifest, ()), []
        bad = decoding.decode_error(manifest)
        if bad is not None:
            raise ApiError(messages.cannot_handle_error(manifest["kind"], manifest.get("apiVersion", ""), display,
                                                        bad.message, verb), field=bad.path)
        unknown = decoding.strict_unknown_fields(manifest)
        warnings = [f'unknown field "{f}"' for f in unknown] if field_validation == "Warn" else []
        return decoding.decoded(manifest, unknown), warnings

    def _apply_merge(self, live: dict, manifest: dict) -> dict:
        """What kubectl's client-side apply asks the live object to become: a three-way
        merge of the last-applied configuration, the manifest and the live object, with the
        new last-applied annotation (status untouched)."""
        md_live = meta(live)
        last_raw = (md_live.get("annotations") or {}).get(LAST_APPLIED)
        last = json.loads(last_raw) if last_raw else {}
        sent = copy.deepcopy(manifest)
        if live["kind"] not in CLUSTER_SCOPED:
            sent.setdefault("metadata", {})["namespace"] = md_live.get("namespace")
        new_last = _last_applied(sent)
        desired = {k: v for k, v in sent.items() if k != "status"}
        kind = live["kind"]  # (lists merge by the keys kubectl's strategic merge patch uses)
        merged = three_way_merge({k: v for k, v in live.items()}, last, desired, kind)
        # (GetModifiedConfiguration: the modified object carries the new last-applied annotation
        # before the patch is computed, so `annotations` is merged key by key -- one a controller
        # or `kubectl annotate` added stays -- never dropped because the file has none)
        sent_md = dict(sent.get("metadata") or {})
        sent_md["annotations"] = {**(sent_md.get("annotations") or {}), LAST_APPLIED: new_last}
        merged["metadata"] = three_way_merge(live["metadata"], last.get("metadata", {}), sent_md, kind, ("metadata",))
        merged["status"] = live.get("status", merged.get("status"))  # apply never writes status
        if merged.get("status") is None:
            merged.pop("status", None)
        return merged

    def update(self, live: dict, new: dict, *, verb: str = "updating", display: str = "", dry_run: bool = False,
               subresource: str = "", record: Callable[[dict], list[dict]] | None = None) -> dict:
        """A replace or patch of `live` (or of its `subresource`: "status", "finalize") with
        `new`, its metadata already carried over by the caller, as the registry's Store.Update
        runs it: defaulting (once), the field manager's record (`record`: the managedFields of
        the object as defaulted, before the strategy resets what the write may not change),
        the strategy's PrepareForUpdate (`_prepared`), its validation, immutability and
        allocation, then the store -- or the deletion, when the write leaves an object being
        deleted without finalizers (ShouldDeleteDuringUpdate). Returns the stored object
        (`live` itself when nothing changed; the written one when it was deleted); ApiError
        with kube-apiserver's words."""
        obj = with_defaults(new)
        if live["kind"] == "Namespace" and isinstance(obj.get("spec"), dict):
            # (svcflow's namespace defaulter adds the `kubernetes` finalizer a create's
            # PrepareForCreate adds; an update keeps what the write sent, for the strategy)
            _set_finalizers(obj, (new.get("spec") or {}).get("finalizers") if isinstance(new.get("spec"), dict)
                            else None)
        if record is not None:
            obj["metadata"].pop("managedFields", None)
            owners = record(obj)
            if owners:
                obj["metadata"]["managedFields"] = owners
        obj = self._prepared(live, obj, subresource)
        # (the daemonSetStrategy's PrepareForUpdate numbers a new template; ValidateDaemonSetUpdate
        # refuses a generation moved by hand)
        generation_errs = templategeneration.prepare_for_update(obj, live) \
            if live["kind"] == "DaemonSet" and not subresource else []
        if subresource == "status":
            errs = [*status_update_errors(obj, live), *_finalizers_frozen(live, obj)]
        elif subresource == "finalize":
            errs = [*validator.validate(obj, node_port_range=self.node_port_range, check_allocation=False,
                                        defaulted=True), *namespace_finalize_errors(obj), *_finalizers_frozen(live, obj)]
        else:
            errs = [*self._update_errors(live, obj), *generation_errs]
        if errs:
            raise _invalid(obj, errs, display, verb)
        if live["kind"] == "Service" and not subresource:
            self._check_immutable_service(live, obj, display)
        if obj == live:
            return live
        if dry_run:  # checked, not kept (a Service's new NodePorts are not allocated: a known gap)
            return obj
        if deletes_during_update(live, obj):
            # (the registry deletes the object the write emptied of finalizers instead of
            # storing it, and answers the object as written: a Namespace's content stays)
            if live["kind"] == "Service":
                self._release_service(live)
            self.store.delete(live["kind"], meta(live).get("namespace") or "", meta(live)["name"])
            return obj
        if live["kind"] == "Service" and not subresource:
            self._allocate_service(obj, live, display, verb)
        return self.store.update(obj)

    def _prepared(self, live: dict, obj: dict, subresource: str) -> dict:
        """The strategy's PrepareForUpdate (and the Service REST's beginUpdate): what the write
        may not change comes back from `live`. The resource itself keeps the status, a
        Namespace its spec.finalizers, a Service its allocated ClusterIPs and NodePorts unless
        the write names others; `status` keeps the spec and what else the kind's status
        strategy keeps (`status_strategy_keeps`); `finalize` keeps only the status."""
        if subresource == "status":
            for path in status_strategy_keeps(live["kind"]):
                _keep(obj, live, path)
            return obj
        _set_status(obj, live.get("status"))
        if subresource == "finalize":
            return obj
        if live["kind"] == "Service":
            if not isinstance(obj.get("spec"), dict):
                obj["spec"] = {}
            carry_cluster_ips(obj, live)  # (beginUpdate: patchAllocatedValues, normalizeClusterIPs)
            self._carry_node_ports(live, obj)
            normalize_cluster_ips(obj, live)
            drop_type_dependent_fields(obj, live)
        if live["kind"] == "Namespace" and isinstance(obj.get("spec"), dict):
            # (the namespace strategy's PrepareForUpdate: spec.finalizers change only through
            # the /finalize subresource, so an update keeps the stored ones)
            _set_finalizers(obj, (live.get("spec") or {}).get("finalizers"))
        return obj

    def _update_errors(self, live: dict, obj: dict) -> list:
        """The kind's ValidateUpdate: its validation, then what may not change."""
        errs = validator.validate(obj, node_port_range=self.node_port_range, check_allocation=False, defaulted=True)
        if live["kind"] in SELECTOR_IMMUTABLE:  # (ValidateDeploymentUpdate: the spec's errors, then this one)
            errs = [*errs, *_selector_immutable(live, obj)]
        elif live["kind"] == "StatefulSet":  # (ValidateStatefulSetUpdate: its selector is one of the fixed fields)
            errs = [*errs, *statefulset_update_forbidden(obj, live)]
        elif live["kind"] == "ControllerRevision":  # (ValidateControllerRevisionUpdate: data is immutable)
            errs = [*errs, *controller_revision_update_errors(obj, live)]
        return [*errs, *_finalizers_frozen(live, obj)]

    # -- delete -------------------------------------------------------------
    def delete_object(self, kind: str, namespace: str, name: str, *, grace: bool = True) -> dict | None:
        """Delete like the API server: pods on a node terminate gracefully (the kubelet
        removes them); everything else goes at once and the garbage collector follows
        ownerReferences."""
        obj = self.check_delete(kind, namespace, name)
        if obj is None:
            return None
        if kind == "Namespace":
            return self._delete_namespace(obj)
        if kind == "Pod" and grace and obj["spec"].get("nodeName") and \
                (obj.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
            if meta(obj).get("deletionTimestamp"):
                return obj
            new = clone(obj)
            period = int(obj["spec"].get("terminationGracePeriodSeconds", 30))
            new["metadata"]["deletionTimestamp"] = self.clock.now_str(offset=period)
            new["metadata"]["deletionGracePeriodSeconds"] = period
            return self.store.update(new)
        if meta(obj).get("finalizers"):
            # Finalizers hold it: the delete only marks it (deletionTimestamp, grace 0), and
            # it goes with the update that removes the last one (`update`).
            if kind == "Pod" and int(meta(obj).get("deletionGracePeriodSeconds") or 0) > 0:
                return self.store.update(_grace_ended(obj))
            if meta(obj).get("deletionTimestamp"):
                return obj
            new = clone(obj)
            new["metadata"]["deletionTimestamp"] = self.clock.now_str()
            new["metadata"]["deletionGracePeriodSeconds"] = 0
            return self.store.update(new)
        if kind == "Pod" and int(meta(obj).get("deletionGracePeriodSeconds") or 0) > 0:
            # (BeforeDelete: a delete with grace 0 shortens a terminating pod's grace period,
            # written first -- a watch sees it -- and then the pod goes)
            self.store.update(_grace_ended(obj))
        if kind == "Service":
            self._release_service(obj)
        return self.store.delete(kind, namespace, name)

    def orphan_dependents(self, owner: dict) -> list[tuple[str, str, str, "ApiError"]]:
        """What the garbage collector's `orphan` finalizer does before the owner goes
        (`propagationPolicy: Orphan`, kubectl's `--cascade=orphan`): each dependent loses its
        ownerReference to it (an update, so watches see it) and stays. The dependents that
        could not be updated, with why (they keep their owner and follow it)."""
        uid = owner["metadata"].get("uid")
        failed = []
        for kind, namespace, name in self.store.dependents(uid) if uid else ():
            dependent = self.store.get(kind, namespace, name)
            if dependent is None:
                continue
            new = clone(dependent)
            refs = [r for r in new["metadata"].get("ownerReferences") or [] if r.get("uid") != uid]
            if refs:
                new["metadata"]["ownerReferences"] = refs
            else:
                new["metadata"].pop("ownerReferences", None)
            try:
                self.update(dependent, new, verb="patching")
            except ApiError as e:
                failed.append((kind, namespace, name, e))
        return failed

    def check_delete(self, kind: str, namespace: str, name: str) -> dict | None:
        """A delete's checks without the delete: the live object (None when there is none),
        or ApiError when admission refuses it. What `delete_object` runs first and what a
        server dry run (`?dryRun=All`, `kubectl delete --dry-run=server`) answers: admission
        runs on a dry run too, so the three namespaces the cluster needs are refused either
        way (NamespaceLifecycle)."""
        obj = self.store.get(kind, namespace, name)
        if obj is not None and kind == "Namespace" and name in IMMORTAL_NAMESPACES:
            raise ApiError(messages.ApiError(
                "Forbidden", message=f'namespaces "{name}" is forbidden: this namespace may not be deleted'))
        return obj

    def _delete_namespace(self, ns: dict) -> dict:
        """A Namespace is not removed at once: it turns Terminating and the namespace
        controller empties it (`engine.controllers.namespace`); `check_delete` refused the
        three the cluster needs."""
        name = meta(ns)["name"]
        if meta(ns).get("deletionTimestamp"):
            return ns
        if not (ns.get("spec") or {}).get("finalizers"):
            return self.store.delete("Namespace", "", name)
        new = clone(ns)
        new["metadata"]["deletionTimestamp"] = self.clock.now_str()
        new.setdefault("status", {})["phase"] = "Terminating"
        return self.store.update(new)

    # -- Service allocation ---------------------------------------------------
    def cluster_ip_families(self) -> list[str]:
        """The families the service CIDR(s) serve (`--service-cluster-ip-range`)."""
        net = ipaddress.ip_network(self.service_subnet, strict=False)
        return ["IPv4" if net.version == 4 else "IPv6"]

    def _check_ip_families(self, svc: dict, display: str, verb: str) -> None:
        """The REST layer's initIPFamilyFields: a family or a dual-stack policy the cluster
        is not configured for is refused before anything is allocated."""
        spec = svc["spec"]
        if spec.get("type") == "ExternalName":
            return
        have = self.cluster_ip_families()
        errs = []
        if spec.get("ipFamilyPolicy") == "RequireDualStack" and len(have) < 2:
            errs.append(errors.FieldError(errors.ErrorType.Invalid, "spec.ipFamilyPolicy", "RequireDualStack",
                                              "this cluster is not configured for dual-stack services"))
        for i, fam in enumerate(spec.get("ipFamilies") or []):
            if fam not in have:
                errs.append(errors.FieldError(errors.ErrorType.Invalid, f"spec.ipFamilies[{i}]", fam,
                                                  "not configured on this cluster"))
        if errs:
            raise _invalid(svc, errs, display, verb)

    def _allocate_service(self, svc: dict, old: dict | None, display: str = "", verb: str = "creating") -> None:
        spec = svc["spec"]
        typ = spec.get("type", "ClusterIP")
        if old is None or (old.get("spec") or {}).get("ipFamilies") != spec.get("ipFamilies") or \
                (old.get("spec") or {}).get("ipFamilyPolicy") != spec.get("ipFamilyPolicy"):
            self._check_ip_families(svc, display, verb)
        # a new Service, or one moving from ExternalName (handleClusterIPsForUpdatedService's
        # case A), gets its ClusterIP now: the one asked for, the next free one, or none (None)
        fresh = typ != "ExternalName" and (old is None or (old.get("spec") or {}).get("type") == "ExternalName")
        if fresh and spec.get("clusterIP") != "None":
            want = spec.get("clusterIP") or None
            try:
                ip = self.cluster_ips.allocate(want)
            except AllocationError as e:
                if want is None:  # allocIPs: AllocateNext's error is an InternalError, not a field's
                    raise ApiError(messages.ApiError(
                        "InternalError", message=f"Internal error occurred: failed to allocate a serviceIP: {e}",
                        source=display, verb=verb), field="spec.clusterIPs")
                raise _invalid(svc, [errors.FieldError(
                    errors.ErrorType.Invalid, "spec.clusterIPs", errors.GoLiteral(f'[]string{{"{want}"}}'),
                    f"failed to allocate IP {want}: {e}", allocation=True)], display, verb)
            spec["clusterIP"] = ip
            spec["clusterIPs"] = [ip]
        elif fresh:
            spec["clusterIPs"] = ["None"]
        old_ports = {}
        if old is not None:
            for p in (old["spec"].get("ports") or []):
                if p.get("nodePort"):
                    old_ports[(p.get("protocol", "TCP"), p["nodePort"])] = True
        range_errs = service.validate_node_port_range(svc, self.node_port_range)
        if range_errs:
            if fresh and spec.get("clusterIP") not in (None, "None"):
                self.cluster_ips.release(spec["clusterIP"])
            raise _invalid(svc, range_errs, display, verb)
        needs = typ in ("NodePort", "LoadBalancer") and not (
            typ == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is False)
        taken: list[tuple[str, int]] = []
        try:
            for i, p in enumerate(spec.get("ports") or []):
                proto = p.get("protocol", "TCP")
                if not needs:
                    continue
                np = p.get("nodePort")
                if np and (proto, np) in old_ports:
                    old_ports.pop((proto, np))
                    continue
                try:
                    p["nodePort"] = self.node_ports.allocate(proto, np)
                except AllocationError as e:
                    raise _invalid(svc, [errors.FieldError(
                        errors.ErrorType.Invalid, f"spec.ports[{i}].nodePort", np, str(e), allocation=True)],
                        display, verb)
                taken.append((proto, p["nodePort"]))
        except ApiError:
            for proto, np in taken:
                self.node_ports.release(proto, np)
            if fresh and spec.get("clusterIP") not in (None, "None"):
                self.cluster_ips.release(spec["clusterIP"])
            raise
        for proto, np in old_ports:
            self.node_ports.release(proto, np)
        self._allocate_health_check_node_port(svc, old, display, verb)
        if old is not None and not spec.get("clusterIP"):  # (to ExternalName: its ClusterIP goes back)
            for ip in (old.get("spec") or {}).get("clusterIPs") or []:
                if ip != "None":
                    self.cluster_ips.release(ip)

    def _allocate_health_check_node_port(self, svc: dict, old: dict | None, display: str, verb: str) -> None:
        """A LoadBalancer with externalTrafficPolicy Local gets a healthCheckNodePort from the
        NodePort range (the one the cloud's load balancer probes: kube-proxy answers on it
        whether the node has a local endpoint); it goes back when no longer needed."""
        spec = svc["spec"]
        was = (old or {}).get("spec", {}).get("healthCheckNodePort") if old is not None else None
        needs = spec.get("type") == "LoadBalancer" and spec.get("externalTrafficPolicy") == "Local"
        want = spec.get("healthCheckNodePort") or None
        if needs and want != was or needs and not want:
            try:
                spec["healthCheckNodePort"] = self.node_ports.allocate("TCP", want)
            except AllocationError as e:
                raise _invalid(svc, [errors.FieldError(errors.ErrorType.Invalid, "spec.healthCheckNodePort", want,
                                                       str(e), allocation=True)], display, verb)
        if was and (not needs or spec.get("healthCheckNodePort") != was):
            self.node_ports.release("TCP", was)

    def _release_service(self, svc: dict) -> None:
        spec = svc.get("spec") or {}
        for ip in spec.get("clusterIPs") or []:
            if ip != "None":
                self.cluster_ips.release(ip)
        for p in spec.get("ports") or []:
            if p.get("nodePort"):
                self.node_ports.release(p.get("protocol", "TCP"), p["nodePort"])
        if spec.get("healthCheckNodePort"):
            self.node_ports.release("TCP", spec["healthCheckNodePort"])

    def _carry_node_ports(self, live: dict, merged: dict) -> None:
        """Strategic merge keys Service ports by `port`: an allocated nodePort survives
        re-apply of a manifest that does not name one."""
        if merged["spec"].get("type") not in ("NodePort", "LoadBalancer"):
            return
        if merged["spec"].get("type") == "LoadBalancer" and merged["spec"].get("externalTrafficPolicy") == "Local" \
                and not merged["spec"].get("healthCheckNodePort") and live["spec"].get("healthCheckNodePort"):
            merged["spec"]["healthCheckNodePort"] = live["spec"]["healthCheckNodePort"]  # (patchAllocatedValues)
        by_port = {(p.get("port"), p.get("protocol", "TCP")): p for p in live["spec"].get("ports") or []}
        for p in merged["spec"].get("ports") or []:
            lp = by_port.get((p.get("port"), p.get("protocol", "TCP")))
            if lp and not p.get("nodePort") and lp.get("nodePort"):
                p["nodePort"] = lp["nodePort"]

    def _check_immutable_service(self, live: dict, merged: dict, display: str) -> None:
        old_ip, new_ip = live["spec"].get("clusterIP"), merged["spec"].get("clusterIP")
        if old_ip and new_ip and old_ip != new_ip and merged["spec"].get("type") != "ExternalName":
            raise _invalid(merged, [errors.FieldError(
                errors.ErrorType.Invalid, "spec.clusterIPs[0]", errors.GoLiteral(f'[]string{{"{new_ip}"}}'),
                "may not change once set")], display, "patching")


#: What each kind's status strategy keeps from the stored object besides its spec
#: (PrepareForUpdate: a Deployment's labels, a pod's ownerReferences -- old kubelets corrupted
#: them); the rest of the metadata a status write may change, as upstream's does.
_STATUS_KEEPS: dict[str, tuple[tuple[str, ...], ...]] = {
    "Deployment": (("metadata", "labels"),),
    "Pod": (("metadata", "ownerReferences"),),
}


def status_strategy_keeps(kind: str) -> tuple[tuple[str, ...], ...]:
    """The fields a write to `kind`'s status subresource cannot change (its strategy's
    GetResetFields): what the field manager leaves out of the writer's fields too."""
    return (("spec",), *_STATUS_KEEPS.get(kind, ()))


def _keep(obj: dict, live: dict, path: tuple[str, ...]) -> None:
    """`obj`'s field at `path` (a member of a member) set back to `live`'s, or removed."""
    parent, old = obj, live
    for key in path[:-1]:
        parent = parent.setdefault(key, {})
        old = old.get(key) or {}
    if path[-1] in old:
        parent[path[-1]] = copy.deepcopy(old[path[-1]])
    else:
        parent.pop(path[-1], None)


def deletes_during_update(live: dict, new: dict) -> bool:
    """The registry's ShouldDeleteDuringUpdate: a write that leaves an object being deleted
    (deletionTimestamp set, no grace period left) without finalizers deletes it; a Namespace
    also needs its spec.finalizers empty (ShouldDeleteNamespaceDuringUpdate: the
    stuck-namespace `kubectl replace --raw /api/v1/namespaces/X/finalize`)."""
    old_md = meta(live)
    if meta(new).get("finalizers") or not old_md.get("deletionTimestamp"):
        return False
    if int(old_md.get("deletionGracePeriodSeconds") or 0) != 0:
        return False
    return live["kind"] != "Namespace" or not (new.get("spec") or {}).get("finalizers")


def _set_status(obj: dict, status: object) -> None:
    """`obj`'s status replaced by `status` (none: no status member, as Go omits an empty one)."""
    if status is None:
        obj.pop("status", None)
    else:
        obj["status"] = status


def _set_finalizers(ns: dict, finalizers: object) -> None:
    """A Namespace's spec.finalizers set to `finalizers` (a copy; none or empty: no member)."""
    if finalizers:
        ns["spec"]["finalizers"] = list(finalizers)  # type: ignore[call-overload]
    else:
        ns["spec"].pop("finalizers", None)


def _finalizers_frozen(live: dict, new: dict) -> list:
    """ValidateObjectMetaUpdate: an object being deleted takes no new finalizer."""
    if not meta(live).get("deletionTimestamp"):
        return []
    had = set(meta(live).get("finalizers") or [])
    added = [f for f in meta(new).get("finalizers") or [] if f not in had]
    if not added:
        return []
    found = ", ".join(f'"{f}"' for f in added)
    return [errors.FieldError(errors.ErrorType.Forbidden, "metadata.finalizers", None,
                              f"no new finalizers can be added if the object is being deleted, found new "
                              f"finalizers []string{{{found}}}")]


def _grace_ended(pod: dict) -> dict:
    """The terminating pod with grace period 0: its deletionTimestamp moves back to when the
    deletion was asked for (rest.BeforeDelete shortens the period, not the wait already done)."""
    new = clone(pod)
    md = new["metadata"]
    period = int(md.get("deletionGracePeriodSeconds") or 0)
    try:
        asked = datetime.fromisoformat(str(md["deletionTimestamp"]).replace("Z", "+00:00")) - timedelta(seconds=period)
        md["deletionTimestamp"] = asked.strftime("%Y-%m-%dT%H:%M:%SZ")
    except (KeyError, ValueError):
        pass
    md["deletionGracePeriodSeconds"] = 0
    return new
