"""What a decrypted WeCom callback is about: its message type, event and change type.

Processing of each kind (the contact events' relationship history) builds on
:func:`callback_fields`; a callback of a kind nothing handles yet is kept as
received and marked processed with its kind, so it can be handled later from
the store.
"""

from __future__ import annotations

from defusedxml import ElementTree as SafeElementTree

from wealthdesk.errors import WealthdeskError


class CallbackFormatError(WealthdeskError):
    """A decrypted callback that is not the XML WeCom documents."""


def callback_fields(plaintext: str) -> dict[str, str]:
    """The callback's top-level elements (ToUserName, MsgType, Event, ChangeType, …) as text."""
    try:
        root = SafeElementTree.fromstring(plaintext, forbid_dtd=True)
    except Exception as exc:  # defusedxml's refusals and expat's parse errors alike
        raise CallbackFormatError(f"the decrypted callback is not acceptable XML: {exc}") from exc
    if root.tag != "xml":
        raise CallbackFormatError(f"the decrypted callback's root is <{root.tag}>, not <xml>")
    return {child.tag: (child.text or "").strip() for child in root}


def callback_kind(fields: dict[str, str]) -> str:
    """``MsgType[/Event[/ChangeType]]``, e.g. ``event/change_external_contact/add_external_contact``."""
    if not fields.get("MsgType"):
        raise CallbackFormatError("the decrypted callback has no MsgType")
    parts = [fields["MsgType"], fields.get("Event", ""), fields.get("ChangeType", "")]
    return "/".join(p for p in parts if p)
