"""The page templates and the one helper every page renders through."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from wealthdesk import __version__

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
STATIC_DIR = Path(__file__).parent / "static"


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """``template`` filled with ``context``; pages never leave the browser's cache holding personal data."""
    response = TEMPLATES.TemplateResponse(
        request, template, {"version": __version__, **context}, status_code=status_code
    )
    response.headers["Cache-Control"] = "no-store"
    return response
