"""Kubernetes' well-known labels and annotations (k8s.io/api/discovery/v1, core/v1 and
kubectl's own), named once: every controller, printer and view that reads one of them
imports it from here, so a typo cannot make two components disagree."""
from __future__ import annotations

# discovery.k8s.io/v1 (well_known_labels.go)
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
# core/v1 (well_known_labels.go, annotation_key_constants.go)
HEADLESS_LABEL = "service.kubernetes.io/headless"
ZONE_LABEL = "topology.kubernetes.io/zone"
TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time"
MIRROR_POD_ANNOTATION = "kubernetes.io/config.mirror"
NODE_ROLE_LABEL = "kubernetes.io/role"
# kubectl
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# apps/v1 (deployment_util.go)
REVISION = "deployment.kubernetes.io/revision"
# apps/v1 (types.go): a DaemonSet's template generation, as apps/v1 serves the internal
# spec.templateGeneration, and the label its controller puts on each pod it makes
TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"
POD_TEMPLATE_GENERATION_LABEL = "pod-template-generation"

#: The projected ServiceAccount token volume admission adds to each pod, named with a random
#: suffix (`kube-api-access-xxxxx`), mounted in every container.
SERVICE_ACCOUNT_VOLUME_PREFIX = "kube-api-access-"
