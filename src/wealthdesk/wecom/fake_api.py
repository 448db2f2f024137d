"""A local fake of the WeCom (企业微信) server API at qyapi.weixin.qq.com, for tests and benchmarks.

The real servers cannot be reached from this machine, so our API client is tested against this fake. It speaks the
wire format the servers speak (docs/wecom-wire-notes.md §d, §e): the same paths and query parameters, JSON bodies,
and every API error as HTTP 200 with a non-zero ``errcode``, so a client that passes here should pass against WeCom.
A comment gives the source of each behaviour that is not in the notes; "guess" marks what no stored source showed.
"""

from __future__ import annotations

import http
import json
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

Call = tuple[str, str, dict[str, str], Any]  # (method, path, query without access_token, parsed JSON body or None)
TOKEN_PATH = "/cgi-bin/gettoken"
JSAPI_PATH = "/cgi-bin/get_jsapi_ticket"
AGENT_TICKET_PATH = "/cgi-bin/ticket/get"
OAUTH_CODE_TTL_S = 300.0  # 96442: a code lasts 5 minutes
TICKET_TTL_S = 7200
FOLLOW_PAGE = 500  # 96315: externalcontact/get pages follow_user beyond 500 with a cursor
NAME_MAX = 30  # 92117 via SDK copies (e.g. metacpan QQ::weixin::work): group and tag names are at most 30 characters
DEVTOOL = "https://open.work.weixin.qq.com/devtool/query"
# errmsg texts. English ones are what the servers send, from captured responses: 40013/41001/41004/40014 from a
# fake-credential probe of qyapi stored in the code corpus ("无凭证探测记录"); 84061 "not external contact" and 40096
# "invalid external userid" from comments in public WeCom SDK tests; 40068 from easyink's mark_tag interceptor; 42001
# from a WeCom Go client; 45033 from a logged WeCom response. 40001/40029/45009/47001 are the WeChat-family texts
# (same cgi-bin platform; not seen from qyapi itself). Chinese ones are the meaning column of the global error page
# (path/90313, mirrored in WxJava WxCpErrorMsgEnum), used where no English capture was found.
# fmt: off
ERRMSG: dict[int, str] = {
    -1: "系统繁忙", 40001: "invalid credential", 40003: "无效的UserID", 40013: "invalid corpid",
    40014: "invalid access_token", 40029: "invalid code", 40058: "不合法的参数", 40068: "invalid tagid",
    40071: "标签名字已经存在", 40072: "不合法的标签名字长度", 40096: "invalid external userid",
    41001: "access_token missing", 41004: "corpsecret missing", 41008: "缺少auth code参数", 41009: "缺少userid参数",
    41017: "缺少tagid参数", 42001: "access_token expired", 45009: "api freq out of limit",
    45033: "api concurrent out of limit", 47001: "data format error", 84061: "not external contact",
    91040: "获取ticket的类型无效",
    41002: "corpid missing",  # guess, by analogy with the probe's "corpsecret missing"
    45056: "too many tags",  # guess: WeChat OA's own tag-limit code, see TAG_LIMIT_ERRCODE
}
# fmt: on
# Error answers keep the endpoint's list fields, empty: the probe saw `"external_userid":[]` on externalcontact/list,
# and captured 84061/40096 answers of externalcontact/get carry `"follow_user":[]`. A client must not read their
# presence as success.
ERROR_DEFAULTS: dict[str, dict[str, Any]] = {"/cgi-bin/externalcontact/get": {"follow_user": []}}
# No stored source gives add_corp_tag's code for the 3000-tag limit; 45056 (WeChat OA: 创建的标签数过多) is a guess.
TAG_LIMIT_ERRCODE = 45056


class WeComError(Exception):
    """An API error: WeCom answers it with HTTP 200 and a non-zero errcode, never with an HTTP error status."""

    def __init__(self, errcode: int, detail: str = "") -> None:
        super().__init__(errcode, detail)
        self.errcode, self.detail = errcode, detail


@dataclass
class _Node:
    """A tag group (with its tag_ids) or a tag (with its group_id): both have an "et…" id, a name and an order."""

    id: str
    name: str
    create_time: int
    order: int
    group_id: str = ""
    tag_ids: list[str] = field(default_factory=list)


@dataclass
class _Follow:
    """A follow relationship: one member (userid) who added one external contact, with the tags on it."""

    userid: str
    external_userid: str
    createtime: int
    state: str | None
    tag_ids: list[str] = field(default_factory=list)


def _wecom_id(prefix: str) -> str:
    # 32 URL-safe characters like WeCom's own ("et-BdEBgAAmCjdymKoBQhmUA66clCe-A"); ids are opaque to clients
    return prefix + secrets.token_urlsafe(24)[:30]


def _node_json(node: _Node, id_key: str, name_key: str, deleted: bool) -> dict[str, Any]:
    out = {id_key: node.id, name_key: node.name, "create_time": node.create_time, "order": node.order}
    return {**out, "deleted": False} if deleted else out


def _raise_first(checks: tuple[tuple[bool, int], ...]) -> None:
    """Raise the errcode of the first failed check: the order of the checks is the order WeCom reports them in."""
    for failed, errcode in checks:
        if failed:
            raise WeComError(errcode)


def _order(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**32:
        raise WeComError(40058)  # 92117: an order lies in [0, 2^32); the code is a guess
    return value


def _ids(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise WeComError(40058)  # guess: a list field of another type
    return value


class _State:
    """Everything the fake server knows, and the endpoints, all behind one lock (handler threads run concurrently)."""

    def __init__(self, corp_id: str, secret: str, token_ttl_s: float, clock: Callable[[], float], max_tags: int):
        self.lock = threading.Lock()
        self.corp_id, self.secret, self.token_ttl_s, self.clock, self.max_tags = (
            corp_id, secret, token_ttl_s, clock, max_tags)  # fmt: skip
        self.offset = 0.0  # advance() moves both clocks
        self.tokens: dict[str, float] = {}  # token -> expiry on the fake clock
        self.codes: dict[str, tuple[float, dict[str, str]]] = {}  # OAuth code -> (expiry, getuserinfo answer)
        self.tickets: dict[str, tuple[str, float]] = {}  # "jsapi"/"agent_config" -> (ticket, expiry)
        self.groups: dict[str, _Node] = {}
        self.tags: dict[str, _Node] = {}
        self.members: set[str] = set()
        self.contacts: dict[str, str] = {}  # external_userid -> name
        self.follows: dict[tuple[str, str], _Follow] = {}  # (userid, external_userid) -> relationship
        self.cursors: dict[str, tuple[tuple[str, ...], int]] = {}  # cursor -> (what it pages, offset)
        self.calls: list[Call] = []
        self.failures: dict[str, deque[tuple[str, int]]] = {}
        self.token_requests = 0
        self.ticket_requests: Counter[str] = Counter()
        self.routes: dict[str, Callable[[dict[str, str], dict[str, Any]], dict[str, Any]]] = {
            TOKEN_PATH: self.gettoken,
            "/cgi-bin/externalcontact/get_corp_tag_list": self.get_corp_tag_list,
            "/cgi-bin/externalcontact/add_corp_tag": self.add_corp_tag,
            "/cgi-bin/externalcontact/mark_tag": self.mark_tag,
            "/cgi-bin/externalcontact/batch/get_by_user": self.get_by_user,
            "/cgi-bin/externalcontact/get": self.get_contact,
            "/cgi-bin/auth/getuserinfo": self.getuserinfo,
            JSAPI_PATH: lambda query, body: self.ticket("jsapi"),
            AGENT_TICKET_PATH: self.agent_ticket,
        }

    def now(self) -> float:
        return self.clock() + self.offset

    def wall(self) -> int:
        return int(time.time() + self.offset)

    def handle(self, method: str, path: str, query: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any] | None]:
        """Answer one request: (HTTP status, JSON object or None for an empty/non-JSON body)."""
        try:
            body, bad_body = (json.loads(raw.decode("utf-8")) if raw.strip() else None), False
        except ValueError:  # UnicodeDecodeError is a ValueError
            body, bad_body = None, True
        with self.lock:
            self.calls.append((method, path, {k: v for k, v in query.items() if k != "access_token"}, body))
            route = self.routes.get(path)
            if route is None:
                return 404, None  # the probe: an unknown cgi-bin path is HTTP 404 with an empty body
            if path == TOKEN_PATH:
                self.token_requests += 1
            elif path in (JSAPI_PATH, AGENT_TICKET_PATH):
                self.ticket_requests["jsapi" if path == JSAPI_PATH else query.get("type", "")] += 1
            queued = self.failures.get(path)
            if queued:
                kind, value = queued.popleft()
                return (value, None) if kind == "http" else (200, self.error(path, WeComError(value)))
            try:
                if path != TOKEN_PATH:
                    self.check_token(query)  # the probe: the token is checked before any parameter
                if bad_body or (body is not None and not isinstance(body, dict)):
                    raise WeComError(47001)
                # an empty body reads as {}: public clients POST get_corp_tag_list without one to list every tag
                return 200, {"errcode": 0, "errmsg": "ok", **route(query, body or {})}
            except WeComError as exc:
                return 200, self.error(path, exc)

    def error(self, path: str, exc: WeComError) -> dict[str, Any]:
        # the servers' errmsg shape, from captured answers: "<text>, hint: [...], from ip: ..., more info at ..."
        text = ERRMSG.get(exc.errcode, "unknown error") + exc.detail
        hint = f"{self.wall()}_{secrets.token_hex(8)}"
        errmsg = f"{text}, hint: [{hint}], from ip: 127.0.0.1, more info at {DEVTOOL}?e={exc.errcode}"
        return {"errcode": exc.errcode, "errmsg": errmsg, **ERROR_DEFAULTS.get(path, {})}

    def check_token(self, query: dict[str, str]) -> None:
        token = query.get("access_token")
        expiry = self.tokens.get(token or "")
        if not token or expiry is None or self.now() >= expiry:
            raise WeComError(41001 if not token else 40014 if expiry is None else 42001)

    def gettoken(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        # the probe's order: a missing secret is reported first, then the corpid is checked before the secret
        corpid, secret = query.get("corpid"), query.get("corpsecret")
        checks = (
            (not secret, 41004),
            (not corpid, 41002),
            (corpid != self.corp_id, 40013),
            (secret != self.secret, 40001),
        )
        _raise_first(checks)
        token = secrets.token_urlsafe(96)  # the notes: tokens can be up to 512 bytes
        self.tokens[token] = self.now() + self.token_ttl_s  # earlier tokens stay valid until their own expiry
        return {"access_token": token, "expires_in": int(self.token_ttl_s)}

    def group_json(self, group: _Node, tag_ids: list[str], *, group_deleted: bool, tag_deleted: bool) -> dict:
        out = _node_json(group, "group_id", "group_name", group_deleted)
        out["tag"] = [_node_json(self.tags[tag_id], "id", "name", tag_deleted) for tag_id in tag_ids]
        return out

    def get_corp_tag_list(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        # `deleted` is returned only for filtered queries: the 92117 field table, as copied in SDK typings ("标签组是否
        # 已经被删除，只在指定tag_id进行查询时返回"; a tag's "只在指定tag_id/group_id进行查询时返回"). Unknown ids are
        # skipped (guess). Nothing is ever deleted here, so it is always false.
        group_ids, tag_ids = _ids(body.get("group_id")), _ids(body.get("tag_id"))
        out = []
        for group in self.groups.values():
            if group_ids or not tag_ids:  # group_id wins over tag_id
                if not group_ids or group.id in group_ids:
                    out.append(self.group_json(group, group.tag_ids, group_deleted=False, tag_deleted=bool(group_ids)))
            elif hits := [tag_id for tag_id in group.tag_ids if tag_id in tag_ids]:
                out.append(self.group_json(group, hits, group_deleted=True, tag_deleted=True))
        return {"tag_group": out}

    def add_corp_tag(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        # 92117 (copied verbatim in SDKs): with group_id, group_name and the group's order are ignored; an existing
        # group_name gets the new tags; empty groups are not supported; names are unique in a group and duplicates
        # in one request create one tag. An existing name answers 40071: the global page's "标签名字已经存在", and
        # weiban's add_corp_tag wrapper passes 40071 on as a WeCom error (openapi.weibanzhushou.com api-9101422).
        raw_tags = body.get("tag")
        if not isinstance(raw_tags, list) or not raw_tags or not all(isinstance(t, dict) for t in raw_tags):
            raise WeComError(40058)  # guess: 不支持创建空标签组, code unknown
        if group_id := body.get("group_id"):
            group = self.groups.get(group_id) if isinstance(group_id, str) else None
            if group is None:
                raise WeComError(40068)  # guess: group ids share the tag-id space ("et…")
        else:
            name = body.get("group_name")
            if not isinstance(name, str) or not name or len(name) > NAME_MAX:
                raise WeComError(40072 if name else 40058)  # guess: codes of the contact-tag API
            group = next((g for g in self.groups.values() if g.name == name), None) or _Node(
                _wecom_id("et"), name, self.wall(), _order(body.get("order"))
            )
        new: dict[str, int] = {}
        for raw in raw_tags:
            name = raw.get("name")
            if not isinstance(name, str) or not name or len(name) > NAME_MAX:
                raise WeComError(40072)  # guess
            if any(self.tags[tag_id].name == name for tag_id in group.tag_ids):
                raise WeComError(40071)
            new.setdefault(name, _order(raw.get("order")))
        if len(self.tags) + len(new) > self.max_tags:
            raise WeComError(TAG_LIMIT_ERRCODE)
        self.groups.setdefault(group.id, group)
        created = []
        for name, order in new.items():
            tag = _Node(_wecom_id("et"), name, self.wall(), order, group_id=group.id)
            self.tags[tag.id] = tag
            group.tag_ids.append(tag.id)
            created.append(tag.id)
        return {"tag_group": self.group_json(group, created, group_deleted=False, tag_deleted=False)}

    def mark_tag(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        add, remove = _ids(body.get("add_tag")), _ids(body.get("remove_tag"))
        if not add and not remove:
            raise WeComError(41017)  # guess: 92697 forbids both empty but gives no code
        userid, external = str(body.get("userid") or ""), str(body.get("external_userid") or "")
        # 40003/40096/40068 are the codes weiban's mark_tag wrapper passes on (openapi.weibanzhushou.com api-9076143)
        follow = self.follows.get((userid, external))
        _raise_first(
            ((userid not in self.members, 40003), (external not in self.contacts, 40096), (follow is None, 84061))
        )
        assert follow is not None
        for tag_id in (*add, *remove):
            if tag_id not in self.tags:
                # easyink's interceptor: the whole call fails and errmsg names the first bad id ("invalid tagid: et…")
                raise WeComError(40068, f": {tag_id}")
        # guess: adding a tag already there or removing one that is not is no error; add applies before remove
        follow.tag_ids.extend(tag_id for tag_id in dict.fromkeys(add) if tag_id not in follow.tag_ids)
        follow.tag_ids[:] = [tag_id for tag_id in follow.tag_ids if tag_id not in set(remove)]
        return {}

    def page(self, key: tuple[str, ...], cursor: Any, total: int, size: int) -> tuple[int, int, str]:
        """Slice [start, end) of `total` rows and the opaque cursor for the rest ("" when none)."""
        start = 0
        if cursor:
            saved = self.cursors.get(cursor) if isinstance(cursor, str) else None
            if saved is None or saved[0] != key:
                raise WeComError(40058, ": cursor")  # guess
            start = saved[1]
        end = min(start + size, total)
        if end >= total:
            return start, end, ""
        token = secrets.token_urlsafe(24)
        self.cursors[token] = (key, end)
        return start, end, token

    def contact_json(self, external: str) -> dict[str, Any]:
        avatar = f"http://wx.qlogo.cn/mmhead/{external}/0"  # type 1 = WeChat user; gender 0 = unknown
        return {"external_userid": external, "name": self.contacts[external], "type": 1, "avatar": avatar, "gender": 0}

    def follow_json(self, follow: _Follow, *, tag_details: bool = False) -> dict[str, Any]:
        # fields and key order of a real get answer posted on the developer forum (notes §d); `state` only when set
        out: dict[str, Any] = {
            "userid": follow.userid, "remark": self.contacts[follow.external_userid], "description": "",
            "createtime": follow.createtime}  # fmt: skip
        if tag_details:
            out["tags"] = [
                {"group_name": self.groups[self.tags[t].group_id].name, "tag_name": self.tags[t].name, "type": 1,
                 "tag_id": t} for t in follow.tag_ids]  # fmt: skip
        else:
            out["tag_id"] = list(follow.tag_ids)
        out.update(remark_mobiles=[], oper_userid=follow.userid, add_way=1 if follow.state else 0)  # guess add_way
        if follow.state:
            out["state"] = follow.state
        return out

    def get_by_user(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        # 92994/96316: at most 100 userids; limit defaults to 50 and is capped at 100; follow_info is one object per
        # row, with tag_id only (the forum thread in the notes). Unknown userids just match nothing (guess).
        userids = _ids(body.get("userid_list"))
        if not userids:
            raise WeComError(41009)  # guess
        if len(userids) > 100:
            raise WeComError(40058)  # guess
        limit = body.get("limit") or 50
        limit = min(limit, 100) if isinstance(limit, int) and limit > 0 else 50
        position = {userid: i for i, userid in reversed(list(enumerate(userids)))}
        rows = [f for f in self.follows.values() if f.userid in position]
        rows.sort(key=lambda f: position[f.userid])  # stable: each member's contacts in the order added
        start, end, cursor = self.page(("get_by_user", *userids), body.get("cursor"), len(rows), limit)
        page = [{"external_contact": self.contact_json(f.external_userid), "follow_info": self.follow_json(f)}
                for f in rows[start:end]]  # fmt: skip
        return {"external_contact_list": page, "next_cursor": cursor}

    def get_contact(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        external = query.get("external_userid", "")
        if external not in self.contacts:
            raise WeComError(40096)
        rows = [f for f in self.follows.values() if f.external_userid == external]
        if not rows:
            raise WeComError(84061)  # guess: a contact nobody follows any more
        start, end, cursor = self.page(("get", external), query.get("cursor"), len(rows), FOLLOW_PAGE)
        out = {"external_contact": self.contact_json(external),
               "follow_user": [self.follow_json(f, tag_details=True) for f in rows[start:end]]}  # fmt: skip
        if cursor:  # 96315: next_cursor comes only with more than 500 follow users; the forum answer has none
            out["next_cursor"] = cursor
        return out

    def getuserinfo(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        code = query.get("code")
        if not code:
            raise WeComError(41008)  # global page: 缺少auth code参数
        entry = self.codes.pop(code, None)  # single use: gone even if it had expired
        if entry is None or self.now() >= entry[0]:
            raise WeComError(40029)
        return dict(entry[1])

    def ticket(self, kind: str) -> dict[str, Any]:
        # guess: a ticket is reused until it expires (the notes: its limits of 400/h per corp and 100/h per app
        # assume clients cache it)
        current = self.tickets.get(kind)
        if current is None or self.now() >= current[1]:
            current = (secrets.token_urlsafe(64), self.now() + TICKET_TTL_S)
            self.tickets[kind] = current
        return {"ticket": current[0], "expires_in": max(1, round(current[1] - self.now()))}

    def agent_ticket(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        if query.get("type") != "agent_config":
            raise WeComError(91040)  # global page: 获取ticket的类型无效
        return self.ticket("agent_config")


class _Handler(BaseHTTPRequestHandler):
    """Parses a request, lets the state answer it, and writes the answer with WeCom's headers."""

    protocol_version = "HTTP/1.1"  # keep-alive, as clients pool connections to qyapi
    wbufsize, disable_nagle_algorithm = 1 << 16, True  # headers and body in one segment: no delayed-ACK stalls
    server: _Server

    def do_POST(self) -> None:
        split = urlsplit(self.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, payload = self.server.state.handle(self.command, split.path, query, raw)
        if payload is not None:
            body, content_type = json.dumps(payload, ensure_ascii=False).encode(), "application/json; charset=utf-8"
        elif status >= 500:  # an injected gateway failure: an nginx-style page, not JSON
            body, content_type = (
                f"<html><h1>{status} {http.HTTPStatus(status).phrase}</h1></html>".encode(),
                "text/html",
            )
        else:
            body, content_type = b"", "text/plain"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: tests and benchmarks must not print a line per request."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: _State


class FakeWeCom:
    """The fake WeCom server: start it (or use it as a context manager) and point a client at `base_url`.

    Seed members, contacts and OAuth codes, move the clock, inject failures, and inspect the calls and state.
    """

    def __init__(
        self,
        corp_id: str = "ww0123456789abcdef",
        secret: str = "fake-corp-secret",
        *,
        token_ttl_s: float = 7200,
        clock: Callable[[], float] = time.monotonic,
        max_corp_tags: int = 3000,  # 92117: at most 3000 corp tags per corp
    ) -> None:
        self._state = _State(corp_id, secret, token_ttl_s, clock, max_corp_tags)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> FakeWeCom:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.state = self._state
        self._server, self._thread = server, threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> FakeWeCom:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeWeCom is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def advance(self, seconds: float) -> None:
        """Move the fake clock (token, code and ticket expiry, and create times) forward."""
        with self._state.lock:
            self._state.offset += seconds

    def expire_tokens(self) -> None:
        """Make every token issued so far expired now, as WeCom may invalidate tokens early."""
        with self._state.lock:
            now = self._state.now()
            self._state.tokens = {token: min(expiry, now) for token, expiry in self._state.tokens.items()}

    def add_member(self, userid: str) -> None:
        with self._state.lock:
            self._state.members.add(userid)

    def add_contact(self, userid: str, external_userid: str, name: str = "客户", state: str | None = None) -> None:
        """Make `userid` (added as a member if new) a follow user of `external_userid` (created if new)."""
        with self._state.lock:
            self._state.members.add(userid)
            self._state.contacts.setdefault(external_userid, name)
            follow = _Follow(userid, external_userid, self._state.wall(), state)
            self._state.follows.setdefault((userid, external_userid), follow)

    def contact_tags(self, userid: str, external_userid: str) -> set[str]:
        with self._state.lock:
            return set(self._state.follows[(userid, external_userid)].tag_ids)

    def tag_groups(self) -> list[dict[str, Any]]:
        """Every tag group with its tags, as an unfiltered get_corp_tag_list answers them."""
        with self._state.lock:
            return self._state.get_corp_tag_list({}, {})["tag_group"]

    def issue_oauth_code(
        self, userid: str | None = None, *, openid: str | None = None, external_userid: str | None = None
    ) -> str:
        """A single-use code for auth/getuserinfo: a member's (userid) or a non-member's (openid[, external_userid])."""
        if (userid is None) == (openid is None):
            raise ValueError("give a userid (member) or an openid (non-member)")
        answer = {"userid": userid} if userid is not None else {"openid": openid or ""}
        if external_userid is not None:
            answer["external_userid"] = external_userid
        code = secrets.token_urlsafe(32)
        with self._state.lock:
            self._state.codes[code] = (self._state.now() + OAUTH_CODE_TTL_S, answer)
        return code

    def fail_next(self, path: str, errcode: int, times: int = 1) -> None:
        """Answer the next `times` requests to `path` with this errcode, doing nothing else."""
        with self._state.lock:
            self._state.failures.setdefault(path, deque()).extend([("errcode", errcode)] * times)

    def fail_http_next(self, path: str, status: int, times: int = 1) -> None:
        """Answer the next `times` requests to `path` with this HTTP status and no JSON, as a failing gateway does."""
        with self._state.lock:
            self._state.failures.setdefault(path, deque()).extend([("http", status)] * times)

    @property
    def calls(self) -> list[Call]:
        with self._state.lock:
            return list(self._state.calls)

    def reset_calls(self) -> None:
        with self._state.lock:
            self._state.calls.clear()

    @property
    def token_requests(self) -> int:
        """Requests to gettoken, failed ones included."""
        with self._state.lock:
            return self._state.token_requests

    @property
    def ticket_requests(self) -> Counter[str]:
        """Requests per ticket kind: "jsapi" and "agent_config" (the `type` of ticket/get), failed ones included."""
        with self._state.lock:
            return Counter(self._state.ticket_requests)

    @property
    def jsapi_ticket(self) -> str | None:
        """The current corp (wx.config) ticket, to compute expected signatures; None before the first request."""
        return self._ticket("jsapi")

    @property
    def agent_ticket(self) -> str | None:
        """The current app (wx.agentConfig) ticket; None before the first request."""
        return self._ticket("agent_config")

    def _ticket(self, kind: str) -> str | None:
        with self._state.lock:
            return self._state.tickets[kind][0] if kind in self._state.tickets else None
