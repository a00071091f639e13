"""The signed-in console's frame: its pages need a session (the sign-in page brings one back), admin pages
need an administrator in the page as on the server, and the navigation lists what the account may open."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.web.conftest import Site, sign_in


def test_console_pages_send_visitors_to_sign_in_and_back(page: Page, site: Site) -> None:
    user = site.user("console")
    page.goto("/keys?tab=x")
    expect(page).to_have_url(re.compile(r"/signin\?next=%2Fkeys%3Ftab%3Dx$"))
    page.get_by_label("Email").fill(user.email)
    page.get_by_role("textbox", name="Password").fill(user.password)
    page.get_by_test_id("submit").click()
    expect(page).to_have_url(re.compile(r"/keys\?tab=x$"))
    expect(page.get_by_test_id("console")).to_be_visible()


def test_admin_pages_refuse_users_and_open_for_administrators(page: Page, site: Site) -> None:
    user = site.user("plain")
    sign_in(page.context, user)
    page.goto("/admin/users")
    expect(page.get_by_test_id("forbidden")).to_be_visible()
    nav = page.get_by_role("navigation", name="Console").first
    expect(nav.get_by_role("link", name="Credits")).to_be_visible()
    expect(nav.get_by_role("link", name="Users")).to_have_count(0)
    # The page's refusal is a courtesy: the server refuses the data itself.
    assert page.request.get("/api/admin/users").status == 403

    admin = site.user("boss", role="admin")
    sign_in(page.context, admin)
    page.goto("/admin/users")
    expect(page.get_by_test_id("forbidden")).to_have_count(0)
    expect(
        page.get_by_role("navigation", name="Console").first.get_by_role("link", name="Audit log")
    ).to_be_visible()
    assert page.request.get("/api/admin/users").status == 200
