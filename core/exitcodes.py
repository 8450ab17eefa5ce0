"""Stable exit codes of the `sohoa` command (documented in docs/cli.md; tested)."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    UNEXPECTED = 1  # a defect: one line on stderr, the traceback in SOHOA_HOME/logs/error-*.txt
    USAGE = 2  # argparse's own code for bad arguments
    BAD_INPUT = 3  # a file that cannot be read: corrupt, encrypted, unsupported, too large
    INVALID_SIGNATURE = 4  # verify: signature broken, changed after signing, untrusted, or no marker
    KEY_ERROR = 5  # signing key missing, unreadable or unfit (expired, wrong usage, wrong converter)
    SERVICE_UNAVAILABLE = 6  # S3 store, results DB or warehouse unreachable
    EXTERNAL_TOOL_FAILED = 7  # tesseract / poppler crashed or timed out
    # verify / print-copy, when the system of record knows the result (Decree 45 Art. 15): the
    # signature may be intact, but the result itself is no longer the valid one.
    RESULT_REVOKED = 8  # revoked: no longer valid
    RESULT_SUPERSEDED = 9  # replaced by a corrected version (the output names it)
    INTERRUPTED = 130
