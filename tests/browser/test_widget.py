"""The website widget in Debian's Chromium, talking to the real assistant through /chat."""
import socket
import threading
import time
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api")
from axe_playwright_python.sync_playwright import Axe  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.server,
              pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                 reason="Debian's chromium is installed by scripts/test.sh")]


@pytest.fixture(scope="module")
def site(rasa_server, tmp_path_factory):
    import os

    import uvicorn

    from bot.leads.db import make_engine, session_factory, upgrade
    from bot.leads.repository import LeadRepository
    from bot.web.app import create_app

    os.environ.setdefault("BOUSSOLE_SECRET_KEY", "widget-tests")
    url = f"sqlite:///{tmp_path_factory.mktemp('site') / 'w.db'}"
    upgrade(url)
    app = create_app(LeadRepository(session_factory(make_engine(url))), secure_cookies=False,
                     rasa_url=rasa_server.url)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


def test_keyboard_conversation_offer_card_and_reload(site, browser):
    page = browser.new_page()
    page.goto(site + "/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("L'économie sociale")
    # Open with the keyboard alone: Tab to the launcher, Enter.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.className") == "bw-launch":
            break
    page.keyboard.press("Enter")
    page.wait_for_selector(".bw-buttons button")
    assert page.evaluate("document.activeElement.id") == "bw-input"
    log = page.locator("[role=log]")
    assert "Boussole ESS" in log.inner_text()
    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": [
        "wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
    assert result.violations_count == 0, result.generate_report()

    page.keyboard.type("<b>bonjour</b> notre asso veut répondre aux marchés publics")
    page.keyboard.press("Enter")
    page.wait_for_selector(".bw-card")
    assert page.locator(".bw-user").first.inner_text().startswith("<b>bonjour</b>")
    assert page.locator(".bw-card h3").inner_text() == \
        "Accéder aux achats socialement responsables"
    page.get_by_role("button", name="Ce n'est pas ça").last.click()
    page.wait_for_function("document.querySelectorAll('.bw-buttons').length >= 3")

    page.reload()
    page.wait_for_selector(".bw-card")
    assert page.locator(".bw-card h3").inner_text() == \
        "Accéder aux achats socialement responsables"
    assert page.locator(".bw-panel").is_visible()


def test_too_long_messages_are_refused_on_both_sides(site, browser):
    page = browser.new_page()
    page.goto(site + "/")
    page.locator(".bw-launch").click()
    page.wait_for_selector(".bw-buttons button")
    page.evaluate("""() => { const i = document.getElementById('bw-input');
                      i.removeAttribute('maxlength'); i.value = 'x'.repeat(10001); }""")
    page.locator(".bw-form button").click()
    assert "trop long" in page.locator("[role=alert]").last.inner_text()
    status = page.evaluate("""async () => (await fetch('/chat', {method: 'POST',
        headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({sender: 's', message: 'x'.repeat(10001)})})).status""")
    assert status == 413


def test_widget_fits_a_320_pixel_screen(site, browser, tmp_path):
    page = browser.new_page(viewport={"width": 320, "height": 640})
    page.goto(site + "/")
    page.locator(".bw-launch").click()
    page.wait_for_selector(".bw-buttons button")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    box = page.locator(".bw-panel").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 320
    page.screenshot(path=str(tmp_path / "widget-320.png"))
    assert (tmp_path / "widget-320.png").stat().st_size > 0
