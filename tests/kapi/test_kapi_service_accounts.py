"""ServiceAccounts, their admission and the kubelet's mounts through the REAL kubectl against
`svcflow serve` (kubectl's own printers and describers are the oracle): `get sa`, `describe sa`,
a pod refused for a missing account, and CoreDNS's pods with kind's volumes and probes."""
from __future__ import annotations

import re

from engine.kubectl import commands, dns
from tests.helpers import SAMPLES
from tests.served import Kubectl, ServedCluster, require_kubectl, served_samples

served = served_samples()


async def test_get_and_describe_service_accounts(kubectl):
    code, out, err = await kubectl("get", "sa")
    assert (code, err) == (0, "")
    assert re.fullmatch(r"NAME      SECRETS   AGE\ndefault   0         \S+\n", out), out
    code, out, err = await kubectl("get", "serviceaccounts", "-n", "kube-system", "-o", "name")
    assert (code, err) == (0, "")
    assert {"serviceaccount/coredns", "serviceaccount/default", "serviceaccount/kindnet",
            "serviceaccount/kube-proxy"} <= set(out.split())
    code, out, err = await kubectl("describe", "sa", "default")
    assert (code, err) == (0, "")
    assert out == ("Name:                default\nNamespace:           default\nLabels:              <none>\n"
                   "Annotations:         <none>\nImage pull secrets:  <none>\nMountable secrets:   <none>\n"
                   "Tokens:              <none>\nEvents:              <none>\n")


async def test_create_sa_and_a_pod_that_names_a_missing_one(kubectl, tmp_path):
    pod = tmp_path / "pod.yaml"
    pod.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: robot}\n"
                   "spec: {serviceAccountName: robot, containers: [{name: c, image: nginx}]}\n")
    code, out, err = await kubectl("apply", "-f", str(pod))
    assert code == 1 and err == (f'Error from server (Forbidden): error when creating "{pod}": pods "robot" is '
                                 'forbidden: error looking up service account default/robot: serviceaccount '
                                 '"robot" not found\n')
    assert await kubectl("create", "sa", "robot") == (0, "serviceaccount/robot created\n", "")
    code, out, err = await kubectl("apply", "-f", str(pod))
    assert (code, out, err) == (0, "pod/robot created\n", "")
    code, out, err = await kubectl("get", "pod", "robot", "-o",
                                   "jsonpath={.spec.serviceAccountName} {.spec.serviceAccount} "
                                   "{.spec.volumes[0].name} {.spec.containers[0].volumeMounts[0].mountPath}")
    assert code == 0, err
    assert re.fullmatch(r"robot robot kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5} "
                        r"/var/run/secrets/kubernetes.io/serviceaccount", out), out
    assert (await kubectl("delete", "pod", "robot", "--wait=false"))[0] == 0


async def test_describe_a_coredns_pod_reads_like_kinds(served, kubectl):
    name = served.pod("kube-system", "coredns-")
    code, out, err = await kubectl("describe", "pod", name, "-n", "kube-system")
    assert (code, err) == (0, "")
    assert "Service Account:      coredns\n" in out
    assert ("    Liveness:     http-get http://:8080/health delay=60s timeout=5s period=10s #success=1 #failure=5\n"
            in out)
    assert re.search(r"    Mounts:\n      /etc/coredns from config-volume \(ro\)\n"
                     r"      /var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-\w{5} \(ro\)\n", out)
    assert re.search(r"Volumes:\n  config-volume:\n    Type:      ConfigMap \(a volume populated by a ConfigMap\)\n"
                     r"    Name:      coredns\n    Optional:  false\n  kube-api-access-\w{5}:\n"
                     r"    Type:                    Projected \(a volume that contains injected data from multiple "
                     r"sources\)\n    TokenExpirationSeconds:  3607\n    ConfigMapName:           kube-root-ca.crt\n", out)
    assert re.search(r"Tolerations:                 CriticalAddonsOnly op=Exists\n"
                     r" +node-role.kubernetes.io/control-plane:NoSchedule\n"
                     r" +node.kubernetes.io/not-ready:NoExecute op=Exists for 300s\n"
                     r" +node.kubernetes.io/unreachable:NoExecute op=Exists for 300s\n", out)
    # svcflow's own describe prints the same (the events' ages aside: kubectl counts from wall time)
    code, own, err = served.svcflow(lambda c: commands.describe(c, ["pod", name], namespace="kube-system"))
    assert (code, err) == (0, "") and own.split("Events:")[0] == out.split("Events:")[0]


async def test_a_pod_whose_config_map_is_missing_waits_in_container_creating(served, kubectl, tmp_path):
    pod = tmp_path / "mount.yaml"
    pod.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: mount}\n"
                   "spec:\n  containers: [{name: c, image: nginx, volumeMounts: [{name: conf, mountPath: /conf}]}]\n"
                   "  volumes: [{name: conf, configMap: {name: settings}}]\n")
    assert await kubectl("apply", "-f", str(pod)) == (0, "pod/mount created\n", "")
    served.call(lambda: served.cluster.run_for(10))
    code, out, err = await kubectl("get", "pod", "mount")
    assert code == 0 and re.fullmatch(r"NAME    READY   STATUS              RESTARTS   AGE\n"
                                      r"mount   0/1     ContainerCreating   0          \S+\n", out), out
    code, out, err = await kubectl("describe", "pod", "mount")
    assert re.search(r"  Warning  FailedMount  \S+ \(x5 over \S+\)  kubelet +MountVolume.SetUp failed for volume "
                     r'"conf" : configmap "settings" not found\n', out), out
    assert await kubectl("create", "configmap", "settings", "--from-literal=a=b") == (
        0, "configmap/settings created\n", "")
    served.call(lambda: served.cluster.run_for(20))
    code, out, err = await kubectl("get", "pod", "mount", "-o", "jsonpath={.status.phase}")
    assert (code, out) == (0, "Running")
    assert (await kubectl("delete", "pod", "mount", "--wait=false"))[0] == 0


async def test_the_learner_experiment_through_kubectl(tmp_path):
    """tester3 #11: delete the coredns ConfigMap and restart CoreDNS; the new pods wait in
    ContainerCreating, one old pod keeps answering, and the ConfigMap back heals it."""
    require_kubectl()
    s = ServedCluster([SAMPLES], tmp_path)
    try:
        kubectl = Kubectl(s, tmp_path)
        corefile = s.call(lambda: s.cluster.coredns.config.corefile())
        assert await kubectl("delete", "cm", "coredns", "-n", "kube-system") == (
            0, 'configmap "coredns" deleted\n', "")
        assert await kubectl("rollout", "restart", "deploy/coredns", "-n", "kube-system") == (
            0, "deployment.apps/coredns restarted\n", "")
        s.call(lambda: s.cluster.run_for(30))
        code, out, err = await kubectl("get", "po", "-n", "kube-system", "-l", "k8s-app=kube-dns", "--no-headers")
        rows = sorted(line.split()[1:3] for line in out.splitlines())
        assert rows == [["0/1", "ContainerCreating"], ["0/1", "ContainerCreating"], ["1/1", "Running"]], out
        code, out, err = await kubectl("get", "events", "-n", "kube-system", "--field-selector", "reason=FailedMount",
                                       "-o", "jsonpath={.items[*].message}")
        assert out.count('MountVolume.SetUp failed for volume "config-volume" : configmap "coredns" not found') == 2
        assert s.svcflow(lambda c: dns.dig(c, "kubernetes.default.svc.cluster.local"))[0] == 0
        (tmp_path / "cm.yaml").write_text(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: coredns, namespace: kube-system}\ndata:\n  Corefile: |\n"
            + "".join(f"    {line}\n" for line in corefile.splitlines()))
        assert (await kubectl("apply", "-f", str(tmp_path / "cm.yaml")))[0] == 0
        s.call(lambda: s.cluster.run_for(130))
        code, out, err = await kubectl("get", "po", "-n", "kube-system", "-l", "k8s-app=kube-dns", "--no-headers")
        assert sorted(line.split()[1:3] for line in out.splitlines()) == [["1/1", "Running"], ["1/1", "Running"]]
    finally:
        s.close()
