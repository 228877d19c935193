"""kube-proxy's iptables mode: the proxier, its partial sync, and the iptables-save form."""
