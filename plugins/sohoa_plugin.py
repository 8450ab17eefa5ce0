"""Airflow 3 plugin: the sohoa review desk (and roadmap pages) mounted in the API server at /sohoa.

Airflow does not put its login in front of plugin apps: the sohoa app enforces its own login,
sessions, roles and CSRF on every page (web/auth.py, web/csrf.py). Settings come from the same
SOHOA_* environment as the DAG tasks.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from web import create_app

URL_PREFIX = "/sohoa"
app = create_app()


class SohoaPlugin(AirflowPlugin):
    name = "sohoa"
    fastapi_apps = [{"app": app, "url_prefix": URL_PREFIX, "name": "sohoa"}]
    # A link in the Airflow UI's navigation to the review desk (opens the sohoa app's own pages).
    external_views = [{"name": "Rà soát dữ liệu số hóa", "href": "sohoa/review", "destination": "nav",
                       "url_route": "sohoa-review"}]
