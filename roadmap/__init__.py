"""Roadmap: administrative units (63 → 34 provinces), yearly plans, progress and reports."""
