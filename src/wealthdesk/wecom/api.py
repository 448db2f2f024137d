"""A client of WeCom's server API (qyapi.weixin.qq.com): access token, tickets, tags, contacts, OAuth.

WeCom answers every call with HTTP 200 and a JSON body whose ``errcode`` says
what happened (0: ok); ``errmsg`` may change wording, so only ``errcode`` is
branched on (developer.work.weixin.qq.com/document/path/90313). What the
client does about each:

- **The access token** is fetched once (``gettoken``) and kept until shortly
  before its ``expires_in``: WeCom limits how often it may be fetched and asks
  that it never be fetched per request. WeCom may still invalidate it early;
  a call answered 40014 (invalid token), 42001 (expired) or 41001 (missing)
  fetches a new one and is sent again, once.
- **Limits and busy servers** (45009 frequency limit, 45033 concurrency limit,
  -1 system busy, HTTP 5xx, a connection that failed) are retried with
  exponential back-off and jitter, a few times, then reported.
- **Everything else** (an unknown tag, a contact the advisor does not follow,
  a bad code) is a :class:`WeComApiError` naming the path and the errcode.

The token, the secret and the tickets never appear in an error or a log line:
they travel in query strings, so httpx's own request logging (which prints
the URL) is kept at WARNING.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from wealthdesk.config import Settings
from wealthdesk.errors import ConfigError, WealthdeskError

DEFAULT_API_BASE = "https://qyapi.weixin.qq.com"
TOKEN_ERRORS = frozenset({40014, 42001, 41001})  # invalid, expired, missing access_token: fetch a new one
LIMIT_ERRORS = frozenset({45009, 45033, -1})  # frequency limit, concurrency limit, system busy: back off
TOKEN_MARGIN_S = 300  # a token or ticket is renewed this long before WeCom says it expires
PAGE = 100  # batch/get_by_user: at most 100 userids per request and 100 contacts per page

log = logging.getLogger(__name__)
for _name in ("httpx", "httpcore"):  # they log request URLs, and WeCom's carry the access token
    logging.getLogger(_name).setLevel(max(logging.getLogger(_name).level, logging.WARNING))


class WeComApiError(WealthdeskError):
    """A WeCom API call that failed; ``errcode`` is WeCom's (None for a transport or HTTP failure)."""

    def __init__(self, path: str, errcode: int | None, errmsg: str) -> None:
        self.path, self.errcode, self.errmsg = path, errcode, errmsg
        code = "" if errcode is None else f"errcode {errcode}: "
        super().__init__(f"WeCom {path} failed: {code}{errmsg}")


@dataclass(frozen=True)
class CorpTag:
    """A corporate customer tag (企业客户标签)."""

    id: str
    name: str


@dataclass(frozen=True)
class TagGroup:
    """A corporate tag group and its tags."""

    group_id: str
    group_name: str
    tags: tuple[CorpTag, ...]


@dataclass(frozen=True)
class FollowedContact:
    """One advisor ↔ external contact relationship as WeCom holds it, with the corporate tags on it."""

    userid: str
    external_userid: str
    tag_ids: frozenset[str]


@dataclass
class _Expiring:
    value: str = ""
    renew_at: float = 0.0


@dataclass
class CallStats:
    """How many requests were sent, and how many were sent again (after a limit or a new token)."""

    requests: int = 0
    retries: int = 0
    token_refreshes: int = 0
    waited_s: float = 0.0
    by_path: dict[str, int] = field(default_factory=dict)


class WeComClient:
    """One corporation's app (CorpID and its Secret). Thread-safe; share one per process and secret."""

    def __init__(
        self,
        corp_id: str,
        secret: str,
        base_url: str = DEFAULT_API_BASE,
        *,
        attempts: int = 4,
        backoff_s: float = 1.0,
        timeout_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._corp_id, self._secret = corp_id, secret
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout_s)
        self._attempts, self._backoff_s = attempts, backoff_s
        self._clock, self._sleep = clock, sleep
        self._token = _Expiring()
        self._tickets: dict[str, _Expiring] = {}
        self._lock = threading.Lock()  # the token: one fetch at a time, the others wait for it
        self._ticket_lock = threading.Lock()  # the tickets: likewise (WeCom allows 100 agent tickets an hour)
        self._stats_lock = threading.Lock()
        self.stats = CallStats()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> WeComClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- transport

    def call(self, method: str, path: str, params: dict[str, Any] | None = None, body: Any = None) -> dict[str, Any]:
        """One API call with the access token: the answer's JSON when errcode is 0, else :class:`WeComApiError`."""
        return self._exchange(method, path, params, body, authenticated=True)

    def _exchange(
        self, method: str, path: str, params: dict[str, Any] | None, body: Any, *, authenticated: bool
    ) -> dict[str, Any]:
        """Send until answered: once more after a refused token (that is not one of the attempts), and after a
        limit or a failure with back-off, up to ``attempts`` in all; then the last reason, with WeCom's errcode."""
        refreshed = False
        attempt, sent = 1, 0
        while True:
            query = dict(params or {})
            token = self.access_token() if authenticated else ""
            if authenticated:
                query["access_token"] = token
            answer, problem = self._send(method, path, query, body, resent=sent > 0)
            sent += 1
            code: int | None = None
            if answer is not None:
                code = answer.get("errcode", 0)
                if code == 0:
                    return answer
                if authenticated and code in TOKEN_ERRORS and not refreshed:
                    refreshed = True
                    self._forget_token(token)
                    self._count(token_refreshes=1)
                    log.info("WeCom %s: access token refused (errcode %s); fetching a new one", path, code)
                    continue
                problem = f"errcode {code}: {answer.get('errmsg', '')}"
                if code not in LIMIT_ERRORS:
                    raise WeComApiError(path, code, str(answer.get("errmsg", "")))
            if attempt >= self._attempts:
                raise WeComApiError(path, code, f"{problem} (gave up after {attempt} attempts)")
            self._back_off(path, attempt, problem if code is None else f"errcode {code}")
            attempt += 1

    def _send(
        self, method: str, path: str, params: dict[str, Any], body: Any, *, resent: bool
    ) -> tuple[dict[str, Any] | None, str]:
        """One request: (the JSON answer, "") or (None, why) for a failure worth retrying (HTTP 5xx, transport)."""
        self._count(requests=1, retries=int(resent), path=path)
        try:
            response = self._http.request(method, path, params=params, json=body)
        except httpx.TransportError as exc:
            return None, type(exc).__name__
        if response.status_code >= 500:
            return None, f"HTTP {response.status_code}"
        if response.status_code != 200:
            raise WeComApiError(path, None, f"HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            raise WeComApiError(path, None, "the answer is not JSON") from None
        if not isinstance(answer, dict):
            raise WeComApiError(path, None, "the answer is not a JSON object")
        return answer, ""

    def _count(
        self, requests: int = 0, retries: int = 0, token_refreshes: int = 0, waited_s: float = 0.0, path: str = ""
    ) -> None:
        with self._stats_lock:
            self.stats.requests += requests
            self.stats.retries += retries
            self.stats.token_refreshes += token_refreshes
            self.stats.waited_s += waited_s
            if path:
                self.stats.by_path[path] = self.stats.by_path.get(path, 0) + requests

    def _back_off(self, path: str, attempt: int, why: str) -> None:
        """Exponential back-off with jitter: 1, 2, 4 … × backoff_s, each scaled by a random 0.5–1."""
        delay = self._backoff_s * 2 ** (attempt - 1) * random.uniform(0.5, 1.0)
        log.warning(
            "WeCom %s: %s; retrying in %.1f s (attempt %d of %d)", path, why, delay, attempt + 1, self._attempts
        )
        self._count(waited_s=delay)
        self._sleep(delay)

    # ---------------------------------------------------------------- token and tickets

    def access_token(self) -> str:
        """The cached access token, fetched when there is none or it is about to expire."""
        with self._lock:
            if not self._token.value or self._clock() >= self._token.renew_at:
                query = {"corpid": self._corp_id, "corpsecret": self._secret}
                answer = self._exchange("GET", "/cgi-bin/gettoken", query, None, authenticated=False)
                self._token = self._expiring(answer, "access_token")
            return self._token.value

    def _forget_token(self, token: str) -> None:
        with self._lock:
            if self._token.value == token:  # another thread may have fetched a new one already
                self._token = _Expiring()

    def _expiring(self, answer: dict[str, Any], key: str) -> _Expiring:
        value, lifetime = answer.get(key), answer.get("expires_in")
        if not isinstance(value, str) or not value or not isinstance(lifetime, int):
            raise WeComApiError("(token)", None, f"the answer has no {key} and expires_in")
        return _Expiring(value, self._clock() + max(lifetime - TOKEN_MARGIN_S, lifetime / 2))

    def jsapi_ticket(self, kind: str) -> str:
        """The JS-SDK ticket: ``corp`` (get_jsapi_ticket, for wx.config) or ``agent`` (ticket/get?type=agent_config,
        for wx.agentConfig). Cached until shortly before it expires: WeCom allows a few hundred fetches an hour."""
        if kind not in ("corp", "agent"):
            raise ValueError(f"ticket kind {kind!r}: corp or agent")
        with self._ticket_lock:
            cached = self._tickets.get(kind)
            if cached and self._clock() < cached.renew_at:
                return cached.value
            if kind == "corp":
                answer = self.call("GET", "/cgi-bin/get_jsapi_ticket")
            else:
                answer = self.call("GET", "/cgi-bin/ticket/get", {"type": "agent_config"})
            ticket = self._expiring(answer, "ticket")
            self._tickets[kind] = ticket
            return ticket.value

    # ---------------------------------------------------------------- tags and contacts

    def corp_tags(self) -> list[TagGroup]:
        """Every corporate tag group and its tags (get_corp_tag_list with no filter); deleted ones left out."""
        answer = self.call("POST", "/cgi-bin/externalcontact/get_corp_tag_list", body={})
        return [_group(g) for g in answer.get("tag_group", []) if not g.get("deleted")]

    def add_corp_tags(self, group_name: str, names: list[str], group_id: str | None = None) -> TagGroup:
        """Create tags in a group (add_corp_tag): the group ``group_id``, or a new group named ``group_name``."""
        body: dict[str, Any] = {"tag": [{"name": name} for name in names]}
        body.update({"group_id": group_id} if group_id else {"group_name": group_name})
        return _group(self.call("POST", "/cgi-bin/externalcontact/add_corp_tag", body=body)["tag_group"])

    def mark_tag(self, userid: str, external_userid: str, add: list[str], remove: list[str]) -> None:
        """Add and remove corporate tags (ids) on one relationship; WeCom refuses a call with neither."""
        body = {"userid": userid, "external_userid": external_userid, "add_tag": add, "remove_tag": remove}
        self.call("POST", "/cgi-bin/externalcontact/mark_tag", body=body)

    def followed_contacts(self, userids: list[str]) -> Iterator[FollowedContact]:
        """Every external contact the advisors follow, with the tag ids on each (batch/get_by_user, paged)."""
        for start in range(0, len(userids), PAGE):
            cursor = ""
            while True:
                body = {"userid_list": userids[start : start + PAGE], "cursor": cursor, "limit": PAGE}
                answer = self.call("POST", "/cgi-bin/externalcontact/batch/get_by_user", body=body)
                for item in answer.get("external_contact_list", []):
                    follow = item.get("follow_info", {})
                    yield FollowedContact(
                        userid=follow.get("userid", ""),
                        external_userid=item.get("external_contact", {}).get("external_userid", ""),
                        tag_ids=frozenset(follow.get("tag_id", [])),
                    )
                cursor = answer.get("next_cursor", "")
                if not cursor:
                    break

    def oauth_userid(self, code: str) -> str | None:
        """The member a WeCom OAuth ``code`` was issued to (auth/getuserinfo); None for a non-member (openid)."""
        answer = self.call("GET", "/cgi-bin/auth/getuserinfo", {"code": code})
        userid = answer.get("userid") or answer.get("UserId")  # the older /cgi-bin/user/getuserinfo said UserId
        return str(userid) if userid else None


def _group(raw: dict[str, Any]) -> TagGroup:
    tags = tuple(CorpTag(t["id"], t["name"]) for t in raw.get("tag", []) if not t.get("deleted"))
    return TagGroup(group_id=raw["group_id"], group_name=raw["group_name"], tags=tags)


def client_from_settings(settings: Settings) -> WeComClient:
    """The API client of the configured app; a :class:`ConfigError` names the settings missing."""
    missing = [
        f"WEALTHDESK_{name.upper()}" for name in ("wecom_corp_id", "wecom_secret") if not getattr(settings, name)
    ]
    if missing:
        raise ConfigError(f"WeCom's server API needs {' and '.join(missing)}")
    secret = settings.wecom_secret.get_secret_value()  # type: ignore[union-attr]
    return WeComClient(settings.wecom_corp_id, secret, settings.wecom_api_base)  # type: ignore[arg-type]
