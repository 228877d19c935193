"""The kubelets of all nodes: start bound pods, report status, tear deleted pods down.

A pod goes Pending/ContainerCreating -> (sandbox + CNI: pod IP from the node's podCIDR)
-> image pulled -> containers Running -> Ready (at once, or when the readiness probe
first passes). Each step is a timer on the simulated clock, so `kubectl get po` right
after apply shows ContainerCreating as on a real cluster, and a deterministic run always
takes the same simulated seconds.

An image that is not there (a mistyped name, `imagePullPolicy: Never`, a reference that
does not parse: engine/kubelet/pulls.py says which) leaves its container waiting
(ErrImagePull, ImagePullBackOff, ErrImageNeverPull, InvalidImageName) and the pod Pending;
the kubelet syncs it again as its pod worker does and starts the container once the image
is there (the spec's image fixed).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Iterable, Mapping

from engine.api.allocators import AllocationError
from engine.api.objects import evolve, is_terminating, meta, pod_is_ready, pod_phase, set_condition
from engine.api.store import shared
from engine.cluster.clock import parse_time
from engine.cluster.topology import Machines
from engine.controllers.base import Controller, key_for, split_key
from engine.controllers.context import ControllerContext
from engine.kubelet.env import ServiceHistory, container_env
from engine.kubelet.images import ImageCache, normalize_image
from engine.kubelet.ipam import PodIPAM
from engine.kubelet.prober import refused, run_probe, unhealthy
from engine.kubelet.pulls import Ensured, ImageManager, waiting_state
from engine.kubelet.runtime import (
    LOST,
    Exit,
    MainRunner,
    Stop,
    backoff_message,
    backoff_seconds,
    container_fate,
    is_script,
    main_argv,
    on_sigterm,
    pod_phase_after,
    restarts,
    terminated,
)
from engine.kubelet.volumes import mount_failures, retry_seconds
from engine.workloads.apps import workload_class

SANDBOX_SECONDS = 1.0
TERMINATE_SECONDS = 1.0
RESTART_SECONDS = 1.0  # an ended container's first restart: the kubelet's next pod sync
#: A pod whose image is not there is synced again when its status write comes back (at
#: once: ErrImagePull turns ImagePullBackOff), then after the pod worker's error back-off
#: (backOffPeriod 10 s, jittered by up to half).
IMAGE_STATUS_SYNC_SECONDS, POD_WORKER_BACKOFF = 1.0, 10.0
#: How a container that never started ends with its pod (status manager TerminatePod).
NEVER_STARTED = shared({"terminated": {"exitCode": 137, "finishedAt": None,
                                       "message": "The container could not be located when the pod was terminated",
                                       "reason": "ContainerStatusUnknown", "startedAt": None}})


def _next_version(pod: dict) -> dict:
    """The pod's next version for a status write: metadata and status are the kubelet's
    own copies (conditions and container statuses are updated in place), the spec and
    everything else is shared with the stored version."""
    new = evolve(pod)
    st = pod.get("status")
    if isinstance(st, dict):
        st = dict(st)
        for f in ("conditions", "containerStatuses"):
            if isinstance(st.get(f), list):
                st[f] = [dict(x) if isinstance(x, dict) else x for x in st[f]]
        new["status"] = st
    return new


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@lru_cache(maxsize=4096)
def _image_id(image: str) -> str:
    """What containerd reports as the image's ID (one string per image, shared)."""
    return normalize_image(image).rsplit(":", 1)[0] + "@sha256:" + _digest(image)


@dataclass(slots=True)
class _PodRuntime:
    """What one kubelet knows about a pod it runs (its local state, not API state)."""

    stage: str = "new"  # new -> creating -> pulling -> running -> stopping
    due: datetime | None = None
    ip: str | None = None
    ready_at: datetime | None = None
    probe_fails: bool = False
    probe_message: str | None = None  # the readiness probe's Unhealthy message while it fails
    failures: int = 0  # readiness probe failures in a row
    forced: bool = False  # `u` made the readiness probe fail (svcflow's app that stops answering)
    prober: object | None = None  # the running readiness prober's token (None: not started)
    liveness: dict[str, object] | None = None  # container -> its running liveness prober's token
    image_waits: dict[str, Ensured] | None = None  # container -> why its image is not there (ErrImagePull, ...)
    pull_sync: object | None = None  # the pending image resync's token (None: none pending)
    pull_due: bool = False  # that resync is due: sync the waiting containers' images
    attempts: int = 0  # sandbox creations that failed
    mount_failures: int = 0  # volume mounts that failed in a row (the reconciler's back-off)
    exits: dict[str, Exit] | None = None  # container -> how its main process just ended
    ended: dict[str, int] | None = None  # container -> exit code, for good (not restarted)
    crashes: dict[str, int] | None = None  # container -> exits so far (the restart back-off)
    restart: set[str] | None = None  # containers whose back-off is over: start them again
    stops: dict[str, Stop] | None = None  # container -> how it ends after the SIGTERM (a graceful delete)
    env_at: dict[str, int] | None = None  # container -> the store version its environment was built at
    stop_sent: datetime | None = None  # when the kubelet sent it
    restarted: bool = False  # a new sandbox after the old one died: its containers start again


class Kubelet(Controller):
    """The kubelets of every machine in one controller: `machines` says which node names
    have a kubelet (and their addresses), `ipam` is the CNI's pod IPs, `images` the
    images each node's containerd already has (kind's node image preloads some)."""

    name = "kubelet"

    def __init__(self, ctx: ControllerContext, machines: Machines, ipam: PodIPAM,
                 images: Mapping[str, Iterable[str]] | None = None) -> None:
        super().__init__(ctx)
        self.recorder, self.clock, self.flow, self._rng = ctx.recorder, ctx.clock, ctx.flow, ctx.rng
        self.api = ctx.api
        self.machines, self.ipam = machines, ipam
        self.pods: dict[str, _PodRuntime] = {}
        self.image_cache: dict[str, ImageCache] = {node: ImageCache.of(have) for node, have in (images or {}).items()}
        self.image_manager = ImageManager(self._rng("kubelet/imagepull"))
        # node -> pods whose sandbox found no free address, oldest first
        self._waiting_for_ip: dict[str, dict[str, None]] = {}
        # what runs a main process that ends, for its output and exit code (the served API's
        # pods' shells); without one, the exit code svcflow knows for the command
        self.runner: MainRunner | None = None
        self.services = ServiceHistory(self.store)  # (a container's Service variables are its start's)
        self.store.watch("Pod", self._on_pod)

    def container_env(self, pod: dict, container: int = 0) -> list[tuple[str, str]]:
        """The environment the container was started with (its Services as they were then)."""
        rt = self.pods.get(key_for(pod))
        name = (pod["spec"].get("containers") or [{}])[container].get("name", "")
        started = (rt.env_at or {}).get(name) if rt is not None else None
        return container_env(self.store, pod, container, history=self.services, started=started)

    def _on_pod(self, ev) -> None:
        if ev.type == "DELETED":
            key = key_for(ev.obj)
            rt = self.pods.pop(key, None)
            self.image_manager.forget(str(meta(ev.obj).get("uid")))
            node = ev.obj["spec"].get("nodeName")
            if rt is not None and rt.stage == "running":
                # Deleted at once (grace period 0: `--force`, PodGC) while its containers ran:
                # the kubelet sees it gone from the API and kills them (a graceful delete
                # went through _stop, which said so already); one whose process already
                # ended (Completed, CrashLoopBackOff) has nothing to stop.
                for ct in ev.obj["spec"].get("containers") or []:
                    if ct["name"] in _ended_containers(ev.obj):
                        continue
                    self.recorder.event(ev.obj, "Normal", "Killing", f"Stopping container {ct['name']}", self.name,
                                        node)
            self._waiting_for_ip.get(node or "", {}).pop(key, None)
            if rt and rt.ip and not ev.obj["spec"].get("hostNetwork"):
                self.ipam.release(node, rt.ip)
                self._ip_released(node)
            return
        if ev.obj["spec"].get("nodeName"):
            self.enqueue(key_for(ev.obj))

    def _due(self, key: str, seconds: float) -> None:
        """Come back to this pod `seconds` from now (a timer re-enqueues its key)."""
        rt = self.pods[key]
        rt.due = self.clock.now() + timedelta(seconds=seconds)
        self.clock.call_later(seconds, lambda: self.enqueue(key))

    def reconcile(self, key: str) -> None:
        ns, name = split_key(key)
        pod = self.store.get("Pod", ns, name)
        if pod is None or not pod["spec"].get("nodeName"):
            return
        if self.machines.get(pod["spec"]["nodeName"]) is None:
            return  # no machine of that name: no kubelet will ever look at this pod
        if not self.machines.running(pod["spec"]["nodeName"]):
            return  # its node is down (`docker stop`): nothing runs there until it starts (resume)
        rt = self.pods.setdefault(key, _PodRuntime())
        now = self.clock.now()
        # (a pod waiting for its volumes is torn down at once when deleted, not after the
        # mount back-off, which can be two minutes)
        if rt.due and now < rt.due and not (rt.mount_failures and is_terminating(pod)):
            return
        rt.due = None
        if is_terminating(pod):
            self._stop(key, pod, rt)
            return
        if pod_phase(pod) in ("Succeeded", "Failed"):
            return
        if rt.stage == "running" and (rt.exits or rt.restart):
            self._processes_changed(key, pod, rt)
            return
        if rt.stage == "running" and rt.image_waits and (rt.pull_due or _image_changed(pod, rt.image_waits)):
            self._sync_images(key, pod, rt)
            return
        step = {"new": self._accept, "creating": self._sandbox, "pulling": self._start,
                "running": self._probe}.get(rt.stage)
        if step:
            step(key, pod, rt)

    # -- stages ---------------------------------------------------------------
    def _accept(self, key: str, pod: dict, rt: _PodRuntime) -> None:
        node = self.machines.get(pod["spec"]["nodeName"])
        now = self.clock.now_str()
        new = _next_version(pod)
        st = new.setdefault("status", {})
        st["phase"] = "Pending"
        st["hostIP"] = node.ip
        st["hostIPs"] = shared([{"ip": node.ip}])
        st["startTime"] = now
        st.setdefault("qosClass", "BestEffort")
        for ctype, val, reason in (("PodReadyToStartContainers", "False", None), ("Initialized", "True", None),
                                   ("Ready", "False", "ContainersNotReady"),
                                   ("ContainersReady", "False", "ContainersNotReady"), ("PodScheduled", "True", None)):
            msg = None
            if reason:
                names = ", ".join(ct["name"] for ct in pod["spec"].get("containers") or [])
                msg = f"containers with unready status: [{names}]"
            set_condition(st, ctype, val, now, reason=reason, message=msg)
        _order_conditions(st)
        st["containerStatuses"] = [
            {"image": ct.get("image", ""), "imageID": "", "lastState": {}, "name": ct["name"], "ready": False,
             "restartCount": 0, "started": False, "state": {"waiting": {"reason": "ContainerCreating"}}}
            for ct in sorted(pod["spec"].get("containers") or [], key=lambda ct: ct["name"])
        ]
        self.store.update(new, owned=True)
        rt.stage = "creating"
        self._due(key, SANDBOX_SECONDS)

    def _sandbox(self, key: str, pod: dict, rt: _PodRuntime) -> None:
        node_name = pod["spec"]["nodeName"]
        failed = mount_failures(pod, self.store.get)
        if failed:
            self._mount_failed(key, pod, rt, node_name, failed)
            return
        rt.mount_failures = 0
        if pod["spec"].get("hostNetwork"):
            rt.ip = self.machines.get(node_name).ip
        else:
            try:
                rt.ip = self.ipam.allocate(node_name)
            except AllocationError as e:
                self._sandbox_failed(key, pod, rt, node_name, str(e))
                return
            self._waiting_for_ip.get(node_name, {}).pop(key, None)
        new = _next_version(pod)
        st = new["status"]
        st["podIP"] = rt.ip
        st["podIPs"] = [{"ip": rt.ip}]
        set_condition(st, "PodReadyToStartContainers", "True", self.clock.now_str())
        self.store.update(new, owned=True)
        self.flow(self.name, new, "sandbox", f"pod IP {rt.ip} on {node_name}")
        longest = 0.0
        rt.image_waits, rt.pull_sync, rt.pull_due = None, None, False  # (a new sandbox: its images afresh)
        for ct in pod["spec"].get("containers") or []:
            ensured = self._ensure_image(pod, ct)
            longest = max(longest, ensured.seconds)
            if not ensured.ok:
                rt.image_waits = {**(rt.image_waits or {}), ct["name"]: ensured}
        rt.stage = "pulling"
        self._due(key, max(longest, 0.2))

    def _ensure_image(self, pod: dict, ct: dict) -> Ensured:
        """The image step of starting one container (the image manager's EnsureImageExists):
        its events on the pod, and whether the container can start or waits (and why)."""
        node_name = pod["spec"]["nodeName"]
        cache = self.image_cache.setdefault(node_name, ImageCache())
        rng = self._rng("kubelet")

        def record(type_: str, reason: str, message: str, at: float) -> None:
            self.recorder.event(pod, type_, reason, message, self.name, node_name, at_offset=at)

        def pull_seconds(image: str) -> float:
            return round(rng.uniform(0.4, 1.6) if image in cache else rng.uniform(2.0, 7.0), 3)

        return self.image_manager.ensure(str(meta(pod).get("uid")), ct, cache, self.clock.now(), record,
                                         pull_seconds)

    def _resync_images(self, key: str, rt: _PodRuntime, seconds: float, *, background: bool = False) -> None:
        """Sync the pod's waiting containers again `seconds` from now (one pending resync)."""
        token = rt.pull_sync = object()

        def due() -> None:
            if self.pods.get(key) is rt and rt.pull_sync is token:
                rt.pull_due = True
                self.enqueue(key)
        self.clock.call_later(seconds, due, background=background)

    def _sync_images(self, key: str, pod: dict, rt: _PodRuntime) -> None:
        """A sync of a pod whose containers wait for their image: each one's image step runs
        again (in back-off: ImagePullBackOff; out of it: another pull). Once an image is
        there, its container starts as a new pod's do (`_start`, after the pull); the others
        keep waiting, their status written when its reason or message changed."""
        rt.pull_due, rt.pull_sync = False, None
        specs = {ct["name"]: ct for ct in pod["spec"].get("containers") or []}
        waits: dict[str, Ensured] = {}
        pulled, longest = False, 0.0
        for name in sorted(rt.image_waits or {}):
            if name not in specs:
                continue
            ensured = self._ensure_image(pod, specs[name])
            longest = max(longest, ensured.seconds)
            if ensured.ok:
                pulled = True
            else:
                waits[name] = ensured
        rt.image_waits = waits or None
        if pulled:
            rt.stage = "pulling"
            self._due(key, max(longest, 0.2))
            return
        new = _next_version(pod)
        changed = False
        for cs in new["status"].get("containerStatuses") or []:
            if cs.get("name") in waits:
                state = waiting_state(waits[cs["name"]])
                if cs.get("state") != state:
                    cs["state"], cs["image"], changed = state, waits[cs["name"]].image, True
        if changed:
            self.store.update(new, owned=True)
        jitter = self._rng("kubelet/imagepull").uniform(0.0, POD_WORKER_BACKOFF / 2)
        self._resync_images(key, rt, IMAGE_STATUS_SYNC_SECONDS if changed else POD_WORKER_BACKOFF + jitter,
                            background=not changed)

    def _mount_failed(self, key: str, pod: dict, rt: _PodRuntime, node_name: str,
                      failed: list[tuple[str, str]]) -> None:
        """WaitForAttachAndMount: a volume cannot be set up (its ConfigMap is missing), so no
        sandbox is made and the pod stays ContainerCreating. The volume manager's reconciler
        records FailedMount and tries again after its back-off (0.5 s doubling to 2 min 2 s,
        a background timer: a pod that waits for an object does not keep a run from idling);
        once the object exists the next try mounts it and the pod starts."""
        rt.mount_failures += 1
        for _, message in failed:
            self.recorder.event(pod, "Warning", "FailedMount", message, self.name, node_name)
        self.flow(self.name, pod, "mount failed", "; ".join(m for _, m in failed))
        delay = retry_seconds(rt.mount_failures)
        rt.due = self.clock.now() + timedelta(seconds=delay)
        self.clock.call_later(delay, lambda: self.enqueue(key), background=True)

    def _sandbox_failed(self, key: str, pod: dict, rt: _PodRuntime, node_name: str, cni_error: str) -> None:
        """CNI could not give the sandbox an address (the node's podCIDR is used up): the
        pod stays ContainerCreating with the kubelet's FailedCreatePodSandBox event, as
        on a node whose host-local range is exhausted. It is tried again when a pod on
        the node gives its address back (the real kubelet retries on a ~10 s backoff;
        retrying on release keeps the simulated cluster able to reach a steady state)."""
        rt.attempts += 1
        sandbox = _digest(f"{meta(pod).get('uid')}/sandbox/{rt.attempts}")
        msg = (f'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for '
               f'sandbox "{sandbox}": plugin type="ptp" failed (add): {cni_error}')
        self.recorder.event(pod, "Warning", "FailedCreatePodSandBox", msg, self.name, node_name)
        self.flow(self.name, pod, "sandbox failed", f"no pod IP left on {node_name}")
        self._waiting_for_ip.setdefault(node_name, {})[key] = None

    def _ip_released(self, node: str | None) -> None:
        """A pod on `node` gave its address back: the first sandbox waiting for one retries."""
        waiting = self._waiting_for_ip.get(node or "")
        if waiting:
            key = next(iter(waiting))
            del waiting[key]
            self.enqueue(key)

    def _start(self, key: str, pod: dict, rt: _PodRuntime) -> None:
        node_name = pod["spec"]["nodeName"]
        now = self.clock.now_str()
        event = self.recorder.event
        new = _next_version(pod)
        st = new["status"]
        statuses = []
        probe_delay = None
        before = {cs.get("name"): cs for cs in st.get("containerStatuses") or []} if rt.restarted else {}
        rt.restarted = False
        waits = rt.image_waits or {}
        current = {cs.get("name"): cs for cs in st.get("containerStatuses") or []}
        keep = {c for c in _running_containers(pod)} if not before else set()
        for ct in sorted(pod["spec"].get("containers") or [], key=lambda ct: ct["name"]):
            if ct["name"] in waits:
                statuses.append(_waiting_status(ct, waits[ct["name"]], before.get(ct["name"]) or {}))
                continue
            if ct["name"] in keep:  # (started before, while another container waited for its image)
                statuses.append(current[ct["name"]])
                continue
            event(pod, "Normal", "Created", f"Created container: {ct['name']}", self.name, node_name)
            event(pod, "Normal", "Started", f"Started container {ct['name']}", self.name, node_name)
            probe = ct.get("readinessProbe")
            ready = probe is None
            if probe is not None:
                delay = float(probe.get("initialDelaySeconds", 0)) + 1.0
                probe_delay = max(probe_delay or 0.0, delay)
            image = ct.get("image", "")
            old = before.get(ct["name"]) or {}
            count = int(old.get("restartCount") or 0) + (1 if old else 0)  # (a new sandbox's containers: +1)
            rt.env_at = {**(rt.env_at or {}), ct["name"]: self.store.resource_version}
            statuses.append({
                "containerID": "containerd://" + _digest(f"{meta(pod)['uid']}/{ct['name']}" + (f"/{count}" if count else "")),
                "image": normalize_image(image),
                "imageID": _image_id(image),
                "lastState": shared(_last_state(old)), "name": ct["name"], "ready": ready,
                "restartCount": count, "started": True, "state": shared({"running": {"startedAt": now}}),
            })
        st["containerStatuses"] = statuses
        st["phase"] = "Pending" if waits else "Running"
        rt.stage = "running"
        self._run_mains(key, pod, rt, [ct["name"] for ct in pod["spec"].get("containers") or []
                                       if ct["name"] not in waits and ct["name"] not in keep])
        if waits:
            self.flow(self.name, new, "pull failed", "; ".join(
                f"{c}: {w.reason} ({w.image})" for c, w in sorted(waits.items())))
            self._resync_images(key, rt, IMAGE_STATUS_SYNC_SECONDS)
        if rt.exits:
            self._exited(new, rt, now)
        else:
            all_ready = all(s["ready"] for s in statuses)
            self._set_ready(st, all_ready, now, pod)
        self.store.update(new, owned=True)
        if probe_delay is not None and st["phase"] == "Running":
            self._due(key, probe_delay)

    def resume(self, node: str) -> None:
        """The node's container started again (`docker start`): every container on it died
        with it, and containerd reports them exited with 255 `Unknown` (it did not see them
        end). The kubelet syncs each pod bound to the node: a terminating one is finished at
        once (nothing is left to stop), any other whose containers ran gets a new sandbox."""
        for pod in [p for p in self.store.iter("Pod") if p["spec"].get("nodeName") == node]:
            key = key_for(pod)
            rt = self.pods.get(key)
            if rt is not None and rt.stage in ("running", "stopping") and pod_phase(pod) not in ("Succeeded", "Failed"):
                if is_terminating(pod):
                    rt.stops = {c: Stop(0.0, LOST.code, LOST.reason) for c in _running_containers(pod)}
                    rt.stage, rt.stop_sent, rt.due = "stopping", self.clock.now(), None
                else:
                    self._sandbox_changed(key, pod, rt)
            self.enqueue(key)

    def _sandbox_changed(self, key: str, pod: dict, rt: _PodRuntime) -> None:
        """A pod whose sandbox died (computePodActions: SandboxChanged): the kubelet reports
        its containers terminated (255 Unknown, not ready, and no pod IP: the runtime has no
        ready sandbox to take one from), kills the old sandbox -- its address goes back to
        the CNI -- and makes a new one, which gets the node's next address, so the pod IP
        changes; its containers start again in it (RESTARTS +1, the 255 as their last
        state). A pod that does not restart (restartPolicy Never) fails instead."""
        node, now = pod["spec"]["nodeName"], self.clock.now_str()
        new = _next_version(pod)
        st = new["status"]
        running = _running_containers(pod)
        for cs in st.get("containerStatuses") or []:
            if cs.get("name") in running:
                cs["state"] = terminated(cs.get("containerID", ""), LOST, cs["state"]["running"].get("startedAt", now),
                                         now)
            cs["ready"], cs["started"] = False, False
        if not pod["spec"].get("hostNetwork"):  # (a host-network pod keeps the node's address)
            st.pop("podIP", None)
            st.pop("podIPs", None)
        set_condition(st, "PodReadyToStartContainers", "False", now)
        policy = new["spec"].get("restartPolicy")
        if not restarts(policy, LOST.code):
            codes = {cs["name"]: ((cs.get("state") or {}).get("terminated") or {}).get("exitCode", 0)
                     for cs in st.get("containerStatuses") or []}
            st["phase"] = pod_phase_after(policy, codes)
            _terminal_conditions(st, now)
            rt.stage = "done"
        else:
            self._set_ready(st, False, now, new)
            self.recorder.event(pod, "Normal", "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.",
                                self.name, node)
            rt.stage, rt.due, rt.restarted = "creating", None, True
            rt.exits = rt.ended = rt.crashes = rt.restart = None
            rt.probe_fails, rt.probe_message, rt.failures, rt.forced, rt.prober = False, None, 0, False, None
            rt.liveness = None
        self.store.update(new, owned=True)
        if rt.ip and not pod["spec"].get("hostNetwork"):
            self.ipam.release(node, rt.ip)
            self._ip_released(node)
        rt.ip = None
        self.flow(self.name, new, "sandbox changed", f"the node {node} restarted: its containers died")

    def set_readiness(self, namespace: str, name: str, ready: bool) -> bool:
        """Make a pod's readiness probe start failing (or passing again), as when the
        app inside stops answering: the kubelet flips Ready and the endpoint controllers
        move the pod between addresses and notReadyAddresses."""
        key = f"{namespace}/{name}"
        pod = self.store.get("Pod", namespace, name)
        rt = self.pods.get(key)
        if pod is None or rt is None or rt.stage != "running":
            return False
        rt.probe_fails, rt.forced, rt.failures = not ready, not ready, 0
        rt.probe_message = probe_failure(pod) if not ready else None
        new = _next_version(pod)
        st = new["status"]
        for s in st.get("containerStatuses") or []:
            s["ready"] = ready
        self._set_ready(st, ready, self.clock.now_str(), pod)
        message = rt.probe_message
        if message is not None:  # (no readinessProbe: no prober runs, nothing is recorded)
            self.recorder.event(pod, "Warning", "Unhealthy", message, self.name, pod["spec"]["nodeName"])
        self.store.update(new, owned=True)
        return True

    def _probe(self, key: str, pod: dict, rt: _PodRuntime) -> None:
        """A running pod's sync: its readiness prober starts with the first round
        (`initialDelaySeconds` after the start, the timer `_start` set), then runs every
        `periodSeconds` on its own timer."""
        if rt.prober is not None or not any(isinstance(ct.get("readinessProbe"), dict)
                                            for ct in pod["spec"].get("containers") or []):
            return
        token = rt.prober = object()
        self._probe_round(key, rt, token)

    def _probe_round(self, key: str, rt: _PodRuntime, token: object) -> None:
        """One round of the readiness prober, then the next one `periodSeconds` later (a
        background timer: a probed pod does not keep a run from idling). The prober stops with
        the pod, its node (`docker stop`) or a new sandbox (which starts another)."""
        if self.pods.get(key) is not rt or rt.prober is not token or rt.stage != "running":
            return
        pod = self.store.get("Pod", *split_key(key))
        if pod is None or is_terminating(pod) or not self.machines.running(pod["spec"]["nodeName"]):
            return
        self._readiness_round(pod, rt)
        period = min(float(ct["readinessProbe"].get("periodSeconds", 10)) for ct in pod["spec"].get("containers") or []
                     if isinstance(ct.get("readinessProbe"), dict))
        self.clock.call_later(max(period, 1.0), lambda: self._probe_round(key, rt, token), background=True)

    def _readiness_round(self, pod: dict, rt: _PodRuntime) -> None:
        """Probe every running container's readinessProbe (prober worker.doProbe): each failure
        is an `Unhealthy` event; a ready pod turns unready after `failureThreshold` failures in
        a row, an unready one ready at the first success. A pod `u` marked failing stays so."""
        node = pod["spec"]["nodeName"]
        if rt.forced:
            if rt.probe_message is not None:
                self.recorder.event(pod, "Warning", "Unhealthy", rt.probe_message, self.name, node)
            return
        running = _running_containers(pod)
        failed, threshold = None, 3
        for ct in pod["spec"].get("containers") or []:
            probe = ct.get("readinessProbe")
            if isinstance(probe, dict) and ct["name"] in running:
                result = run_probe(pod, ct, probe, self.clock.now, self.runner)
                if not result.ok:
                    failed, threshold = unhealthy("readinessProbe", result), int(probe.get("failureThreshold", 3))
                    break
        was_ready = pod_is_ready(pod)
        if failed is not None:
            rt.failures += 1
            self.recorder.event(pod, "Warning", "Unhealthy", failed, self.name, node)
            if was_ready and rt.failures < threshold:
                return
        else:
            rt.failures = 0
        rt.probe_fails, rt.probe_message = failed is not None, failed
        ready = failed is None
        statuses = pod["status"].get("containerStatuses") or []
        if was_ready == (ready and bool(running) and len(running) == len(statuses)) and \
                all(cs.get("ready") == (ready and cs.get("name") in running) for cs in statuses):
            return
        new = _next_version(pod)
        st = new["status"]
        for cs in st.get("containerStatuses") or []:
            cs["ready"] = ready and cs.get("name") in running
        self._set_ready(st, all(cs.get("ready") for cs in st.get("containerStatuses") or []), self.clock.now_str(), pod)
        self.store.update(new, owned=True)

    # -- main processes that end ------------------------------------------------------
    def main_exited(self, namespace: str, name: str, container: str, code: int) -> bool:
        """A container's main process ended with `code` (the shell attached to it got `exit`
        or its stdin closed): the container terminates, and restarts as its pod's
        restartPolicy says. False when no such container runs here."""
        key = f"{namespace}/{name}"
        rt = self.pods.get(key)
        if rt is None or rt.stage != "running":
            return False
        self._record_exit(key, rt, container, Exit(code))
        return True

    def _record_exit(self, key: str, rt: _PodRuntime, container: str, end: Exit) -> None:
        if self.pods.get(key) is rt and rt.stage == "running":
            rt.exits = {**(rt.exits or {}), container: end}
            self.enqueue(key)

    def _restart_later(self, key: str, rt: _PodRuntime, container: str, seconds: float) -> None:
        def due() -> None:
            if self.pods.get(key) is rt and rt.stage == "running":
                rt.restart = (rt.restart or set()) | {container}
                self.enqueue(key)
        # background: a crash-looping pod does not keep a deterministic run from its steady state
        self.clock.call_later(seconds, due, background=True)

    def _watch_liveness(self, key: str, pod: dict, rt: _PodRuntime, ct: dict) -> None:
        """The liveness prober of a container just started: a round every `periodSeconds`
        from `initialDelaySeconds` on (background timers), each failure an `Unhealthy` event
        (nothing listens on the port, a 404, an exec command that exits 1); after
        `failureThreshold` failures in a row the kubelet kills the container (`Killing ...
        failed liveness probe, will be restarted`) and it restarts with the back-off. A
        success resets the count (the file an exec probe reads written meanwhile)."""
        probe = ct.get("livenessProbe")
        if not isinstance(probe, dict):
            return
        name, token = ct["name"], object()
        rt.liveness = {**(rt.liveness or {}), name: token}
        period = max(float(probe.get("periodSeconds", 10)), 1.0)
        threshold = max(int(probe.get("failureThreshold", 3)), 1)

        def probe_round(failures: int) -> None:
            if self.pods.get(key) is not rt or rt.stage != "running" or (rt.liveness or {}).get(name) is not token:
                return
            live = self.store.get("Pod", *split_key(key))
            if live is None or is_terminating(live) or name not in _running_containers(live) or \
                    not self.machines.running(live["spec"]["nodeName"]):
                return
            result = run_probe(live, ct, probe, self.clock.now, self.runner)
            failures = 0 if result.ok else failures + 1
            if failures:
                node = live["spec"]["nodeName"]
                self.recorder.event(live, "Warning", "Unhealthy", unhealthy("livenessProbe", result), self.name, node)
                if failures >= threshold:
                    self.recorder.event(live, "Normal", "Killing",
                                        f"Container {name} failed liveness probe, will be restarted", self.name, node)
                    # (a server that handles SIGTERM exits 0; anything else is killed: 137)
                    started = parse_time(next(cs for cs in live["status"]["containerStatuses"] if cs["name"] == name)
                                         ["state"]["running"].get("startedAt")) or self.clock.now()
                    grace = float(live["spec"].get("terminationGracePeriodSeconds", 30))
                    stop = on_sigterm(ct, workload_class(ct).handles_sigterm, grace,
                                      (self.clock.now() - started).total_seconds())
                    self._record_exit(key, rt, name, Exit(stop.code))
                    return
            self.clock.call_later(period, lambda: probe_round(failures), background=True)
        self.clock.call_later(float(probe.get("initialDelaySeconds", 0)) + period, lambda: probe_round(0),
                              background=True)

    def _run_mains(self, key: str, pod: dict, rt: _PodRuntime, names: list[str]) -> None:
        """Start the main processes of `names`: those that end at once are recorded as
        exited, those that end later (`sleep 5`) get a timer."""
        for ct in pod["spec"].get("containers") or []:
            if ct.get("name") not in names:
                continue
            fate = container_fate(ct)
            argv = main_argv(ct)
            if self.runner is not None and not fate.interactive and is_script(argv):
                # a shell script runs on the clock (a `while true` loop logs for ever) and says when it ends
                end = self.runner.start_script(pod, ct["name"], argv,
                                               lambda end, c=ct["name"]: self._record_exit(key, rt, c, end))
                self._watch_liveness(key, pod, rt, ct)
                if end is not None:
                    rt.exits = {**(rt.exits or {}), ct["name"]: end}
                continue
            if fate.runs or fate.interactive:
                if self.runner is not None:
                    self.runner.started_again(pod, ct["name"])  # (a restarted server's log begins again)
                self._watch_liveness(key, pod, rt, ct)
                continue
            end = self.runner.run_main(pod, ct["name"], main_argv(ct)) if self.runner else Exit(fate.code)
            self._watch_liveness(key, pod, rt, ct)
            if fate.after <= 0 or end.reason == "StartError":
                rt.exits = {**(rt.exits or {}), ct["name"]: end}
            else:
                self.clock.call_later(fate.after, lambda c=ct["name"], end=end: self._record_exit(key, rt, c, end),
                                      background=True)

    def _exited(self, new: dict, rt: _PodRuntime, now: str) -> None:
        """Write the ended processes into `new`'s status: the container terminated (reason
        Completed or Error), restarted later with the kubelet's back-off (CrashLoopBackOff), and
        the pod Succeeded or Failed once nothing runs and nothing restarts."""
        st, spec, md = new["status"], new["spec"], meta(new)
        policy = spec.get("restartPolicy")
        key = f"{md.get('namespace')}/{md['name']}"
        exits, rt.exits = rt.exits or {}, None
        for cs in st.get("containerStatuses") or []:
            c = cs["name"]
            if c not in exits:
                continue
            end = exits[c]
            code = end.code
            started = ((cs.get("state") or {}).get("running") or {}).get("startedAt", now)
            term = terminated(cs.get("containerID", ""), end, started, now)
            cs["ready"], cs["started"] = False, False
            if not restarts(policy, code):
                cs["state"] = term
                rt.ended = {**(rt.ended or {}), c: code}
                continue
            crashes = rt.crashes = {**(rt.crashes or {}), c: (rt.crashes or {}).get(c, 0) + 1}
            if crashes[c] == 1:
                cs["state"] = term
                self._restart_later(key, rt, c, RESTART_SECONDS)
            else:
                wait = backoff_seconds(crashes[c])
                cs["lastState"] = term
                cs["state"] = {"waiting": {"message": backoff_message(wait, c, new), "reason": "CrashLoopBackOff"}}
                self.recorder.event(new, "Warning", "BackOff",
                                    f"Back-off restarting failed container {c} in pod "
                                    f"{md['name']}_{md.get('namespace')}({md.get('uid')})", self.name, spec["nodeName"])
                self._restart_later(key, rt, c, wait)
        codes = {cs["name"]: (rt.ended or {}).get(cs["name"]) for cs in st.get("containerStatuses") or []}
        st["phase"] = pod_phase_after(policy, codes)
        if rt.image_waits and st["phase"] == "Running":
            st["phase"] = "Pending"  # (getPhase: a container that never started keeps the pod Pending)
        if st["phase"] in ("Succeeded", "Failed"):
            _terminal_conditions(st, now)
            self.flow(self.name, new, "completed", f"{st['phase']}: " + ", ".join(
                f"{c} exit code {code}" for c, code in codes.items()))
        else:
            self._set_ready(st, all(cs.get("ready") for cs in st.get("containerStatuses") or []), now, new)

    def _processes_changed(self, key: str, pod: dict, rt: _PodRuntime) -> None:
        """Restart the containers whose back-off is over, then record what ended."""
        new = _next_version(pod)
        now = self.clock.now_str()
        again, rt.restart = rt.restart or set(), None
        node = pod["spec"]["nodeName"]
        specs = {ct["name"]: ct for ct in pod["spec"].get("containers") or []}
        for cs in new["status"].get("containerStatuses") or []:
            c = cs["name"]
            if c not in again or c not in specs:
                continue
            if "terminated" in (cs.get("state") or {}):
                cs["lastState"] = cs["state"]
            cs["restartCount"] = int(cs.get("restartCount") or 0) + 1
            cs["containerID"] = "containerd://" + _digest(f"{meta(pod)['uid']}/{c}/{cs['restartCount']}")
            cs["state"] = {"running": {"startedAt": now}}
            rt.env_at = {**(rt.env_at or {}), c: self.store.resource_version}
            cs["started"], cs["ready"] = True, specs[c].get("readinessProbe") is None
            image = specs[c].get("image", "")
            self.recorder.event(pod, "Normal", "Pulled", f'Container image "{image}" already present on machine',
                                self.name, node)
            self.recorder.event(pod, "Normal", "Created", f"Created container: {c}", self.name, node)
            self.recorder.event(pod, "Normal", "Started", f"Started container {c}", self.name, node)
        self._run_mains(key, new, rt, sorted(again))
        if rt.exits:
            self._exited(new, rt, now)
        else:
            st = new["status"]
            self._set_ready(st, all(cs.get("ready") for cs in st.get("containerStatuses") or []), now, new)
        self.store.update(new, owned=True)

    def _set_ready(self, st: dict, ready: bool, now: str, pod: dict) -> None:
        if ready:
            for ctype in ("Ready", "ContainersReady"):
                set_condition(st, ctype, "True", now)
        else:
            unready = ", ".join(s["name"] for s in st.get("containerStatuses") or [] if not s.get("ready"))
            for ctype in ("Ready", "ContainersReady"):
                set_condition(st, ctype, "False", now, reason="ContainersNotReady",
                              message=f"containers with unready status: [{unready}]")
        _order_conditions(st)

    def _stop(self, key: str, pod: dict, rt: _PodRuntime) -> None:
        """A graceful deletion, as the kubelet runs it (SyncTerminatingPod): SIGTERM to every
        running container (`Killing`); each ends as its process does (`on_sigterm`: nginx at
        once with 0, a shell or a `sleep` when the grace period is over, killed: 137). Once all
        have ended the kubelet reports them terminated -- not ready, the phase still Running
        while the pod's resources are released (the status manager holds the terminal phase
        back), so `get -w` shows `0/1 Terminating` -- then the terminal phase (`0/1
        Completed`, or `Error`), and only then deletes the pod for good (grace period 0)."""
        if rt.stage == "stopping":
            if rt.stops is not None:
                self._report_stopped(pod, rt)
            self.api.delete_object("Pod", meta(pod).get("namespace") or "", meta(pod)["name"], grace=False)
            self.flow(self.name, pod, "deleted", "containers stopped")
            return
        seconds = TERMINATE_SECONDS
        if rt.stage in ("running",) or pod_phase(pod) == "Running":
            rt.stops = self._send_sigterm(pod)
            seconds = max((stop.after for stop in rt.stops.values()), default=0.0)
        rt.stage = "stopping"
        rt.stop_sent = self.clock.now()
        self._due(key, seconds)

    def _send_sigterm(self, pod: dict) -> dict[str, Stop]:
        """`Killing` for each container whose process runs, and how each will end."""
        md, node = meta(pod), pod["spec"]["nodeName"]
        grace = float(md.get("deletionGracePeriodSeconds") if md.get("deletionGracePeriodSeconds") is not None
                      else pod["spec"].get("terminationGracePeriodSeconds", 30))
        running = {cs.get("name"): cs for cs in (pod.get("status") or {}).get("containerStatuses") or []
                   if "running" in (cs.get("state") or {})}
        now = self.clock.now()
        stops = {}
        for ct in pod["spec"].get("containers") or []:
            cs = running.get(ct["name"])
            if cs is None:
                continue  # its process already ended (Completed, CrashLoopBackOff): nothing to stop
            self.recorder.event(pod, "Normal", "Killing", f"Stopping container {ct['name']}", self.name, node)
            started = parse_time(cs["state"]["running"].get("startedAt")) or now
            handles = workload_class(ct).handles_sigterm
            stops[ct["name"]] = on_sigterm(ct, handles, grace, (now - started).total_seconds())
        return stops

    def _report_stopped(self, pod: dict, rt: _PodRuntime) -> None:
        """The two status writes after the containers stopped: terminated and not ready with
        the phase held at Running, then the terminal phase (generateAPIPodStatus with
        podIsTerminal: Succeeded when every container exited 0, else Failed)."""
        stops, rt.stops = rt.stops or {}, None
        sent = rt.stop_sent or self.clock.now()
        now = self.clock.now_str()
        new = _next_version(pod)
        st = new["status"]
        codes = []
        for cs in st.get("containerStatuses") or []:
            state = cs.get("state") or {}
            stop = stops.get(cs["name"])
            if stop is not None:
                finished = (sent + timedelta(seconds=stop.after)).strftime("%Y-%m-%dT%H:%M:%SZ")
                cs["state"] = terminated(cs.get("containerID", ""), Exit(stop.code, stop.reason),
                                         state["running"].get("startedAt", now), finished)
            elif "waiting" in state and "terminated" in (cs.get("lastState") or {}):
                cs["state"] = cs["lastState"]  # (crash-looping: its last run is how it ended)
            elif "waiting" in state:
                cs["state"] = NEVER_STARTED  # (its image never came: the status manager's TerminatePod)
            cs["ready"], cs["started"] = False, False
            codes.append(((cs.get("state") or {}).get("terminated") or {}).get("exitCode", 0))
        _terminal_conditions(st, now)
        self.store.update(new, owned=True)
        final = _next_version(new)
        final["status"]["phase"] = "Succeeded" if all(c == 0 for c in codes) else "Failed"
        self.store.update(final, owned=True)


def _waiting_status(ct: dict, ensured: Ensured, old: dict) -> dict:
    """The status of a container whose image is not there: waiting with the image step's
    reason and message, not started, no image ID; across a new sandbox its restart count
    grows only if it had run (a container never created is no restart)."""
    count = int(old.get("restartCount") or 0) + (1 if "terminated" in (old.get("state") or {}) else 0)
    return {"image": ct.get("image", ""), "imageID": "", "lastState": shared(_last_state(old)), "name": ct["name"],
            "ready": False, "restartCount": count, "started": False, "state": waiting_state(ensured)}


def _image_changed(pod: dict, waits: dict[str, Ensured]) -> bool:
    """A waiting container's image was changed in the spec (`kubectl set image pod/...`)."""
    return any(ct.get("image", "") != waits[ct["name"]].image
               for ct in pod["spec"].get("containers") or [] if ct.get("name") in waits)


def _terminal_conditions(st: dict, now: str) -> None:
    """The conditions of a pod whose containers all ended for good (the sandbox gone)."""
    set_condition(st, "PodReadyToStartContainers", "False", now)
    for ctype, val in (("Initialized", "True"), ("Ready", "False"), ("ContainersReady", "False")):
        set_condition(st, ctype, val, now, reason="PodCompleted")
    _order_conditions(st)


_CONDITION_ORDER = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]


def _order_conditions(st: dict) -> None:
    st["conditions"] = [shared(c) for c in sorted(
        st.get("conditions") or [],
        key=lambda c: _CONDITION_ORDER.index(c["type"]) if c["type"] in _CONDITION_ORDER else 99)]


def _last_state(status: dict) -> dict:
    """A container status's last termination once it starts again: how it just ended, or
    (it was waiting to restart) the ending it already kept."""
    state = status.get("state") or {}
    return state if "terminated" in state else dict(status.get("lastState") or {})


def _running_containers(pod: dict) -> set[str]:
    """The containers whose process runs."""
    return {cs.get("name") for cs in (pod.get("status") or {}).get("containerStatuses") or []
            if "running" in (cs.get("state") or {})}


def _ended_containers(pod: dict) -> set[str]:
    """The containers whose process is not running (it ended: Completed, CrashLoopBackOff)."""
    return {cs.get("name") for cs in (pod.get("status") or {}).get("containerStatuses") or []
            if "running" not in (cs.get("state") or {})}


def probe_failure(pod: dict, kind: str = "readinessProbe", container: str | None = None) -> str | None:
    """The kubelet's `Unhealthy` message for a probe that fails because the app does not
    answer, by the first (or the named) container's probe of `kind`; None when no container
    has such a probe (no prober runs)."""
    for ct in pod["spec"].get("containers") or []:
        probe = ct.get(kind)
        if (container is None or ct.get("name") == container) and isinstance(probe, dict):
            return unhealthy(kind, refused(pod, ct, probe))
    return None
