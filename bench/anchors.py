"""The anchors `bench.http_read` measures the product against: the least a Falcon app can do for
the same request, served by the same gunicorn settings as the product in the same run.

- `bare_wsgi`: Falcon returning a small JSON body (what `GET /api/os` returns, in size).
- `bare_asgi`: the same app wrapped as the sandbox wraps its API (a2wsgi with the API's threads),
  for uvicorn workers.
- `query_wsgi`: Falcon with a psycopg pool, one statement returning one customer's 20 servers as
  JSON: what `GET /api/server` must read, and no more. Its database comes from BENCH_DATABASE_URL.
"""

from __future__ import annotations

import json
import os
from typing import Any

import falcon
from a2wsgi import WSGIMiddleware

from entrypoints.realtime.run import API_THREADS

SMALL_BODY = [
    {"id": n, "name": name, "family": family, "guestKind": "lxc"}
    for n, (name, family) in enumerate(
        [("Ubuntu 24.04", "ubuntu"), ("Debian 12", "debian"), ("CentOS Stream 9", "centos")],
        start=1,
    )
]


class _Small:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = SMALL_BODY


class _Servers:
    def __init__(self, pool: Any, owner_id: int) -> None:
        self.pool, self.owner_id = pool, owner_id

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT id, name, status, cores, memory_mib, disk_gib, created_at"
                " FROM servers WHERE owner_id = %s ORDER BY id",
                (self.owner_id,),
            ).fetchall()
        resp.text = json.dumps(
            [
                {
                    "id": r[0],
                    "name": r[1],
                    "status": r[2],
                    "cores": r[3],
                    "memory": r[4],
                    "disk": r[5],
                    "createdAt": r[6].isoformat(),
                }
                for r in rows
            ]
        )
        resp.content_type = falcon.MEDIA_JSON


def _bare() -> falcon.App:
    app = falcon.App()
    app.add_route("/anchor", _Small())
    return app


def _query() -> falcon.App | None:
    url = os.environ.get("BENCH_DATABASE_URL")
    if url is None:
        return None
    from psycopg_pool import ConnectionPool

    threads = 8  # HOSTPROVIDER_DB_POOL_SIZE's default: one connection per thread
    pool = ConnectionPool(url, min_size=threads, max_size=threads, open=True)
    app = falcon.App()
    app.add_route("/anchor", _Servers(pool, int(os.environ.get("BENCH_OWNER_ID", "1"))))
    return app


bare_wsgi = _bare()
bare_asgi = WSGIMiddleware(bare_wsgi, workers=API_THREADS)
query_wsgi = _query()
