"""Reading manifests from disk the way `kubectl apply -f` does."""
