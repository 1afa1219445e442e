"""Daily work in Chromium at phone (390x844) and desktop (1440x900) widths: sign in, open a
contact, add a note and a task with quick-add, log a call, open My day and complete the task in
one click (then undo it); the bell counts an unread reminder. The daily-work pages are also
checked with axe-core for serious accessibility violations."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from amity.activities.models import Interaction, Notification, Task
from amity.auth.models import User
from amity.core.clock import now
from amity.core.db import Database
from tests.browser import E2E, VIEWPORTS, LiveServer, shot, sign_in
from tests.web.test_accessibility import AXE, _violations

pytestmark = E2E
# a refused sign-in (401) and a refused form (422) are expected answers
EXPECTED_STATUSES = (401, 422)


def _remind(database: Database) -> None:
    with database.transaction() as s:
        user = s.scalar(select(User).where(User.email == "sam@example.com"))
        assert user is not None
        nid = uuid.uuid4()
        s.add(Notification(id=nid, user_id=user.id, kind="task_reminder",
                           title="Reminder: order flour", body="due soon",
                           dedupe_key=f"test:{nid}"))


@pytest.fixture
def watched(browser: Any, live_server: LiveServer) -> Iterator[tuple[Any, list[str]]]:
    """A page factory's problems list: console errors, page errors, dialogs fail the test."""
    problems: list[str] = []
    contexts: list[Any] = []

    def open_page(size: str, bypass_csp: bool = False) -> Any:
        context = browser.new_context(viewport=VIEWPORTS[size], base_url=live_server.url,
                                      bypass_csp=bypass_csp)
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" and not any(
            f"status of {code}" in m.text for code in EXPECTED_STATUSES) else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        return page

    yield open_page, problems
    for c in contexts:
        c.close()


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_quick_add_then_complete_on_the_agenda(watched: tuple[Any, list[str]],
                                              live_server: LiveServer,
                                              database: Database, backend: str,
                                              size: str) -> None:
    from playwright.sync_api import expect

    open_page, problems = watched
    page = open_page(size)
    _remind(database)
    sign_in(page, live_server.url)
    expect(page.locator("#bell .bell-count")).to_have_text("1")

    # a contact: note, task and call from the forms beside the timeline, no reload
    page.get_by_role("link", name="Grace Hopper").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Grace Hopper")
    page.get_by_label("Add a note").fill("Asked about <b>gluten-free</b> options")
    page.get_by_role("button", name="Add note").click()
    first = page.locator("#timeline > li.timeline-item").first
    expect(first).to_contain_text("Asked about <b>gluten-free</b> options")

    page.locator("summary", has_text="Add a task").click()
    task_form = page.locator("#quick-task")
    task_form.get_by_label("Task").fill("Send <script>x</script> price list")
    due = (now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    task_form.get_by_label("Due").fill(due)
    task_form.get_by_label("Priority").select_option("high")
    task_form.get_by_role("button", name="Add task").click()
    expect(page.locator("#timeline > li.timeline-item").first).to_contain_text(
        "Send <script>x</script> price list")
    expect(page.locator("#quick-task").get_by_label("Task")).to_have_value("")  # fresh form

    page.locator("summary", has_text="Log a call").click()
    call_form = page.locator("#quick-call")
    call_form.get_by_label("Outcome").select_option("connected")
    call_form.get_by_label("Minutes").fill("12")
    call_form.get_by_label("Notes").fill('Liked the rye <img src=x onerror="alert(1)">')
    call_form.get_by_role("button", name="Log call").click()
    newest = page.locator("#timeline > li.timeline-item").first
    expect(newest).to_contain_text("Call")
    expect(newest).to_contain_text('<img src=x onerror="alert(1)">')
    shot(page, backend, size, "agenda-1-contact-quick-add")

    # My day: the task is there; one click completes it, undo reopens it
    page.get_by_role("link", name="Agenda").click()
    expect(page).to_have_url(f"{live_server.url}/agenda")
    expect(page.get_by_role("heading", name="My day")).to_be_visible()
    row = page.locator("li.task-row", has_text="price list")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Grace Hopper")
    shot(page, backend, size, "agenda-2-my-day")
    row.get_by_role("button", name="Complete “Send <script>x</script> price list”").click()
    done = page.locator("li.task-row.is-done", has_text="price list")
    expect(done).to_have_count(1)
    expect(done.get_by_role("status")).to_have_text("Done.")
    shot(page, backend, size, "agenda-3-completed")
    with database.transaction() as s:
        task = s.scalars(select(Task)).one()
        assert task.status == "done" and task.priority == "high"
        call = s.scalar(select(Interaction).where(Interaction.channel == "call"))
        assert call is not None and call.duration_s == 720
    done.get_by_role("button", name="Undo").click()
    expect(page.locator("li.task-row.is-done", has_text="price list")).to_have_count(0)
    expect(page.locator("li.task-row", has_text="price list")).to_contain_text("Reopened")
    with database.transaction() as s:
        assert s.scalars(select(Task)).one().status == "open"

    # the bell leads to the notifications; marking it read empties the count
    page.locator("#bell").click()
    expect(page).to_have_url(f"{live_server.url}/notifications")
    page.get_by_role("button", name="Mark read").click()
    expect(page.locator("#bell .bell-count")).to_have_count(0)
    shot(page, backend, size, "agenda-4-notifications")

    # nothing overflows sideways at this width
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= VIEWPORTS[size]["width"], width
    assert not problems, problems


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_daily_work_pages_have_no_serious_accessibility_violations(
        watched: tuple[Any, list[str]], live_server: LiveServer,
        database: Database, size: str) -> None:
    open_page, problems = watched
    page = open_page(size, bypass_csp=True)  # to inject axe-core
    _remind(database)
    sign_in(page, live_server.url)
    page.get_by_role("link", name="Grace Hopper").click()
    page.wait_for_url("**/contacts/*")
    contact_path = page.url.split(live_server.url, 1)[1]
    source = AXE.read_text(encoding="utf-8")
    found: dict[str, Any] = {}
    for path in ("/agenda", "/tasks", "/notifications", "/account", contact_path):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        for summary in page.locator("details.quick > summary").all():
            summary.click()  # check the quick-add forms open
        page.wait_for_load_state("networkidle")
        page.add_script_tag(content=source)
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            if found_here := _violations(page):
                found[f"{path} ({scheme})"] = found_here
    assert not found, found
    assert not problems, problems
