"""Cluster DNS, a map of the folder:

- `coredns`: the CoreDNS controller (step 4 of the Service flow): pods behind kube-dns.
- `zone`: CoreDNS's `kubernetes` plugin as a pure library (`KubernetesPlugin`).
- `records`: response codes, RRs, responses, zone records, record changes.
- `corefile`: `CoreDNSConfig`, the plugin's settings as kubeadm's Corefile writes them.
- `resolver`: a pod's stub resolver (resolv.conf, search list, ndots).
- `dig`: replies as `dig` (BIND 9.18) and busybox `nslookup` print them.
- `wire`: message sizes and UDP truncation; `names`: domain-name helpers.

Pure library except `coredns`: no I/O, no randomness unless the caller passes an `rng`.
"""
