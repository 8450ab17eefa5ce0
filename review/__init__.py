"""The data stewards' review desk: queues, corrections with history (Art. 12.3), approval and
rejection, per-batch Great Expectations runs, and the release of approved records for signing.

    from review import release_approved, approved_unsigned_batches
"""

from review.service import (
    Correction,
    ReviewError,
    approve_document,
    approved_unsigned,
    approved_unsigned_batches,
    correct_fields,
    reject_document,
    release_approved,
    revalidate_document,
)

__all__ = [
    "Correction", "ReviewError",
    "approve_document", "approved_unsigned", "approved_unsigned_batches", "correct_fields", "reject_document",
    "release_approved", "revalidate_document",
]
