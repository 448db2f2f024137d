"""Campaigns: a content pushed to a segment, with a random held-out control group, and what it converted."""
