"""The packet walk reads the very iptables-save text the rules pane prints; its words must be
the ones a shell (iptables-restore's own tokenizer) sees, quotes and escapes included."""
from __future__ import annotations

import shlex

from engine.cluster.cluster import Cluster
from engine.kubectl.session import Session
from engine.net.iptables_walk import save_words


def test_every_rule_of_every_node_splits_as_the_shell_splits_it():
    c = Cluster(deterministic=True)
    s = Session(c, settle=True)
    s.feed("generate services 50")
    s.feed("kubectl create service nodeport web --tcp=80:8080")
    lines = [line for n in c.topology.nodes for line in c.kube_proxy.iptables_save(n.name).splitlines()
             if line.startswith("-A ")]
    assert any('"' in line for line in lines)  # comments with spaces are quoted
    assert [save_words(line) for line in lines] == [tuple(shlex.split(line)) for line in lines]


def test_quoted_words_with_escapes_and_empty_strings():
    for line in ('-A X -m comment --comment "a \\"quoted\\" \\\\ word" -j ACCEPT',
                 '-A X -m comment --comment "" -j Y',
                 '-A X -m comment --comment "ns/svc:http cluster IP" -d 10.96.0.1/32 -j Z'):
        assert save_words(line) == tuple(shlex.split(line)), line
