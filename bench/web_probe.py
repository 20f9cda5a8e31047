"""Time the web console's pages in a fresh process: ``python bench/web_probe.py CONFIG ROUNDS``.

Opens the ledger of CONFIG, adds a coordinator account, logs in through the login form, requests
every page once (template compilation and first queries are not timed), then requests the
dashboard, the submissions list and one submission's page ROUNDS times each, in turn, timing each
request from the WSGI call to the last byte of the body (Flask's test client: the server's time,
without the network). Also times a text search of the list, for context. Prints one JSON object:
``{"p95_ms": …, "median_ms": {page: …}, "search_ms": …, "submissions": N}``.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import time

from mailflow import config_loader
from mailflow.app import App
from mailflow.browse import Filters
from mailflow.web import create_app


def _timed(client: object, path: str) -> float:
    started = time.perf_counter()
    response = client.get(path)  # type: ignore[attr-defined]
    response.get_data()
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"{path}: HTTP {response.status_code}")
    return elapsed * 1000


def main(argv: list[str]) -> int:
    app = App(config_loader.load(argv[0]))
    rounds = int(argv[1])
    app.add_web_user("bench", "a bench password", "coordinator")
    client = create_app(app).test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    client.post(
        "/login", data={"name": "bench", "password": "a bench password", "csrf_token": token[1]}
    )
    listing = app.submission_page(Filters())
    middle = app.submission_page(Filters(), page=max(1, listing.pages // 2)).rows[0]["id"]
    pages = {
        "dashboard": "/",
        "submissions": "/submissions",
        "submission": f"/submissions/{middle}",
    }
    for path in pages.values():
        _timed(client, path)
    times: dict[str, list[float]] = {name: [] for name in pages}
    for _ in range(rounds):
        for name, path in pages.items():
            times[name].append(_timed(client, path))
    every = sorted(t for values in times.values() for t in values)
    p95 = every[max(0, round(0.95 * len(every) + 0.5) - 1)]
    search = statistics.median(_timed(client, "/submissions?q=library") for _ in range(5))
    print(
        json.dumps(
            {
                "p95_ms": round(p95, 1),
                "median_ms": {k: round(statistics.median(v), 1) for k, v in times.items()},
                "search_ms": round(search, 1),
                "submissions": listing.total,
            }
        )
    )
    app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
