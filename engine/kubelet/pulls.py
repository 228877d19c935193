"""The kubelet's image manager (pkg/kubelet/images/image_manager.go, EnsureImageExists):
what a container's image step records and answers, and the image pull back-off.

For each container it starts the kubelet makes sure the image is there: a reference that
does not parse fails at once (InvalidImageName); `imagePullPolicy: Never` takes only what
the node's containerd has (ErrImageNeverPull); IfNotPresent uses it when present; else it
pulls, and a pull that fails (containerd's error, from the image catalog) puts the pod's
image in back-off -- 10 s, doubling to 300 s, per pod UID and image -- during which each
sync answers ImagePullBackOff (its message carrying the last pull's error) instead of
pulling. kuberuntime's startContainer then records `Failed` "Error: <reason>", and the
reason and message become the container's waiting state.
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from engine.kubelet.images import ImageCache, invalid_name, pull_error

#: kubelet's image back-off (flowcontrol.NewBackOff(backOffPeriod, MaxImageBackOff)).
IMAGE_BACKOFF_START, IMAGE_BACKOFF_MAX = 10.0, 300.0

ERR_IMAGE_PULL = "ErrImagePull"
IMAGE_PULL_BACKOFF = "ImagePullBackOff"
INVALID_IMAGE_NAME = "InvalidImageName"
ERR_IMAGE_NEVER_PULL = "ErrImageNeverPull"

#: Records one Event about the pod: (type, reason, message, seconds from now).
Record = Callable[[str, str, str, float], None]


@dataclass(frozen=True, slots=True)
class Ensured:
    """EnsureImageExists's answer: the image is there after `seconds` (`reason` empty), or
    the container waits with `reason` and `message`."""

    seconds: float = 0.0
    reason: str = ""
    message: str = ""
    image: str = ""  # the spec's image it is about (a changed spec is synced at once)

    @property
    def ok(self) -> bool:
        return not self.reason


@dataclass(slots=True)
class _BackOff:
    """One flowcontrol.Backoff entry: the current delay and when it was last raised."""

    delay: float
    updated: datetime
    last_error: str  # the last pull's "<reason>: <message>" (prevPullErrMsg)


@dataclass(slots=True)
class ImageManager:
    """One node's image manager state for all its pods: the back-off entries by pod UID
    and image (dropped with the pod)."""

    rng: random.Random
    backoff: dict[str, dict[str, _BackOff]] = field(default_factory=dict)

    def ensure(self, pod_uid: str, container: dict, present: ImageCache, now: datetime, record: Record,
               pull_seconds: Callable[[str], float]) -> Ensured:
        """EnsureImageExists for `container` on a node whose containerd has `present` (by
        containerd's names: one look-up); a successful pull adds the image to `present`. `pull_seconds(image)` is how long
        a pull that succeeds takes (the kubelet's own seeded timing)."""
        image = str(container.get("image", ""))
        policy = container.get("imagePullPolicy") or "IfNotPresent"
        bad = invalid_name(image)
        if bad is not None:
            record("Warning", "InspectFailed", bad, 0.0)
            return self._failed(record, INVALID_IMAGE_NAME, bad, image)
        have = image in present
        if policy != "Always" and have:
            record("Normal", "Pulled", f'Container image "{image}" already present on machine', 0.0)
            return Ensured(image=image)
        if policy == "Never":
            msg = f'Container image "{image}" is not present with pull policy of Never'
            record("Warning", ERR_IMAGE_NEVER_PULL, msg, 0.0)
            return self._failed(record, ERR_IMAGE_NEVER_PULL, msg, image)
        entry = self.backoff.get(pod_uid, {}).get(image)
        if entry is not None and (now - entry.updated).total_seconds() < entry.delay:
            msg = f'Back-off pulling image "{image}"'
            record("Normal", "BackOff", msg, 0.0)
            return self._failed(record, IMAGE_PULL_BACKOFF, f"{msg}: {entry.last_error}", image)
        record("Normal", "Pulling", f'Pulling image "{image}"', 0.0)
        error = pull_error(image)
        if error is None:
            self.backoff.get(pod_uid, {}).pop(image, None)
            secs = pull_seconds(image)
            size = 20_000_000 + int(hashlib.sha256(image.encode()).hexdigest()[:6], 16) * 3
            record("Normal", "Pulled", f'Successfully pulled image "{image}" in {secs}s ({secs}s including waiting). '
                                       f"Image size: {size} bytes.", secs)
            present.add(image)
            return Ensured(seconds=secs, image=image)
        took = round(self.rng.uniform(0.3, 1.2), 3)  # (resolving a name Hub does not have)
        record("Warning", "Failed", f'Failed to pull image "{image}": {error}', took)
        self._next(self.backoff.setdefault(pod_uid, {}), image, now + timedelta(seconds=took),
                   f"{ERR_IMAGE_PULL}: {error}")
        return self._failed(record, ERR_IMAGE_PULL, error, image, took)

    @staticmethod
    def _failed(record: Record, reason: str, message: str, image: str, at: float = 0.0) -> Ensured:
        """kuberuntime startContainer: `Failed` "Error: <reason>" and the container waits."""
        record("Warning", "Failed", f"Error: {reason}", at)
        return Ensured(seconds=at, reason=reason, message=message, image=image)

    @staticmethod
    def _next(entries: dict[str, _BackOff], image: str, now: datetime, error: str) -> None:
        """Backoff.Next: 10 s the first time (or after 600 s without a failure), else double, at most 300 s."""
        entry = entries.get(image)
        if entry is None or (now - entry.updated) > timedelta(seconds=2 * IMAGE_BACKOFF_MAX):
            entries[image] = _BackOff(IMAGE_BACKOFF_START, now, error)
        else:
            entry.delay, entry.updated, entry.last_error = min(entry.delay * 2, IMAGE_BACKOFF_MAX), now, error

    def forget(self, pod_uid: str) -> None:
        """The pod is gone: its back-off entries with it."""
        self.backoff.pop(pod_uid, None)


def waiting_state(ensured: Ensured) -> dict:
    """The container status's waiting state for an image that is not there."""
    return {"waiting": {"message": ensured.message, "reason": ensured.reason}}
