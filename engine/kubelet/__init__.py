"""The kubelet: pods started on nodes, their environment and resolv.conf."""
