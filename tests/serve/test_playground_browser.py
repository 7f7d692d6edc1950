"""The playground page in headless Chromium: type a text, extract, and see the spans highlighted with labels.

Skipped when Chromium, its driver or selenium is missing (Debian: `apt-get install chromium chromium-driver`).
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from serve_fakes import FakeExtractor

from adelie.serve import ServeSettings, create_app

pytestmark = pytest.mark.browser

CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TEXT = "Marie Curie was born in Warsaw and worked at the Sorbonne in Paris."


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def service_url() -> Iterator[str]:
    """The service with a fake extractor, run by uvicorn on a free localhost port in a thread."""
    import uvicorn

    port = _free_port()
    app = create_app(FakeExtractor(), ServeSettings(model_name="fake-model"))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def browser():
    """Headless Chromium through the system chromedriver (no driver download)."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    if CHROMIUM is None or not shutil.which(CHROMEDRIVER):
        pytest.skip("chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1200,900"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def _wait(condition, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("the page did not reach the expected state in time")


def test_playground_highlights_extracted_spans(browser, service_url):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(service_url)
    _wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#task option"))
    assert "fake-model" in _wait(lambda: browser.find_element(By.ID, "model").text)
    Select(browser.find_element(By.ID, "task")).select_by_value("ner")
    text_box = browser.find_element(By.ID, "text")
    text_box.clear()
    text_box.send_keys(TEXT)
    labels = browser.find_element(By.ID, "labels")
    labels.clear()
    labels.send_keys("person, location")
    browser.find_element(By.ID, "extract").click()

    marks = _wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#highlighted mark"))
    found = [(m.text, m.get_attribute("data-label"), int(m.get_attribute("data-start")),
              int(m.get_attribute("data-end"))) for m in marks]
    assert found == [("Marie Curie", "person", 0, 11), ("Warsaw", "location", 24, 30), ("Paris", "location", 61, 66)]
    assert browser.find_element(By.ID, "highlighted").text.startswith("Marie Curie")
    assert "Sorbonne" not in [m[0] for m in found]  # organization was not asked for
    details = browser.find_element(By.ID, "details").text
    assert "ENTITIES" in details and "Warsaw" in details and "24–30" in details


def test_playground_shows_validation_errors_and_relations(browser, service_url):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(service_url)
    _wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#task option"))
    Select(browser.find_element(By.ID, "task")).select_by_value("relations")
    assert not browser.find_element(By.ID, "labels").is_displayed()
    browser.find_element(By.ID, "relation_labels").send_keys("born in")
    browser.find_element(By.ID, "extract").click()
    _wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#highlighted mark"))
    marks = browser.find_elements(By.CSS_SELECTOR, "#highlighted mark")
    shown = [(m.text, m.get_attribute("data-label")) for m in marks]
    assert shown == [("Marie Curie", "person"), ("Warsaw", "location")]
    assert "born in" in browser.find_element(By.ID, "details").text

    text_box = browser.find_element(By.ID, "text")
    text_box.clear()
    text_box.send_keys("x" * 10)
    browser.execute_script("document.getElementById('relation_labels').required = false;")
    browser.find_element(By.ID, "relation_labels").clear()
    browser.find_element(By.ID, "extract").click()
    status = _wait(lambda: browser.find_element(By.ID, "status").text if "needs" in
                   browser.find_element(By.ID, "status").text else "")
    assert "task 'relations' needs relation_labels" in status
