"""Attaching svcflow to a real cluster, read-only (issue 18).

`client` (kubeconfig and authentication through the optional `kubernetes_asyncio`, raw GETs
only), `reflector` (list -> watch per kind, bookmarks, resume, relist on 410, backoff),
`source` (which kinds), `mirror` (the objects as they are in a simulated Cluster's store,
with only kube-proxy and CoreDNS running over them), `session` (snapshot or follow) and
`workspace` (what the dashboard drives).
"""
