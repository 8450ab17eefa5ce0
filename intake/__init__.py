"""Intake: a batch of scans + manifest in; accepted documents in the raw bucket, bad files in quarantine."""

from intake.batch import IntakeReport, intake_batch
from intake.inspect import Inspection, QuarantineReason, RejectedFile, inspect_file
from intake.manifest import ManifestRow, read_manifest

__all__ = [
    "Inspection", "IntakeReport", "ManifestRow", "QuarantineReason", "RejectedFile",
    "inspect_file", "intake_batch", "read_manifest",
]
