"""The website widget in Debian's Chromium, talking to the real assistant through /chat."""

import pytest

from .support import assert_accessible, serve

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def site(rasa_server, tmp_path_factory):
    from bot.leads.db import make_engine, session_factory, upgrade
    from bot.leads.repository import LeadRepository
    from bot.settings import Settings
    from bot.workspace.web.app import create_app

    tmp = tmp_path_factory.mktemp("site")
    url = f"sqlite:///{tmp / 'w.db'}"
    upgrade(url)
    settings = Settings(
        var_dir=tmp / "var",
        secret_key="widget-tests",
        secure_cookies=False,
        rasa_url=rasa_server.url,
        tracker_store_url=f"sqlite:///{tmp / 't.db'}",
    )
    app = create_app(settings, repository=LeadRepository(session_factory(make_engine(url))))
    with serve(app) as url:
        yield url


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
    assert_accessible(page)

    page.keyboard.type("<b>bonjour</b> notre asso veut répondre aux marchés publics")
    page.keyboard.press("Enter")
    page.wait_for_selector(".bw-card")
    assert page.locator(".bw-user").first.inner_text().startswith("<b>bonjour</b>")
    assert page.locator(".bw-card h3").inner_text() == "Accéder aux achats socialement responsables"
    page.get_by_role("button", name="Ce n'est pas ça").last.click()
    # A locator wait, not wait_for_function: the page's CSP forbids the eval it relies on.
    page.locator(".bw-buttons").nth(2).wait_for()

    page.reload()
    page.wait_for_selector(".bw-card")
    assert page.locator(".bw-card h3").inner_text() == "Accéder aux achats socialement responsables"
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


def test_offer_pages_linked_from_messaging_apps_are_accessible(site, browser):
    page = browser.new_page(viewport={"width": 320, "height": 640})
    page.goto(site + "/offres/reve-et-realise")
    assert page.get_by_role("heading", level=1).inner_text() == "Rêve et Réalise (Unis-Cité)"
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert_accessible(page)
    page.get_by_role("link", name="Tous les accompagnements").click()
    assert page.get_by_role("link", name="Rêve et Réalise (Unis-Cité)").count() == 1
    assert_accessible(page)
