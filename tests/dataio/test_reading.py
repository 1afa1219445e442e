"""Reading messy files: encodings, delimiters, quoted newlines, duplicate headers, XLSX dates,
vCard versions; and the normalisation of names, countries, dates, phones and URLs."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from amity.core.errors import ValidationFailed
from amity.dataio import normalise as norm
from amity.dataio.mapping import suggest
from amity.dataio.reader import iter_rows, sniff


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_cp1252_semicolons_and_quoted_newlines(tmp_path: Path) -> None:
    text = ('Prénom;Nom;E-mail;Notes\r\n"Zoë";"Müller";zoe@example.com;"line one\r\nline two"\r\n'
            'René;Grâce;rene@example.com;"says ""hi"""\r\n')
    p = _write(tmp_path, "x.csv", text.encode("cp1252"))
    s = sniff(p, "x.csv")
    assert (s.format, s.encoding, s.delimiter) == ("csv", "cp1252", ";")
    assert s.headers == ["Prénom", "Nom", "E-mail", "Notes"]
    rows = list(iter_rows(p, s))
    assert rows == [(1, ["Zoë", "Müller", "zoe@example.com", "line one\r\nline two"]),
                    (2, ["René", "Grâce", "rene@example.com", 'says "hi"'])]
    assert list(iter_rows(p, s, start=1)) == rows[1:]


def test_utf8_bom_and_duplicate_headers(tmp_path: Path) -> None:
    text = "Email,Name,Email,,Name\nA@X.COM,Ann,b@x.com,z,Dup\n"
    p = _write(tmp_path, "b.csv", b"\xef\xbb\xbf" + text.encode())
    s = sniff(p, "b.csv")
    assert s.encoding == "utf-8-sig" and s.delimiter == ","
    assert s.headers == ["Email", "Name", "Email (2)", "Column 4", "Name (2)"]
    assert s.renamed == {"Email (2)": "Email", "Column 4": "", "Name (2)": "Name"}
    assert next(iter_rows(p, s)) == (1, ["A@X.COM", "Ann", "b@x.com", "z", "Dup"])


@pytest.mark.parametrize("delim", ["\t", "|", ",", ";"])
def test_each_delimiter(tmp_path: Path, delim: str) -> None:
    lines = [delim.join(["First Name", "Last Name", "Email"])] + [
        delim.join([f"N{i}", f"L{i}", f"n{i}@example.com"]) for i in range(5)]
    p = _write(tmp_path, "d.csv", "\n".join(lines).encode())
    assert sniff(p, "d.csv").delimiter == delim


def test_xlsx_dates_numbers_and_short_rows(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["First Name", "Birthday", "Phone", "Joined"])
    ws.append(["Ann", datetime(1990, 5, 17), 4155550123, datetime(2024, 1, 2, 9, 30)])
    ws.append(["Bob", date(1985, 12, 1)])
    p = tmp_path / "x.xlsx"
    wb.save(p)
    s = sniff(p, "people.xlsx")
    assert s.format == "xlsx" and s.headers == ["First Name", "Birthday", "Phone", "Joined"]
    assert list(iter_rows(p, s)) == [
        (1, ["Ann", "1990-05-17", "4155550123", "2024-01-02T09:30:00"]),
        (2, ["Bob", "1985-12-01", "", ""])]


def test_unknown_and_empty_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as e:
        sniff(_write(tmp_path, "a.bin", b"\x00\x01\x02binary\x00"), "a.bin")
    assert e.value.code == "import.unknown_format"
    with pytest.raises(ValidationFailed) as e:
        sniff(_write(tmp_path, "e.csv", b"  \n"), "e.csv")
    assert e.value.code == "import.empty"
    with pytest.raises(ValidationFailed) as e:
        sniff(_write(tmp_path, "x.xlsx", b"PK\x03\x04garbage"), "x.xlsx")
    assert e.value.code == "import.unreadable"


def test_vcard_versions(tmp_path: Path) -> None:
    cards = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=BCrgen\r\n"
        "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=BCrgen M=C3=BCller\r\n"
        "TEL;CELL:030 1234567\r\nEMAIL;INTERNET:JM@Example.DE\r\nORG:ACME GmbH;Sales\r\n"
        "ADR;WORK:;;Hauptstr. 1;Berlin;;10115;Germany\r\nBDAY:1980-01-31\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lee;Ann;;;\r\nFN:Ann Lee\r\n"
        "EMAIL;TYPE=INTERNET,WORK:ann@example.com\r\nTITLE:CTO\r\n"
        "NOTE:Likes tea\\, not coffee\r\nURL:https://ann.example\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Bo Chen\r\nN:Chen;Bo;;;\r\n"
        "TEL;VALUE=uri;TYPE=cell:tel:+1-415-555-0101\r\nBDAY:19850704\r\n"
        "CATEGORIES:vip,press\r\nEND:VCARD\r\n")
    p = _write(tmp_path, "c.vcf", cards.encode())
    s = sniff(p, "c.vcf")
    assert s.format == "vcard"
    rows = [dict(zip(s.headers, r, strict=True)) for _, r in iter_rows(p, s)]
    assert [r["Last Name"] for r in rows] == ["Müller", "Lee", "Chen"]
    assert rows[0]["Full Name"] == "Jürgen Müller" and rows[0]["Country"] == "Germany"
    assert rows[0]["Company"] == "ACME GmbH" and rows[0]["Department"] == "Sales"
    assert rows[1]["Notes"] == "Likes tea, not coffee" and rows[1]["Job Title"] == "CTO"
    assert rows[2]["Phone 1"] == "+1-415-555-0101" and rows[2]["Birthday"] == "19850704"
    assert rows[2]["Categories"] == "vip, press"


def test_names_are_cased_sensibly() -> None:
    assert [norm.name_case(x) for x in ("MCDONALD", "jean-paul", "VAN DER BERG", "McDonald",
                                        "van der Berg", "o'brien", " ada   LOVELACE ",
                                        "DeVito")] == [
        "McDonald", "Jean-Paul", "van der Berg", "McDonald", "van der Berg", "O'Brien",
        "Ada Lovelace", "DeVito"]
    assert norm.split_full_name("Jan van der Berg") == ("Jan", "van der Berg")
    assert norm.split_full_name("Doe, Jane") == ("Jane", "Doe")


def test_countries_dates_urls_phones() -> None:
    assert [norm.country(c) for c in ("Germany", "DEU", "de", "UK", "United States of America",
                                      "Viet Nam", "Deutschland")] == [
        "DE", "DE", "DE", "GB", "US", "VN", "DE"]
    with pytest.raises(ValueError):
        norm.country("Atlantis")
    cases = {"2024-01-31": date(2024, 1, 31), "31.01.2024": date(2024, 1, 31),
             "01/31/2024": date(2024, 1, 31), "45322": date(2024, 1, 31),
             "31 Jan 1980": date(1980, 1, 31), "January 31, 1980": date(1980, 1, 31),
             "19850704": date(1985, 7, 4)}
    assert {k: norm.parse_date(k, day_first=False) for k in cases} == cases
    assert norm.parse_date("02/03/2024", day_first=True) == date(2024, 3, 2)
    with pytest.raises(ValueError):
        norm.parse_date("--12-25", day_first=False)
    assert norm.url("example.com/x") == "https://example.com/x"
    assert norm.social("twitter", "@ada") == {"network": "twitter", "handle": "ada",
                                              "url": "https://x.com/ada"}
    assert norm.phone("(415) 555-0123", "US") == "+14155550123"
    assert norm.phone("030 1234567", "DE") == "+49301234567"
    assert norm.email(" Ada@Example.COM ") == "ada@example.com"
    assert norm.company_domain_from_email("x@gmail.com") is None
    assert norm.company_domain_from_email("x@acme.io") == "acme.io"


def test_suggested_mapping_google_outlook_hubspot() -> None:
    google = ["Name", "Given Name", "Family Name", "Birthday", "Notes", "Group Membership",
              "E-mail 1 - Type", "E-mail 1 - Value", "E-mail 2 - Value", "Phone 1 - Value",
              "Organization 1 - Name", "Organization 1 - Title", "Address 1 - City",
              "Address 1 - Country", "Website 1 - Value"]
    assert suggest("contacts", google, []) == {
        "Name": "full_name", "Given Name": "first_name", "Family Name": "last_name",
        "Birthday": "birthday", "Notes": "notes", "Group Membership": "tags",
        "E-mail 1 - Type": "ignore", "E-mail 1 - Value": "email", "E-mail 2 - Value": "email",
        "Phone 1 - Value": "phone", "Organization 1 - Name": "company",
        "Organization 1 - Title": "job_title", "Address 1 - City": "city",
        "Address 1 - Country": "country", "Website 1 - Value": "website"}
    outlook = ["First Name", "Middle Name", "Last Name", "Company", "Department", "Job Title",
               "Business Street", "Business City", "Business Postal Code",
               "Business Country/Region", "Business Phone", "Mobile Phone", "E-mail Address",
               "E-mail 2 Address", "Categories", "Web Page"]
    assert suggest("contacts", outlook, ["loyalty_id"]) == {
        "First Name": "first_name", "Middle Name": "middle_name", "Last Name": "last_name",
        "Company": "company", "Department": "department", "Job Title": "job_title",
        "Business Street": "street", "Business City": "city",
        "Business Postal Code": "postal_code", "Business Country/Region": "country",
        "Business Phone": "phone", "Mobile Phone": "phone:mobile", "E-mail Address": "email",
        "E-mail 2 Address": "email", "Categories": "tags", "Web Page": "website"}
    hubspot = ["First Name", "Last Name", "Email", "Phone Number", "Company Name",
               "Lifecycle Stage", "Loyalty ID"]
    assert suggest("contacts", hubspot, ["loyalty_id"])["Loyalty ID"] == "custom:loyalty_id"
    assert suggest("contacts", hubspot, [])["Lifecycle Stage"] == "lifecycle_stage"
