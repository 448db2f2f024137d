"""WeCom's callback URL, ``/wecom/callback``: URL verification (GET) and encrypted messages and events (POST).

WeCom cannot send our API token, so a callback is authenticated by its
signature alone (:mod:`wealthdesk.wecom.crypto`), checked before anything is
decrypted; the receive id inside must be our CorpID. A timestamp outside
``WEALTHDESK_WECOM_MAX_SKEW_S`` of the server's clock is refused as stale, a
nonce reused by a different request as a replay; every refusal is a problem
document that says why, and a log line (which carries no secret and no
message content). An accepted POST is committed raw before it is processed
(:mod:`wealthdesk.wecom.callbacks`) and answered with an empty 200, which
tells WeCom not to send it again; a retry of a stored callback is answered
the same and changes nothing.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import Annotated

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse

from wealthdesk.api.deps import server_part
from wealthdesk.api.problems import problem_responses
from wealthdesk.config import Settings
from wealthdesk.wecom.callbacks import ReplayedNonce, process_callback, store_callback
from wealthdesk.wecom.crypto import ReceiveIdMismatchError, SignatureError, WeComCrypto, WeComCryptoError

log = logging.getLogger(__name__)
router = APIRouter(prefix="/wecom", tags=["wecom"], responses=problem_responses(409, 413, 503))
MAX_BODY_BYTES = 1 << 20  # an envelope is a few KB; anything near this is not from WeCom

Signature = Annotated[str, Query(min_length=1, max_length=100, description="sha1 signature WeCom computed")]
Timestamp = Annotated[str, Query(min_length=1, max_length=20, description="seconds since the epoch, as WeCom sent it")]
Nonce = Annotated[str, Query(min_length=1, max_length=100)]


def _crypto(app: FastAPI) -> WeComCrypto:
    settings: Settings = app.state.settings
    if not (settings.wecom_token and settings.wecom_aes_key and settings.wecom_corp_id):
        raise HTTPException(
            503,
            "WeCom callbacks are not configured: set WEALTHDESK_WECOM_TOKEN, WEALTHDESK_WECOM_AES_KEY and "
            "WEALTHDESK_WECOM_CORP_ID",
        )
    return server_part(
        app,
        "wecom_crypto",
        lambda: WeComCrypto(
            settings.wecom_token.get_secret_value(),  # type: ignore[union-attr]
            settings.wecom_aes_key.get_secret_value(),  # type: ignore[union-attr]
            settings.wecom_corp_id,  # type: ignore[arg-type]
        ),
    )


def _refuse(request: Request, status: int, reason: str) -> HTTPException:
    log.warning(
        "WeCom callback refused (%d): %s; from %s", status, reason, request.client.host if request.client else "?"
    )
    return HTTPException(status, reason)


def _check_fresh(request: Request, timestamp: str) -> None:
    window = request.app.state.settings.wecom_max_skew_s
    if not re.fullmatch(r"[0-9]{1,20}", timestamp):
        raise _refuse(request, 400, f"timestamp {timestamp!r} is not a number of seconds")
    skew = abs(time.time() - int(timestamp))
    if window and skew > window:
        raise _refuse(request, 400, f"timestamp is {skew:,.0f} s from the server's clock (window {window} s): stale")


def _open(request: Request, action: str, open_: object) -> str:
    """Run the crypto step ``open_`` (a no-argument callable), turning its refusals into 4xx problems."""
    try:
        return open_()  # type: ignore[operator,no-any-return]
    except (SignatureError, ReceiveIdMismatchError) as exc:
        raise _refuse(request, 403, f"{action}: {exc}") from None
    except WeComCryptoError as exc:
        raise _refuse(request, 400, f"{action}: {exc}") from None


@router.get("/callback", response_class=PlainTextResponse, summary="WeCom URL verification")
def verify_url(
    request: Request, msg_signature: Signature, timestamp: Timestamp, nonce: Nonce, echostr: Annotated[str, Query()]
) -> PlainTextResponse:
    """The decrypted ``echostr``, bare (no quotes, no newline), as WeCom requires within 1 s."""
    crypto = _crypto(request.app)
    _check_fresh(request, timestamp)
    plain = _open(request, "URL verification", lambda: crypto.verify_url(msg_signature, timestamp, nonce, echostr))
    return PlainTextResponse(plain)


@router.post("/callback", summary="A WeCom message or event (encrypted XML envelope)")
async def receive(request: Request, msg_signature: Signature, timestamp: Timestamp, nonce: Nonce) -> Response:
    """Verify, decrypt, store raw, then process; an empty 200 once stored (WeCom then sends it no more)."""
    crypto = _crypto(request.app)
    _check_fresh(request, timestamp)
    text = (await _body(request)).decode("utf-8", "replace")
    encrypted = _open(request, "callback", lambda: crypto.encrypted_part(text))
    plaintext = _open(request, "callback", lambda: crypto.decrypt_message(msg_signature, timestamp, nonce, text))
    try:
        await run_in_threadpool(
            _store_and_process, request.app, timestamp, nonce, msg_signature, encrypted, text, plaintext
        )
    except ReplayedNonce as exc:
        raise _refuse(request, 409, str(exc)) from None
    return Response(status_code=200)


async def _body(request: Request) -> bytes:
    """The body, refused with 413 as soon as it is longer than any envelope (not after holding all of it)."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _refuse(request, 413, f"a {int(declared):,}-byte body is not a WeCom callback envelope")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _refuse(request, 413, f"a body over {MAX_BODY_BYTES:,} bytes is not a WeCom callback envelope")
        chunks.append(chunk)
    return b"".join(chunks)


def _store_and_process(
    app: FastAPI, timestamp: str, nonce: str, msg_signature: str, encrypted: str, body: str, plaintext: str
) -> None:
    """Store the callback, then process it unless a stored copy was processed already (a retry of one whose
    processing failed or never ran is processed again). One callback at a time: two copies of the same request,
    or two events about the same contact, never interleave."""
    con = app.state.con
    with server_part(app, "wecom_lock", threading.Lock):
        received = store_callback(
            con,
            timestamp=timestamp,
            nonce=nonce,
            msg_signature=msg_signature,
            encrypted=encrypted,
            body=body,
            plaintext=plaintext,
        )
        if received.status != "processed":
            process_callback(con, received.digest, plaintext)
