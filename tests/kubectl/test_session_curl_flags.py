"""The session's own curl (the machine outside the cluster) skips its options' values (tester4
#16: `curl -m 3 HOST` took `3` for the host and said `Could not resolve host: 3`)."""
from __future__ import annotations

from engine.apply.workspace import cluster_from_paths
from engine.kubectl.session import Session, curl_urls
from tests.helpers import SAMPLES


def test_options_with_a_value_are_not_urls():
    assert curl_urls(["-m", "3", "-s", "172.18.0.3:31000"]) == ["172.18.0.3:31000"]
    assert curl_urls(["--max-time", "3", "-o", "/dev/null", "-H", "Host: x", "web"]) == ["web"]


def test_curl_with_a_timeout_reaches_the_nodeport():
    s = Session(cluster_from_paths([SAMPLES], deterministic=True)[0])
    assert s.feed("curl -m 3 172.18.0.3:31000") == "1\n"
