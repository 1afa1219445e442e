"""Deals, products, orders and interactions from a file: the fields a column can be mapped to,
the mapping suggested from common exports' headers (HubSpot, Salesforce, Pipedrive, Shopify,
WooCommerce), and one row -> clean values with a message per bad field.

Custom-field columns (``custom:<key>``) are read by ``record_custom``.

References to other records are by what a file carries: a pipeline and a stage by name, a
contact by email (interactions: or phone), a company by name, a product by SKU. They are looked
up a batch at a time by ``records_runner``; here a row only says which keys it names.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from amity.dataio import normalise as norm
from amity.dataio import record_custom

if TYPE_CHECKING:  # rows imports mapping, which imports this module
    from amity.dataio.rows import Options, RowData

ENTITIES = ("deals", "products", "orders", "interactions")
DEAL_FIELDS = ("name", "amount", "currency", "pipeline", "stage", "contact_email", "company",
               "expected_close_date", "closed_at", "probability", "source", "campaign",
               "next_step", "description")
PRODUCT_FIELDS = ("sku", "name", "category", "description", "price", "currency", "active",
                  "replacement_cycle_days")
ORDER_FIELDS = ("order_ref", "number", "ordered_at", "channel", "status", "currency",
                "contact_email", "company", "notes", "line_sku", "line_description",
                "line_category", "line_quantity", "line_unit_price", "line_discount_percent")
INTERACTION_FIELDS = ("channel", "direction", "occurred_at", "subject", "body", "duration",
                      "outcome", "location", "contact_email", "contact_phone", "external_id")
FIELDS = {"deals": DEAL_FIELDS, "products": PRODUCT_FIELDS, "orders": ORDER_FIELDS,
          "interactions": INTERACTION_FIELDS}
REQUIRED = {"deals": ("name",), "products": ("sku", "name", "price"),
            "orders": ("order_ref", "line_quantity"),
            "interactions": ("channel",)}
CUSTOM_TEXTS = "custom_texts"  # a row's custom-field cells by key, as written in the file
SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "CHF": "CHF"}
_CODE = re.compile(r"\b([A-Z]{3})\b")


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def _syn(target: str, *headers: str) -> dict[str, str]:
    return {_key(h): target for h in headers}


SYNONYMS: dict[str, dict[str, str]] = {
    "deals": {
        **_syn("name", "Name", "Deal Name", "Deal", "Opportunity Name", "Opportunity", "Title",
               "Deal Title"),
        **_syn("amount", "Amount", "Deal Amount", "Value", "Deal Value", "Amount in company "
               "currency", "Total"),
        **_syn("currency", "Currency", "Deal Currency", "Opportunity Currency", "Currency Code",
               "Deal Currency Code", "Value Currency"),
        **_syn("pipeline", "Pipeline", "Deal Pipeline", "Sales Pipeline"),
        **_syn("stage", "Stage", "Deal Stage", "Sales Stage", "Status"),
        **_syn("contact_email", "Contact Email", "Email", "E-mail", "Contact E-mail",
               "Primary Contact Email", "Person - Email", "Associated Contact Email"),
        **_syn("company", "Company", "Company Name", "Account Name", "Account", "Organization",
               "Organization - Name", "Associated Company"),
        **_syn("expected_close_date", "Close Date", "Expected Close Date", "Expected Close",
               "Closing Date"),
        **_syn("closed_at", "Closed At", "Won Time", "Lost Time", "Actual Close Date"),
        **_syn("probability", "Probability", "Probability (%)", "Deal Probability", "Win "
               "Probability"),
        **_syn("source", "Source", "Lead Source", "Original Source", "Deal Source"),
        **_syn("campaign", "Campaign", "Primary Campaign Source"),
        **_syn("next_step", "Next Step", "Next Steps"),
        **_syn("description", "Description", "Deal Description", "Notes"),
    },
    "products": {
        **_syn("sku", "SKU", "Variant SKU", "Product Code", "Item Code", "Code",
               "Article Number", "Part Number"),
        **_syn("name", "Name", "Product Name", "Title", "Product", "Item Name"),
        **_syn("category", "Category", "Categories", "Type", "Product Type",
               "Product Category", "Product Family"),
        **_syn("description", "Description", "Product Description", "Body (HTML)",
               "Short description"),
        **_syn("price", "Price", "Unit Price", "Variant Price", "Regular price", "List Price",
               "Sales Price"),
        **_syn("currency", "Currency", "Price Currency", "Currency Code"),
        **_syn("active", "Active", "Status", "Published", "Is Active"),
        **_syn("replacement_cycle_days", "Replacement Cycle Days", "Replacement Cycle",
               "Reorder Days"),
    },
    "orders": {
        **_syn("order_ref", "Order Ref", "Order Reference", "Order ID", "Order Id",
               "Order Number", "Order No", "Order", "Name", "External Ref", "Reference"),
        **_syn("number", "Number", "Invoice Number", "Invoice No"),
        **_syn("ordered_at", "Ordered At", "Order Date", "Created at", "Date", "Date Created",
               "Paid at", "Purchase Date"),
        **_syn("channel", "Channel", "Sales Channel", "Source"),
        **_syn("status", "Status", "Order Status", "Financial Status"),
        **_syn("currency", "Currency", "Order Currency", "Currency Code"),
        **_syn("contact_email", "Email", "Customer Email", "Billing Email",
               "Billing Email Address", "Contact Email", "E-mail"),
        **_syn("company", "Company", "Billing Company", "Company Name", "Account Name"),
        **_syn("notes", "Notes", "Note", "Customer Note", "Order Notes"),
        **_syn("line_sku", "SKU", "Lineitem sku", "Item SKU", "Product SKU", "Line SKU"),
        **_syn("line_description", "Lineitem name", "Item Name", "Product Name", "Product",
               "Description", "Line Description", "Item"),
        **_syn("line_category", "Category", "Item Category", "Product Category"),
        **_syn("line_quantity", "Quantity", "Lineitem quantity", "Qty", "Item Quantity",
               "Line Quantity"),
        **_syn("line_unit_price", "Unit Price", "Lineitem price", "Item Cost", "Price",
               "Item Price", "Line Unit Price"),
        **_syn("line_discount_percent", "Discount Percent", "Discount %", "Discount (%)",
               "Line Discount Percent"),
    },
    "interactions": {
        **_syn("channel", "Channel", "Type", "Activity Type", "Activity", "Engagement Type",
               "Medium"),
        **_syn("direction", "Direction", "Call Direction", "Email Direction", "Inbound/Outbound"),
        **_syn("occurred_at", "Occurred At", "Date", "Activity Date", "Timestamp", "Created at",
               "Date/Time", "Time", "Due Date", "Start"),
        **_syn("subject", "Subject", "Title", "Activity Subject", "Call Title", "Email Subject"),
        **_syn("body", "Body", "Notes", "Note", "Description", "Content", "Message",
               "Comments", "Call Notes", "Email Body"),
        **_syn("duration", "Duration", "Call Duration", "Duration (seconds)",
               "Duration (minutes)", "Length"),
        **_syn("outcome", "Outcome", "Call Outcome", "Result"),
        **_syn("location", "Location", "Meeting Location", "Place"),
        **_syn("contact_email", "Email", "Contact Email", "E-mail", "Email Address",
               "Person - Email", "Associated Contact Email"),
        **_syn("contact_phone", "Phone", "Contact Phone", "Phone Number", "Mobile",
               "Person - Phone"),
        **_syn("external_id", "ID", "Activity ID", "External ID", "Engagement ID",
               "Record ID"),
    },
}
INTERACTION_CHANNELS = {
    "email": "email", "e-mail": "email", "mail": "email", "emails": "email",
    "call": "call", "phone": "call", "phone call": "call", "calls": "call",
    "meeting": "meeting", "meetings": "meeting", "appointment": "meeting",
    "chat": "chat", "live chat": "chat", "whatsapp": "chat", "message": "chat",
    "social": "social", "linkedin": "social", "twitter": "social",
    "visit": "visit", "in person": "visit", "in-person": "visit",
    "sms": "sms", "text": "sms", "text message": "sms"}
DIRECTIONS = {"inbound": "inbound", "incoming": "inbound", "in": "inbound",
              "received": "inbound", "outbound": "outbound", "outgoing": "outbound",
              "out": "outbound", "sent": "outbound", "internal": "internal"}
OUTCOMES = {"connected": "connected", "answered": "connected", "no answer": "no_answer",
            "no_answer": "no_answer", "voicemail": "voicemail", "left voicemail": "voicemail",
            "busy": "busy", "wrong number": "wrong_number", "wrong_number": "wrong_number",
            "failed": "failed"}
ORDER_CHANNELS = ("store", "web", "phone", "marketplace", "sales", "other")
ORDER_STATUSES = {"placed": "placed", "pending": "placed", "open": "placed",
                  "processing": "placed", "paid": "paid", "completed": "fulfilled",
                  "fulfilled": "fulfilled", "shipped": "fulfilled", "cancelled": "cancelled",
                  "canceled": "cancelled", "refunded": "refunded"}


def suggest(entity: str, headers: list[str]) -> dict[str, str]:
    """A target per header: a column named as a field takes it (so an export imports
    again), then the synonyms; a target goes to the first column naming it."""
    exact = {_key(f): f for f in FIELDS[entity]}
    out = {h: exact.get(_key(h), "ignore") for h in headers}
    taken = set(out.values())
    for h in headers:
        if out[h] != "ignore":
            continue
        target = SYNONYMS[entity].get(_key(re.sub(r"\s*\(\d+\)$", "", h)), "ignore")
        if target != "ignore" and target not in taken:
            out[h] = target
            taken.add(target)
    return out


def money(raw: str) -> tuple[Decimal, str | None]:
    """An amount as written in a file: '1,234.50', '1.234,50', '€ 99', 'USD 1200', '(12)' is
    refused. The currency its symbol or code names comes back too (or None)."""
    text = norm.clean_text(raw)
    currency = None
    for sym, code in SYMBOLS.items():
        if sym in text:
            currency, text = code, text.replace(sym, "")
    found = _CODE.search(text)
    if found:
        currency, text = found.group(1), _CODE.sub("", text)
    text = text.replace(" ", "").replace("'", "").replace("\u202f", "")
    if "," in text and "." in text:
        decimal_sep = "," if text.rfind(",") > text.rfind(".") else "."
        text = text.replace("." if decimal_sep == "," else ",", "")
        text = text.replace(",", ".")
    elif "," in text:
        whole, _, tail = text.rpartition(",")
        thousands = len(tail) == 3 and whole.lstrip("-") not in ("", "0")
        text = text.replace(",", "") if thousands else text.replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"'{raw}' is not an amount") from exc
    if not value.is_finite():
        raise ValueError(f"'{raw}' is not an amount")
    return value, currency


def number(raw: str) -> Decimal:
    value, _ = money(raw)
    return value


def moment(raw: str, *, day_first: bool) -> datetime:
    """A time as files carry it: ISO with or without zone (UTC assumed), a date alone
    (midnight UTC), '2024-03-01 14:30', or an Excel serial with a fraction of a day."""
    text = norm.clean_text(raw)
    if re.fullmatch(r"\d{1,6}(\.\d+)?", text):
        serial = float(text)
        if 1 <= serial <= 80_000:
            from datetime import timedelta

            return datetime(1899, 12, 30, tzinfo=UTC) + timedelta(days=serial)
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        head, _, clock = text.partition(" ")
        if clock and re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?( ?[+-]\d{2}:?\d{2})?", clock):
            day = norm.parse_date(head, day_first=day_first)
            hms = [int(x) for x in re.split(r"[: +-]", clock)[:3] if x]
            at = datetime.combine(day, time(hms[0], hms[1], hms[2] if len(hms) > 2 else 0))
            zone = re.search(r"([+-])(\d{2}):?(\d{2})$", clock)
            if zone:
                at = datetime.fromisoformat(f"{at.isoformat()}{zone.group(1)}"
                                            f"{zone.group(2)}:{zone.group(3)}")
        else:
            at = datetime.combine(norm.parse_date(text, day_first=day_first), time())
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _collect(headers: list[str], mapping: dict[str, str], raw: list[str]) -> dict[str, str]:
    got: dict[str, str] = {}
    for h, value in zip(headers, raw, strict=False):
        target = mapping.get(h, "ignore")
        if target != "ignore" and value is not None and str(value).strip():
            got.setdefault(target, str(value))
    return got


def _try(row: RowData, fld: str, fn: Any, *args: Any, **kw: Any) -> Any:
    try:
        return fn(*args, **kw)
    except ValueError as exc:
        row.fail(fld, str(exc))
        return None


def _email(row: RowData, got: dict[str, str]) -> None:
    if "contact_email" in got:
        addr = _try(row, "contact_email", norm.email, got["contact_email"])
        if addr:
            row.emails.append(addr)


def _currency(row: RowData, got: dict[str, str], found: str | None) -> str | None:
    code = norm.clean_text(got["currency"]).upper() if "currency" in got else found
    if code is not None and not re.fullmatch(r"[A-Z]{3}", code):
        row.fail("currency", f"'{got.get('currency', code)}' is not an ISO currency code "
                 "such as EUR")
        return None
    return code


def build(entity: str, headers: list[str], mapping: dict[str, str], raw: list[str],
          opts: Options, default_currency: str) -> RowData:
    from amity.dataio.rows import RowData

    got = _collect(headers, mapping, raw)
    row = RowData()
    if not got:
        row.blank = True
        return row
    for fld in REQUIRED[entity]:
        if fld not in got:
            row.fail(fld, f"{fld.replace('_', ' ')} is required")
    {"deals": _deal, "products": _product, "orders": _order,
     "interactions": _interaction}[entity](row, got, opts, default_currency)
    texts = record_custom.cells(got)
    if texts:  # read by type and checked against the definitions by the planner
        row.values[CUSTOM_TEXTS] = texts
    return row


def _text(row: RowData, got: dict[str, str], keys: tuple[str, ...]) -> None:
    for key in keys:
        if key in got:
            row.values[key] = norm.clean_text(got[key])


def _deal(row: RowData, got: dict[str, str], opts: Options, default: str) -> None:
    v = row.values
    _text(row, got, ("name", "source", "campaign", "next_step", "pipeline", "stage",
                     "company"))
    if "description" in got:
        v["description"] = got["description"].strip()
    found = None
    if "amount" in got:
        parsed = _try(row, "amount", money, got["amount"])
        if parsed is not None:
            v["amount"], found = parsed
    v["currency"] = _currency(row, got, found) or default
    if "probability" in got:
        p = _try(row, "probability", number, got["probability"].rstrip("%"))
        if p is not None:
            if p != p.to_integral_value() or not 0 <= p <= 100:
                row.fail("probability", f"'{got['probability']}' is not a whole percentage "
                         "0-100")
            else:
                v["probability"] = int(p)
    if "expected_close_date" in got:
        day = _try(row, "expected_close_date", norm.parse_date, got["expected_close_date"],
                   day_first=opts.day_first)
        if day is not None:
            v["expected_close_date"] = day
    if "closed_at" in got:
        at = _try(row, "closed_at", moment, got["closed_at"], day_first=opts.day_first)
        if at is not None:
            v["closed_at"] = at
    _email(row, got)


def _product(row: RowData, got: dict[str, str], opts: Options, default: str) -> None:
    v = row.values
    _text(row, got, ("sku", "name", "category"))
    if "description" in got:
        v["description"] = got["description"].strip()
    found = None
    if "price" in got:
        parsed = _try(row, "price", money, got["price"])
        if parsed is not None:
            v["price"], found = parsed
    v["currency"] = _currency(row, got, found) or default
    if "active" in got:
        word = norm.clean_text(got["active"]).lower()
        if word in ("active", "published", "enabled"):
            v["active"] = True
        elif word in ("draft", "archived", "inactive", "disabled"):
            v["active"] = False
        else:
            flag = _try(row, "active", norm.boolean, got["active"])
            if flag is not None:
                v["active"] = flag
    if "replacement_cycle_days" in got:
        text = norm.clean_text(got["replacement_cycle_days"])
        if text.isdigit():
            v["replacement_cycle_days"] = int(text)
        else:
            row.fail("replacement_cycle_days", f"'{text}' is not a whole number of days")


def _order(row: RowData, got: dict[str, str], opts: Options, default: str) -> None:
    v = row.values
    _text(row, got, ("order_ref", "number", "company", "line_sku", "line_description",
                     "line_category"))
    if "notes" in got:
        v["notes"] = got["notes"].strip()
    if "ordered_at" in got:
        at = _try(row, "ordered_at", moment, got["ordered_at"], day_first=opts.day_first)
        if at is not None:
            v["ordered_at"] = at
    if "channel" in got:
        ch = norm.clean_text(got["channel"]).lower()
        v["channel"] = ch if ch in ORDER_CHANNELS else "other"
    if "status" in got:
        st = ORDER_STATUSES.get(norm.clean_text(got["status"]).lower())
        if st is None:
            row.fail("status", f"'{got['status']}' is not an order status "
                     f"({', '.join(sorted(set(ORDER_STATUSES.values())))})")
        else:
            v["status"] = st
    found = None
    for key in ("line_quantity", "line_unit_price", "line_discount_percent"):
        if key in got:
            parsed = _try(row, key, money, got[key].rstrip("%"))
            if parsed is not None:
                v[key] = parsed[0]
                found = found or parsed[1]
    v["currency"] = _currency(row, got, found) or default
    if "line_unit_price" not in v and "line_sku" not in v and not row.errors:
        row.fail("line_unit_price", "A line needs a unit price or a catalogue SKU")
    _email(row, got)


def _interaction(row: RowData, got: dict[str, str], opts: Options, default: str) -> None:
    v = row.values
    if "channel" in got:
        ch = INTERACTION_CHANNELS.get(norm.clean_text(got["channel"]).lower())
        if ch is None:
            row.fail("channel", f"'{got['channel']}' is not a channel "
                     f"({', '.join(sorted(set(INTERACTION_CHANNELS.values())))})")
        v["channel"] = ch
    if "direction" in got:
        d = DIRECTIONS.get(norm.clean_text(got["direction"]).lower())
        if d is None:
            row.fail("direction", f"'{got['direction']}' is not inbound, outbound or internal")
        v["direction"] = d
    if "outcome" in got:
        o = OUTCOMES.get(norm.clean_text(got["outcome"]).lower())
        if o is None:
            row.fail("outcome", f"'{got['outcome']}' is not a call outcome")
        v["outcome"] = o
    if "occurred_at" in got:
        at = _try(row, "occurred_at", moment, got["occurred_at"], day_first=opts.day_first)
        if at is not None:
            v["occurred_at"] = at
    _text(row, got, ("subject", "location", "external_id"))
    if "body" in got:
        v["body"] = got["body"].strip()
    if "duration" in got:
        text = norm.clean_text(got["duration"])
        m = re.fullmatch(r"(?:(\d+):)?(\d{1,2}):(\d{2})|(\d+)\s*(s|sec|seconds|m|min|minutes)?",
                         text.lower())
        if m is None:
            row.fail("duration", f"'{text}' is not a duration (seconds, '5 min' or 'mm:ss')")
        elif m.group(4) is not None:
            n = int(m.group(4))
            v["duration_s"] = n * 60 if (m.group(5) or "s")[0] == "m" else n
        else:
            v["duration_s"] = (int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60
                               + int(m.group(3)))
    _email(row, got)
    if "contact_phone" in got:
        e164 = _try(row, "contact_phone", norm.phone, got["contact_phone"], opts.region)
        if e164:
            v["contact_phone"] = e164
