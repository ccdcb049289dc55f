"""Front-end files from web/node_modules (NHS.UK frontend, htmx) and the web's own static files."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
NHSUK_CSS = "nhsuk-frontend.min.css"
# The NHS.UK styles declare the Frutiger web font, licensed to the NHS in England and fetched from
# its servers. Collective is HSC Northern Ireland and its CSP allows fonts from itself only, so the
# declarations are left out of the style sheet it serves (the font stack falls back to Arial).
_FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}")

log = structlog.get_logger("web")


def without_font_faces(css: str) -> str:
    return _FONT_FACE.sub("", css)


def mount_assets(app: FastAPI, node_modules: Path) -> None:
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    nhsuk = node_modules / "nhsuk-frontend" / "dist" / "nhsuk"
    vendor = {
        "/assets": nhsuk / "assets",  # the NHS.UK style sheet refers to /assets/images/...
        "/vendor/nhsuk": nhsuk,
        "/vendor/htmx": node_modules / "htmx.org" / "dist",
    }
    if (nhsuk / NHSUK_CSS).is_file():
        css = without_font_faces((nhsuk / NHSUK_CSS).read_text(encoding="utf-8")).encode()
        etag = '"' + hashlib.sha256(css).hexdigest()[:32] + '"'

        async def nhsuk_stylesheet(request: Request) -> Response:
            headers = {"ETag": etag, "Cache-Control": "public, max-age=3600"}
            if request.headers.get("if-none-match") == etag:
                return Response(status_code=304, headers=headers)
            return Response(css, media_type="text/css", headers=headers)

        app.add_api_route(f"/vendor/nhsuk/{NHSUK_CSS}", nhsuk_stylesheet, methods=["GET"], include_in_schema=False)
    for path, directory in vendor.items():
        if directory.is_dir():
            app.mount(path, StaticFiles(directory=directory), name=path.strip("/").replace("/", "-"))
        else:
            log.warning("front_end_packages_missing", path=str(directory), fix="cd web && npm ci")
