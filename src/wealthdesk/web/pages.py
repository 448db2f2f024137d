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
STYLESHEET = (STATIC_DIR / "wealthdesk.css").read_text(encoding="utf-8")  # inlined where one request must do


def amount(value: float | None) -> str:
    """12345.6 → 12,345.60 (a sidebar shows exact amounts: the advisor may quote them to the client)."""
    return "—" if value is None else f"{value:,.2f}".replace("-", "−")


def signed_pct(value: float | None) -> str:
    """0.0123 → +1.23%, −0.5 → −50.00%."""
    return "—" if value is None else f"{value:+.2%}".replace("-", "−")


def tone(value: float | None) -> str:
    """The CSS class of a gain or a loss (red up, green down, as on every A-share screen)."""
    if not value:
        return ""
    return "up" if value > 0 else "down"


TEMPLATES.env.filters.update(amount=amount, signed_pct=signed_pct, tone=tone)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """``template`` filled with ``context``; pages never leave the browser's cache holding personal data."""
    response = TEMPLATES.TemplateResponse(
        request, template, {"version": __version__, **context}, status_code=status_code
    )
    response.headers["Cache-Control"] = "no-store"
    return response
