"""Airflow 3 plugin: the sohoa review desk (and roadmap pages) mounted in the API server at /sohoa.

Airflow does not put its login in front of plugin apps: the sohoa app enforces its own login,
sessions, roles and CSRF on every page (web/auth.py, web/csrf.py). One sign-in: a user signed in to
Airflow (its JWT cookie, checked by Airflow's own auth manager) who has a sohoa account of the same
name gets a desk session without a second login; roles and provinces still come from that account.
Settings come from the same SOHOA_* environment as the DAG tasks.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin
from starlette.requests import Request

from web import create_app

URL_PREFIX = "/sohoa"


async def airflow_user(request: Request) -> str | None:
    """The name of the user Airflow signed in, from its `_token` cookie; None without a valid token."""
    from airflow.api_fastapi.auth.managers.base_auth_manager import COOKIE_NAME_JWT_TOKEN
    from airflow.api_fastapi.core_api.security import resolve_user_from_token
    from fastapi import HTTPException

    token = request.cookies.get(COOKIE_NAME_JWT_TOKEN)
    if not token:
        return None
    try:
        user = await resolve_user_from_token(token)
    except HTTPException:  # expired or forged: not signed in
        return None
    return user.get_name() or None


app = create_app(host_identity=airflow_user, host_name="Airflow")


class SohoaPlugin(AirflowPlugin):
    name = "sohoa"
    fastapi_apps = [{"app": app, "url_prefix": URL_PREFIX, "name": "sohoa"}]
    # A link in the Airflow UI's navigation to the review desk (opens the sohoa app's own pages).
    external_views = [{"name": "Rà soát dữ liệu số hóa", "href": "sohoa/review", "destination": "nav",
                       "url_route": "sohoa-review"}]
