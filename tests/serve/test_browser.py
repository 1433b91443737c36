"""The leaders' app in a real browser: headless Debian Chromium driven by Selenium.

What plain HTTP cannot show: the widgets render, talk to the kernel (school,
year, tab and breakdown choices redraw the report), the "Download PDF" link
saves a PDF, a signed link limits the School dropdown, and the rendered page
is accessible. Screenshots are saved to ``test-artifacts/`` at the repository
root for a person to look at.

Chromium and its driver are Debian's (``apt-get install chromium
chromium-driver``; ``.ci/run`` installs them): Selenium is pointed at
``/usr/bin/chromedriver``, so Selenium Manager never downloads a browser.
Without them the tests skip with the reason (and fail under ``CI``).
"""

import base64
import os
import re
import shutil
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CHROMIUM = ("/usr/bin/chromium", "chromium", "chromium-browser")
CHROMEDRIVER = ("/usr/bin/chromedriver", "chromedriver")
WIDTH, HEIGHT = 1280, 1600
PAGE_TIMEOUT = 90  # a page runs the report notebook in a kernel (preheated, or started for it)
CHANGE_TIMEOUT = 30  # a widget change recomputes one school's report in that kernel
PDF_TIMEOUT = 120  # the PDF is rendered by `wqm report` in a subprocess (~10-15 s)
APP = ".wqm-app"


def _which(candidates: tuple[str, ...]) -> str | None:
    for name in candidates:
        found = shutil.which(name)
        if found:
            return found
    return None


def _no_browser(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"browser tests must run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def artifacts(repo) -> Path:
    """``test-artifacts/`` at the repository root (git-ignored): screenshots for a person to look at."""
    path = repo / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture
def downloads(tmp_path) -> Path:
    path = tmp_path / "downloads"
    path.mkdir()
    return path


@pytest.fixture
def browser(tmp_path, downloads):
    """A fresh headless Chromium (own profile, so no cookie from another test) that saves downloads to ``downloads``."""
    try:
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _no_browser("selenium is not installed (pip install -e '.[test]')")
    chromium, chromedriver = _which(CHROMIUM), _which(CHROMEDRIVER)
    if not chromium or not chromedriver:
        _no_browser("no Chromium and chromedriver (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--window-size={WIDTH},{HEIGHT}",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    try:
        service = Service(executable_path=chromedriver, log_output=str(tmp_path / "chromedriver.log"))
        driver = webdriver.Chrome(service=service, options=options)
    except WebDriverException as exc:
        _no_browser(f"Chromium did not start: {exc.msg}")
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    try:
        yield driver
    finally:
        try:
            driver.get("about:blank")  # leaving the page shuts its kernel down
        finally:
            driver.quit()


# --------------------------------------------------------------------------
# helpers


def wait(driver, condition, timeout: float = CHANGE_TIMEOUT, message: str = ""):
    """Wait for ``condition``; when it does not come, fail with what the page says (its last lines)."""
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(
            driver, timeout, poll_frequency=0.2, ignored_exceptions=(StaleElementReferenceException,)
        ).until(condition, message)
    except TimeoutException:
        try:
            said = driver.find_element(By.TAG_NAME, "body").text[-800:]
        except Exception:  # noqa: BLE001 - the page itself may be gone
            said = "(no page)"
        raise TimeoutException(f"{message}; the page says: ...{said}") from None


def open_app(driver, url: str):
    """Open the app and wait until its widgets are drawn; returns the app's element."""
    from selenium.webdriver.common.by import By

    driver.get(url)
    wait(
        driver,
        lambda d: (
            d.find_elements(By.CSS_SELECTOR, f"{APP} select")
            and d.find_elements(By.CSS_SELECTOR, f"{APP} .lm-TabBar-tab")
        ),
        PAGE_TIMEOUT,
        f"the app's widgets did not appear at {url}",
    )
    return driver.find_element(By.CSS_SELECTOR, APP)


def header(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, f"{APP} header.wqm-header").text


def dropdown(driver, label: str):
    """The <select> that an ipywidgets Dropdown with description ``label`` renders, as a Selenium Select."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    for box in driver.find_elements(By.CSS_SELECTOR, f"{APP} .widget-dropdown"):
        if box.find_element(By.CSS_SELECTOR, "label").text.strip() == label:
            return Select(box.find_element(By.CSS_SELECTOR, "select"))
    raise AssertionError(f"no dropdown labelled {label!r}")


def choose(driver, label: str, value: str) -> None:
    """Pick ``value`` (an option's value: its visible label) in the dropdown ``label``."""
    dropdown(driver, label).select_by_value(value)


def click_tab(driver, title: str) -> None:
    from selenium.webdriver.common.by import By

    tabs = driver.find_elements(By.CSS_SELECTOR, f"{APP} .lm-TabBar-tab")
    [tab] = [t for t in tabs if t.text.strip() == title]
    tab.click()
    wait(driver, lambda d: tab.get_attribute("aria-selected") == "true", message=f"tab {title!r} not selected")


def shown_page(driver):
    """The tab page now shown, or None while the tabs switch."""
    from selenium.webdriver.common.by import By

    pages = [
        p for p in driver.find_elements(By.CSS_SELECTOR, f"{APP} .widget-tab-contents > .lm-Widget") if p.is_displayed()
    ]
    return pages[0] if len(pages) == 1 else None


def page_text(driver) -> str:
    """The text of the tab page now shown ('' while the tabs switch)."""
    page = shown_page(driver)
    return page.text if page is not None else ""


def visible_page(driver):
    page = shown_page(driver)
    assert page is not None, "not exactly one tab page is shown"
    return page


def screenshot(driver, path: Path) -> Path:
    """The whole page, not just the window: Voila scrolls inside #rendered_cells, so the window
    is made as tall as its content for the shot."""
    content, frame = driver.execute_script(
        "const s = document.getElementById('rendered_cells') || document.scrollingElement;"
        "return [Math.ceil(s.scrollHeight) + 40, window.outerHeight - window.innerHeight];"
    )
    inner = min(max(content, HEIGHT - frame), 16000)
    driver.set_window_size(WIDTH, inner + frame)
    try:
        wait(
            driver,
            lambda d: d.execute_script("return window.innerHeight") == inner,
            message="the window did not resize for the screenshot",
        )
        data = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))
    finally:
        driver.set_window_size(WIDTH, HEIGHT)
    assert path.stat().st_size > 10_000
    return path


# --------------------------------------------------------------------------
# tests


def test_the_app_shows_the_school_in_its_widgets(server, browser, artifacts):
    from selenium.webdriver.common.by import By

    open_app(browser, f"{server.base}/?token={server.token}&school=NLT03")
    assert browser.find_element(By.CSS_SELECTOR, f"{APP} header h1").text == "Fellside Primary School"
    assert "Fellside Primary School (NLT03)" == dropdown(browser, "School").first_selected_option.text.strip()
    tabs = [t.text.strip() for t in browser.find_elements(By.CSS_SELECTOR, f"{APP} .lm-TabBar-tab")]
    assert tabs == ["Self-evaluation", "Surveys", "Award readiness", "Trends", "Priorities", "Action plan", "Notes"]
    first = visible_page(browser)
    assert "Self-evaluation by framing principle" in first.text
    assert first.find_elements(By.CSS_SELECTOR, "svg[role='img']"), "the self-evaluation chart is not drawn"
    assert browser.find_element(By.CSS_SELECTOR, "a.wqm-download").is_displayed()
    screenshot(browser, artifacts / "app-nlt03.png")


def test_school_and_year_dropdowns_redraw_the_report(server, browser):
    from selenium.webdriver.common.by import By

    open_app(browser, f"{server.base}/?token={server.token}&school=NLT03")
    assert "2025-26" in header(browser)
    choose(browser, "School", "Ashgrove Primary School (NLT01)")
    wait(browser, lambda d: "Ashgrove Primary School" in header(d), message="switching school did not redraw")
    assert "Fellside" not in header(browser) and "Fellside" not in visible_page(browser).text
    wait(
        browser,
        lambda d: "school=NLT01" in (d.find_element(By.CSS_SELECTOR, "a.wqm-download").get_attribute("href") or ""),
        CHANGE_TIMEOUT,
        "switching school did not change the PDF link",
    )
    assert "year=2025-26" in browser.find_element(By.CSS_SELECTOR, "a.wqm-download").get_attribute("href")

    years = [o.get_attribute("value") for o in dropdown(browser, "Academic year").options]
    assert years == ["2025-26", "2024-25", "2023-24"]
    choose(browser, "Academic year", "2023-24")
    wait(browser, lambda d: "report, 2023-24" in header(d), message="switching year did not redraw the header")
    assert "2025-26" not in header(browser) and "Ashgrove Primary School" in header(browser)
    # the header and the PDF link are separate widgets, redrawn by separate messages: wait for the link too
    wait(
        browser,
        lambda d: "year=2023-24" in (d.find_element(By.CSS_SELECTOR, "a.wqm-download").get_attribute("href") or ""),
        CHANGE_TIMEOUT,
        "switching year did not change the PDF link",
    )


def test_surveys_tab_shows_the_subgroup_breakdown(server, browser, artifacts):
    from selenium.webdriver.common.by import By

    open_app(browser, f"{server.base}/?token={server.token}&school=NLT03")
    click_tab(browser, "Surveys")
    wait(browser, lambda d: "What stakeholders say" in page_text(d), message="Surveys tab not drawn")
    buttons = {b.text.strip(): b for b in visible_page(browser).find_elements(By.CSS_SELECTOR, ".widget-toggle-button")}
    assert set(buttons) == {"Whole groups", "Staff survey by role", "Pupil survey by year group"}
    buttons["Pupil survey by year group"].click()
    wait(
        browser,
        lambda d: (
            shown_page(d) is not None
            and [h.text for h in shown_page(d).find_elements(By.TAG_NAME, "h2")] == ["Pupil survey by year group"]
        ),
        message="choosing a breakdown did not redraw the tab",
    )
    shown = visible_page(browser).text
    assert "What stakeholders say" not in shown
    assert "fewer than 5 respondents are not shown" in shown
    screenshot(browser, artifacts / "app-surveys.png")


def test_download_pdf_saves_the_report(server, browser, downloads):
    from selenium.webdriver.common.by import By

    open_app(browser, f"{server.base}/?token={server.token}&school=NLT03")
    link = browser.find_element(By.CSS_SELECTOR, "a.wqm-download")
    assert link.text.strip() == "Download PDF"
    link.click()

    def saved(_):
        names = [p.name for p in downloads.iterdir()]
        done = [downloads / n for n in names if n.endswith(".pdf")]
        return done if done and not any(n.endswith(".crdownload") for n in names) else False

    [pdf] = wait(browser, saved, PDF_TIMEOUT, "no PDF was downloaded")
    assert pdf.name == "NLT03_2025-26.pdf"  # the name wqm report gives it
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000

    # and the appendix, every table behind the debrief, from its own link
    appendix_link = browser.find_element(By.CSS_SELECTOR, "a.wqm-download-appendix")
    assert "part=appendix" in appendix_link.get_attribute("href")
    appendix_link.click()
    both = wait(browser, lambda d: len(saved(d) or []) == 2 and saved(d), PDF_TIMEOUT, "no appendix was downloaded")
    [appendix] = [p for p in both if p.name != pdf.name]
    assert appendix.name == "NLT03_2025-26_appendix.pdf" and appendix.read_bytes().startswith(b"%PDF")
    assert b"(appendix)" in appendix.read_bytes() or appendix.stat().st_size > pdf.stat().st_size // 4


def test_a_signed_link_shows_its_school_only(server, browser, artifacts):
    from selenium.webdriver.common.by import By

    link = server.links("--schools", "NLT03")[0]
    assert "token=" not in link
    open_app(browser, link)  # the widgets draw only if the kernel API and websocket accept the link's cookie
    assert browser.find_element(By.CSS_SELECTOR, f"{APP} header h1").text == "Fellside Primary School"
    schools = [o.get_attribute("value") for o in dropdown(browser, "School").options]
    assert schools == ["Fellside Primary School (NLT03)"]
    screenshot(browser, artifacts / "signed-link.png")

    # the same link for another school: refused before any kernel starts, even with the link's cookie
    browser.get(link.replace("school=NLT03", "school=NLT04"))
    wait(browser, lambda d: d.find_elements(By.TAG_NAME, "h1"), message="no refusal page")
    status = browser.execute_script("return performance.getEntriesByType('navigation')[0].responseStatus")
    assert status == 403
    assert browser.find_element(By.TAG_NAME, "h1").text == "Not allowed"
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "Kingsmead" not in body and "Fellside" not in body
    assert not browser.find_elements(By.CSS_SELECTOR, APP) and not browser.find_elements(By.TAG_NAME, "select")


def test_the_page_is_accessible(server, browser, artifacts):
    """Language, title, one h1 in the report, headings that do not skip a level, labelled
    controls, and every chart an image with a text alternative (its <title>)."""
    from selenium.webdriver.common.by import By

    open_app(browser, f"{server.base}/?token={server.token}&school=NLT03")
    for title in ("Surveys", "Award readiness", "Trends", "Priorities", "Action plan", "Notes"):  # draw every tab
        click_tab(browser, title)
        wait(
            browser,
            lambda d: shown_page(d) is not None and shown_page(d).find_elements(By.TAG_NAME, "h2"),
            message=f"tab {title!r} not drawn",
        )
        if title != "Surveys":
            screenshot(browser, artifacts / f"app-{title.lower().replace(' ', '-')}.png")

    assert browser.execute_script("return document.documentElement.lang") == "en"
    assert browser.title.strip() == "Wellbeing quality-mark report"

    headings = browser.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0] + ' :is(h1,h2,h3,h4,h5,h6)'))"
        ".map(h => [Number(h.tagName[1]), h.textContent.trim()])",
        APP,
    )
    assert [text for level, text in headings if level == 1] == ["Fellside Primary School"]
    assert headings[0][0] == 1
    for (before, text_before), (level, text) in zip(headings, headings[1:], strict=False):
        assert level <= before + 1, f"heading level skipped: h{before} {text_before!r} then h{level} {text!r}"
    assert all(text for _, text in headings)

    charts = browser.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0] + ' svg')).map(s => [s.getAttribute('role'),"
        " s.querySelector(':scope > title') ? s.querySelector(':scope > title').textContent.trim() : ''])",
        APP,
    )
    assert len(charts) >= 3  # self-evaluation, survey agreement, trends
    for role, alt in charts:
        assert role == "img" and len(alt) > 20, (role, alt)

    controls = browser.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0] + ' select')).map(s =>"
        " s.labels.length ? s.labels[0].textContent.trim() : '')",
        APP,
    )
    assert controls == ["School", "Academic year", "Framework"]
    tabs = browser.find_elements(By.CSS_SELECTOR, f"{APP} [role='tablist'] [role='tab']")
    assert [t.text.strip() for t in tabs] == [
        "Self-evaluation",
        "Surveys",
        "Award readiness",
        "Trends",
        "Priorities",
        "Action plan",
        "Notes",
    ]
    images = browser.execute_script("return Array.from(document.images).filter(i => !i.hasAttribute('alt')).length")
    assert images == 0


def test_download_pdf_from_a_link_for_any_year_prints_the_year_shown(server, browser):
    """A link sent before links were bound to a year still opens every year of its school."""
    from selenium.webdriver.common.by import By

    open_app(browser, server.old_link("NLT03"))
    choose(browser, "Academic year", "2024-25")
    wait(browser, lambda d: "report, 2024-25" in header(d), message="switching year did not redraw the header")
    # the header is redrawn before the Download PDF link: wait for the link of the year shown
    wait(
        browser,
        lambda d: (
            "show_year=2024-25" in (d.find_element(By.CSS_SELECTOR, "a.wqm-download").get_attribute("href") or "")
        ),
        message="switching year did not update the Download PDF link",
    )
    href = browser.find_element(By.CSS_SELECTOR, "a.wqm-download").get_attribute("href")
    status, headers, body = server.get(href[len(server.base) :], timeout=PDF_TIMEOUT)
    assert status == 200 and body.startswith(b"%PDF")
    assert "2024-25" in headers["Content-Disposition"]


# --------------------------------------------------------------------------
# the survey import form (wqm survey serve)


def choose_file(browser, path) -> None:
    """Give the import form's upload button a file. ipywidgets' upload button opens a file input that is not in
    the page; put it there when clicked, instead of opening the file chooser, so the driver can fill it."""
    from selenium.webdriver.common.by import By

    browser.execute_script("""
        const click = HTMLInputElement.prototype.click;
        HTMLInputElement.prototype.click = function () {
            if (this.type !== 'file') { return click.call(this); }
            this.id = 'wqm-test-upload'; document.body.appendChild(this);
        };""")
    browser.find_element(By.CSS_SELECTOR, ".widget-upload").click()
    browser.find_element(By.ID, "wqm-test-upload").send_keys(str(path))


def replace_and_import(browser) -> None:
    """Choose "Replace earlier import", click Import, and wait for the form to say it imported."""
    from selenium.webdriver.common.by import By

    browser.find_element(By.XPATH, "//button[normalize-space()='Replace earlier import']").click()
    browser.find_element(By.XPATH, "//button[normalize-space()='Import']").click()
    wait(
        browser,
        lambda d: "Imported as import" in d.find_element(By.TAG_NAME, "body").text,
        PAGE_TIMEOUT,
        "the import did not report success",
    )


def test_survey_import_form_imports_an_upload_for_the_links_school_only(
    survey_server, browser, artifacts, repo, tmp_path
):
    """A school lead's signed link opens the form for that school only; uploading a Microsoft Forms
    export, choosing "Replace earlier import" and clicking Import writes it to the store."""
    import importlib.util

    from selenium.webdriver.common.by import By

    from wqm_nb.store import Store

    spec = importlib.util.spec_from_file_location("make_exports", repo / "tests" / "intake" / "make_exports.py")
    make_exports = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_exports)
    manifest = make_exports.write_exports(tmp_path / "exports")
    export = tmp_path / "exports" / "msforms_staff.xlsx"

    link = survey_server.links("--schools", "NLT03", "--year", "2025-26")[0]
    browser.get(link)
    wait(
        browser,
        lambda d: d.find_elements(By.CSS_SELECTOR, ".widget-upload"),
        PAGE_TIMEOUT,
        "the upload control did not appear",
    )
    school = browser.find_element(By.CSS_SELECTOR, "select")
    assert school.get_attribute("disabled") is not None  # a link fixes its school
    choose_file(browser, export)
    wait(
        browser,
        lambda d: "Detected: Microsoft Forms" in d.find_element(By.TAG_NAME, "body").text,
        PAGE_TIMEOUT,
        "the form did not show what it detected",
    )
    kept = f"respondents kept: {manifest['msforms_staff.xlsx']['kept']}"
    # the preview is drawn after what was detected (separate widget updates): wait for it too
    wait(
        browser,
        lambda d: kept in d.find_element(By.TAG_NAME, "body").text,
        CHANGE_TIMEOUT,
        "the form did not show its preview",
    )
    replace_and_import(browser)
    screenshot(browser, artifacts / "survey-import.png")
    with Store.open(survey_server.data, read_only=True) as store:
        latest = store.survey_imports()[-1]
    assert (latest["school_id"], latest["academic_year"], latest["file_name"]) == (
        "NLT03",
        "2025-26",
        "msforms_staff.xlsx",
    )
    assert latest["respondents"] == manifest["msforms_staff.xlsx"]["kept"]

    # the same link for another school is refused before any kernel starts; a report link opens no form
    assert survey_server.get(link.removeprefix(survey_server.base).replace("NLT03", "NLT04"))[0] == 403
    report_link = survey_server.links("--schools", "NLT03", "--page", "report")[-1]
    assert survey_server.get(report_link.removeprefix(survey_server.base))[0] == 403
    assert survey_server.get("/?token=" + survey_server.token, headers={"Host": "evil.example"})[0] == 403


def test_capture_form_saves_a_rating_and_typed_evidence_for_the_links_school_only(capture_server, browser, artifacts):
    """The link `wqm capture` prints opens NLT03's form; after the name is given, choosing a rating
    and typing evidence (then leaving the field) are saved to the store without a Save button."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from wqm_nb.store import Store

    printed = capture_server.log.read_text().splitlines()
    link = next(line.strip() for line in printed if line.strip().startswith("http") and "sig=" in line)
    assert "school=NLT03" in link and "year=2025-26" in link
    browser.get(link)
    wait(
        browser,
        lambda d: d.find_elements(By.CSS_SELECTOR, ".wqm-capture input[type=text]"),
        PAGE_TIMEOUT,
        "the capture form did not appear",
    )
    school = browser.find_element(By.CSS_SELECTOR, ".wqm-capture select")
    assert school.get_attribute("disabled") is not None  # a link fixes its school
    assert "Add a school" not in browser.find_element(By.TAG_NAME, "body").text
    browser.find_element(By.CSS_SELECTOR, ".wqm-capture input[type=text]").send_keys("Sam Patel")
    browser.find_element(By.XPATH, "//button[normalize-space()='Start']").click()
    wait(
        browser,
        lambda d: d.find_elements(By.CSS_SELECTOR, ".wqm-element-P1-1 select"),
        PAGE_TIMEOUT,
        "the elements did not appear",
    )

    rating = Select(browser.find_element(By.CSS_SELECTOR, ".wqm-element-P1-1 select"))
    rating.select_by_visible_text("1 \u2013 Deciding to act")
    element = browser.find_element(By.CSS_SELECTOR, ".wqm-element-P1-1")
    wait(browser, lambda d: "by Sam Patel" in element.text, CHANGE_TIMEOUT, "the rating was not acknowledged")
    assert "Deciding to act: Stage one" in element.text  # the chosen level's descriptor

    evidence = browser.find_element(By.CSS_SELECTOR, ".wqm-element-P1-2 textarea")
    evidence.clear()
    evidence.send_keys("Staff wellbeing survey actions, typed in the browser")
    browser.find_element(By.CSS_SELECTOR, ".wqm-element-P1-3 textarea").click()  # leave the field
    other = browser.find_element(By.CSS_SELECTOR, ".wqm-element-P1-2")
    wait(browser, lambda d: "by Sam Patel" in other.text, CHANGE_TIMEOUT, "the evidence was not acknowledged")
    assert "Still missing for Approved School" in browser.find_element(By.TAG_NAME, "body").text
    screenshot(browser, artifacts / "capture.png")

    with Store.open(capture_server.data, read_only=True) as store:
        cycle = store.cycle("NLT03", "2025-26", "wqm")["cycle_id"]
        now = store.current_elements(cycle)
        p12 = store.element_history(cycle, "P1.2")
    link_id = re.search(r"lid=([0-9a-f]{12})", link).group(1)
    signed = f"Sam Patel (link {link_id})"  # the typed name, and the link it came through
    assert (now["P1.1"]["rating"], now["P1.1"]["recorded_by"], now["P1.1"]["source"]) == (1, signed, "form")
    assert now["P1.2"]["evidence"] == "Staff wellbeing survey actions, typed in the browser"
    assert sum(e["recorded_by"] == signed for e in p12) <= 2  # a cleared field, then the text: not per key

    # the same link for another school is refused; a report link opens no form; a foreign Host is refused
    assert capture_server.get(link.removeprefix(capture_server.base).replace("NLT03", "NLT04"))[0] == 403
    report_link = capture_server.links("--schools", "NLT03", "--page", "report")[-1]
    assert capture_server.get(report_link.removeprefix(capture_server.base))[0] == 403
    assert capture_server.get("/?token=" + capture_server.token, headers={"Host": "evil.example"})[0] == 403


# --------------------------------------------------------------------------
# past the cap, and a tab left unused (issue 21)


def wait_for_widgets(driver, timeout: float):
    """The live app's widgets (not the static page, which has neither a <select> nor a tab bar)."""
    from selenium.webdriver.common.by import By

    wait(
        driver,
        lambda d: (
            d.find_elements(By.CSS_SELECTOR, f"{APP} select")
            and d.find_elements(By.CSS_SELECTOR, f"{APP} .lm-TabBar-tab")
        ),
        timeout,
        "the live app did not open",
    )


def test_past_the_cap_the_static_page_turns_live_by_itself(browser, tmp_path, artifacts):
    """The only place is taken: a leader's link opens the report at once as a page (CSS tabs, her school only);
    when the place frees, the page's script notices and reloads into the live app, with nobody clicking."""
    from selenium.webdriver.common.by import By

    from .conftest import start_server, stop_server
    from .test_app import Viewer, kernel_of

    s = start_server(tmp_path, "--max-kernels", "1")  # a kernel kept ready: the live view opens fast
    try:
        holder = Viewer(s)
        kernel = kernel_of(holder.get(f"/?token={s.token}&school=NLT01")[2])
        assert kernel
        browser.get(s.links("--schools", "NLT03")[0])
        wait(
            browser,
            lambda d: d.find_elements(By.CSS_SELECTOR, "input[name='wqm-tab']"),
            PAGE_TIMEOUT,
            "the static page did not appear",
        )
        assert [h.text for h in browser.find_elements(By.TAG_NAME, "h1")] == ["Fellside Primary School"]
        assert browser.execute_script("return document.documentElement.lang") == "en" and browser.title
        assert "live view" in browser.find_element(By.CSS_SELECTOR, ".wqm-notice").text
        wait(
            browser,
            lambda d: "number 1 in line" in d.find_element(By.CSS_SELECTOR, ".wqm-notice").text,
            CHANGE_TIMEOUT,
            "the page did not show its place in line",
        )
        browser.find_element(By.CSS_SELECTOR, "label[for='wqm-tab-1']").click()  # CSS tabs, no kernel
        assert "What stakeholders say" in browser.find_element(By.ID, "wqm-panel-1").text
        assert "Kingsmead" not in browser.find_element(By.TAG_NAME, "body").text
        screenshot(browser, artifacts / "static-page.png")

        started = time.monotonic()
        holder.close(kernel)  # the other tab closes
        wait_for_widgets(browser, 30)
        assert time.monotonic() - started < 30
        assert browser.find_element(By.CSS_SELECTOR, f"{APP} header h1").text == "Fellside Primary School"
        assert [o.get_attribute("value") for o in dropdown(browser, "School").options] == [
            "Fellside Primary School (NLT03)"
        ]
    finally:
        stop_server(s)


def test_an_open_tab_left_unused_is_culled_and_offers_to_reopen(browser, tmp_path, artifacts):
    """cull_connected: the open tab's kernel is shut down after --cull-idle seconds without use; the page says
    so in an accessible dialog whose one way on, "Reopen the report", opens the report again."""
    from selenium.webdriver.common.by import By

    from .conftest import start_server, stop_server

    s = start_server(tmp_path, "--max-kernels", "2", "--cull-idle", "5", "--cull-interval", "1")  # kept ready: fast
    try:
        url = f"{s.base}/?token={s.token}&school=NLT03"
        open_app(browser, url)
        dialog = wait(
            browser,
            lambda d: d.find_elements(By.CSS_SELECTOR, ".wqm-closed[role='alertdialog']"),
            40,
            "the page did not offer to reopen the report",
        )[0]
        assert dialog.find_element(By.TAG_NAME, "h2").text == "This report has closed"
        reopen = dialog.find_element(By.CSS_SELECTOR, "a.wqm-reopen")
        assert reopen.text == "Reopen the report" and reopen.get_attribute("href") == browser.current_url
        assert browser.switch_to.active_element == reopen  # the keyboard is on the way on
        assert browser.execute_script("return document.querySelectorAll('h1').length") == 1
        assert browser.find_element(By.ID, "rendered_cells").get_attribute("aria-hidden") == "true"
        assert dialog.get_attribute("aria-labelledby") == "wqm-closed-title"
        assert "Culling 'idle' kernel" in s.log.read_text()
        screenshot(browser, artifacts / "reopen.png")
        reopen.click()
        wait_for_widgets(browser, PAGE_TIMEOUT)
        assert not browser.find_elements(By.CSS_SELECTOR, ".wqm-closed")
    finally:
        stop_server(s)


def test_a_real_shaped_export_is_mapped_in_the_browser_in_a_few_actions(survey_server, browser, artifacts, tmp_path):
    """A Microsoft Forms staff export with 20 scale columns (the bank's 13 statements and 7 of the school's own)
    and 5 number columns that are not on the scale (a rank, a count, a 0-10 rating...): mapped and imported
    with four user actions and no file edited: choose the file, "Ignore every unmatched column", "Replace
    earlier import", "Import"."""
    import random

    import openpyxl
    from selenium.webdriver.common.by import By

    from wqm_nb.data.surveys import load_question_bank
    from wqm_nb.store import Store

    rng = random.Random(24)
    statements = [i.text for i in load_question_bank().surveys["staff"].items]
    own = [f"Our school's own question {k}: I feel part of the team" for k in range(1, 8)]
    numbers = {
        "Rank these eight priorities (1 = most important)": (1, 8),
        "How many rooms do you teach in?": (2, 9),
        "How likely are you to recommend us (0-10)?": (0, 10),
        "Years at this school": (1, 30),
        "Hours worked last week": (20, 60),
    }
    header = [
        "ID",
        "Start time",
        "Completion time",
        "Email",
        "Name",
        *statements,
        *own,
        *numbers,
        "What is your role in school?",
    ]
    labels = ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet.append(header)
    for k in range(1, 31):
        sheet.append(
            [
                k,
                "11/3/2025 09:00",
                "11/3/2025 09:05",
                "anonymous",
                "",
                *(rng.choice(labels) for _ in statements + own),
                *(rng.randint(low, high) if k > 1 else high for low, high in numbers.values()),
                rng.choice(["Teacher", "Teaching assistant", "Senior leader"]),
            ]
        )
    export = tmp_path / "Staff wellbeing survey(1-30).xlsx"
    book.save(export)

    link = survey_server.links("--schools", "NLT03", "--year", "2025-26")[0]
    browser.get(link)
    wait(
        browser,
        lambda d: d.find_elements(By.CSS_SELECTOR, ".widget-upload"),
        PAGE_TIMEOUT,
        "the upload control did not appear",
    )
    choose_file(browser, export)  # action 1: the file
    wait(
        browser,
        lambda d: (
            "NOT MATCHED" in d.find_element(By.TAG_NAME, "body").text
            or "choose: answers on the scale" in d.find_element(By.TAG_NAME, "body").text
        ),
        PAGE_TIMEOUT,
        "the form did not show the columns to choose",
    )
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "Detected: Microsoft Forms" in body and "sheet 'Sheet1'" in body
    browser.find_element(By.XPATH, "//button[normalize-space()='Ignore every unmatched column']").click()  # 2
    wait(
        browser,
        lambda d: "respondents kept: 30" in d.find_element(By.TAG_NAME, "body").text,
        CHANGE_TIMEOUT,
        "the form did not show its preview once the unmatched columns were ignored",
    )
    replace_and_import(browser)  # actions 3 and 4: "Replace earlier import", "Import"
    screenshot(browser, artifacts / "survey-import-mapped.png")
    with Store.open(survey_server.data, read_only=True) as store:
        latest = store.survey_imports()[-1]
        block = store.survey_data(latest["school_year_id"]).blocks["staff"]
    assert latest["file_name"] == export.name and latest["respondents"] == 30
    assert len(block.item_ids) == len(statements)  # the bank's 13; the school's own 7 and the numbers left
