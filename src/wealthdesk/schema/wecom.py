"""WeCom (企业微信) relationships and archived chat messages."""

from __future__ import annotations

from wealthdesk.schema.model import Column, ForeignKey, Table
from wealthdesk.schema.model import ColumnType as T

GROUP = "WeCom"

# msgtime is UTC epoch milliseconds; the brokerage's business dates are China (Beijing) dates.
BEIJING_OFFSET_HOURS = 8
BEIJING_OFFSET_MS = BEIJING_OFFSET_HOURS * 3600 * 1000

WECOM_CONTACTS = Table(
    name="wecom_contacts",
    description=(
        "External contacts: which advisor has added which client on WeCom, when, and through which channel code."
    ),
    group=GROUP,
    key=("advisor_userid", "external_userid"),
    mutable=True,
    foreign_keys=(
        ForeignKey(("advisor_userid",), "advisors", ("wecom_userid",)),
        ForeignKey(("customer_id",), "customers", ("customer_id",)),
    ),
    freshness_column="added_at",
    columns=(
        Column("advisor_userid", T.STRING, "Advisor's WeCom userid.", required=True),
        Column(
            "external_userid",
            T.STRING,
            "Client's external_userid (wm… / wo…).",
            required=True,
            pattern=r"^w[mo][0-9A-Za-z_-]{10,60}$",
        ),
        Column("customer_id", T.STRING, "Client the contact was matched to, if matched."),
        Column("added_at", T.TIMESTAMP, "When the contact was added.", required=True),
        Column("state", T.STRING, "`State` of the add event: the channel QR code (渠道活码) that brought the client."),
        Column("remark", T.STRING, "Advisor's remark on the contact."),
        Column("deleted_at", T.TIMESTAMP, "When the relationship ended, if it did."),
    ),
)

WECOM_MESSAGES = Table(
    name="wecom_messages",
    description="Archived WeCom chat messages (会话内容存档) in the chat-archive field layout.",
    group=GROUP,
    key=("msgid",),
    freshness_column="msgtime",
    columns=(
        Column("msgid", T.STRING, "Message id from the archive.", required=True),
        Column("seq", T.BIGINT, "Archive sequence number the message was fetched at.", minimum=0),
        Column("action", T.STRING, "send, recall or switch.", required=True, allowed=("send", "recall", "switch")),
        Column(
            "sender",
            T.STRING,
            "`from`: userid of an advisor or external_userid of a client.",
            required=True,
            aliases=("from",),
        ),
        Column("tolist", T.STRING_LIST, "Recipients (userids / external_userids).", required=True),
        Column("roomid", T.STRING, "Group chat id; empty for one-to-one chats."),
        Column("msgtime", T.BIGINT, "Message time in milliseconds since the epoch (UTC).", required=True, minimum=0),
        Column("msgtype", T.STRING, "Message type: text, image, revoke, …", required=True),
        Column("content", T.STRING, "Text content (text.content for text messages)."),
        Column(
            "pre_msgid",
            T.STRING,
            "For a recall (msgtype revoke): revoke.pre_msgid, the message recalled; its tag evidence does not count.",
        ),
    ),
)

TABLES = (WECOM_CONTACTS, WECOM_MESSAGES)
