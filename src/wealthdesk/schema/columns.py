"""Shared column vocabularies: enumerations and patterns used by several tables."""

from __future__ import annotations

RISK_LEVELS_CLIENT = ("C1", "C2", "C3", "C4", "C5")
RISK_LEVELS_PRODUCT = ("R1", "R2", "R3", "R4", "R5")
BOARDS = ("main", "chinext", "star")
EXCHANGES = ("SH", "SZ")
FUND_TYPES = ("money", "bond", "hybrid", "equity", "index", "qdii", "fof")
INVESTOR_TYPES = ("ordinary", "professional")
ACQUISITION_CHANNELS = (
    "branch",  # 营业部临柜
    "app_organic",  # App 自然注册
    "wecom_qrcode",  # 企业微信渠道活码
    "bank_partner",  # 银行合作
    "online_ads",  # 互联网广告
    "referral",  # 老带新
)
TRADE_TYPES = ("stock_buy", "stock_sell", "fund_subscribe", "fund_redeem")
TRADE_CHANNELS = ("app", "pc", "counter", "phone", "advisor")
ASSET_TYPES = ("stock", "fund", "cash")
APP_EVENT_TYPES = (
    "login",
    "view_quote",
    "view_fund",
    "view_content",
    "search",
    "click_banner",
    "open_level2_page",
    "open_chinext_page",
    "share",
)
DEVICES = ("ios", "android", "web")
CONTENT_TYPES = ("research_report", "advisor_view", "event", "investor_education")
TOUCH_CHANNELS = ("wecom", "sms", "app_push", "phone", "email")
CAMPAIGN_OBJECTIVES = ("acquisition", "activation", "retention", "cross_sell")

SECURITY_CODE = r"^\d{6}\.(SH|SZ)$"
FUND_CODE = r"^\d{6}$"
MOBILE = r"^1[3-9]\d{9}$"
ID_NUMBER = r"^\d{17}[\dX]$"
