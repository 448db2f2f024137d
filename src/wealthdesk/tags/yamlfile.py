"""What the tag file and the keyword dictionary share: a versioned YAML file, checked as a whole.

Both are edited by hand, so both report every problem at once, each with
where it is, instead of stopping at the first.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from wealthdesk.errors import WealthdeskError

NAME = re.compile(r"^[a-z][a-z0-9_]{1,62}$")  # names of tags and segments: snake_case, 2-63 characters
NAME_RULE = "must be snake_case (a-z, 0-9, _), 2-63 characters"


def read_document(text: str, source: str, error: type[WealthdeskError], keys: tuple[str, ...]) -> dict[str, Any]:
    """The YAML mapping in ``text`` (safe_load only), which must hold a list 'tags'; raises ``error`` otherwise."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise error(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("tags"), list):
        wanted = ", ".join(f"'{k}'" for k in keys if k != "tags")
        raise error(f"{source}: expected a mapping with {wanted} and a list 'tags'")
    return document


def check_version(document: dict[str, Any], what: str, problems: list[str]) -> str:
    """The document's version as text; a missing or empty one is a problem."""
    version = document.get("version")
    if not isinstance(version, int | str) or isinstance(version, bool) or not str(version).strip():
        problems.append(f"version: required (a number or text), bump it whenever {what} changes")
    return str(version)


def raise_problems(error: type[WealthdeskError], source: str, problems: list[str]) -> None:
    """Raise ``error`` listing every problem, if there are any."""
    if problems:
        raise error(f"{source}: {len(problems)} problem(s):\n" + "\n".join(f"- {p}" for p in problems))


def read_text(path: Path | None, default: str, error: type[WealthdeskError], what: str) -> tuple[str, str]:
    """(text, source name) of the file at ``path``, or of the ``default`` file shipped in wealthdesk.tags."""
    if path is None:
        return resources.files("wealthdesk.tags").joinpath(default).read_text(encoding="utf-8"), default
    try:
        return Path(path).read_text(encoding="utf-8"), str(path)
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror or exc}") from None
