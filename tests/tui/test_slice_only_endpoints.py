"""The Endpoints / EndpointSlices pane lists a selector-less Service whose EndpointSlice was
written by hand (tester5 #10): kube-proxy and CoreDNS read the slice alone, so the pane
shows its addresses (as `kubectl get endpoints` lays them out) and the hint names both kinds."""
from __future__ import annotations

from engine.cluster.cluster import Cluster
from engine.views import panes as views
from tests.helpers import apply_yaml

MANUAL = """apiVersion: v1
kind: Service
metadata: {name: manual}
spec: {ports: [{name: web, port: 8080, targetPort: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: manual-1, labels: {kubernetes.io/service-name: manual}}
addressType: IPv4
ports: [{name: web, port: 80, protocol: TCP}]
endpoints:
- addresses: [10.244.1.2]
  conditions: {ready: true}
- addresses: [10.244.2.9]
  conditions: {ready: false}
"""


def test_a_hand_written_slice_has_its_row_and_the_hint_names_both_kinds():
    c = Cluster(deterministic=True)
    apply_yaml(c, MANUAL)
    rows = {r.key: r.cells for r in views.endpoint_rows(c, "default")}
    assert rows["default/manual"] == ("manual", "10.244.1.2:80", "10.244.2.9", "manual-1")
    assert views.explain_selection(c, c.get("Service", "default", "manual")) == [
        "no selector: endpoints come from an Endpoints object or EndpointSlice you write yourself"]
    # all namespaces: named with its namespace, as the other rows
    assert ("default/manual", "10.244.1.2:80", "10.244.2.9", "manual-1") in [r.cells for r in views.endpoint_rows(c, None)]
