"""The admission plugins every kind cluster runs on pods, as kube-apiserver v1.33 runs them.

Two kinds of plugin live here, told apart by what they need:

* `default_toleration_seconds` (plugin/pkg/admission/defaulttolerationseconds) needs
  nothing but the pod, runs on create and update, and so is part of the one defaulting
  pass (`engine.api.defaults.default_pod`) every write goes through;
* `ServiceAccountAdmission` (plugin/pkg/admission/serviceaccount) reads the store (the
  pod's ServiceAccount must exist) and draws a random volume name, so the API server runs
  it on a pod's create only, after defaulting and before validation -- the order of
  kube-apiserver's handler chain (decode, default, mutating admission, validation).
"""
from __future__ import annotations

import random
from typing import Any, Callable

from engine.api.naming import generate_name
from engine.api.validation import messages
from engine.api.wellknown import MIRROR_POD_ANNOTATION, SERVICE_ACCOUNT_VOLUME_PREFIX

#: The taints a node gets when its kubelet stops posting status (node lifecycle controller).
TAINT_NODE_NOT_READY = "node.kubernetes.io/not-ready"
TAINT_NODE_UNREACHABLE = "node.kubernetes.io/unreachable"
#: --default-not-ready-toleration-seconds, --default-unreachable-toleration-seconds.
DEFAULT_TOLERATION_SECONDS = 300


def _covers(toleration: Any, key: str) -> bool:
    """The plugin's test: a toleration whose key is empty or `key`, and whose effect is
    empty or NoExecute, already tolerates the taint (whatever its operator or seconds)."""
    if not isinstance(toleration, dict):
        return False
    return toleration.get("key") in (None, "", key) and toleration.get("effect") in (None, "", "NoExecute")


def default_toleration_seconds(spec: dict) -> None:
    """DefaultTolerationSeconds: append the not-ready and unreachable NoExecute tolerations
    (300 s each) that the pod does not already have, so a pod leaves a failed node five
    minutes after it fails. A pod's own tolerations stay; CoreDNS, which tolerates
    CriticalAddonsOnly and the control plane, ends with four."""
    tolerations = spec.get("tolerations")
    if tolerations is not None and not isinstance(tolerations, list):
        return  # (a value of the wrong type: the decoder refused it on the user's path)
    have = list(tolerations or ())
    added = [{"effect": "NoExecute", "key": key, "operator": "Exists", "tolerationSeconds": DEFAULT_TOLERATION_SECONDS}
             for key in (TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE)
             if not any(_covers(t, key) for t in have)]
    if added:
        spec["tolerations"] = have + added


# -- ServiceAccount ---------------------------------------------------------------------------
DEFAULT_SERVICE_ACCOUNT = "default"
#: The projected volume's name prefix and where every container finds it.
DEFAULT_API_TOKEN_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
#: serviceaccount.WarnOnlyBoundTokenExpirationSeconds: an hour and 7 s, so the kubelet's
#: refresh at 80 % comes before the hour legacy clients were promised.
BOUND_TOKEN_EXPIRATION_SECONDS = 3607
#: The ConfigMap the root-ca publisher keeps in every namespace (its key: the CA bundle).
ROOT_CA_CONFIG_MAP = "kube-root-ca.crt"


def token_volume_source() -> dict:
    """TokenVolumeSource: the bound token, the cluster CA and the pod's namespace, projected
    into one read-only directory (defaultMode set explicitly, as upstream does)."""
    return {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": BOUND_TOKEN_EXPIRATION_SECONDS, "path": "token"}},
        {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": ROOT_CA_CONFIG_MAP}},
        {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                                    "path": "namespace"}]}},
    ]}


def _dicts(v: Any) -> list[dict]:
    return [x for x in v if isinstance(x, dict)] if isinstance(v, list) else []


def _should_automount(sa: dict, spec: dict) -> bool:
    """shouldAutomount: the pod's automountServiceAccountToken wins, then the account's,
    else true."""
    for v in (spec.get("automountServiceAccountToken"), sa.get("automountServiceAccountToken")):
        if isinstance(v, bool):
            return v
    return True


def _mount_token(spec: dict, volume_name: Callable[[], str]) -> None:
    """mountServiceAccountToken: every container (init containers first) that mounts nothing
    at the token path gets the read-only mount; the volume is added once, reusing a
    `kube-api-access-*` volume the pod already has."""
    volumes = _dicts(spec.get("volumes"))
    name = next((v.get("name") for v in volumes
                 if str(v.get("name") or "").startswith(SERVICE_ACCOUNT_VOLUME_PREFIX)), None)
    has_volume = name is not None
    name = name or volume_name()
    needs = False
    for key in ("initContainers", "containers"):
        for c in _dicts(spec.get(key)):
            if any(m.get("mountPath") == DEFAULT_API_TOKEN_MOUNT_PATH for m in _dicts(c.get("volumeMounts"))):
                continue
            c["volumeMounts"] = list(c.get("volumeMounts") or []) + [
                {"mountPath": DEFAULT_API_TOKEN_MOUNT_PATH, "name": name, "readOnly": True}]
            needs = True
    if needs and not has_volume:
        spec["volumes"] = list(spec.get("volumes") or []) + [{"name": name, "projected": token_volume_source()}]


class ServiceAccountAdmission:
    """The ServiceAccount admission plugin on a pod's create.

    `lookup(namespace, name)` is its ServiceAccount lister; `rng` draws the volume's five
    characters (names.SimpleNameGenerator, from the cluster's seeded source). Upstream asks
    the API ten times (100-200 ms apart) before it refuses a pod whose `default` account is
    missing, which gives the serviceaccount controller time to create it in a namespace
    made a moment ago; `settle(namespace)`, when the cluster sets it, is that wait: the
    controller syncs the namespace before the last look-up."""

    def __init__(self, lookup: Callable[[str, str], dict | None], rng: random.Random) -> None:
        self._lookup = lookup
        self._rng = rng
        self.settle: Callable[[str], None] | None = None

    def _service_account(self, namespace: str, name: str) -> dict | None:
        sa = self._lookup(namespace, name)
        if sa is None and name == DEFAULT_SERVICE_ACCOUNT and self.settle is not None:
            self.settle(namespace)
            sa = self._lookup(namespace, name)
        return sa

    def admit(self, pod: dict) -> messages.ApiError | None:
        """Admit `pod` in place (serviceAccountName defaulted, the token volume mounted), or
        the Forbidden Status that refuses it (`pods "x" is forbidden: error looking up
        service account ns/sa: serviceaccount "sa" not found`). A mirror pod is left as
        it is, and may name no ServiceAccount."""
        md = pod.get("metadata") if isinstance(pod.get("metadata"), dict) else {}
        spec = pod.get("spec")
        if not isinstance(spec, dict):
            return None
        # (admission.NewForbidden names a pod still without a name by its generateName)
        who = md.get("name") or md.get("generateName") or "Unknown"
        if MIRROR_POD_ANNOTATION in (md.get("annotations") or {}):
            if spec.get("serviceAccountName"):
                return _forbidden(who, "a mirror pod may not reference service accounts")
            return None
        if not spec.get("serviceAccountName"):
            spec["serviceAccountName"] = DEFAULT_SERVICE_ACCOUNT
        name = str(spec["serviceAccountName"])
        spec["serviceAccount"] = name  # (v1's deprecated alias, which conversion keeps equal)
        namespace = md.get("namespace") or "default"
        sa = self._service_account(namespace, name)
        if sa is None:
            return _forbidden(who, f'error looking up service account {namespace}/{name}: '
                                   f'serviceaccount "{name}" not found')
        if _should_automount(sa, spec):
            _mount_token(spec, lambda: generate_name(SERVICE_ACCOUNT_VOLUME_PREFIX, self._rng))
        if not spec.get("imagePullSecrets") and _dicts(sa.get("imagePullSecrets")):
            spec["imagePullSecrets"] = [{"name": s.get("name", "")} for s in _dicts(sa.get("imagePullSecrets"))]
        return None


def _forbidden(name: str, why: str) -> messages.ApiError:
    return messages.ApiError("Forbidden", message=f'pods "{name}" is forbidden: {why}')
