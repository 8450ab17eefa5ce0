"""Account changes made at the command line name the person who made them (core.actors), not "cli";
a login lockout names the client the attempts came from."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.settings import Settings
from storage.db import session_scope
from storage.models import AuditEntry
from web.auth import audit_login_lockout, create_user, disable_user, remove_user, set_password


def test_account_changes_name_the_operator(sohoa_env: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    create_user("lan", "mat-khau-rat-dai-1", "steward", provinces=["Khánh Hòa"], db_url=sohoa_env.db_url)
    monkeypatch.setenv("SOHOA_ACTOR", "Phạm Minh Châu")
    set_password("lan", "mat-khau-rat-dai-2", db_url=sohoa_env.db_url)
    disable_user("lan", db_url=sohoa_env.db_url, actor="Trần Văn Bảo")
    remove_user("lan", db_url=sohoa_env.db_url)
    audit_login_lockout("lan", "10.0.0.7", "account", 60, 5, db_url=sohoa_env.db_url)
    with session_scope(sohoa_env.db_url) as s:
        actors = {a.action: a.actor for a in s.scalars(select(AuditEntry))}
    assert actors == {"password_changed": "Phạm Minh Châu", "user_disabled": "Trần Văn Bảo",
                      "user_removed": "Phạm Minh Châu", "login_locked": "máy khách 10.0.0.7"}
