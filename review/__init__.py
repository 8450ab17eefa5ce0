"""The data stewards' review desk: queues, corrections with history (Art. 12.3), approval and
rejection, per-batch Great Expectations runs, and which approved records wait for signing (the
release itself, sign + store, is a pipeline step: sohoa.pipeline.release_approved).

    from review import approve_document, approved_unsigned_batches
"""

from review.service import (
    Correction,
    ReviewError,
    approve_document,
    approved_unsigned,
    approved_unsigned_batches,
    correct_fields,
    reject_document,
    revalidate_document,
)

__all__ = [
    "Correction", "ReviewError",
    "approve_document", "approved_unsigned", "approved_unsigned_batches", "correct_fields", "reject_document",
    "revalidate_document",
]
