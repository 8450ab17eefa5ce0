"""The web side of sohoa: the review desk (and the roadmap pages) as one FastAPI app with its own
login, server-side sessions, roles and CSRF protection. Served standalone (`sohoa serve`) and
mounted in the Airflow API server by plugins/sohoa_plugin.py (Airflow does not guard plugin pages).

    app = create_app(settings)
"""

from web.app import create_app

__all__ = ["create_app"]
