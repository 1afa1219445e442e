"""What the import and export API accepts and returns."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from amity.core.schemas import Input, Output

Column = Annotated[str, StringConstraints(min_length=1, max_length=300)]
Target = Annotated[str, StringConstraints(min_length=1, max_length=80)]
MatchMode = Literal["update_empty", "overwrite", "skip", "create"]


class ImportOptions(Input):
    default_region: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")] | None = Field(
        None, description="Region for phone numbers without a country code (default: the "
                          "server's)")
    match: MatchMode = Field("update_empty", description=(
        "An existing record with the same email (companies: domain or name; products: SKU): "
        "fill its empty fields (update_empty), overwrite them (overwrite), leave it (skip), "
        "or create a new record anyway (create; products: an error). Emails, phones, tags and "
        "addresses are always merged. Deals are always created; orders and interactions "
        "already stored (same order reference, same activity id) are skipped."))
    all_or_nothing: bool = Field(False, description="Any row with an error: nothing is "
                                 "imported")
    default_currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = Field(
        None, description="Deals, products, orders: the currency of amounts whose row names "
                          "none (default: the server's)")
    day_first: bool | None = Field(None, description="Read 01/02/2024 as 1 February (default: "
                                   "true unless the region is US)")
    bulk: bool | None = Field(None, description=(
        "Contacts only: write new contacts a chunk at a time (one COPY per table, one audit "
        "entry and one contacts.imported event per chunk) instead of one by one; null: from "
        "5,000 rows. Rows matching existing contacts are handled as in the row path."))


class MappingIn(Input):
    mapping: dict[Column, Target] = Field(
        description="Column name -> field: a field of the entity (see `fields`), "
                    "`custom:<key>` or `ignore`. Columns left out are ignored.",
        max_length=500)
    options: ImportOptions = Field(default_factory=ImportOptions)


class ImportRead(Output):
    id: uuid.UUID
    entity: str
    filename: str
    size_bytes: int
    format: str
    encoding: str | None
    delimiter: str | None
    headers: list[str]
    renamed_headers: dict[str, str] = Field(
        description="Headers made unique or named (new name -> name in the file)")
    mapping: dict[str, str]
    options: dict[str, Any]
    status: str
    total_rows: int | None
    position: int = Field(description="Rows processed so far")
    created_count: int
    updated_count: int
    skipped_count: int
    error_count: int
    message: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    rolled_back_at: datetime | None


class ImportUploaded(ImportRead):
    sample: list[list[str]] = Field(description="The first rows of the file")
    fields: list[str] = Field(description="Fields the columns can be mapped to")


class PreviewRow(Output):
    row: int
    action: Literal["create", "update", "skip", "error"]
    errors: list[dict[str, str]]
    note: str | None
    values: dict[str, Any]


class PreviewOut(Output):
    counts: dict[str, int]
    rows: list[PreviewRow]


class ExportRead(Output):
    id: uuid.UUID
    entity: str
    format: str
    status: str
    row_count: int | None
    message: str | None
    created_at: datetime
    finished_at: datetime | None
    download_url: str | None = None
