"""The simulated Kubernetes control plane: API store, controllers, kube-proxy, CoreDNS.

Nothing in this package imports Textual: the CLI, the tests and the dashboard all drive it
the same way, and it stays fast to import.
"""
