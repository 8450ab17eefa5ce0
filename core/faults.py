"""Which failures belong to one document and which to the whole run.

A document's own problem (an unreadable page, an OCR timeout, a value the extractor chokes on)
marks that document failed and the batch goes on. A service the whole run needs (the object store,
the results database, free disk space) failing is no document's fault: the run stops with exit
code 6 and a one-line message, and a re-run after the service is back resumes where it stopped.
"""

from __future__ import annotations

import errno

from sqlalchemy.exc import OperationalError

from core.exitcodes import ExitCode

_DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


class ServiceFault(Exception):
    """Base of the errors that say a service (object store, …) is down or refuses us: not a document's fault.

    Stage packages subclass it (storage.objects.StoreUnavailable …), so this module imports none of them.
    A subclass whose message is already the operator's one line sets `own_line`."""

    own_line = False

    exit_code: ExitCode = ExitCode.SERVICE_UNAVAILABLE


class BatchBusy(ServiceFault, RuntimeError):
    """Another run holds this batch (two runs of one batch at once)."""

    own_line = True


def is_service_fault(exc: BaseException) -> bool:
    if isinstance(exc, (ServiceFault, OperationalError)):
        return True
    return isinstance(exc, OSError) and exc.errno in _DISK_FULL


def describe(exc: BaseException) -> str:
    """One line for an operator: what failed and what to do."""
    if isinstance(exc, OSError) and exc.errno in _DISK_FULL:
        return f"Hết dung lượng đĩa ({exc.filename or 'SOHOA_HOME'}): giải phóng dung lượng rồi chạy lại lệnh"
    if isinstance(exc, OperationalError):
        detail = str(exc.orig) if exc.orig is not None else str(exc)
        if "disk is full" in detail:  # SQLITE_FULL: the results DB's disk, not its configuration
            return f"Hết dung lượng đĩa (CSDL kết quả: {detail.splitlines()[0][:200]}): giải phóng dung lượng rồi chạy lại lệnh"
        return f"CSDL kết quả không dùng được ({detail.splitlines()[0][:200]}): kiểm tra SOHOA_DATABASE_URL rồi chạy lại"
    if isinstance(exc, ServiceFault) and exc.own_line:
        return str(exc)
    return (f"Dịch vụ không sẵn sàng: {str(exc).splitlines()[0][:300]} — kiểm tra dịch vụ (máy chủ S3 nhúng: "
            "`sohoa services start`) rồi chạy lại lệnh; các hồ sơ đã xong không bị làm lại")
