"""Tests for crypto.WeComCrypto, pinned to the official vector of WeCom's Python callback sample.

Vector source: sbzhu/weworkapi_python callback/Sample.py (WeCom's own weworkapi sample; same values in
callback_python3/Sample.py), example 2 "对用户回复的消息解密" and example 1 "验证回调URL".
"""

from __future__ import annotations

import base64
import struct
from xml.etree import ElementTree as ET

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from wealthdesk.wecom.crypto import (
    BLOCK_SIZE,
    InvalidKeyError,
    MalformedMessageError,
    PaddingError,
    ReceiveIdMismatchError,
    SignatureError,
    WeComCrypto,
    WeComCryptoError,
    jsapi_signature,
)
from wealthdesk.wecom.sample import (
    AES_KEY,
    CORP_ID,
    ENCRYPT,
    GET_ECHOSTR,
    GET_NONCE,
    GET_SIGNATURE,
    GET_TIMESTAMP,
    MSG_SIGNATURE,
    NONCE,
    PLAINTEXT,
    POST_BODY,
    TIMESTAMP,
    TOKEN,
)


@pytest.fixture
def wx() -> WeComCrypto:
    return WeComCrypto(TOKEN, AES_KEY, CORP_ID)


def _raw_key() -> bytes:
    return base64.b64decode(AES_KEY + "=")


def _aes_cbc(data: bytes, *, decrypt: bool = False) -> bytes:
    """Raw AES-256-CBC with no padding, for building hostile ciphertexts and inspecting plaintext frames."""
    key = _raw_key()
    cipher = Cipher(algorithms.AES(key), modes.CBC(key[:16]))
    ctx = cipher.decryptor() if decrypt else cipher.encryptor()
    return ctx.update(data) + ctx.finalize()


def _frame(msg: bytes, receive_id: bytes = CORP_ID.encode(), random16: bytes = b"R" * 16) -> bytes:
    return random16 + struct.pack(">I", len(msg)) + msg + receive_id


# ---------------------------------------------------------------- the official vector


def test_official_vector_signature(wx: WeComCrypto) -> None:
    assert wx.signature(TIMESTAMP, NONCE, ENCRYPT) == MSG_SIGNATURE
    assert wx.signature(int(TIMESTAMP), NONCE, ENCRYPT) == MSG_SIGNATURE


def test_official_vector_decrypt_message(wx: WeComCrypto) -> None:
    assert wx.decrypt_message(MSG_SIGNATURE, TIMESTAMP, NONCE, POST_BODY) == PLAINTEXT
    assert wx.decrypt_message(MSG_SIGNATURE, TIMESTAMP, NONCE, POST_BODY.encode("utf-8")) == PLAINTEXT


def test_official_vector_low_level_decrypt(wx: WeComCrypto) -> None:
    assert wx.decrypt(ENCRYPT) == PLAINTEXT


def test_official_vector_uses_32_byte_padding() -> None:
    raw = base64.b64decode(ENCRYPT)
    plain = _aes_cbc(raw, decrypt=True)
    frame_len = 16 + 4 + len(PLAINTEXT.encode("utf-8")) + len(CORP_ID)
    pad = plain[-1]
    assert len(raw) % BLOCK_SIZE == 0
    assert pad == BLOCK_SIZE - frame_len % BLOCK_SIZE == 22  # 266-byte frame; 22 > 16 is impossible in PKCS7/16
    assert plain[-pad:] == bytes([pad]) * pad
    assert plain[16:20] == struct.pack(">I", len(PLAINTEXT.encode("utf-8")))
    assert plain[20 + len(PLAINTEXT.encode("utf-8")) : -pad] == CORP_ID.encode()


def test_official_get_vector_verify_url(wx: WeComCrypto) -> None:
    # The sample gives no expected echostr plaintext; signature and receive id are verified, and WeCom's echostr
    # is a random decimal string.
    echo = wx.verify_url(GET_SIGNATURE, GET_TIMESTAMP, GET_NONCE, GET_ECHOSTR)
    assert echo.isdigit()


# ---------------------------------------------------------------- round trips


@pytest.mark.parametrize("text", ["", "a", "你好" * 50, "x" * 10, "<xml><Content>回复</Content></xml>"])
def test_round_trip_low_level(wx: WeComCrypto, text: str) -> None:
    assert wx.decrypt(wx.encrypt(text)) == text


def test_encrypt_is_deterministic_given_random16(wx: WeComCrypto) -> None:
    r = bytes(range(16))
    a = wx.encrypt("hello", random16=r)
    assert a == wx.encrypt("hello", random16=r)
    assert _aes_cbc(base64.b64decode(a), decrypt=True)[:16] == r
    assert a != wx.encrypt("hello")  # fresh random prefix by default
    with pytest.raises(ValueError):
        wx.encrypt("hello", random16=b"short")


def test_encrypt_message_round_trip(wx: WeComCrypto) -> None:
    reply = "<xml><ToUserName>u</ToUserName><MsgType>text</MsgType><Content>收到</Content></xml>"
    envelope = wx.encrypt_message(reply, NONCE, TIMESTAMP)
    root = ET.fromstring(envelope)
    assert [child.tag for child in root] == ["Encrypt", "MsgSignature", "TimeStamp", "Nonce"]
    assert root.findtext("TimeStamp") == TIMESTAMP
    assert root.findtext("Nonce") == NONCE
    sig = root.findtext("MsgSignature")
    assert sig == wx.signature(TIMESTAMP, NONCE, root.findtext("Encrypt") or "")
    # the reply envelope carries <Encrypt>, so decrypt_message can read it back
    assert wx.decrypt_message(sig or "", TIMESTAMP, NONCE, envelope) == reply


@pytest.mark.parametrize("nonce", ["", "a]]>b", "<x>", "a&b"])
def test_encrypt_message_rejects_unsafe_nonce(wx: WeComCrypto, nonce: str) -> None:
    with pytest.raises(ValueError):
        wx.encrypt_message("<xml/>", nonce, TIMESTAMP)


def test_encrypt_message_rejects_non_numeric_timestamp(wx: WeComCrypto) -> None:
    with pytest.raises(ValueError):
        wx.encrypt_message("<xml/>", NONCE, "12<3")


# ---------------------------------------------------------------- signature


@pytest.mark.parametrize(
    ("sig", "ts", "nonce"),
    [
        ("0c3914025cb4b4d68103f6bfc8db550f79dcf48f", TIMESTAMP, NONCE),  # last hex digit changed
        ("", TIMESTAMP, NONCE),
        ("不是签名", TIMESTAMP, NONCE),
        (MSG_SIGNATURE, "1476422780", NONCE),  # replay with another timestamp
        (MSG_SIGNATURE, TIMESTAMP, "1597212915"),
    ],
)
def test_forged_signature_rejected(wx: WeComCrypto, sig: str, ts: str, nonce: str) -> None:
    with pytest.raises(SignatureError):
        wx.decrypt_message(sig, ts, nonce, POST_BODY)
    with pytest.raises(SignatureError):
        wx.verify_url(sig, ts, nonce, ENCRYPT)


def test_wrong_token_rejected() -> None:
    other = WeComCrypto("someOtherToken", AES_KEY, CORP_ID)
    with pytest.raises(SignatureError):
        other.decrypt_message(MSG_SIGNATURE, TIMESTAMP, NONCE, POST_BODY)


# ---------------------------------------------------------------- receive id


def test_wrong_receive_id_rejected() -> None:
    other = WeComCrypto(TOKEN, AES_KEY, "ww0000000000000000")
    with pytest.raises(ReceiveIdMismatchError) as info:
        other.decrypt_message(MSG_SIGNATURE, TIMESTAMP, NONCE, POST_BODY)
    assert info.value.code == -40005


def test_receive_id_prefix_is_not_enough(wx: WeComCrypto) -> None:
    forged = base64.b64encode(_aes_cbc(_pkcs7_32(_frame(b"<xml/>", receive_id=b"ww1436e0e65a779aee-evil")))).decode()
    with pytest.raises(ReceiveIdMismatchError):
        wx.decrypt(forged)


# ---------------------------------------------------------------- tampering and padding


def _pkcs7_32(data: bytes) -> bytes:
    pad = BLOCK_SIZE - len(data) % BLOCK_SIZE
    return data + bytes([pad]) * pad


def _flip(b64: str, index: int) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[index] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize("index", [0, 17, 100, -17, -1])
def test_tampered_ciphertext_fails_signature(wx: WeComCrypto, index: int) -> None:
    tampered = _flip(ENCRYPT, index)
    body = POST_BODY.replace(ENCRYPT, tampered)
    with pytest.raises(SignatureError):
        wx.decrypt_message(MSG_SIGNATURE, TIMESTAMP, NONCE, body)


def test_tampered_last_block_detected_even_if_resigned(wx: WeComCrypto) -> None:
    # flipping a bit in the second-to-last block flips the same bit of the last plaintext block (padding)
    tampered = _flip(ENCRYPT, -17)
    sig = wx.signature(TIMESTAMP, NONCE, tampered)
    with pytest.raises(PaddingError):
        wx.decrypt_message(sig, TIMESTAMP, NONCE, POST_BODY.replace(ENCRYPT, tampered))


@pytest.mark.parametrize(
    "tail",
    [
        b"\x00",  # pad 0 is never valid
        bytes([33]),  # > 32: would be valid for nothing
        b"\x05\x05\x05\x04\x05",  # inconsistent pad bytes
    ],
)
def test_bad_padding_rejected(wx: WeComCrypto, tail: bytes) -> None:
    frame = _frame(b"<xml>hi</xml>")
    filler = BLOCK_SIZE - (len(frame) + len(tail)) % BLOCK_SIZE
    plain = frame + b"Z" * filler + tail
    assert len(plain) % BLOCK_SIZE == 0
    with pytest.raises(PaddingError) as info:
        wx.decrypt(base64.b64encode(_aes_cbc(plain)).decode())
    assert info.value.code == -40007


def test_truncated_or_16_byte_aligned_ciphertext_rejected(wx: WeComCrypto) -> None:
    raw = base64.b64decode(ENCRYPT)
    for bad in (raw[:-16], raw[:-32] + raw[-16:], b""):
        with pytest.raises(PaddingError):
            wx.decrypt(base64.b64encode(bad).decode())


def test_length_field_overflow_rejected(wx: WeComCrypto) -> None:
    frame = b"R" * 16 + struct.pack(">I", 10_000) + b"<xml/>" + CORP_ID.encode()
    with pytest.raises(MalformedMessageError):
        wx.decrypt(base64.b64encode(_aes_cbc(_pkcs7_32(frame))).decode())


def test_non_utf8_msg_rejected(wx: WeComCrypto) -> None:
    forged = base64.b64encode(_aes_cbc(_pkcs7_32(_frame(b"\xff\xfe")))).decode()
    with pytest.raises(MalformedMessageError):
        wx.decrypt(forged)


def test_bad_base64_rejected(wx: WeComCrypto) -> None:
    # '+' decoded to ' ' by a double URL-decode is the usual real-world cause
    with pytest.raises(MalformedMessageError):
        wx.decrypt(ENCRYPT.replace("+", " "))


# ---------------------------------------------------------------- key validation


@pytest.mark.parametrize(
    "key",
    [
        AES_KEY[:-1],  # 42 chars
        AES_KEY + "A",  # 44 chars
        AES_KEY + "=",  # already padded
        "",
        AES_KEY[:-1] + "!",  # non-base64 character
        AES_KEY[:-1] + "-",  # URL-safe alphabet is not accepted
    ],
)
def test_bad_key_rejected(key: str) -> None:
    with pytest.raises(InvalidKeyError) as info:
        WeComCrypto(TOKEN, key, CORP_ID)
    assert info.value.code == -40004
    assert isinstance(info.value, WeComCryptoError)


def test_empty_token_rejected() -> None:
    with pytest.raises(ValueError):
        WeComCrypto("", AES_KEY, CORP_ID)


# ---------------------------------------------------------------- 32-byte block padding


def test_ciphertext_length_uses_32_byte_blocks(wx: WeComCrypto) -> None:
    # frame = 16 random + 4 length + 5 ("hello") + 18 (corp id) = 43 bytes:
    # 32-byte PKCS#7 -> 64 bytes (pad 21); 16-byte PKCS7 would give 48 bytes.
    raw = base64.b64decode(wx.encrypt("hello"))
    assert len(raw) == 64
    assert _aes_cbc(raw, decrypt=True)[-21:] == bytes([21]) * 21


def test_aligned_frame_gets_a_full_32_byte_pad_block(wx: WeComCrypto) -> None:
    msg = "m" * (64 - 16 - 4 - len(CORP_ID))  # frame exactly 64 bytes
    raw = base64.b64decode(wx.encrypt(msg))
    assert len(raw) == 96
    assert _aes_cbc(raw, decrypt=True)[-32:] == bytes([32]) * 32
    assert wx.decrypt(base64.b64encode(raw).decode()) == msg


def test_pad_between_17_and_32_accepted(wx: WeComCrypto) -> None:
    # pad values > 16 are what distinguish WeCom's scheme from 16-byte PKCS7; they must decrypt
    for n in range(0, 40):
        text = "y" * n
        raw = base64.b64decode(wx.encrypt(text))
        pad = _aes_cbc(raw, decrypt=True)[-1]
        assert 1 <= pad <= 32
        assert wx.decrypt(base64.b64encode(raw).decode()) == text


# ---------------------------------------------------------------- envelope XML


def test_missing_encrypt_element(wx: WeComCrypto) -> None:
    with pytest.raises(MalformedMessageError):
        wx.decrypt_message(MSG_SIGNATURE, TIMESTAMP, NONCE, "<xml><ToUserName>x</ToUserName></xml>")


def test_not_xml(wx: WeComCrypto) -> None:
    with pytest.raises(MalformedMessageError):
        wx.decrypt_message(MSG_SIGNATURE, TIMESTAMP, NONCE, b"not xml")


def test_entity_declarations_rejected(wx: WeComCrypto) -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        "<xml><Encrypt>&b;</Encrypt></xml>"
    )
    with pytest.raises(MalformedMessageError, match="not acceptable XML"):  # refused before any signature check
        wx.decrypt_message(MSG_SIGNATURE, TIMESTAMP, NONCE, bomb)


# ---------------------------------------------------------------- JS-SDK signature (document/path/96909 example)


def test_jsapi_signature_official_example() -> None:
    ticket = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"
    sig = jsapi_signature(ticket, "Wm3WZYTPz0wzccnW", 1414587457, "http://mp.weixin.qq.com?params=value")
    assert sig == "0f9de62fce790f9a083d5c99e95740ceb90c27ed"
    # the fragment is not part of the signed URL
    assert jsapi_signature(ticket, "Wm3WZYTPz0wzccnW", "1414587457", "http://mp.weixin.qq.com?params=value#x") == sig
