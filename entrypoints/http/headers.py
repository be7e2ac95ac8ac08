"""Headers every response carries, whatever answered it (a resource, an error handler, a 404).

`X-Content-Type-Options: nosniff`: a browser takes a JSON answer for JSON, never for a script or a
page, even when a field holds markup. `Cache-Control: no-store`: the answers are one account's
(balances, servers) and some carry a secret shown once (a root password, a token); no browser
cache or proxy may keep any of them. A resource that sets its own Cache-Control keeps it."""

from __future__ import annotations

from typing import Any

import falcon


class SecurityHeaders:
    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool
    ) -> None:
        resp.set_header("X-Content-Type-Options", "nosniff")
        if resp.get_header("Cache-Control") is None:
            resp.set_header("Cache-Control", "no-store")
