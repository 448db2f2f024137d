"""Static assets served by the app itself, from files shipped in installed packages: pages work with no internet."""

from __future__ import annotations

from pathlib import Path

import plotly
from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from wealthdesk.web.pages import STATIC_DIR

router = APIRouter(prefix="/assets", include_in_schema=False)
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
ASSETS = {
    "wealthdesk.css": (STATIC_DIR / "wealthdesk.css", "text/css; charset=utf-8"),
    "plotly.min.js": (PLOTLY_JS, "text/javascript; charset=utf-8"),
    "wecom-sidebar.js": (STATIC_DIR / "wecom-sidebar.js", "text/javascript; charset=utf-8"),
}


@router.get("/{name}")
def asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise HTTPException(404, f"no asset {name!r}")
    path, media_type = ASSETS[name]
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})
