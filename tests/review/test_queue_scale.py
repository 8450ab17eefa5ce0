"""The review queue at scale: read a page at a time from an index, in the order and scope of before."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event, func, select, text

from review import bench as review_bench
from review import service
from review.bench import build_queue_db
from storage.db import get_engine, session_scope
from storage.models import Document, DocumentStatus, Field
from storage.review_models import Role, User, UserProvince

from .conftest import GOOD_HKD


def _user(role: str, *provinces: str) -> User:
    return User(username=f"u-{role}", role=role, password_hash="x",
                provinces=[UserProvince(province=p) for p in provinces])


@contextmanager
def _statements() -> Iterator[list[tuple[str, Any]]]:
    """Every SQL statement run inside the block, with its parameters."""
    seen: list[tuple[str, Any]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        seen.append((statement, parameters))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def _old_order(db_url: str, user: User, status: str | None) -> list[int]:
    """The queue as it was computed before: every visible record, least field confidence first per batch."""
    with session_scope(db_url) as s:
        least = dict(s.execute(select(Field.document_id, func.min(Field.confidence))
                               .where(Field.value.is_not(None)).group_by(Field.document_id)).all())
        docs = [d for d in s.scalars(select(Document)) if service.can_see(user, d.province)
                and (status is None or d.status == status)]
    docs.sort(key=lambda d: (d.batch_id, least.get(d.id, -1), d.id))
    return [d.id for d in docs]


def _all_pages(user: User, db_url: str, status: str | None, limit: int) -> list[int]:
    ids: list[int] = []
    after = None
    while True:
        q = service.queue(user, status=status, after=after, limit=limit, db_url=db_url)
        assert len(q.rows) <= limit
        ids += [r.document.id for r in q.rows]
        if q.next_page is None:
            return ids
        after = q.next_page


def test_pages_in_order_cover_the_queue_once(sohoa_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # The bench's queue at a tenth of its scale (batches of 500, not 5,000; pages of 70, not 700): the
    # same shape, pages inside one batch and pages across two, for a tenth of the rows. The figures at
    # scale are the bench's (`make bench`, review.bench).
    monkeypatch.setattr(review_bench, "BATCH_SIZE", 500)
    build_queue_db(sohoa_env.db_url, 1_200)  # two batches of 500 and the last of 200, provinces in turn
    for user in (_user(Role.MANAGER), _user(Role.STEWARD, "Khánh Hòa")):  # Khánh Hòa also sees Ninh Thuận
        for status in (DocumentStatus.NEEDS_REVIEW, None):
            expected = _old_order(sohoa_env.db_url, user, status)
            assert expected
            assert _all_pages(user, sohoa_env.db_url, status, 70) == expected
            assert service.queue(user, status=status, db_url=sohoa_env.db_url).total == len(expected)
    steward = _user(Role.STEWARD, "Khánh Hòa")
    assert {d for d in service.queue(steward, status=None, limit=20_000, db_url=sohoa_env.db_url).provinces} == {
        "Khánh Hòa", "Ninh Thuận"}


def test_the_all_statuses_view_sends_one_page(sohoa_env) -> None:  # type: ignore[no-untyped-def]
    build_queue_db(sohoa_env.db_url, 600)
    q = service.queue(_user(Role.MANAGER), status=None, db_url=sohoa_env.db_url)
    assert len(q.rows) == service.QUEUE_PAGE and q.total == 600 and q.next_page


def test_queue_and_next_read_a_page_not_the_table(sohoa_env) -> None:  # type: ignore[no-untyped-def]
    """Every statement of a queue view or "next record" is bounded by LIMIT or aggregates in SQL:
    none brings every document into Python (what made /review/next take 13-20 s at 63,000)."""
    build_queue_db(sohoa_env.db_url, 3_000)
    manager = _user(Role.MANAGER)
    with session_scope(sohoa_env.db_url) as s:
        middle = s.scalars(select(Document.id).where(Document.status == DocumentStatus.NEEDS_REVIEW)
                           .order_by(Document.id)).all()[50]
    for call in (lambda: service.queue(manager, db_url=sohoa_env.db_url),
                 lambda: service.queue(manager, status=None, db_url=sohoa_env.db_url),
                 lambda: service.next_doubtful(manager, db_url=sohoa_env.db_url),
                 lambda: service.next_doubtful(manager, after=middle, db_url=sohoa_env.db_url)):
        with _statements() as seen:
            call()
        reads = [sql for sql, _ in seen if "FROM documents" in sql]
        assert reads and len(seen) <= 6, seen
        for sql in reads:
            bounded = ("LIMIT", "count(", "GROUP BY", "documents.id = ?")  # the last: one row by its key
            assert any(b in sql for b in bounded), sql


def test_the_queue_page_is_read_from_its_index(sohoa_env) -> None:  # type: ignore[no-untyped-def]
    """SQLite's plan for the page query walks ix_documents_queue in order: no sort of the whole queue."""
    build_queue_db(sohoa_env.db_url, 3_000)
    for user, status in ((_user(Role.MANAGER), DocumentStatus.NEEDS_REVIEW), (_user(Role.MANAGER), None),
                         (_user(Role.STEWARD, "Khánh Hòa"), DocumentStatus.NEEDS_REVIEW)):
        first = service.queue(user, status=status, db_url=sohoa_env.db_url)
        assert first.next_page
        with _statements() as seen:
            service.queue(user, status=status, after=first.next_page, db_url=sohoa_env.db_url)
        (page_sql, params), = [(sql, p) for sql, p in seen if "LIMIT" in sql and "FROM documents" in sql]
        with get_engine(sohoa_env.db_url).connect() as conn:
            plan = " | ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {page_sql}", params))
        index = "ix_documents_queue " if status else "ix_documents_queue_all "
        assert f"USING INDEX {index}" in plan + " ", plan
        assert "TEMP B-TREE" not in plan, plan


def test_a_correction_moves_the_record_in_the_queue(sohoa_env, seed) -> None:  # type: ignore[no-untyped-def]
    """The stored least confidence follows the fields: a corrected value (confidence 1) sends the record back."""
    _, ids = seed([{"fields": GOOD_HKD | {"holder_name": ("Trần Thị Bích Ngọc", 0.3),
                                          "business_name": ("Tạp hóa Ngọc", 0.35)}},
                   {"fields": GOOD_HKD | {"holder_name": ("Trần Thị Bích Ngọc", 0.5)}}])
    manager = _user(Role.MANAGER)
    assert [r.document.id for r in service.queue(manager).rows] == ids
    assert service.queue(manager).rows[0].min_confidence == 0.3
    service.correct_fields(ids[0], {"holder_name": "Trần Thị Bích Ngọc "}, "lan")  # same value: no change
    service.correct_fields(ids[0], {"holder_name": "Trần Thị Bích Ngọc Anh"}, "lan")
    q = service.queue(manager)
    assert [r.document.id for r in q.rows] == [ids[0], ids[1]] and q.rows[0].min_confidence == 0.35
    service.correct_fields(ids[0], {"business_name": "Tạp hóa Ngọc Anh"}, "lan")
    assert [r.document.id for r in service.queue(manager).rows] == [ids[1], ids[0]]
    assert service.next_doubtful(manager) == ids[1]
    assert service.next_doubtful(manager, after=ids[0]) == ids[1]  # wraps around
    with session_scope(sohoa_env.db_url) as s:
        stored = s.execute(text("SELECT min_confidence FROM documents WHERE id = :i"), {"i": ids[0]}).scalar_one()
    assert stored == 0.97  # the untouched fields' confidence; the corrected ones are 1
