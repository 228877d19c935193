"""CoreDNS inside the simulated cluster: the tutorial's names resolve from its pods."""
from __future__ import annotations

import re

from engine.kubelet import env as kubeenv
from engine.kubectl import dns as dnstools
from engine.cluster.cluster import Cluster
from engine.dns.resolver import ADDRESS, resolve
from tests.helpers import apply_yaml, sample


def _cluster() -> Cluster:
    c = Cluster(deterministic=True)
    apply_yaml(c, sample("counter-redis-svc.yml"))
    apply_yaml(c, sample("counter-app.yml"))
    return c


def _pod(c: Cluster, prefix: str, ns: str = "default") -> dict:
    return next(p for p in c.store.list("Pod", ns) if p["metadata"]["name"].startswith(prefix))


def test_redis_resolves_by_short_and_full_name_from_the_counter_pod():
    c = _cluster()
    ip = c.get("Service", "default", "redis")["spec"]["clusterIP"]
    conf = kubeenv.pod_resolv_conf(c.topology, _pod(c, "counter-"))
    assert conf == "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n"
    short = resolve("redis", ADDRESS, conf, c.coredns.plugin)
    assert short.tried[0] == "redis.default.svc.cluster.local" and short.addresses == [ip]
    full = resolve("redis.default.svc.cluster.local", ADDRESS, conf, c.coredns.plugin)
    assert full.addresses == [ip]


def test_another_namespace_needs_the_namespace_in_the_name():
    c = _cluster()
    apply_yaml(c, "apiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n---\n"
                  "apiVersion: v1\nkind: Pod\nmetadata: {name: box, namespace: other}\n"
                  "spec: {containers: [{name: c, image: busybox}]}\n")
    conf = kubeenv.pod_resolv_conf(c.topology, c.get("Pod", "other", "box"))
    ip = c.get("Service", "default", "redis")["spec"]["clusterIP"]
    miss = resolve("redis", ADDRESS, conf, c.coredns.plugin)
    assert not miss.found
    hit = resolve("redis.default", ADDRESS, conf, c.coredns.plugin)
    assert hit.tried[:2] == ["redis.default.other.svc.cluster.local", "redis.default.svc.cluster.local"]
    assert hit.addresses == [ip]


def test_dig_from_pod_lists_each_name_tried():
    c = _cluster()
    out = dnstools.dig(c, "kube-dns.kube-system", from_pod=_pod(c, "counter-")["metadata"]["name"])
    assert ";; tried kube-dns.kube-system.default.svc.cluster.local: NXDOMAIN" in out.stdout
    assert ";; tried kube-dns.kube-system.svc.cluster.local: NOERROR <- answer" in out.stdout
    assert re.search(r"^kube-dns\.kube-system\.svc\.cluster\.local\.\s+30\s+IN\s+A\s+10\.96\.0\.10$", out.stdout, re.M)


def test_deleting_a_service_removes_its_name():
    c = _cluster()
    assert "status: NOERROR" in dnstools.dig(c, "redis.default.svc.cluster.local").stdout
    c.api.delete_object("Service", "default", "redis")
    c.run_until_idle()
    assert "status: NXDOMAIN" in dnstools.dig(c, "redis.default.svc.cluster.local").stdout
    assert not any(r[0].startswith("redis.default.") for r in c.coredns.record_rows())


def test_step_four_names_the_record():
    c = _cluster()
    ip = c.get("Service", "default", "redis")["spec"]["clusterIP"]
    step4 = [e for e in c.flow_events if e.step == 4 and e.name == "redis"]
    assert step4[0].detail == f"serves redis.default.svc.cluster.local -> {ip}"


def test_the_dns_pane_lists_a_namespace_or_all_of_them_and_follows_changes():
    from engine.views import dataplane
    from engine.kubectl import commands as kubectl
    from engine.views import panes as views

    c = _cluster()
    apply_yaml(c, "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n"
                  "apiVersion: v1\nkind: Service\nmetadata: {name: cart, namespace: shop}\n"
                  "spec: {selector: {app: cart}, ports: [{port: 80, name: http}]}\n")
    default = [r.cells[0] for r in views.dns_rows(c, "default")]
    shop = [r.cells[0] for r in views.dns_rows(c, "shop")]
    assert "redis.default.svc.cluster.local." in default and not any(".shop." in n for n in default)
    assert "cart.shop.svc.cluster.local." in shop and "_http._tcp.cart.shop.svc.cluster.local." in shop
    assert views.dns_rows(c, None) == dataplane.dns_rows(c, None)  # all namespaces, as one listing
    assert any(".kube-system." in r.cells[0] for r in views.dns_rows(c, None))
    shop_rows = views.dns_rows(c, "shop")
    kubectl.run_line(c, "kubectl delete service redis")
    c.run_until_idle()
    assert views.dns_rows(c, "shop") is shop_rows  # another namespace's change re-lists nothing here
    assert not any(r.cells[0].startswith("redis.") for r in views.dns_rows(c, "default"))
    assert views.dns_rows(c, None) == dataplane.dns_rows(c, None)
