"""kube-proxy's building blocks shared by its modes: one ProxierConfig, one
NodePortAddresses, the BoundedFrequencyRunner."""
from __future__ import annotations

from engine.proxy.config import LocalDetector, ProxierConfig
from engine.proxy.iptables.proxier import IPTablesProxier
from engine.proxy.ipvs import IPVSProxier
from engine.proxy.nftables import NFTablesProxier
from engine.proxy.nodeports import NodePortAddresses
from engine.proxy.runner import BoundedFrequencyRunner

KIND_WORKER = ProxierConfig(node_name="kind-worker", node_ips=["172.18.0.3"], cluster_cidr="10.244.0.0/16",
                            service_cidrs=("10.96.0.0/16",))


def test_one_config_drives_all_three_modes():
    for proxier in (IPTablesProxier(KIND_WORKER), IPVSProxier(KIND_WORKER), NFTablesProxier(KIND_WORKER)):
        assert proxier.config is KIND_WORKER


def test_the_mark_is_formatted_as_kube_proxy_does_unless_the_fake_injects_one():
    assert ProxierConfig().masquerade_mark == "0x00004000"
    assert ProxierConfig(masquerade_bit=15).masquerade_mark == "0x00008000"
    assert ProxierConfig.upstream_test_fake().masquerade_mark == "0x4000"
    assert ProxierConfig.from_mapping({"masqueradeBit": 15}).masquerade_mark == "0x00008000"


def test_node_addresses_of_the_family_the_primary_ip_and_the_local_detector():
    cfg = ProxierConfig(node_ips=["127.0.0.1/8", "::1/128", "192.168.0.2/24", "192.168.0.2", "2001:db8::1/64"],
                        cluster_cidr="fd00:10::/64, 10.0.0.0/8")
    assert cfg.family_node_ips() == ["127.0.0.1", "192.168.0.2"]
    assert cfg.primary_node_ip() == "192.168.0.2"  # loopback is never the node IP
    assert cfg.detector() == LocalDetector("ClusterCIDR", "10.0.0.0/8")
    assert str(cfg.local_cidr()) == "10.0.0.0/8"
    v6 = ProxierConfig(node_ips=cfg.node_ips, cluster_cidr=cfg.cluster_cidr, ip_family="IPv6")
    assert v6.family_node_ips() == ["::1", "2001:db8::1"] and v6.primary_node_ip() == "2001:db8::1"
    assert v6.detector() == LocalDetector("ClusterCIDR", "fd00:10::/64")
    assert ProxierConfig(node_ip="10.1.1.1", node_ips=["192.168.0.2"]).primary_node_ip() == "10.1.1.1"


def test_nodeport_addresses_keep_their_family_and_match_everything_when_none_is_left():
    npa = NodePortAddresses("IPv4", ["2001:db8::/64"])
    assert npa.match_all and npa.cidr_strings == ["0.0.0.0/0"]
    npa = NodePortAddresses("IPv4", ["192.168.0.0/24", "127.0.0.1/32", "2001:db8::/64"])
    assert not npa.match_all and npa.contains_ipv4_loopback
    assert npa.node_ips(["192.168.0.2", "10.0.0.1", "127.0.0.1", "192.168.0.2", "2001:db8::1"]) == [
        "192.168.0.2", "127.0.0.1"]
    npa = NodePortAddresses("IPv4", ["192.168.0.0/24", "0.0.0.0/0"])
    assert npa.match_all and [str(c) for c in npa.cidrs] == ["0.0.0.0/0"]


def test_primary_nodeport_addresses_are_the_node_ip_and_nftables_default_to_them():
    cfg = ProxierConfig(node_ips=["127.0.0.1", "172.18.0.3", "172.18.0.4"], node_port_addresses=["primary"])
    npa = NodePortAddresses.of_config(cfg)
    assert [str(c) for c in npa.cidrs] == ["172.18.0.3/32"]
    unset = ProxierConfig(node_ips=cfg.node_ips)
    assert NodePortAddresses.of_config(unset).match_all  # iptables and ipvs: every address
    assert [str(c) for c in NodePortAddresses.of_config(unset, default_primary=True).cidrs] == ["172.18.0.3/32"]


def test_the_runner_lets_a_burst_through_then_one_sync_per_min_sync_period():
    timers: list[tuple[float, object]] = []
    retries: list[int] = []
    runner = BoundedFrequencyRunner(lambda secs, fn: timers.append((secs, fn)) or fn, lambda: retries.append(1))
    assert runner.may_run(0.0, unlimited=True)  # the first sync takes no token
    assert runner.may_run(0.0) and runner.may_run(0.0)  # burstSyncs = 2
    assert not runner.may_run(0.0) and timers[-1][0] == 1.0  # the third waits a minSyncPeriod
    assert not runner.may_run(0.5) and len(timers) == 1  # already scheduled: it will see this change
    timers[-1][1]()  # due
    assert retries == [1]
    assert runner.may_run(1.0)  # one token refilled in that second
    assert runner.may_run(5.0) and runner.may_run(5.0) and not runner.may_run(5.0)  # refilled up to the burst only
