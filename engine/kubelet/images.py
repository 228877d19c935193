"""Which images exist, and what the kubelet and containerd say about one that cannot be had.

svcflow has no registry to ask, so this module is its one answer to "can this image be
pulled": every image the samples, the tour, the tests and the usual tutorials use pulls; a
Docker Hub name that is not one of them but is a near miss of one (`ngnix`, `redsi`,
`busybx`: a typo) does not exist, and containerd says so as it does for a repository Docker
Hub does not have; any other image (a user's own `myorg/api:2.0`) pulls, since svcflow
cannot know a private registry and must not fail a manifest it has no reason to doubt.

A reference that does not parse at all (`Nginx`, `nginx:`) never reaches containerd: the
kubelet's applyDefaultImageTag rejects it first (InvalidImageName), with
github.com/distribution/reference's words, which this module reproduces (its grammar and
ParseNormalizedNamed's checks, in the order they run).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Iterator

DEFAULT_DOMAIN = "docker.io"
_LEGACY_DEFAULT_DOMAIN = "index.docker.io"
_OFFICIAL_PREFIX = "library/"
_NAME_TOTAL_LENGTH_MAX = 255

# distribution/reference's grammar (regexp.go)
_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_DOMAIN_AND_PORT = rf"{_HOST}(?::[0-9]+)?"
_NAME = rf"(?:{_DOMAIN_AND_PORT}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(rf"^({_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?$")
_IDENTIFIER = re.compile(r"^[a-f0-9]{64}$")

#: Docker Hub's official images (docker.io/library/...): real names, so that none of them
#: is ever taken for a typo of another (`mono` is not a misspelt `mongo`, `kong` exists).
_OFFICIAL = (
    "adminer aerospike almalinux alpine alt amazoncorretto amazonlinux arangodb archlinux backdrop bash "
    "bonita buildpack-deps busybox caddy cassandra centos chronograf cirros clearlinux clickhouse clojure "
    "composer consul convertigo couchbase couchdb crate dart debian docker drupal eclipse-mosquitto "
    "eclipse-temurin eggdrop elasticsearch elixir emqx erlang fedora flink fluentd friendica gazebo gcc "
    "geonetwork ghost golang gradle groovy haproxy haskell haxe hello-world hitch httpd hylang "
    "ibm-semeru-runtimes ibmjava influxdb irssi jetty jobber joomla jruby julia kapacitor kibana kong "
    "krakend lightstreamer liquibase logstash mageia mariadb matomo maven memcached mongo mongo-express "
    "monica mono mysql nats neo4j neurodebian nextcloud nginx node notary odoo open-liberty openjdk "
    "oraclelinux orientdb percona perl photon php php-zendserver phpmyadmin plone postfixadmin postgres "
    "pypy python r-base rabbitmq rakudo-star redis redmine registry rethinkdb rocket.chat rockylinux ruby "
    "rust sapmachine satosa silverpeas solr sonarqube spark spiped storm swift teamspeak telegraf tomcat "
    "tomee traefik ubuntu unit varnish vault websphere-liberty wordpress xwiki yourls znc zookeeper"
).split()

#: Images outside Docker Hub's library that tutorials, kind and svcflow's own samples use.
_OTHERS = (
    "docker.io/curlimages/curl", "docker.io/nicolaka/netshoot", "docker.io/hashicorp/http-echo",
    "docker.io/traefik/whoami", "docker.io/ealen/echo-server", "docker.io/kennethreitz/httpbin",
    "docker.io/mccutchen/go-httpbin", "docker.io/jmalloc/echo-server", "docker.io/containous/whoami",
    "docker.io/bitnami/redis", "docker.io/bitnami/nginx", "docker.io/bitnami/kubectl",
    "docker.io/bitnami/postgresql", "docker.io/bitnami/mongodb", "docker.io/rancher/local-path-provisioner",
    "docker.io/kindest/kindnetd", "docker.io/kindest/local-path-provisioner", "docker.io/kindest/node",
    "docker.io/fluent/fluent-bit", "docker.io/grafana/grafana", "docker.io/prom/prometheus",
    "docker.io/istio/proxyv2", "docker.io/library/agnhost",  # (bare `agnhost`, as svcflow's tests write it)
    "registry.k8s.io/e2e-test-images/agnhost", "registry.k8s.io/pause", "registry.k8s.io/coredns/coredns",
    "registry.k8s.io/kube-proxy", "registry.k8s.io/kube-apiserver", "registry.k8s.io/kube-controller-manager",
    "registry.k8s.io/kube-scheduler", "registry.k8s.io/etcd", "registry.k8s.io/echoserver",
    "registry.k8s.io/busybox", "registry.k8s.io/nginx-slim", "registry.k8s.io/ingress-nginx/controller",
    "registry.k8s.io/metrics-server/metrics-server", "registry.k8s.io/dns/dnsutils",
    "gcr.io/google-samples/hello-app", "gcr.io/google-samples/node-hello", "gcr.io/google_containers/echoserver",
    "gcr.io/kuar-demo/kuard-amd64", "gcr.io/k8s-staging-e2e-test-images/agnhost",
    "us-docker.pkg.dev/google-samples/containers/gke/hello-app",
    "us-docker.pkg.dev/google-samples/containers/gke/gb-frontend", "ghcr.io/subicura/counter",
    "quay.io/prometheus/prometheus", "quay.io/jetstack/cert-manager-controller",
)

#: Every repository svcflow knows to exist (fully qualified, as containerd names them).
KNOWN_REPOSITORIES: frozenset[str] = frozenset(
    [f"{DEFAULT_DOMAIN}/{_OFFICIAL_PREFIX}{name}" for name in _OFFICIAL] + list(_OTHERS))
_HUB_PATHS: tuple[str, ...] = tuple(sorted(
    r[len(DEFAULT_DOMAIN) + 1:] for r in KNOWN_REPOSITORIES if r.startswith(DEFAULT_DOMAIN + "/")))

#: containerd's words for a Docker Hub repository that does not exist (Hub answers an
#: anonymous token request for it with insufficient_scope, as for a private one).
_DENIED = ("pull access denied, repository does not exist or may require authorization: "
           "server message: insufficient_scope: authorization failed")


@dataclass(frozen=True, slots=True)
class Reference:
    """A parsed image reference: `domain/path`, its tag (None when none was given) and digest."""

    domain: str
    path: str
    tag: str | None
    digest: str | None

    @property
    def repository(self) -> str:
        return f"{self.domain}/{self.path}"

    def familiar(self) -> str:
        """What containerd pulls: the repository with its tag (`latest` when none) or digest."""
        if self.digest:
            return f"{self.repository}{':' + self.tag if self.tag else ''}@{self.digest}"
        return f"{self.repository}:{self.tag or 'latest'}"


class InvalidReference(ValueError):
    """The reference does not parse (ParseNormalizedNamed's error)."""


def is_reference(image: str) -> bool:
    """Whether `image` matches reference.ReferenceRegexp as written (not normalised): what
    `kubectl run --image` checks before sending anything (`Nginx` does not, `nginx` does)."""
    return _REFERENCE.match(image) is not None


def _split_docker_domain(name: str) -> tuple[str, str]:
    """splitDockerDomain: the registry (Docker Hub unless the first part looks like a host)
    and the rest, with `library/` before a one-part Docker Hub name."""
    i = name.find("/")
    first = name[:i] if i >= 0 else ""
    if i == -1 or (not any(c in first for c in ".:") and first != "localhost" and first.lower() == first):
        domain, remainder = DEFAULT_DOMAIN, name
    else:
        domain, remainder = first, name[i + 1:]
    if domain == _LEGACY_DEFAULT_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in remainder:
        remainder = _OFFICIAL_PREFIX + remainder
    return domain, remainder


@lru_cache(maxsize=4096)
def parse(image: str) -> Reference:
    """ParseNormalizedNamed, raising InvalidReference with the library's message."""
    if _IDENTIFIER.match(image):
        raise InvalidReference(f"invalid repository name ({image}), cannot specify 64-byte hexadecimal strings")
    domain, remainder = _split_docker_domain(image)
    remote = remainder.split(":", 1)[0]
    if remote.lower() != remote:
        raise InvalidReference(f"invalid reference format: repository name ({remote}) must be lowercase")
    full = f"{domain}/{remainder}"
    m = _REFERENCE.match(full)
    if m is None:
        if _REFERENCE.match(full.lower()) is not None:
            raise InvalidReference("repository name must be lowercase")
        raise InvalidReference("invalid reference format")
    if len(m.group(1)) > _NAME_TOTAL_LENGTH_MAX:
        raise InvalidReference(f"repository name must not be more than {_NAME_TOTAL_LENGTH_MAX} characters")
    return Reference(domain, m.group(1)[len(domain) + 1:], m.group(2), m.group(3))


def invalid_name(image: str) -> str | None:
    """The kubelet's message for a reference it cannot apply a default tag to (the pod's
    InvalidImageName), or None when the reference parses."""
    try:
        parse(image)
    except InvalidReference as e:
        return f'Failed to apply default image tag "{image}": couldn\'t parse image name "{image}": {e}'
    return None


@lru_cache(maxsize=4096)
def normalize_image(image: str) -> str:
    """The fully qualified reference containerd reports (`redis` -> docker.io/library/redis:latest);
    a reference that does not parse is given back as it is."""
    try:
        return parse(image).familiar()
    except InvalidReference:
        return image


def damerau_levenshtein(a: str, b: str) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def near_miss(path: str) -> str | None:
    """The known Docker Hub repository `path` is a typo of (two edits at most; one for a
    name of four letters or fewer, where two edits reach too many real names), or None."""
    name = path.removeprefix(_OFFICIAL_PREFIX)
    limit = 1 if len(name) <= 4 else 2
    for known in _HUB_PATHS:
        if abs(len(known) - len(path)) <= limit and damerau_levenshtein(path, known) <= limit:
            return known
    return None


@lru_cache(maxsize=4096)
def pull_error(image: str) -> str | None:
    """What containerd's PullImage answers for `image` when it cannot be pulled (the
    kubelet's `Failed to pull image` message after the image), or None when it pulls.
    Only a near miss of a known Docker Hub name fails: svcflow cannot know of any other."""
    try:
        ref = parse(image)
    except InvalidReference:
        return None  # (the kubelet never asks: InvalidImageName)
    if ref.repository in KNOWN_REPOSITORIES or ref.domain != DEFAULT_DOMAIN or near_miss(ref.path) is None:
        return None
    familiar = ref.familiar()
    return (f'rpc error: code = Unknown desc = failed to pull and unpack image "{familiar}": '
            f'failed to resolve reference "{familiar}": {_DENIED}')


@dataclass
class ImageCache:
    """One node's containerd image store: the images it has, by the name containerd gives
    them (`nginx`, `nginx:latest` and `docker.io/library/nginx` are one image), so asking
    whether a container's image is there is one set look-up, not a comparison with each."""

    refs: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, images: Iterable[str]) -> "ImageCache":
        return cls({normalize_image(i) for i in images})

    def add(self, image: str) -> None:
        self.refs.add(normalize_image(image))

    def __contains__(self, image: object) -> bool:
        return isinstance(image, str) and normalize_image(image) in self.refs

    def __iter__(self) -> Iterator[str]:
        return iter(self.refs)

    def __len__(self) -> int:
        return len(self.refs)
