"""Text encodings of CSV and JSONL files: declared or detected, always strict.

Detection: UTF-8 (with or without a byte-order mark) when the file decodes
strictly as UTF-8; otherwise GB18030 (a superset of GBK and GB2312, what
Chinese Excel and core-banking exports write) when a sample decodes strictly
as GB18030; otherwise whatever ``charset-normalizer`` suggests, when it is
installed.

Undecodable bytes reject the whole file (an :class:`IngestError` naming the
file, the encoding, the byte offset and the line) rather than quarantining a
line: a file with broken bytes was usually cut or transcoded wrongly as a
whole, and silently keeping the rest would hide that. The offending bytes are
never echoed, since they may be part of personal data.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from wealthdesk.errors import IngestError

_SAMPLE = 1 << 16


@dataclass(frozen=True)
class Decoded:
    """A text file re-encoded as UTF-8 (without BOM), with the encoding it was read as."""

    encoding: str
    data: bytes


def _canonical(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise IngestError(f"unknown encoding {name!r}; use e.g. utf-8 or gb18030") from None


def _sample_decodes(data: bytes, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        decoder.decode(data[:_SAMPLE], final=len(data) <= _SAMPLE)
    except UnicodeDecodeError:
        return False
    return True


def _error(
    path: Path, data: bytes, encoding: str, exc: UnicodeDecodeError, declared: bool, shift: int = 0
) -> IngestError:
    offset = exc.start + shift
    line = data.count(b"\n", 0, offset) + 1
    how = "declared" if declared else "detected"
    return IngestError(
        f"{path}: bytes at offset {offset} (line {line}) are not valid {encoding} ({how} encoding); "
        "nothing was loaded from this file. Re-export it as UTF-8 or GB18030, or pass the right --encoding."
    )


def detect(data: bytes) -> str:
    """Best guess of the encoding of ``data`` (see the module docstring)."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if _sample_decodes(data, "utf-8"):
        return "utf-8"
    if _sample_decodes(data, "gb18030"):
        return "gb18030"
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # optional
        return "utf-8"
    best = from_bytes(data[:_SAMPLE]).best()
    return _canonical(best.encoding) if best is not None else "utf-8"


def decode(path: Path, data: bytes, encoding: str | None = None) -> Decoded:
    """Decode ``data`` strictly (declared ``encoding`` or detected) and return it as UTF-8."""
    declared = encoding is not None
    name = _canonical(encoding) if encoding else detect(data)
    if name in ("utf-8", "utf-8-sig"):
        body = data[3:] if data.startswith(codecs.BOM_UTF8) else data
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _error(path, data, "utf-8", exc, declared, shift=len(data) - len(body)) from None
        return Decoded("utf-8-sig" if body is not data else "utf-8", body)
    try:
        text = data.decode(name)
    except UnicodeDecodeError as exc:
        raise _error(path, data, name, exc, declared) from None
    return Decoded(name, text.lstrip("\ufeff").encode("utf-8"))
