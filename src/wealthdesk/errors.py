"""Typed errors. Each message says what was wrong and what to do about it."""

from __future__ import annotations


class WealthdeskError(Exception):
    """Base class of every error wealthdesk raises on purpose."""


class ConfigError(WealthdeskError):
    """A setting is missing or invalid."""


class StoreError(WealthdeskError):
    """The store cannot be opened or is not a wealthdesk store."""


class IngestError(WealthdeskError):
    """A source file cannot be read or does not fit the data contract as a whole."""


class GenerationError(WealthdeskError):
    """The synthetic brokerage cannot be generated with the given parameters."""


class QualityError(WealthdeskError):
    """A quality rule or metric cannot be evaluated."""
