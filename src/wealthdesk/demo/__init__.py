"""Synthetic brokerage generator: a realistic, deterministic demo data set with planted truth.

``generate_brokerage(out, customers, seed)`` writes every canonical table the way
a brokerage would export it (GB18030 CSVs with YYYYMMDD dates, Parquet part
files, WeCom archive JSONL) plus a ``_truth/`` folder that later analyses are
validated against.
"""

from __future__ import annotations

from wealthdesk.demo.generator import GenerationSummary, generate_brokerage

__all__ = ["GenerationSummary", "generate_brokerage"]
