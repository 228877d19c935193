"""From a folder of manifests to a running cluster, kept in step as files change."""
