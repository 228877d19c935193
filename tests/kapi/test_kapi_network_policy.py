"""NetworkPolicy through the REAL kubectl against `svcflow serve` (kubectl's own printers,
describer and error formatting are the oracle): apply with upstream's defaults, `get netpol`
(-A), `describe netpol` byte for byte against svcflow's own, validation's words, and the
policy taking effect on the served cluster's traffic."""
from __future__ import annotations

import re

from engine.kubectl import commands
from tests.served import served_samples

served = served_samples()

POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: redis-from-counter
  labels: {app: counter}
spec:
  podSelector:
    matchLabels: {app: counter}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: counter}}
    - namespaceSelector: {matchLabels: {team: a}}
      podSelector: {matchExpressions: [{key: app, operator: In, values: [x, z]}]}
    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16, 10.2.0.0/16]}
    ports:
    - port: 6379
    - port: redis
    - {port: 7000, endPort: 7100, protocol: UDP}
  - {}
  egress:
  - to: [{namespaceSelector: {}}]
    ports: [{port: 53, protocol: UDP}]
"""

DENY_ALL = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny-all}\nspec: {podSelector: {}}\n"


async def test_apply_get_and_describe_network_policies(served, kubectl, tmp_path):
    path = tmp_path / "np.yaml"
    path.write_text(POLICY + "---\n" + DENY_ALL)
    assert await kubectl("apply", "-f", str(path)) == (
        0, "networkpolicy.networking.k8s.io/redis-from-counter created\n"
           "networkpolicy.networking.k8s.io/deny-all created\n", "")
    code, out, err = await kubectl("get", "netpol")
    assert (code, err) == (0, "")
    assert re.fullmatch(r"NAME                 POD-SELECTOR   AGE\n"
                        r"deny-all             <none>         \S+\n"
                        r"redis-from-counter   app=counter    \S+\n", out), out
    code, out, err = await kubectl("get", "networkpolicies", "-A")
    assert code == 0 and out.startswith("NAMESPACE   NAME                 POD-SELECTOR   AGE\ndefault     deny-all  ")
    # upstream's defaults: policyTypes from the rules given, a port's protocol TCP
    code, out, err = await kubectl("get", "netpol", "deny-all", "-o", "jsonpath={.spec}")
    assert (code, out) == (0, '{"podSelector":{},"policyTypes":["Ingress"]}'), err
    code, out, err = await kubectl("get", "netpol", "redis-from-counter", "-o",
                                   "jsonpath={.spec.policyTypes} {.spec.ingress[0].ports[1]} {.metadata.generation}")
    assert (code, out) == (0, '["Ingress","Egress"] {"port":"redis","protocol":"TCP"} 1'), err
    for name in ("redis-from-counter", "deny-all"):
        code, out, err = await kubectl("describe", "netpol", name)
        assert (code, err) == (0, "")
        own = served.svcflow(lambda c: commands.describe(c, ["netpol", name], namespace="default"))
        assert own == (0, out, ""), (own, out)
    assert re.sub(r"Created on:   .*\n", "", out) == (
        "Name:         deny-all\nNamespace:    default\nLabels:       <none>\nAnnotations:  <none>\nSpec:\n"
        "  PodSelector:     <none> (Allowing the specific traffic to all pods in this namespace)\n"
        "  Allowing ingress traffic:\n    <none> (Selected pods are isolated for ingress connectivity)\n"
        "  Not affecting egress traffic\n  Policy Types: Ingress\n")
    code, out, err = await kubectl("describe", "netpol", "redis-from-counter")
    assert out.split("Spec:\n", 1)[1] == (
        "  PodSelector:     app=counter\n"
        "  Allowing ingress traffic:\n"
        "    To Port: 6379/TCP\n    To Port: redis/TCP\n    To Port Range: 7000-7100/UDP\n"
        "    From:\n      PodSelector: app=counter\n"
        "    From:\n      NamespaceSelector: team=a\n      PodSelector: app in (x,z)\n"
        "    From:\n      IPBlock:\n        CIDR: 10.0.0.0/8\n        Except: 10.1.0.0/16, 10.2.0.0/16\n"
        "    ----------\n"
        "    To Port: <any> (traffic allowed to all ports)\n    From: <any> (traffic not restricted by source)\n"
        "  Allowing egress traffic:\n    To Port: 53/UDP\n    To:\n      NamespaceSelector: <none>\n"
        "  Policy Types: Ingress, Egress\n")

    # the policies act on the served cluster: the counter's egress allows DNS only, so the name
    # resolves and the connection times out
    code, out, err = await kubectl("exec", "deploy/counter", "--", "sh", "-c", "nc -zv -w 2 redis 6379")
    assert (code, out) == (1, "") and re.fullmatch(
        r"nc: redis \(10\.96\.\d+\.\d+:6379\): Connection timed out\ncommand terminated with exit code 1\n", err), err
    assert await kubectl("delete", "-f", str(path)) == (
        0, 'networkpolicy.networking.k8s.io "redis-from-counter" deleted\n'
           'networkpolicy.networking.k8s.io "deny-all" deleted\n', "")
    code, out, err = await kubectl("exec", "deploy/counter", "--", "sh", "-c", "nc -zv -w 2 redis 6379")
    assert code == 0 and (out + err).endswith(":6379) open\n"), (out, err)


async def test_validation_speaks_upstreams_words(kubectl, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("""\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad}
spec:
  podSelector: {}
  ingress:
  - ports:
    - {port: 8080, endPort: 80}
    - {port: web, endPort: 90}
    - {endPort: 90, protocol: ICMP}
    from:
    - {}
    - ipBlock: {cidr: 10.0.0.0/8, except: [192.168.0.0/16, 10.0.0.0/8, nope]}
      podSelector: {}
  policyTypes: [Ingress, Sideways]
""")
    code, out, err = await kubectl("apply", "-f", str(path))
    assert (code, out) == (1, "")
    assert err == (
        'The NetworkPolicy "bad" is invalid: \n'
        "* spec.ingress[0].ports[0].endPort: Invalid value: 8080: must be greater than or equal to `port`\n"
        "* spec.ingress[0].ports[1].endPort: Invalid value: 90: may not be specified when `port` is non-numeric\n"
        '* spec.ingress[0].ports[2].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"\n'
        "* spec.ingress[0].ports[2].endPort: Invalid value: 90: may not be specified when `port` is not specified\n"
        "* spec.ingress[0].from[0]: Required value: must specify a peer\n"
        '* spec.ingress[0].from[1].ipBlock.except[0]: Invalid value: "192.168.0.0/16": must be a strict subset of `cidr`\n'
        '* spec.ingress[0].from[1].ipBlock.except[1]: Invalid value: "10.0.0.0/8": must be a strict subset of `cidr`\n'
        '* spec.ingress[0].from[1].ipBlock.except[2]: Invalid value: "nope": must be a valid CIDR value, '
        "(e.g. 10.9.8.0/24 or 2001:db8::/64)\n"
        "* spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer\n"
        '* spec.policyTypes[1]: Unsupported value: "Sideways": supported values: "Ingress", "Egress"\n'), err
    path.write_text("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad}\n"
                    "spec: {podSelector: {}, status: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, exept: []}}]}]}\n")
    code, out, err = await kubectl("apply", "-f", str(path))
    assert code == 1 and err == (
        f'Error from server (BadRequest): error when creating "{path}": NetworkPolicy in version "v1" cannot be '
        'handled as a NetworkPolicy: strict decoding error: unknown field "spec.ingress[0].from[0].ipBlock.exept", '
        'unknown field "spec.status"\n'), err
