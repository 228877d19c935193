"""kube-proxy: the per-node controller and the proxiers of its three modes.

Import names from the module that owns them; this package exports nothing.

* ``controller`` — the per-node kube-proxy controller: watches Services and
  EndpointSlices, syncs each node's proxier (step 3 of the Service flow).
* ``runner`` — ``BoundedFrequencyRunner``: ``minSyncPeriod`` and burst rate limiting.
* ``steps`` — a long computation as a generator of steps (a full sync a slice at a time).
* ``config`` — ``ProxierConfig`` (the node and the mode-independent flags of
  ``KubeProxyConfiguration``) and ``LocalDetector`` (``--detect-local-mode``).
* ``nodeports`` — ``NodePortAddresses`` (``--nodeport-addresses``).
* ``model`` — Service ports, endpoints and their categorization (topology, traffic
  policies), shared by every mode.
* ``ipnet`` — IP parsing and printing as kube-proxy does it (``ParseIPSloppy``).
* ``iptables/`` — iptables mode: proxier, partial sync, tables, ``iptables-save``.
* ``ipvs`` / ``nftables`` — the ipvs and nftables proxiers (one upstream file each);
  ``modes`` runs them per node inside the simulated cluster.
"""
