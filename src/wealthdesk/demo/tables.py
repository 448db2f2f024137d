"""Simulation arrays → Arrow tables with exactly the canonical schema's columns, in order.

Column types follow the schema's logical types (MONEY and PRICE as doubles
rounded to cents / 4 decimals; ingest casts them to DECIMAL).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from wealthdesk.demo import app, chats, ledger
from wealthdesk.demo import news as news_mod
from wealthdesk.demo.calendar import Calendar
from wealthdesk.demo.clients import CHANNELS, Accounts, Advisors, Branches, Customers
from wealthdesk.demo.funds import Funds, TopHoldings
from wealthdesk.demo.marketing import TOUCH_CHANNELS, Campaigns, Contents, Touches
from wealthdesk.demo.strings import codes, concat, dates, pick, timestamps
from wealthdesk.demo.universe import Securities
from wealthdesk.schema import table as schema_table
from wealthdesk.schema.columns import DEVICES


def _table(name: str, columns: dict[str, pa.Array | np.ndarray | list]) -> pa.Table:
    expected = schema_table(name).column_names
    assert tuple(columns) == expected, (name, tuple(columns), expected)
    return pa.table({k: v if isinstance(v, pa.Array | pa.ChunkedArray) else pa.array(v) for k, v in columns.items()})


def _str_or_null(values: list[str | None]) -> pa.Array:
    return pa.array(values, type=pa.string())


def branches(b: Branches) -> pa.Table:
    return _table(
        "branches",
        {
            "branch_id": b.branch_id,
            "name": b.name,
            "city": b.city,
            "province": b.province,
            "opened_date": dates(b.opened),
        },
    )


def advisors(a: Advisors, b: Branches) -> pa.Table:
    return _table(
        "advisors",
        {
            "advisor_id": a.advisor_id,
            "name": a.name,
            "wecom_userid": a.wecom_userid,
            "branch_id": pick(b.branch_id, a.branch),
            "title": a.title,
            "certificate_no": a.certificate_no,
            "hired_date": dates(a.hired),
        },
    )


def securities(s: Securities) -> pa.Table:
    return _table(
        "securities",
        {
            "code": s.code.tolist(),
            "name": s.name.tolist(),
            "board": s.board.tolist(),
            "exchange": s.exchange.tolist(),
            "industry": s.industry.tolist(),
            "listed_date": dates(s.listed),
            "crowded": s.crowded,
        },
    )


def funds(f: Funds) -> pa.Table:
    return _table(
        "funds",
        {
            "fund_code": f.code.tolist(),
            "name": f.name.tolist(),
            "fund_type": f.fund_type.tolist(),
            "company": f.company.tolist(),
            "risk_level": f.risk_level.tolist(),
            "manager": f.manager.tolist(),
            "inception_date": dates(f.inception),
            "management_fee": np.round(f.management_fee, 5),
            "custody_fee": f.custody_fee,
            "subscription_fee": f.subscription_fee,
            "redemption_fee": f.redemption_fee,
        },
    )


def top_holdings(t: TopHoldings, f: Funds, s: Securities) -> pa.Table:
    return _table(
        "fund_top_holdings",
        {
            "fund_code": pick(f.code.tolist(), t.fund),
            "report_date": dates(t.report_date),
            "code": pick(s.code.tolist(), t.stock),
            "weight": t.weight,
        },
    )


def customers(c: Customers, b: Branches, a: Advisors, camps: Campaigns) -> pa.Table:
    from wealthdesk.demo.places import CITIES

    adv = np.maximum(c.advisor, 0)
    no_adv = pa.array(c.advisor < 0)
    risk = pick(["", "C1", "C2", "C3", "C4", "C5"], c.risk)
    assessed = pa.array(c.risk > 0)
    acq = pick([*camps.campaign_id, ""], np.where(c.acq_campaign >= 0, c.acq_campaign, len(camps.campaign_id)))
    return _table(
        "customers",
        {
            "customer_id": c.customer_id,
            "name": c.name,
            "gender": np.where(c.male, "M", "F"),
            "birth_date": dates(c.birth),
            "id_number": c.id_number,
            "phone": c.phone,
            "city": pick(CITIES, c.city),
            "branch_id": pick(b.branch_id, c.branch),
            "advisor_id": pc.if_else(no_adv, pa.nulls(c.n, pa.string()), pick(a.advisor_id, adv)),
            "risk_level": pc.if_else(assessed, risk, pa.nulls(c.n, pa.string())),
            "risk_assessed_date": dates(c.risk_date),
            "lowest_category": pc.if_else(assessed, pa.array(c.lowest), pa.nulls(c.n, pa.bool_())),
            "investor_type": np.where(c.professional, "professional", "ordinary"),
            "acquisition_channel": pick(CHANNELS, c.channel),
            "acquisition_campaign_id": pc.if_else(pa.array(c.acq_campaign < 0), pa.nulls(c.n, pa.string()), acq),
            "registered_at": timestamps(c.registered),
        },
    )


def accounts(a: Accounts, c: Customers) -> pa.Table:
    return _table(
        "accounts",
        {
            "account_id": a.account_id,
            "customer_id": c.customer_id.take(pa.array(a.customer)),
            "account_type": np.where(a.margin, "margin", "cash"),
            "opened_date": dates(a.opened),
            "status": a.status.astype(str),
            "chinext_enabled": ~np.isnat(a.chinext),
            "chinext_date": dates(a.chinext),
            "star_enabled": ~np.isnat(a.star),
            "star_date": dates(a.star),
            "level2_enabled": ~np.isnat(a.level2),
            "level2_date": dates(a.level2),
        },
    )


def security_prices(
    cal: Calendar,
    s: Securities,
    close: np.ndarray,
    opn: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    volume: np.ndarray,
) -> pa.Table:
    ok = ~np.isnan(close)
    si, di = np.nonzero(ok)
    return _table(
        "security_prices",
        {
            "code": pick(s.code.tolist(), si),
            "trade_date": dates(cal.days[di]),
            "open": opn[ok],
            "high": high[ok],
            "low": low[ok],
            "close": close[ok],
            "volume": volume[ok],
        },
    )


def fund_navs(cal: Calendar, f: Funds, nav: np.ndarray, acc: np.ndarray) -> pa.Table:
    ok = ~np.isnan(nav)
    fi, di = np.nonzero(ok)
    return _table(
        "fund_navs",
        {
            "fund_code": pick(f.code.tolist(), fi),
            "nav_date": dates(cal.days[di]),
            "unit_nav": nav[ok],
            "accumulated_nav": acc[ok],
        },
    )


def trades(
    ids: pa.Array,
    account_ids: pa.Array,
    time: np.ndarray,
    kind: np.ndarray,
    instrument: pa.Array,
    qty: np.ndarray,
    price: np.ndarray,
    amount: np.ndarray,
    fee: np.ndarray,
    channel: np.ndarray,
) -> pa.Table:
    return _table(
        "trades",
        {
            "trade_id": ids,
            "account_id": account_ids,
            "trade_time": timestamps(time),
            "trade_type": pick(("stock_buy", "stock_sell", "fund_subscribe", "fund_redeem"), kind),
            "instrument_code": instrument,
            "quantity": qty,
            "price": price,
            "amount": amount,
            "fee": fee,
            "channel": pick(ledger.TRADE_CHANNELS, channel),
        },
    )


def holdings(cal: Calendar, snap: ledger.Snapshot, account_ids: pa.Array, s: Securities, f: Funds) -> pa.Table:
    stock_code = pick(s.code.tolist(), np.where(snap.asset == 0, snap.instrument, 0))
    fund_code = pick(f.code.tolist(), np.where(snap.asset == 1, snap.instrument, 0))
    asset = pa.array(snap.asset)
    code = pc.if_else(pc.equal(asset, 0), stock_code, pc.if_else(pc.equal(asset, 1), fund_code, "CNY"))
    return _table(
        "holdings",
        {
            "snapshot_date": dates(cal.days[snap.day]),
            "account_id": account_ids.take(pa.array(snap.account)),
            "asset_type": pick(("stock", "fund", "cash"), snap.asset),
            "instrument_code": code,
            "quantity": np.round(snap.quantity, 2),
            "cost_amount": pa.array(snap.cost, from_pandas=True),
            "market_value": snap.value,
        },
    )


def cash_flows(flows: ledger.CashFlows, account_ids: pa.Array) -> pa.Table:
    return _table(
        "cash_flows",
        {
            "flow_id": codes("F", np.arange(1, len(flows.account) + 1), 11),
            "account_id": account_ids.take(pa.array(flows.account)),
            "flow_time": timestamps(flows.time),
            "flow_type": np.where(flows.deposit, "deposit", "withdrawal"),
            "amount": np.round(flows.amount, 2),
            "bank": pick(ledger.BANKS, flows.bank),
        },
    )


def app_events(
    ev: app.AppEvents, c: Customers, s: Securities, f: Funds, contents: Contents, camps: Campaigns
) -> pa.Table:
    vocab = ["", *s.code.tolist(), *f.code.tolist(), *contents.content_id, *app.SEARCH_TERMS, *camps.campaign_id]
    offset = np.cumsum([0, 1, s.n, f.n, len(contents.content_id), len(app.SEARCH_TERMS)])
    obj = np.where(ev.obj_kind == 0, 0, offset[np.minimum(ev.obj_kind, 5)] + ev.obj)
    objs = pick(vocab, obj)
    return _table(
        "app_events",
        {
            "event_id": codes("EV", np.arange(1, len(ev.customer) + 1), 12),
            "customer_id": c.customer_id.take(pa.array(ev.customer)),
            "event_time": timestamps(ev.time),
            "event_type": pick(app.EVENT_TYPES, ev.kind),
            "object_id": pc.if_else(pa.array(ev.obj_kind == 0), pa.nulls(len(obj), pa.string()), objs),
            "device": pick(DEVICES, ev.device),
        },
    )


def wecom_contacts(ct: chats.Contacts, c: Customers, a: Advisors, b: Branches, camps: Campaigns) -> pa.Table:
    cust = pa.array(ct.customer)
    state_vocab = [*camps.campaign_id, *(f"qr_{x}" for x in b.branch_id), ""]
    acq = c.acq_campaign[ct.customer]
    state = np.where(acq >= 0, acq, len(camps.campaign_id) + c.branch[ct.customer])
    state = np.where((acq < 0) & (np.arange(len(acq)) % 3 == 0), len(state_vocab) - 1, state)
    surname = pc.utf8_slice_codeunits(c.name.take(cust), 0, 1)
    remark = concat(surname, pick(["先生", "女士"], (~c.male[ct.customer]).astype(int)))
    return _table(
        "wecom_contacts",
        {
            "advisor_userid": pick(a.wecom_userid, ct.advisor),
            "external_userid": ct.external_userid,
            "customer_id": pc.if_else(pa.array(ct.matched), c.customer_id.take(cust), pa.nulls(len(cust), pa.string())),
            "added_at": timestamps(ct.added),
            "state": pc.if_else(
                pa.array(state == len(state_vocab) - 1), pa.nulls(len(state), pa.string()), pick(state_vocab, state)
            ),
            "remark": remark,
            "deleted_at": timestamps(ct.deleted),
        },
    )


def wecom_messages(m: chats.Messages, ct: chats.Contacts, a: Advisors) -> pa.Table:
    adv = pick(a.wecom_userid, ct.advisor[m.contact])
    ext = ct.external_userid.take(pa.array(m.contact))
    client = pa.array(m.from_client)
    sender = pc.if_else(client, ext, adv)
    receiver = pc.if_else(client, adv, ext)
    tolist = pa.ListArray.from_arrays(pa.array(np.arange(len(m.contact) + 1, dtype=np.int32)), receiver)
    return _table(
        "wecom_messages",
        {
            "msgid": m.msgid,
            "seq": np.arange(1, len(m.contact) + 1, dtype=np.int64) + 100_000,
            "action": pick(("send", "recall"), m.action),
            "sender": sender,
            "tolist": tolist,
            "roomid": pick([""], np.zeros(len(m.contact), dtype=np.int64)),
            "msgtime": m.msgtime,
            "msgtype": pick(("text", "image", "revoke"), m.msgtype),
            "content": m.content,
            "pre_msgid": pa.nulls(len(m.contact), pa.string()),  # the demo's recalls name no message
        },
    )


def contents(c: Contents) -> pa.Table:
    return _table(
        "contents",
        {
            "content_id": c.content_id,
            "content_type": c.content_type,
            "title": c.title,
            "topics": pa.array(c.topics, pa.list_(pa.string())),
            "related_codes": pa.array(c.related_codes, pa.list_(pa.string())),
            "risk_level": _str_or_null(c.risk_level),
            "publish_date": dates(c.publish),
            "expiry_date": dates(c.expiry),
            "author": c.author,
        },
    )


def campaigns(c: Campaigns) -> pa.Table:
    return _table(
        "campaigns",
        {
            "campaign_id": c.campaign_id,
            "name": c.name,
            "objective": c.objective,
            "channel": c.channel,
            "start_date": dates(c.start),
            "end_date": dates(c.end),
            "cost": c.cost,
            "content_id": _str_or_null(c.content_id),
        },
    )


def campaign_touches(t: Touches, c: Customers, camps: Campaigns) -> pa.Table:
    return _table(
        "campaign_touches",
        {
            "touch_id": codes("TC", np.arange(1, len(t.customer) + 1), 10),
            "campaign_id": pick(camps.campaign_id, t.campaign),
            "customer_id": c.customer_id.take(pa.array(t.customer)),
            "touched_at": timestamps(t.time),
            "channel": pick(TOUCH_CHANNELS, t.channel),
            "cost": t.cost,
        },
    )


def news(n: news_mod.News) -> pa.Table:
    return _table(
        "news",
        {
            "news_id": n.news_id,
            "published_at": timestamps(n.published),
            "source": n.source,
            "title": n.title,
            "body": n.body,
            "related_codes": pa.array(n.tagged, pa.list_(pa.string())),
        },
    )
