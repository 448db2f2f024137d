"""Investor suitability (投资者适当性): the one place that decides which product risk a client may be offered."""
