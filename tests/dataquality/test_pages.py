"""The data-quality dashboard and the contact page's quality panel, and stewards added and
removed from the page (form errors shown, nothing stored)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from amity.core.db import Database
from amity.dataquality.models import DataSteward
from tests.web.conftest import page_csrf, signed_in, web, web_user  # noqa: F401 (fixtures)


def stewards(database: Database) -> int:
    with database.transaction(write=False) as s:
        return int(s.scalar(select(func.count()).select_from(DataSteward)) or 0)


def test_dashboard_panel_and_stewards(clock: Any, people: dict[str, str],
                                      signed_in: Any, database: Database,  # noqa: F811
                                      web_user: Any) -> None:  # noqa: F811
    """(The clock is set before signing in: the session is dated by it.)"""
    web_client = signed_in
    page = web_client.get("/data-quality")
    assert page.status_code == 200
    assert "Contacts: 4" in page.text and 'data-testid="average-score">60.5<' in page.text
    assert "Company</td>" in page.text and "25%" in page.text and "nickname2" in page.text
    assert page.text.index(f'/contacts/{people["c"]}') < page.text.index(
        f'/contacts/{people["a"]}')  # worst first
    seg = web_client.get("/data-quality", params={"segment_tag": "vip"})
    assert "Contacts tagged vip: 2" in seg.text
    panel = web_client.get(f"/contacts/{people['d']}/quality-panel")
    assert panel.status_code == 200 and 'data-testid="quality-score">71<' in panel.text
    assert "a company" in panel.text and "valid values" in panel.text
    assert "/quality-panel" in web_client.get(f"/contacts/{people['d']}").text
    token = page_csrf(web_client, "/data-quality")
    bad = web_client.post("/data-quality/stewards", data={"csrf_token": token, "user_id": ""})
    assert bad.status_code == 422 and "Pick a user" in bad.text and stewards(database) == 0
    ok = web_client.post("/data-quality/stewards", data={
        "csrf_token": token, "user_id": str(web_user.id), "segment_tag": "vip"})
    assert ok.status_code == 303 and stewards(database) == 1
    again = web_client.post("/data-quality/stewards", data={
        "csrf_token": token, "user_id": str(web_user.id), "segment_tag": "vip"})
    assert again.status_code == 409 and "already looks after" in again.text
    assert stewards(database) == 1
    with database.transaction(write=False) as s:
        sid = s.scalar(select(DataSteward.id))
    gone = web_client.post(f"/data-quality/stewards/{sid}/delete", data={"csrf_token": token})
    assert gone.status_code == 303 and stewards(database) == 0
