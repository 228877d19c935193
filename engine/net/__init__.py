"""The simulated network: packets walk a node's kube-proxy rules to a pod's process."""
