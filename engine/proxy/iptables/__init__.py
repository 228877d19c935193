"""kube-proxy's iptables mode (``pkg/proxy/iptables``); import from the modules.

* ``proxier`` — ``IPTablesProxier``: ``syncProxyRules``, full and KEP-3453 partial syncs.
* ``partial`` — ``IncrementalProxier``: the same proxier with an O(changed) partial sync.
* ``rules`` — the rules of one Service port (SVC/SVL/EXT/FW/SEP chains, entry rules).
* ``chains`` — chain names and their hashes.
* ``netfilter`` — a model of the node's tables, fed ``iptables-restore`` input.
* ``normalize`` — one rule as ``iptables-save`` prints it (the kernel's form).
* ``save`` — the ``iptables-save`` text of the tables.
* ``savelines`` — that text kept per chain between syncs (the dashboard's pane).
* ``servicechains`` — the chains a Service or a pod uses (what a selection lights up).
"""
