"""Normalizing a rule into what iptables-save prints has fast paths for what kube-proxy
writes: rules without backslashes are split as the character-by-character path splits them
(quotes, open quotes, empty quotes and all whitespace included), and a host address
written as a plain dotted quad is stored as ipaddress would make it -- the `/` filter and
`iptables-save` show what they return."""
from __future__ import annotations

import ipaddress
import random

from engine.proxy.iptables.normalize import _addr, _split_escaped, split_args


def test_the_fast_split_equals_the_character_by_character_one_on_any_rule_without_backslashes():
    rng = random.Random(7)
    alphabet = ['a', 'b', '-', ' ', ' ', '\t', '"', '"', '\n', '\x0b', '\u00a0', '/', ':']
    for _ in range(20_000):
        spec = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        assert split_args(spec) == _split_escaped(spec), repr(spec)


def test_kube_proxy_rules_split_into_their_arguments():
    assert split_args('-m comment --comment "default/redis:redis cluster IP" -j KUBE-SVC-X') == [
        "-m", "comment", "--comment", "default/redis:redis cluster IP", "-j", "KUBE-SVC-X"]
    assert split_args('--comment ""  -j  X') == ["--comment", "", "-j", "X"]
    assert split_args('--comment "open to the end') == ["--comment", "open to the end"]
    assert split_args(r'--comment "a \"quoted\" word" -j X') == ["--comment", 'a "quoted" word', "-j", "X"]


def test_a_host_address_is_stored_as_ipaddress_stores_it_whichever_way_it_is_written():
    rng = random.Random(11)
    octets = ["0", "1", "9", "10", "99", "100", "255", "256", "01", "00", "300", "1a", "²"]
    for _ in range(5_000):
        addr = ".".join(rng.choice(octets) for _ in range(rng.choice([3, 4, 4, 4, 5])))
        for value in (addr, addr + "/32", addr + "/24", addr + "/255.255.255.255"):
            try:
                want = str(ipaddress.ip_network(f"{ipaddress.ip_address(addr)}/{value.partition('/')[2] or 32}",
                                                strict=False)).replace(" ", "")
            except ValueError:
                want = value  # (not an address: kept as written, iptables would resolve a name)
            assert _addr(value, "IPv4") == want, value
