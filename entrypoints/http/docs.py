"""`GET /api/docs`: Swagger UI over `/api/openapi.json`, served from our own origin.

The page's scripts are Swagger UI 5 (4 cannot read OpenAPI 3.1) from the static files of the
swagger-ui-py package installed with us: nothing is fetched from a CDN when a browser opens the
page, so it works offline and under a strict CSP (no inline script: the page's one line of set-up
is a file of its own). Only the files are used, not the package's code."""

from __future__ import annotations

import importlib.util
import mimetypes
from pathlib import Path

import falcon

PAGE = b"""<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <title>Oxnack API</title>
    <link rel="stylesheet" type="text/css" href="/api/docs/swagger-ui.css">
    <link rel="icon" type="image/png" href="/api/docs/favicon-32x32.png" sizes="32x32">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/api/docs/swagger-ui-bundle.js" charset="UTF-8"></script>
    <script src="/api/docs/swagger-ui-standalone-preset.js" charset="UTF-8"></script>
    <script src="/api/docs/initializer.js" charset="UTF-8"></script>
  </body>
</html>
"""

INITIALIZER = b"""window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout",
    validatorUrl: null,  // else a badge is fetched from validator.swagger.io
  });
};
"""

# The browser itself refuses anything from elsewhere (Swagger UI styles elements inline).
POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'none'"
)

# The only files served from the bundle: a fixed list, so no path reaches anything else.
ASSETS = (
    "swagger-ui.css",
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "favicon-32x32.png",
)


def bundle_directory() -> Path:
    """swagger-ui-py's static/ folder, found without importing the package (its code would pull
    in Jinja and YAML for nothing)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the swagger-ui-py package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


class DocsPage:
    auth = "public"

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.set_header("Content-Security-Policy", POLICY)
        resp.data = PAGE


class DocsAsset:
    auth = "public"

    def __init__(self, directory: Path) -> None:
        self.files = {name: directory / name for name in ASSETS}

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        if name == "initializer.js":
            resp.content_type, resp.data = "text/javascript; charset=utf-8", INITIALIZER
            return
        path = self.files.get(name)
        if path is None:
            raise falcon.HTTPNotFound()
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        resp.content_type = f"{kind}; charset=utf-8" if kind.startswith("text/") else kind
        resp.data = path.read_bytes()
        resp.cache_control = ["public", "max-age=86400"]


def install(app: falcon.App) -> None:
    """The docs routes; kept out of the OpenAPI document, which they display."""
    app.add_route("/api/docs", DocsPage())
    app.add_route("/api/docs/{name}", DocsAsset(bundle_directory()))
