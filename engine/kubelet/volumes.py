"""The kubelet's volume manager, as far as a pod's start depends on it: can every volume be
mounted, and if not, why (the FailedMount event's words).

Before it creates a pod's sandbox the kubelet waits until all its volumes are mounted
(volumeManager.WaitForAttachAndMount). A configMap, secret or projected volume is set up
from the objects it names; one that is missing, or lacks a key an `items` entry names,
fails the mount unless it is `optional` -- the pod stays ContainerCreating, and the
reconciler tries again with back-off (nestedpendingoperations: 0.5 s doubling to 2 min
2 s), recording `MountVolume.SetUp failed for volume "config-volume" : configmap
"coredns" not found` each time. emptyDir, hostPath and downwardAPI volumes mount at once;
persistentVolumeClaim volumes are not modelled (svcflow provisions no storage), so they
mount at once as before.

Secrets: svcflow does not store Secrets (the kind is served read-only and always empty),
so a secret volume or projection is checked only when Secrets can be created; until then
it mounts, as before, rather than keep every pod that mounts one from starting.
"""
from __future__ import annotations

from typing import Any, Callable

from engine.api.kinds import kind_info

#: nestedpendingoperations' exponential back-off between two mounts of a failing volume.
INITIAL_RETRY_SECONDS = 0.5
MAX_RETRY_SECONDS = 122.0

Getter = Callable[[str, str, str], dict | None]


def retry_seconds(failures: int) -> float:
    """The wait after the `failures`-th failed mount in a row (0.5, 1, 2, ... 122 s)."""
    return min(INITIAL_RETRY_SECONDS * 2 ** (max(failures, 1) - 1), MAX_RETRY_SECONDS)


def secrets_stored() -> bool:
    """Whether svcflow stores Secrets (their volumes are checked only then)."""
    return "create" in kind_info("Secret").verbs


def _dicts(v: Any) -> list[dict]:
    return [x for x in v if isinstance(x, dict)] if isinstance(v, list) else []


def _keyed_source(kind: str, source: dict, namespace: str, name_field: str, get: Getter) -> str | None:
    """A configMap or secret source: its object and the keys its items name."""
    name = str(source.get(name_field) or "")
    optional = source.get("optional") is True
    obj = get(kind, namespace, name)
    if obj is None:
        return None if optional else f'{kind.lower()} "{name}" not found'
    keys = set(obj.get("data") or {}) | set(obj.get("binaryData") or {}) | set(obj.get("stringData") or {})
    for item in _dicts(source.get("items")):
        key = item.get("key")
        if key not in keys and not optional:
            return (f"configmap references non-existent config key: {key}" if kind == "ConfigMap"
                    else f"references non-existent secret key: {key}")
    return None


def _projected(pod: dict, projected: dict, get: Getter) -> str | None:
    """projectedVolumeMounter.collectData: every source, the errors aggregated (one alone,
    several as `[a, b]`)."""
    namespace = pod["metadata"].get("namespace") or "default"
    errs = []
    for src in _dicts(projected.get("sources")):
        err = None
        if isinstance(src.get("configMap"), dict):
            err = _keyed_source("ConfigMap", src["configMap"], namespace, "name", get)
        elif isinstance(src.get("secret"), dict) and secrets_stored():
            err = _keyed_source("Secret", src["secret"], namespace, "name", get)
        elif isinstance(src.get("serviceAccountToken"), dict):
            sa = str(pod["spec"].get("serviceAccountName") or "default")
            if get("ServiceAccount", namespace, sa) is None:  # (the TokenRequest the token manager makes)
                err = f'failed to fetch token: serviceaccounts "{sa}" not found'
        if err is not None:
            errs.append(err)
    if not errs:
        return None
    return errs[0] if len(errs) == 1 else "[" + ", ".join(errs) + "]"


def volume_error(pod: dict, volume: dict, get: Getter) -> str | None:
    """Why `volume` of `pod` cannot be set up now, or None when it mounts."""
    namespace = pod["metadata"].get("namespace") or "default"
    if isinstance(volume.get("configMap"), dict):
        return _keyed_source("ConfigMap", volume["configMap"], namespace, "name", get)
    if isinstance(volume.get("secret"), dict) and secrets_stored():
        return _keyed_source("Secret", volume["secret"], namespace, "secretName", get)
    if isinstance(volume.get("projected"), dict):
        return _projected(pod, volume["projected"], get)
    return None


def mount_failures(pod: dict, get: Getter) -> list[tuple[str, str]]:
    """(volume name, the FailedMount event's message) of each volume that cannot be mounted,
    in the pod's order."""
    out = []
    for v in _dicts(pod["spec"].get("volumes")):
        err = volume_error(pod, v, get)
        if err is not None:
            name = v.get("name", "")
            out.append((name, f'MountVolume.SetUp failed for volume "{name}" : {err}'))
    return out
