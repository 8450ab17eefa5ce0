"""The ground floor: rules and settings every package shares, with one home each.

`core` imports nothing of ours (tests/test_architecture.py enforces it): identifiers (CCCD/CMND,
document number), Vietnamese text (NFC, folding), administrative units (63 → 34 provinces,
communes), settings, crash points, the real scans with their dev / held-out split. See docs/architecture.md.
"""
