"""resource.Quantity and PodRequests: the one parser every part of svcflow reads `100m` with,
and the sums kube-scheduler filters on and `kubectl describe node` prints."""
from __future__ import annotations

import pytest

from engine.api.podresources import add_resource_list, pod_limits, pod_requests
from engine.api.quantity import ERR_FORMAT_WRONG, ERR_NUMERIC, ERR_SUFFIX, Quantity, parse_quantity, quantity_error


@pytest.mark.parametrize("raw,text", [
    ("100m", "100m"), ("0.5", "500m"), ("1500m", "1500m"), ("1000", "1k"), ("1k", "1k"),
    ("128Mi", "128Mi"), ("1024Mi", "1Gi"), ("16266548Ki", "16266548Ki"), ("512", "512"),
    ("0", "0"), ("1e3", "1e3"), (2, "2"), (0.25, "250m"), ("1.", "1"), (" 2 ", "2"),
    ("0.0000000001", "1n"),  # finer than nano rounds up to it
])
def test_quantity_canonical_form(raw: object, text: str) -> None:
    assert str(Quantity.parse(raw)) == text


@pytest.mark.parametrize("raw,error", [
    ("banana", ERR_FORMAT_WRONG), ("10.244.1.2", ERR_FORMAT_WRONG), ("", ERR_FORMAT_WRONG),
    (True, ERR_FORMAT_WRONG), ({"a": 1}, ERR_FORMAT_WRONG),
    ("Mi", ERR_NUMERIC), (".", ERR_NUMERIC),
    ("2KB", ERR_FORMAT_WRONG), ("1mi", ERR_SUFFIX), ("1e", ERR_SUFFIX),
])
def test_what_the_api_server_refuses_in_its_words(raw: object, error: str) -> None:
    assert parse_quantity(raw) is None and quantity_error(raw) == error


def test_quantities_compare_by_value() -> None:
    assert Quantity.parse("1") == Quantity.parse("1000m") and Quantity.parse("100m") < Quantity.parse("1Ki")
    assert parse_quantity("100m") < parse_quantity("1") < parse_quantity("1Ki") < parse_quantity("2k")


def test_a_sum_keeps_the_first_format() -> None:
    total: dict = {}
    add_resource_list(total, {"memory": "50Mi", "cpu": "100m"})
    add_resource_list(total, {"memory": "100Mi", "cpu": "1"})
    assert str(total["memory"]) == "150Mi" and str(total["cpu"]) == "1100m"


def _pod(containers: list[dict], init: list[dict] | None = None, **spec) -> dict:
    def c(r: dict) -> dict:
        out = {"name": "c", "resources": {"requests": {k: v for k, v in r.items() if k != "restartPolicy"}}}
        if "restartPolicy" in r:
            out["restartPolicy"] = r["restartPolicy"]
        return out
    return {"spec": {"containers": [c(r) for r in containers], "initContainers": [c(r) for r in init or []], **spec}}


def test_pod_requests_sum_the_containers_and_take_the_largest_init_container() -> None:
    pod = _pod([{"cpu": "100m", "memory": "64Mi"}, {"cpu": "200m"}], [{"cpu": "500m"}, {"memory": "32Mi"}])
    r = pod_requests(pod)
    assert str(r["cpu"]) == "500m" and str(r["memory"]) == "64Mi"


def test_a_sidecar_counts_beside_the_app_and_the_later_init_containers() -> None:
    # upstream's worked example: sidecar 1 cpu beside app 2 cpu, and an init container of 2
    # cpu after the sidecar needs 3 at that moment
    pod = _pod([{"cpu": "2"}], [{"cpu": "1", "restartPolicy": "Always"}, {"cpu": "2"}])
    assert pod_requests(pod)["cpu"].value == 3
    pod = _pod([{"cpu": "1"}], [{"cpu": "1", "restartPolicy": "Always"}, {"cpu": "3"}])
    assert pod_requests(pod)["cpu"].value == 4


def test_overhead_is_added_and_pod_level_resources_win_only_when_asked() -> None:
    pod = _pod([{"cpu": "100m"}], overhead={"cpu": "50m"}, resources={"requests": {"cpu": "1"}})
    assert str(pod_requests(pod)["cpu"]) == "150m"
    assert str(pod_requests(pod, pod_level=True)["cpu"]) == "1050m"
    assert pod_limits(pod) == {}  # the overhead only grows limits that are set
    pod["spec"]["containers"][0]["resources"]["limits"] = {"cpu": "200m"}
    assert str(pod_limits(pod)["cpu"]) == "250m"
