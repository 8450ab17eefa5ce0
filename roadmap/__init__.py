"""Roadmap: yearly plans, progress and semiannual reports (the administrative units they name are core.units)."""
