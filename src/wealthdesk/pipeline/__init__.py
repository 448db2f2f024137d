"""Orchestration of multi-stage jobs (the demo now; the batch pipeline later)."""
