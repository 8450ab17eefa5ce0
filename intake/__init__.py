"""Intake: a batch of scans + manifest in; accepted documents in the raw bucket, bad files in quarantine."""

from intake.batch import IntakePlan, IntakeReport, intake_batch, plan_batch, take_chunk
from intake.inspect import Inspection, QuarantineReason, RejectedFile, inspect_file
from intake.manifest import ManifestRow, read_manifest

__all__ = [
    "Inspection", "IntakePlan", "IntakeReport", "ManifestRow", "QuarantineReason", "RejectedFile",
    "inspect_file", "intake_batch", "plan_batch", "read_manifest", "take_chunk",
]
