"""benchmarks/kapi_bench.py's arithmetic and rendering (the measuring itself runs the real
kubectl for minutes; `python -m benchmarks.kapi_bench --services 100` is its smoke run)."""
from __future__ import annotations

import json

from benchmarks import kapi_bench


def _figures(pods_pages: int, svc_pages: int) -> dict:
    out: dict = {"pods": 500 * pods_pages}
    for name, pages in (("get_pods_A", pods_pages), ("get_svc_A", svc_pages)):
        out.update({name + "_s": 1.5, name + "_server_s": 0.25, name + "_floor_s": 1.25, name + "_pages": pages,
                    name + "_one_page_floor_s": 0.5,
                    name + "_rate_limit_s": max(0, pages - kapi_bench.CLIENT_BURST) / kapi_bench.CLIENT_QPS})
    out.update({"get_one_per_s": 3000, "change_to_50_watches_p95_ms": 4.0, "change_to_50_watches_median_ms": 2.0})
    return out


def test_the_table_splits_each_list_into_server_floor_and_rate_limit_and_judges_at_the_named_size():
    text = kapi_bench.markdown({1000: _figures(21, 3), 10000: _figures(201, 21)})
    rows = {line.split(" | ")[0].strip("| ").strip(): line for line in text.splitlines() if line.startswith("|")}
    assert "| 38.2 s |" in rows["of which client-go's rate limit (pages: 10 at once, then 5/s)"]
    assert "| 2.2 s | 38.2 s |" in rows["of which client-go's rate limit (pages: 10 at once, then 5/s)"]
    assert "|     pages | 21 | 201 |" in text and "|     pages | 3 | 21 |" in text
    assert rows["`kubectl get pods -A` (pages of 500), end to end"].endswith("| ≤ 3 s at 100,000 pods | met |")
    assert rows["GETs of one object, one client"].endswith("| met |")
    assert "at S = 10,000: `get pods -A` 1.50 s end to end, 1.25 s for kubectl alone on the same pages, " \
           "38.2 s of it waiting on the rate limit (201 pages)" in text


def test_an_old_figures_file_without_the_split_still_renders():
    old = {"pods": 10207, "get_pods_A_s": 2.61, "get_svc_A_s": 0.15, "get_one_per_s": 5020,
           "change_to_50_watches_p95_ms": 2.3, "change_to_50_watches_median_ms": 2.1}
    text = kapi_bench.markdown({1000: old})
    assert "| 2.61 s |" in text and "rate limit (P" not in text


def test_one_page_holds_every_row_of_the_pages_in_order_without_a_continue():
    pages = {"": (json.dumps({"kind": "Table", "metadata": {"resourceVersion": "5", "continue": "t1"},
                              "columnDefinitions": [{"name": "Name"}], "rows": [{"cells": ["a"]}]}).encode(),
                  "application/json"),
             "t1": (json.dumps({"kind": "Table", "metadata": {"resourceVersion": "5"}, "columnDefinitions": [],
                                "rows": [{"cells": ["b"]}, {"cells": ["c"]}]}).encode(), "application/json")}
    body, ctype = kapi_bench._one_page(pages)
    table = json.loads(body)
    assert ctype == "application/json" and table["metadata"] == {"resourceVersion": "5"}
    assert [r["cells"][0] for r in table["rows"]] == ["a", "b", "c"] and table["columnDefinitions"] == [{"name": "Name"}]
