"""Errors as RFC 9457 problem details (``application/problem+json``) that say what was wrong."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from wealthdesk.errors import WealthdeskError
from wealthdesk.governance.masking import mask_personal_numbers
from wealthdesk.web.pages import render

PROBLEM_JSON = "application/problem+json"
TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 422: "Invalid request"}
MORE_TITLES = {409: "Conflict", 413: "Content too large", 503: "Service unavailable"}  # documented where they occur
ALL_TITLES = {**TITLES, **MORE_TITLES}


class Problem(BaseModel):
    """An RFC 9457 problem document: what went wrong, in ``detail``."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] | None = Field(None, description="For 422: each invalid parameter and its problem.")


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` entries of these error statuses, each a problem document."""
    schema = Problem.model_json_schema()
    return {s: {"description": ALL_TITLES[s], "content": {PROBLEM_JSON: {"schema": schema}}} for s in statuses}


# documented on every operation, so the OpenAPI schema says what errors look like
PROBLEM_RESPONSES = problem_responses(*TITLES)


def problem(status: int, detail: str, **extra: Any) -> JSONResponse:
    """A problem document; a phone or ID number the caller sent is never repeated back in the clear."""
    detail = mask_personal_numbers(detail)
    body = {
        "type": "about:blank",
        "title": ALL_TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        **extra,
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def is_page(request: Request) -> bool:
    """A request for a page (not the API): its errors are shown as a page a person can read."""
    return not request.url.path.startswith(("/api/", "/assets/", "/docs", "/openapi", "/health", "/wecom/callback"))


def answer(request: Request, status: int, detail: str, **extra: Any) -> Response:
    """The error as a problem document, or as an error page for a page request."""
    if not is_page(request):
        return problem(status, detail, **extra)
    title = ALL_TITLES.get(status, "Error")
    detail = mask_personal_numbers(detail)
    return render(request, "error.html", status, status=status, title=title, detail=detail, next=request.url.path)


def install_problem_handlers(app: FastAPI) -> None:
    """Every error leaves as a problem document (an error page for the pages): HTTP errors, invalid parameters and
    wealthdesk's own errors."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return answer(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")} for e in exc.errors()
        ]
        detail = "; ".join(f"{e['where']}: {e['problem']}" for e in errors)
        return answer(request, 422, detail, errors=errors)

    @app.exception_handler(WealthdeskError)
    async def domain_error(request: Request, exc: WealthdeskError) -> Response:
        return answer(request, 400, str(exc))
