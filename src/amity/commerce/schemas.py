"""What the API accepts and returns for products, orders, exchange rates and purchase history.

Money and quantities are ``Decimal`` with a fixed number of places (more places is a 422, never a
silent rounding); JSON carries them as strings on the way out. Currencies are ISO 4217 codes.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from amity.core.schemas import CustomFieldValues, Input, LongText, Output


def _places(places: int) -> AfterValidator:
    """Give the value exactly the column's places (exact: it has no more), so an answer reads
    the same before and after the database ('2.5' is '2.5000' both times)."""
    exponent = Decimal(1).scaleb(-places)
    return AfterValidator(lambda value: value.quantize(exponent))


Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"),
                     Field(description="ISO 4217 code in capitals, e.g. 'EUR'")]
Price = Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=4,
                                 description="Up to 4 decimal places, e.g. '19.9900'"),
                  _places(4)]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=3,
                                    description="More than 0, up to 3 decimal places"),
                     _places(3)]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2), _places(2)]
Rate = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=8,
                                description="Units of the base currency one unit buys"),
                 _places(8)]
Sku = Annotated[str, StringConstraints(min_length=1, max_length=80)]
ProductName = Annotated[str, StringConstraints(min_length=1, max_length=300)]
Category = Annotated[str, StringConstraints(min_length=1, max_length=120)]
CycleDays = Annotated[int, Field(ge=1, le=3650, description=(
    "Typical days before a customer needs a new one (a laptop ~1095); drives 'due for "
    "replacement'"))]
Channel = Literal["store", "web", "phone", "marketplace", "sales", "other"]
Status = Literal["placed", "paid", "fulfilled", "cancelled", "refunded"]


# -- products ---------------------------------------------------------------------------------

class ProductFields(Input):
    sku: Sku | None = None
    name: ProductName | None = None
    category: Category | None = None
    description: LongText | None = None
    price: Price | None = None
    currency: Currency | None = None
    active: bool | None = None
    replacement_cycle_days: CycleDays | None = None
    custom_fields: CustomFieldValues | None = Field(None, description=(
        "Values by key, checked against the product custom fields (null removes a value)"))


class ProductCreate(ProductFields):
    sku: Sku
    name: ProductName
    price: Price
    currency: Currency
    active: bool = True


class ProductUpdate(ProductFields):
    version: int | None = Field(None, description="The version you read; 412 if it changed")

    @model_validator(mode="after")
    def _required_not_null(self) -> ProductUpdate:
        for key in ("sku", "name", "price", "currency", "active"):
            if key in self.model_fields_set and getattr(self, key) is None:
                raise ValueError(f"{key} cannot be null")
        return self


class ProductRead(Output):
    id: uuid.UUID
    version: int
    sku: str
    name: str
    category: str | None
    description: str | None
    price: Decimal
    currency: str
    active: bool
    replacement_cycle_days: int | None
    custom_fields: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


# -- orders -----------------------------------------------------------------------------------

class OrderLineIn(Input):
    product_id: uuid.UUID | None = Field(None, description=(
        "A catalogue product: its SKU, name and category are copied onto the line as sold, "
        "and its price is the default unit price when the currencies match"))
    sku: Sku | None = None
    description: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = Field(
        None, description="What was sold; defaults to the product's name")
    category: Category | None = None
    quantity: Quantity
    unit_price: Price | None = Field(None, description="Required without a product, or when "
                                                       "the product is priced in another "
                                                       "currency")
    discount_percent: Percent = Decimal("0.00")


class OrderFields(Input):
    contact_id: uuid.UUID | None = Field(None, description="An order names a contact, a "
                                                           "company or both")
    company_id: uuid.UUID | None = None
    ordered_at: AwareDatetime | None = Field(None, description="Defaults to now")
    channel: Channel | None = None
    status: Status | None = None
    currency: Currency | None = None
    external_ref: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
        None, description="The order's id in the system it came from; sending an existing one "
                          "returns that order (200) instead of creating a second")
    number: Annotated[str, StringConstraints(max_length=80)] | None = None
    notes: LongText | None = None
    owner_id: uuid.UUID | None = None
    lines: list[OrderLineIn] | None = Field(None, min_length=1, max_length=500)
    custom_fields: CustomFieldValues | None = Field(None, description=(
        "Values by key, checked against the order custom fields (null removes a value)"))


class OrderCreate(OrderFields):
    currency: Currency
    lines: list[OrderLineIn] = Field(min_length=1, max_length=500)
    channel: Channel = "store"
    status: Status = "placed"


class OrderUpdate(OrderFields):
    """Only the fields sent change; ``lines`` are replaced whole and the totals recomputed."""

    version: int | None = Field(None, description="The version you read; 412 if it changed")

    @model_validator(mode="after")
    def _required_not_null(self) -> OrderUpdate:
        for key in ("ordered_at", "channel", "status", "currency", "lines"):
            if key in self.model_fields_set and getattr(self, key) is None:
                raise ValueError(f"{key} cannot be null")
        return self


class OrderLineRead(Output):
    id: uuid.UUID
    product_id: uuid.UUID | None
    sku: str | None
    description: str
    category: str | None
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    total: Decimal


class OrderRead(Output):
    id: uuid.UUID
    version: int
    number: str | None
    external_ref: str | None
    contact_id: uuid.UUID | None
    company_id: uuid.UUID | None
    deal_id: uuid.UUID | None
    ordered_at: datetime
    channel: str
    status: str
    currency: str
    subtotal: Decimal = Field(description="Sum of quantity x unit price, line by line rounded")
    discount_total: Decimal
    total: Decimal
    notes: str | None
    owner_id: uuid.UUID | None
    lines: list[OrderLineRead]
    custom_fields: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


OrderItem = Annotated[dict[str, Any], WithJsonSchema({"$ref": "#/components/schemas/OrderCreate"})]


class OrderBulkCreate(Input):
    items: list[OrderItem] = Field(min_length=1, max_length=1000, description=(
        "Orders as for POST /orders; an invalid item is reported in the answer"))
    all_or_nothing: bool = Field(False, description=(
        "Refuse the whole batch (422, nothing stored) if any item is invalid"))


class BulkItemError(Output):
    code: str
    message: str
    field: str | None = None


class BulkItemResult(Output):
    index: int
    result: Literal["created", "existing", "error"]
    id: uuid.UUID | None = None
    error: BulkItemError | None = None


class OrderBulkResult(Output):
    created: int
    existing: int
    errors: int
    items: list[BulkItemResult]


# -- exchange rates ---------------------------------------------------------------------------

class ExchangeRateCreate(Input):
    currency: Currency
    rate: Rate
    valid_from: date


class ExchangeRateRead(Output):
    id: uuid.UUID
    currency: str
    rate: Decimal
    valid_from: date
    created_at: datetime


# -- purchase history -------------------------------------------------------------------------

class CurrencySpend(Output):
    currency: str
    orders: int
    total: Decimal
    average: Decimal = Field(description="total / orders, rounded half-even to cents")


class ProductStat(Output):
    product_id: uuid.UUID | None
    sku: str | None
    name: str
    quantity: Decimal
    orders: int
    last_purchased_at: datetime


class CategoryStat(Output):
    category: str
    quantity: Decimal
    orders: int


class ReplacementDue(Output):
    product_id: uuid.UUID
    sku: str | None
    name: str
    replacement_cycle_days: int
    last_purchased_on: date
    due_on: date
    overdue: bool = Field(description="due_on is before today")
    due_soon: bool = Field(description="due_on is today or within the coming window")


class PurchaseSummary(Output):
    """What a customer bought: only orders placed, paid or fulfilled count."""

    orders: int
    first_purchase_at: datetime | None
    last_purchase_at: datetime | None
    spend: list[CurrencySpend]
    top_products_by_quantity: list[ProductStat]
    top_products_by_orders: list[ProductStat]
    top_categories: list[CategoryStat]
    replacements: list[ReplacementDue] = Field(description=(
        "Each product with a replacement cycle the customer bought, soonest due first"))


class ReplacementDueContact(Output):
    contact_id: uuid.UUID
    product_id: uuid.UUID
    sku: str | None
    name: str
    replacement_cycle_days: int
    last_purchased_on: date
    due_on: date
    overdue: bool
