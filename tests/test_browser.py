"""The book in a real browser: maths typeset, no console error, nothing fetched from outside."""

import pytest

pytestmark = pytest.mark.browser

PAGES = ["intro.html", "status.html"]


def open_page(page, url: str):
    """Load a page and wait until MathJax has finished typesetting it."""
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !window.MathJax || (MathJax.startup && MathJax.startup.promise)")
    page.evaluate("() => window.MathJax ? MathJax.startup.promise : null")


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_offline(offline_page, site_url, screenshot_dir, name):
    open_page(offline_page, f"{site_url}/{name}")
    offline_page.screenshot(path=str(screenshot_dir / name.replace(".html", ".png")), full_page=True)
    body = offline_page.inner_text("article")
    assert "$$" not in body, f"{name}: raw $$ left in the page text"
    assert not offline_page.outside_requests, f"{name}: requests to other hosts: {offline_page.outside_requests}"
    assert not offline_page.errors, f"{name}: {offline_page.errors}"


def test_intro_math_is_typeset(offline_page, site_url):
    open_page(offline_page, f"{site_url}/intro.html")
    assert offline_page.locator("mjx-container").count() >= 2
    assert "\\operatorname" not in offline_page.inner_text("article")
