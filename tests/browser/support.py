"""Browser-test helpers: a web app served on loopback, and the axe-core accessibility check
(WCAG 2.0/2.1, levels A and AA)."""

from loopback import serve  # noqa: F401 - re-exported for the browser tests

CHROMIUM = "/usr/bin/chromium"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def assert_accessible(page):
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    assert result.violations_count == 0, result.generate_report()
