"""Who is acting (core/actors.py): a person, never a constant (Decree 45 Art. 12.3, Art. 17)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from core.actors import ENV, act_for_run, actor_name, run_actor


def test_the_named_person_then_the_environment_then_the_os_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "Nguyễn Thị Lan")
    assert actor_name("  Trần Văn Bảo ") == "Trần Văn Bảo"
    assert actor_name() == "Nguyễn Thị Lan"
    monkeypatch.delenv(ENV)
    assert actor_name() and actor_name() not in ("cli", "pipeline", "fixity-audit", "sohoa-backfill")
    assert len(actor_name("x" * 300)) == 100  # the audit_log column


def test_a_dag_run_names_who_triggered_it_or_its_schedule(monkeypatch: pytest.MonkeyPatch) -> None:
    assert run_actor(SimpleNamespace(triggering_user_name="lan", run_type="manual")) == "lan"
    assert run_actor(SimpleNamespace(triggering_user_name=None, run_type="scheduled")) == "airflow (scheduled)"
    assert run_actor(SimpleNamespace(triggering_user_name="  ", run_type="manual")) == "airflow (manual)"
    assert run_actor(None) == "airflow (scheduled)"
    monkeypatch.delenv(ENV, raising=False)  # restored after the test
    act_for_run(SimpleNamespace(triggering_user_name="Phạm Minh Châu", run_type="manual"))
    assert actor_name() == "Phạm Minh Châu"
