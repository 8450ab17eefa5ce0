"""Responses every page of the web app shares: where the app is mounted, and redirects under it."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse


def root(request: Request) -> str:
    """The prefix the app is mounted under ("" standalone, "/sohoa" in Airflow)."""
    return request.scope.get("root_path", "").rstrip("/")


def redirect(request: Request, path: str, status_code: int = 303) -> RedirectResponse:
    return RedirectResponse(root(request) + path, status_code=status_code)
