"""The generated brokerage looks and behaves like the brief says: sell-off, redemptions, advisors, encodings, books."""

from __future__ import annotations

import re

import duckdb
import pytest

from wealthdesk.demo import GenerationSummary
from wealthdesk.demo.output import OUTPUTS


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple:
    return con.execute(sql).fetchone()


def test_crowded_stocks_fall_far_more_in_the_selloff(con: duckdb.DuckDBPyConnection) -> None:
    crowded, others = _one(
        con,
        """
        WITH p AS (SELECT code, max(close) FILTER (WHERE trade_date = DATE '2021-02-10') AS peak,
                          max(close) FILTER (WHERE trade_date = DATE '2021-03-09') AS trough
                   FROM good_security_prices GROUP BY code)
        SELECT median(trough / peak - 1) FILTER (WHERE s.crowded = '1'),
               median(trough / peak - 1) FILTER (WHERE s.crowded = '0')
        FROM p JOIN good_securities s USING (code) WHERE peak > 0""",
    )
    assert -0.45 <= crowded <= -0.30
    assert others > -0.2
    assert others - crowded > 0.15


def test_crowded_stocks_rallied_through_2020(con: duckdb.DuckDBPyConnection) -> None:
    crowded, others = _one(
        con,
        """
        WITH p AS (SELECT code, max(close) FILTER (WHERE trade_date = DATE '2020-01-02') AS a,
                          max(close) FILTER (WHERE trade_date = DATE '2021-02-10') AS b
                   FROM good_security_prices GROUP BY code)
        SELECT median(b / a) FILTER (WHERE s.crowded = '1'), median(b / a) FILTER (WHERE s.crowded = '0')
        FROM p JOIN good_securities s USING (code) WHERE a > 0""",
    )
    assert crowded > others + 0.3


_EXPOSURE = """
    exposure AS (SELECT h.fund_code, sum(h.weight) FILTER (WHERE s.crowded = '1') AS crowded_weight
                 FROM good_fund_top_holdings h JOIN good_securities s USING (code)
                 WHERE h.report_date = DATE '2020-12-31' GROUP BY 1)"""


def test_fund_redemptions_concentrate_in_the_selloff(con: duckdb.DuckDBPyConnection) -> None:
    during, other = _one(
        con,
        """
        WITH r AS (SELECT CAST(trade_time AS DATE) AS d FROM good_trades WHERE trade_type = 'fund_redeem'),
             days AS (SELECT DISTINCT trade_date AS d FROM good_security_prices WHERE trade_date > DATE '2020-01-01')
        SELECT (SELECT count(*) FROM r WHERE d BETWEEN DATE '2021-02-18' AND DATE '2021-03-31')
                 / (SELECT count(*) FROM days WHERE d BETWEEN DATE '2021-02-18' AND DATE '2021-03-31'),
               (SELECT count(*) FROM r WHERE d NOT BETWEEN DATE '2021-02-18' AND DATE '2021-03-31')
                 / (SELECT count(*) FROM days WHERE d NOT BETWEEN DATE '2021-02-18' AND DATE '2021-03-31')""",
    )
    assert during > 1.5 * other


def test_crowded_exposed_funds_are_redeemed_more(con: duckdb.DuckDBPyConnection) -> None:
    high, low = _one(
        con,
        f"""
        WITH {_EXPOSURE},
        holders AS (SELECT account_id, instrument_code AS fund_code FROM good_holdings
                    WHERE snapshot_date = DATE '2021-02-10' AND asset_type = 'fund'),
        redeemed AS (SELECT DISTINCT account_id, instrument_code AS fund_code FROM good_trades
                     WHERE trade_type = 'fund_redeem'
                       AND CAST(trade_time AS DATE) BETWEEN DATE '2021-02-18' AND DATE '2021-03-31')
        SELECT avg((r.account_id IS NOT NULL)::INT) FILTER (WHERE coalesce(e.crowded_weight, 0) >= 0.2),
               avg((r.account_id IS NOT NULL)::INT) FILTER (WHERE coalesce(e.crowded_weight, 0) < 0.05)
        FROM holders h LEFT JOIN exposure e USING (fund_code) LEFT JOIN redeemed r USING (account_id, fund_code)""",
    )
    assert high > 1.5 * low


def test_conservative_clients_redeem_more(con: duckdb.DuckDBPyConnection) -> None:
    # compared within equity-type funds: conservative clients mostly hold bond and money funds, which barely fell
    low_risk, high_risk = _one(
        con,
        """
        WITH holders AS (SELECT h.account_id, h.instrument_code AS fund_code, c.risk_level
                         FROM good_holdings h JOIN good_accounts a USING (account_id)
                         JOIN good_customers c USING (customer_id)
                         JOIN good_funds f ON f.fund_code = h.instrument_code
                         WHERE h.snapshot_date = DATE '2021-01-29' AND h.asset_type = 'fund'
                           AND f.fund_type IN ('hybrid', 'equity', 'index')),
        redeemed AS (SELECT DISTINCT account_id, instrument_code AS fund_code FROM good_trades
                     WHERE trade_type = 'fund_redeem'
                       AND CAST(trade_time AS DATE) BETWEEN DATE '2021-02-01' AND DATE '2021-06-30')
        SELECT avg((r.account_id IS NOT NULL)::INT) FILTER (WHERE risk_level IN ('C1', 'C2', 'C3')),
               avg((r.account_id IS NOT NULL)::INT) FILTER (WHERE risk_level IN ('C4', 'C5'))
        FROM holders h LEFT JOIN redeemed r USING (account_id, fund_code)""",
    )
    assert low_risk > 1.2 * high_risk


def test_advisors_serve_100_to_300_clients(con: duckdb.DuckDBPyConnection) -> None:
    lo, med, hi = _one(
        con,
        """SELECT quantile_cont(n, 0.1), median(n), quantile_cont(n, 0.9) FROM
                               (SELECT advisor_id, count(*) AS n FROM good_customers
                                WHERE advisor_id IS NOT NULL GROUP BY 1)""",
    )
    assert 100 <= med <= 300
    assert lo >= 50 and hi <= 450


def test_aum_is_heavy_tailed(con: duckdb.DuckDBPyConnection) -> None:
    median, p99 = _one(
        con,
        """SELECT median(v), quantile_cont(v, 0.99) FROM
                               (SELECT account_id, sum(market_value) AS v FROM good_holdings
                                WHERE snapshot_date = DATE '2022-06-30' GROUP BY 1)""",
    )
    assert p99 > 15 * median


@pytest.mark.parametrize("name", [n for n, o in OUTPUTS.items() if o.encoding == "gb18030"])
def test_gb18030_files_are_not_utf8_and_use_compact_dates(generated: GenerationSummary, name: str) -> None:
    data = (generated.out / f"{name}.csv").read_bytes()
    text = data.decode("gb18030")
    if name == "accounts":  # only codes, dates and flags: plain ASCII, which GB18030 and UTF-8 share
        assert data.isascii()
    else:
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)
    assert re.search(r"(^|,)(19|20)\d{6}(,|$)", text, re.MULTILINE)


def test_id_numbers_match_birth_date_and_gender(con: duckdb.DuckDBPyConnection) -> None:
    bad = _one(
        con,
        """SELECT count(*) FROM good_customers WHERE substr(id_number, 7, 8) <> birth_date
                       OR (CAST(substr(id_number, 17, 1) AS INT) % 2 = 1) <> (gender = 'M')""",
    )[0]
    assert bad == 0
    areas = {r[0] for r in con.execute("SELECT DISTINCT substr(id_number, 1, 6) FROM good_customers").fetchall()}
    provinces = {
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "61",
        "62",
        "65",
    }  # GB/T 2260 province codes
    assert len(areas) > 5 and all(a[:2] in provinces for a in areas)


def test_holdings_reconcile_with_trades(con: duckdb.DuckDBPyConnection) -> None:
    mismatches = _one(
        con,
        """
        WITH opening AS (SELECT account_id, instrument_code, quantity FROM good_holdings
                         WHERE snapshot_date = DATE '2019-12-31' AND asset_type <> 'cash'),
        snaps AS (SELECT DISTINCT snapshot_date FROM good_holdings WHERE snapshot_date > DATE '2019-12-31'),
        pairs AS (SELECT DISTINCT account_id, instrument_code FROM good_trades
                  UNION SELECT account_id, instrument_code FROM opening),
        expected AS (
            SELECT s.snapshot_date, p.account_id, p.instrument_code,
                   coalesce(o.quantity, 0) + coalesce((
                       SELECT sum(CASE WHEN t.trade_type IN ('stock_buy', 'fund_subscribe') THEN t.quantity
                                       ELSE -t.quantity END)
                       FROM good_trades t WHERE t.account_id = p.account_id AND t.instrument_code = p.instrument_code
                         AND CAST(t.trade_time AS DATE) <= s.snapshot_date), 0) AS qty
            FROM snaps s CROSS JOIN pairs p LEFT JOIN opening o USING (account_id, instrument_code)),
        actual AS (SELECT snapshot_date, account_id, instrument_code, quantity FROM good_holdings
                   WHERE asset_type <> 'cash' AND snapshot_date > DATE '2019-12-31')
        SELECT count(*) FROM expected e FULL JOIN actual a USING (snapshot_date, account_id, instrument_code)
        WHERE abs(coalesce(e.qty, 0) - coalesce(a.quantity, 0)) > 0.011""",
    )[0]
    assert mismatches == 0
    negative = _one(con, "SELECT count(*) FROM good_holdings WHERE quantity < 0")[0]
    assert negative == 0


def test_cash_reconciles_with_flows_and_trades(con: duckdb.DuckDBPyConnection) -> None:
    worst = _one(
        con,
        """
        WITH opening AS (SELECT account_id, quantity AS cash FROM good_holdings
                         WHERE snapshot_date = DATE '2019-12-31' AND asset_type = 'cash'),
        moves AS (SELECT account_id, trade_time AS t,
                         CASE WHEN trade_type IN ('stock_buy', 'fund_subscribe') THEN -(amount + fee)
                              ELSE amount - fee END AS delta FROM good_trades
                  UNION ALL SELECT account_id, flow_time, CASE WHEN flow_type = 'deposit' THEN amount ELSE -amount END
                  FROM good_cash_flows),
        snap AS (SELECT snapshot_date, account_id, quantity FROM good_holdings
                 WHERE asset_type = 'cash' AND snapshot_date = DATE '2022-06-30')
        SELECT max(abs(s.quantity - coalesce(o.cash, 0) - (SELECT sum(delta) FROM moves m
                                                            WHERE m.account_id = s.account_id
                                                              AND CAST(m.t AS DATE) <= s.snapshot_date)))
        FROM snap s LEFT JOIN opening o USING (account_id)""",
    )[0]
    assert worst < 0.05


def test_market_values_use_snapshot_prices(con: duckdb.DuckDBPyConnection) -> None:
    off = _one(
        con,
        """SELECT count(*) FROM good_holdings h JOIN good_security_prices p
                       ON p.code = h.instrument_code AND p.trade_date = h.snapshot_date
                       WHERE h.asset_type = 'stock'
                         AND abs(h.market_value - round(h.quantity * p.close, 2)) > 0.011""",
    )[0]
    assert off == 0
    off = _one(
        con,
        """SELECT count(*) FROM good_holdings h JOIN good_fund_navs n
                       ON n.fund_code = h.instrument_code AND n.nav_date = h.snapshot_date
                       WHERE h.asset_type = 'fund'
                         AND abs(h.market_value - round(h.quantity * n.unit_nav, 2)) > 0.011""",
    )[0]
    assert off == 0


def test_stock_fees_follow_commission_and_stamp_duty(con: duckdb.DuckDBPyConnection) -> None:
    off = _one(
        con,
        """SELECT count(*) FROM good_trades WHERE trade_type LIKE 'stock%' AND abs(fee -
                       (greatest(round(amount * 0.00025, 2), 5) + CASE WHEN trade_type = 'stock_sell'
                        THEN amount * 0.001 ELSE 0 END)) > 0.011""",
    )[0]
    assert off == 0


def test_chat_mentions_match_truth(con: duckdb.DuckDBPyConnection, generated: GenerationSummary) -> None:
    from wealthdesk.demo.interests import KEYWORDS, TRADITIONAL

    words = "|".join(re.escape(w) for w in {*KEYWORDS, *TRADITIONAL})
    sql = f"SELECT msgid FROM good_wecom_messages WHERE sender LIKE 'wm%' AND regexp_matches(content, '{words}')"
    client_msgs = {r[0] for r in con.execute(sql).fetchall()}
    truth = {
        r[0]
        for r in con.execute(
            f"SELECT msgid FROM read_parquet('{generated.out}/_truth/chat_mentions.parquet')"
        ).fetchall()
    }
    assert client_msgs == truth
    assert _one(con, "SELECT count(*) FROM good_wecom_messages WHERE content LIKE '不想买%'")[0] > 0
    traditional = "SELECT count(*) FROM good_wecom_messages WHERE regexp_matches(content, '創業板|贖回|醫藥|理財')"
    assert _one(con, traditional)[0] > 0


def test_propensities_drive_adoption(con: duckdb.DuckDBPyConnection, generated: GenerationSummary) -> None:
    for product in ("level2", "chinext"):
        top, bottom = _one(
            con,
            f"""
            WITH p AS (SELECT CAST(propensity AS DOUBLE) AS p, CAST(outcome AS INT) AS y,
                              ntile(5) OVER (ORDER BY CAST(propensity AS DOUBLE)) AS q
                       FROM read_csv('{generated.out}/_truth/propensities.csv', all_varchar=true)
                       WHERE product = '{product}' AND legacy = '0')
            SELECT avg(y) FILTER (WHERE q = 5), avg(y) FILTER (WHERE q = 1) FROM p""",
        )
        assert top > 3 * bottom + 0.01, product


def test_news_has_both_tones(con: duckdb.DuckDBPyConnection, generated: GenerationSummary) -> None:
    tones = dict(
        con.execute(
            f"SELECT tone, count(*) FROM read_csv('{generated.out}/_truth/news_tone.csv') GROUP BY 1"
        ).fetchall()
    )
    assert tones.get("pos", 0) > 50 and tones.get("neg", 0) > 50
    untagged = _one(con, "SELECT count(*) FROM good_news WHERE len(related_codes) = 0")[0]
    assert untagged > 0


def test_recent_buyers_redeem_more_than_long_holders(con: duckdb.DuckDBPyConnection) -> None:
    recent, long_held = _one(
        con,
        """
        WITH first_buy AS (SELECT account_id, instrument_code, min(CAST(trade_time AS DATE)) AS d FROM good_trades
                           WHERE trade_type = 'fund_subscribe' GROUP BY 1, 2),
        opening AS (SELECT account_id, instrument_code FROM good_holdings
                    WHERE snapshot_date = DATE '2019-12-31' AND asset_type = 'fund'),
        holders AS (SELECT h.account_id, h.instrument_code,
                           CASE WHEN o.account_id IS NOT NULL THEN 'long'
                                WHEN f.d >= DATE '2020-09-01' THEN 'recent' END AS tenure
                    FROM good_holdings h JOIN good_funds fu ON fu.fund_code = h.instrument_code
                    LEFT JOIN opening o USING (account_id, instrument_code)
                    LEFT JOIN first_buy f USING (account_id, instrument_code)
                    WHERE h.snapshot_date = DATE '2021-02-10' AND h.asset_type = 'fund'
                      AND fu.fund_type IN ('hybrid', 'equity', 'index')),
        redeemed AS (SELECT DISTINCT account_id, instrument_code FROM good_trades WHERE trade_type = 'fund_redeem'
                       AND CAST(trade_time AS DATE) BETWEEN DATE '2021-02-18' AND DATE '2021-03-31')
        SELECT avg((r.account_id IS NOT NULL)::INT) FILTER (WHERE tenure = 'recent'),
               avg((r.account_id IS NOT NULL)::INT) FILTER (WHERE tenure = 'long')
        FROM holders h LEFT JOIN redeemed r USING (account_id, instrument_code)""",
    )
    assert recent > 1.3 * long_held
