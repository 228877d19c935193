"""The host's `docker` for kind's node containers: `docker stop kind-worker` is how one takes a
kind node down (`docker start` brings it back), the classic "what happens to my Service when
a node dies" experiment. Only the node containers exist here, and only stop, start and
restart; the control-plane node is refused (svcflow keeps its API server and controllers
running: stopping it would stop the dashboard's cluster, not show anything)."""
from __future__ import annotations

from engine.cluster.cluster import Cluster
from engine.kubectl.commands import Output

USAGE = "usage: docker stop|start|restart NODE...  (svcflow simulates kind's node containers only)\n"


def docker(cluster: Cluster, args: list[str]) -> Output:
    if cluster.mirror:  # (attached: the nodes are someone's real machines, reached only through the API)
        return Output(stderr="svcflow is attached read-only: it does not run docker on the cluster's machines\n",
                      code=1)
    if not args or args[0] not in ("stop", "start", "restart"):
        return Output(stderr=USAGE, code=1)
    verb, names = args[0], [a for a in args[1:] if not a.startswith("-")]
    if not names:
        return Output(stderr=f'"docker {verb}" requires at least 1 argument.\n'
                             f"See 'docker {verb} --help'.\n\nUsage:  docker {verb} [OPTIONS] CONTAINER [CONTAINER...]\n",
                      code=1)
    out = Output()
    for name in names:
        if cluster.machines.get(name) is None:
            out.stderr += f"Error response from daemon: No such container: {name}\n"
            out.code = 1
            continue
        if name == cluster.topology.control_plane.name and verb != "start":
            out.stderr += (f"svcflow: {name} runs the API server and the controllers, which svcflow keeps "
                           "running; stop a worker node instead\n")
            out.code = 1
            continue
        if verb in ("stop", "restart") and cluster.machines.running(name):
            cluster.stop_machine(name)
        if verb in ("start", "restart") and not cluster.machines.running(name):
            cluster.start_machine(name)
        out.stdout += f"{name}\n"
    return out
