"""WeCom (企业微信) callback message crypto — a pure-Python WXBizMsgCrypt on `cryptography`.

WeCom signs and encrypts every callback (URL verification GET, message/event POST) and expects passive
replies encrypted the same way. The scheme (developer.work.weixin.qq.com/document/path/91144, 加解密方案说明):

* ``msg_signature = sha1(sorted([token, timestamp, nonce, msg_encrypt]).join(""))`` as lowercase hex;
* ``AESKey = base64decode(EncodingAESKey + "=")`` — 43 characters become exactly 32 bytes (AES-256);
* AES-CBC with ``IV = AESKey[:16]``; PKCS#7 padding to a multiple of **32** bytes (pad value 1..32), which is
  not the 16-byte PKCS7 of ``cryptography.hazmat.primitives.padding``, so padding is done here by hand while the
  block cipher itself is cryptography's;
* plaintext = 16 random bytes + 4-byte big-endian length of msg + msg (UTF-8) + ReceiveId (the CorpID for
  self-built apps, the SuiteId for third-party suite callbacks, "" for internal smart robots).

CBC has no integrity of its own: authenticity comes only from ``msg_signature`` (which needs the token), so the
signature is always checked before decrypting, and with a constant-time comparison. Decryption then checks the
padding, the length field and the ReceiveId strictly and raises a typed error for each failure, so the HTTP layer
can log the precise cause while answering WeCom uniformly.

XML: the envelope is parsed with ``defusedxml``, which refuses any DTD or entity declaration outright (a
callback envelope never has one), whatever Expat the interpreter is linked against.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import struct
from typing import Final
from xml.etree.ElementTree import ParseError

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from defusedxml import ElementTree as SafeElementTree
from defusedxml.common import DefusedXmlException

from wealthdesk.errors import WealthdeskError

__all__ = [
    "BLOCK_SIZE",
    "InvalidKeyError",
    "MalformedMessageError",
    "PaddingError",
    "ReceiveIdMismatchError",
    "SignatureError",
    "WeComCrypto",
    "WeComCryptoError",
    "jsapi_signature",
]

BLOCK_SIZE: Final[int] = 32  # WeCom pads to 32-byte multiples (pad value 1..32), not AES's 16-byte block
_RANDOM_LEN: Final[int] = 16
_LEN_FIELD: Final[int] = 4
_ENCODING_AES_KEY_LEN: Final[int] = 43
_B64_KEY_RE: Final[re.Pattern[str]] = re.compile(r"^[A-Za-z0-9+/]{43}$")
_TIMESTAMP_RE: Final[re.Pattern[str]] = re.compile(r"^[0-9]{1,20}$")


class WeComCryptoError(WealthdeskError):
    """Base class; ``code`` is the matching error code of WeCom's official WXBizMsgCrypt samples."""

    code: int = -40000


class SignatureError(WeComCryptoError):
    """msg_signature does not match sha1(sorted(token, timestamp, nonce, ciphertext)) — forged or wrong token."""

    code = -40001  # WXBizMsgCrypt_ValidateSignature_Error


class MalformedMessageError(WeComCryptoError):
    """The envelope XML, the base64 or the decrypted frame (length field, UTF-8) is not well formed."""

    code = -40002  # ParseXml_Error; frame errors map to -40008 IllegalBuffer, base64 to -40010


class InvalidKeyError(WeComCryptoError):
    """The EncodingAESKey is not 43 base64 characters decoding to a 32-byte AES-256 key."""

    code = -40004  # WXBizMsgCrypt_IllegalAesKey


class ReceiveIdMismatchError(WeComCryptoError):
    """The ReceiveId (CorpID / SuiteId) inside the plaintext is not ours: the message was meant for someone else."""

    code = -40005  # WXBizMsgCrypt_ValidateCorpid_Error


class PaddingError(WeComCryptoError):
    """Ciphertext length or the 32-byte PKCS#7 padding is invalid — tampered, truncated or wrong key."""

    code = -40007  # WXBizMsgCrypt_DecryptAES_Error


def _to_text(value: str | int, name: str) -> str:
    """Accept int timestamps for convenience, but sign exactly the string WeCom sent."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be str, got {type(value).__name__}")
    return value


class WeComCrypto:
    """Verify, decrypt and encrypt WeCom callback payloads for one (token, EncodingAESKey, ReceiveId).

    Instances hold no mutable state and are safe to share between threads/requests.
    """

    __slots__ = ("_key", "_receive_id", "_token")

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        """Validate the configuration eagerly so a bad secret fails at start-up, not on the first callback."""
        if not token:
            raise ValueError("token must be non-empty")
        if not isinstance(encoding_aes_key, str) or len(encoding_aes_key) != _ENCODING_AES_KEY_LEN:
            raise InvalidKeyError("EncodingAESKey must be exactly 43 characters")
        if not _B64_KEY_RE.fullmatch(encoding_aes_key):
            raise InvalidKeyError("EncodingAESKey must contain only base64 characters [A-Za-z0-9+/]")
        try:
            key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except (binascii.Error, ValueError) as exc:  # pragma: no cover - the regex above already guards this
            raise InvalidKeyError(f"EncodingAESKey is not valid base64: {exc}") from exc
        if len(key) != 32:  # pragma: no cover - 43 chars + "=" always decode to 32 bytes
            raise InvalidKeyError(f"decoded AES key is {len(key)} bytes, expected 32")
        self._token = token
        self._key = key
        self._receive_id = receive_id.encode("utf-8")  # "" is legitimate (internal smart-robot callbacks)

    # ------------------------------------------------------------------ signature

    def signature(self, timestamp: str | int, nonce: str, encrypted: str) -> str:
        """Return sha1 hex of the lexicographically sorted concatenation of token, timestamp, nonce, ciphertext."""
        parts = sorted([self._token, _to_text(timestamp, "timestamp"), nonce, encrypted])
        return hashlib.sha1("".join(parts).encode("utf-8")).hexdigest()

    def _check_signature(self, msg_signature: str, timestamp: str | int, nonce: str, encrypted: str) -> None:
        expected = self.signature(timestamp, nonce, encrypted)
        # compare_digest on bytes: constant time, and no TypeError on non-ASCII input
        if not hmac.compare_digest(expected.encode("ascii"), msg_signature.strip().lower().encode("utf-8")):
            raise SignatureError("msg_signature mismatch")

    # ------------------------------------------------------------------ low level

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16]))

    def encrypt(self, text: str, random16: bytes | None = None) -> str:
        """Encrypt ``text`` into WeCom's base64 ``msg_encrypt``.

        ``random16`` exists so tests can be deterministic; in production leave it None (os.urandom).
        """
        if random16 is None:
            random16 = os.urandom(_RANDOM_LEN)
        if len(random16) != _RANDOM_LEN:
            raise ValueError("random16 must be exactly 16 bytes")
        msg = text.encode("utf-8")
        plain = random16 + struct.pack(">I", len(msg)) + msg + self._receive_id
        pad = BLOCK_SIZE - len(plain) % BLOCK_SIZE  # 1..32; a full block of 32 when already aligned
        plain += bytes([pad]) * pad
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")

    def decrypt(self, b64: str) -> str:
        """Decrypt a base64 ``msg_encrypt`` and return the msg, checking padding, framing and ReceiveId.

        Does NOT check msg_signature: only call this on ciphertext whose signature you have verified.
        """
        try:
            raw = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError) as exc:
            # a '+' turned into ' ' is the classic symptom of a non-URL-decoded echostr
            raise MalformedMessageError(f"ciphertext is not valid base64 (was echostr URL-decoded?): {exc}") from exc
        if not raw or len(raw) % BLOCK_SIZE:
            raise PaddingError(f"ciphertext length {len(raw)} is not a positive multiple of {BLOCK_SIZE}")
        decryptor = self._cipher().decryptor()
        plain = decryptor.update(raw) + decryptor.finalize()

        pad = plain[-1]
        if not 1 <= pad <= BLOCK_SIZE or plain[-pad:] != bytes([pad]) * pad:
            raise PaddingError("invalid 32-byte PKCS#7 padding")
        body = plain[_RANDOM_LEN:-pad]
        if len(body) < _LEN_FIELD:
            raise MalformedMessageError("decrypted frame too short for the 4-byte length field")
        (msg_len,) = struct.unpack(">I", body[:_LEN_FIELD])
        if msg_len > len(body) - _LEN_FIELD:
            raise MalformedMessageError(f"length field {msg_len} exceeds the decrypted frame")
        msg = body[_LEN_FIELD : _LEN_FIELD + msg_len]
        receive_id = body[_LEN_FIELD + msg_len :]
        if not hmac.compare_digest(receive_id, self._receive_id):
            raise ReceiveIdMismatchError(
                f"receive id mismatch: got {receive_id.decode('utf-8', 'replace')!r}, "
                f"expected {self._receive_id.decode('utf-8')!r}"
            )
        try:
            return msg.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedMessageError(f"decrypted msg is not UTF-8: {exc}") from exc

    # ------------------------------------------------------------------ protocol level

    def verify_url(self, msg_signature: str, timestamp: str | int, nonce: str, echostr: str) -> str:
        """Handle the URL-verification GET: return the plaintext echostr to send back as the bare response body.

        Parameters must already be URL-decoded (frameworks' query parsers do this).
        """
        self._check_signature(msg_signature, timestamp, nonce, echostr)
        return self.decrypt(echostr)

    def decrypt_message(self, msg_signature: str, timestamp: str | int, nonce: str, post_xml_body: bytes | str) -> str:
        """Handle a callback POST: parse the envelope, verify the signature over <Encrypt>, return plaintext XML."""
        encrypted = self.encrypted_part(post_xml_body)
        self._check_signature(msg_signature, timestamp, nonce, encrypted)
        return self.decrypt(encrypted)

    def callback_request(self, plaintext: str, timestamp: str, nonce: str) -> tuple[dict[str, str], str]:
        """A callback POST as WeCom sends one: its query parameters (msg_signature, timestamp, nonce) and its
        envelope. For a local stand-in of WeCom (tests, benchmarks, replaying recorded events)."""
        encrypted = self.encrypt(plaintext)
        receive_id = self._receive_id.decode("utf-8")
        body = f"<xml><ToUserName><![CDATA[{receive_id}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        query = {"msg_signature": self.signature(timestamp, nonce, encrypted), "timestamp": timestamp, "nonce": nonce}
        return query, body

    def encrypt_message(self, reply_xml: str, nonce: str, timestamp: str | int) -> str:
        """Build the encrypted passive-reply envelope (Encrypt, MsgSignature, TimeStamp, Nonce).

        Same layout as the official sample's AES_TEXT_RESPONSE_TEMPLATE. nonce/timestamp are validated because they
        are interpolated into CDATA / element text.
        """
        ts = _to_text(timestamp, "timestamp")
        if not _TIMESTAMP_RE.fullmatch(ts):
            raise ValueError("timestamp must be decimal digits")
        if not nonce or "]]>" in nonce or any(ch in nonce for ch in "<>&\r\n"):
            raise ValueError("nonce must be non-empty and free of XML markup characters")
        encrypted = self.encrypt(reply_xml)
        sig = self.signature(ts, nonce, encrypted)
        return (
            "<xml>\n"
            f"<Encrypt><![CDATA[{encrypted}]]></Encrypt>\n"
            f"<MsgSignature><![CDATA[{sig}]]></MsgSignature>\n"
            f"<TimeStamp>{ts}</TimeStamp>\n"
            f"<Nonce><![CDATA[{nonce}]]></Nonce>\n"
            "</xml>"
        )

    @staticmethod
    def encrypted_part(post_xml_body: bytes | str) -> str:
        """The ``<Encrypt>`` text of a callback envelope (what the signature covers), parsed with DTDs refused."""
        try:
            root = SafeElementTree.fromstring(post_xml_body, forbid_dtd=True)
        except (ParseError, DefusedXmlException, ValueError) as exc:
            raise MalformedMessageError(f"callback body is not acceptable XML: {exc}") from exc
        node = root.find("Encrypt")
        text: str = "" if node is None or node.text is None else node.text.strip()
        if not text:
            raise MalformedMessageError("callback XML has no non-empty <Encrypt> element")
        return text


def jsapi_signature(jsapi_ticket: str, noncestr: str, timestamp: str | int, url: str) -> str:
    """JS-SDK signature for wx.config (corp jsapi_ticket) and wx.agentConfig (agent_config ticket).

    sha1("jsapi_ticket=...&noncestr=...&timestamp=...&url=...") in exactly this order, values raw (no URL-encoding),
    url without its "#fragment" (developer.work.weixin.qq.com/document/path/96909). Kept next to the callback
    crypto because it is the other SHA-1 signature WeCom checks, and because the ticket must stay server-side.
    """
    page = url.split("#", 1)[0]
    ts = _to_text(timestamp, "timestamp")
    raw = f"jsapi_ticket={jsapi_ticket}&noncestr={noncestr}&timestamp={ts}&url={page}"
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()
