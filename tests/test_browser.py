"""The editor in a real browser: Debian's Chromium driven by Playwright against `tunesmith app` on 127.0.0.1.

Each test starts the app on a free port with a copy of samples/ as its workspace, opens a sample
through the page's own widgets and checks what the user sees and what lands in the file. Screenshots
of every page go to test-artifacts/screenshots/ (git-ignored). Chromium comes from
scripts/install-browser; without it these tests fail in CI and are skipped elsewhere.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from toolkit.sandbox import Sandbox

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# the page scrolls inside stMain, so full_page screenshots are cut off: a tall viewport shows it all
VIEWPORT: ViewportSize = {"width": 1400, "height": 2000}
CREDENTIALS = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "AZURE_OPENAI_ENDPOINT",
               "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN", "OPENAI_API_VERSION")
START_TIMEOUT = 60.0
WAIT_MS = 30_000  # for each expectation: the 2-core machine may be busy with other tests
TRAIN_WAIT_MS = 90_000
SHOWN_MS = 5_000  # a widget showing what the text just confirmed: no need to wait longer
# In Streamlit 1.67 a keyed widget keeps its identity when its value= changes, and deleting its key from
# st.session_state does not reset the browser's copy: the editor's widgets keep showing the previous
# state and send it back on the next interaction. AppTest does not see this; only a browser does.
# -- the browser and the app ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium from Debian, each launch with a fresh temporary profile (Playwright's default)."""
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM}: run scripts/install-browser (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    for p in SAMPLES.glob("*.jsonl"):
        shutil.copyfile(p, ws / p.name)
    return ws


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read() == b"ok":
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"tunesmith app did not start on {url}:\n{log.read_text(errors='replace')}")
        time.sleep(0.2)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop `tunesmith app` and the streamlit process it started (one process group)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


@pytest.fixture
def serve(workspace: Path, tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Start `tunesmith app WORKSPACE --port N` (extra environment variables as keywords); returns its URL."""
    started: list[subprocess.Popen[bytes]] = []

    def start(**env: str) -> str:
        port = _free_port()
        environ = {k: v for k, v in os.environ.items() if k not in CREDENTIALS}
        environ.update(TUNESMITH_HOME=str(tmp_path / "home"), **env)
        log = tmp_path / f"app-{port}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen([sys.executable, "-m", "toolkit", "app", str(workspace), "--port", str(port)],
                                    cwd=ROOT, env=environ, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        started.append(proc)
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(proc, url, log)
        return url

    yield start
    for proc in started:
        _stop(proc)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies, no storage) with a tall viewport; fails on a JavaScript error."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(WAIT_MS)
    context.add_init_script(PAGE_PROBES_JS)
    tab = context.new_page()
    errors: list[str] = []
    outside: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    context.on("request", lambda request: outside.append(request.url) if _outside(request.url) else None)
    yield tab
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"
    assert not outside, f"the page asked hosts other than the app (it must work offline): {outside}"


def _outside(url: str) -> bool:
    """Whether the page fetched ``url`` from anywhere but the app on this machine."""
    if url.startswith(("data:", "blob:", "about:")):
        return False
    host = urllib.parse.urlsplit(url).hostname or ""
    return host not in ("127.0.0.1", "localhost")


# -- driving the page ----------------------------------------------------------------------------


IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app !== null && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && app.getAttribute('data-test-script-state') === 'notRunning'
    && document.querySelector('[data-testid="stException"]') === null;
}"""
# Where the last click landed: the button (or link) it hit, named as BUTTON_ID_JS names the one meant. The page can
# shift for a moment after a run ends (a box drawn again), and a click aimed at a button then lands beside it: the
# button never hears it (seen once in ~60 clicks under load; it failed the project's CI once).
BUTTON_ID_JS = """(el) => {
  if (!el || !el.closest) return null;  // a toggle's or radio's label, and the input it clicks in turn, are one
  const b = el.closest('label') || el.closest('button, a, [role="switch"], [role="radio"]');
  if (!b) return null;
  const keyed = b.closest('[class*="st-key-"]');
  const key = keyed ? [...keyed.classList].find((c) => c.startsWith('st-key-')) : '';
  return key + '|' + (b.getAttribute('aria-label') || b.innerText || '').trim();
}"""
# Installed in every page: where the last click landed (window.__clickLanded) and how many messages the app sent
# (window.__messages, which grows when a run begins).
PAGE_PROBES_JS = f"""document.addEventListener('click', (e) => {{
  window.__clickLanded = ({BUTTON_ID_JS})(e.target) || '';
}}, true);
// Messages from the app's server: every script run sends some (its new session first), for actions whose run draws
// nothing that stays. Not the page's "running" state: under load the page can draw a whole run at once, and its
// state never leaves notRunning (seen in CI: a run began and was not counted).
window.__messages = 0;
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {{
  constructor(...args) {{
    super(...args);
    this.addEventListener('message', () => {{ window.__messages++; }});
  }}
}};"""
IDLE_POLL_MS = 50  # expect() polls every 500 ms after its first few tries: most of a rerun's wait would be idle


def idle(page: Page) -> None:
    """Connected to the server, the script not running, and no exception box on the page: the three at one moment
    (checked one after another, a rerun starting in between passes), polled every IDLE_POLL_MS."""
    try:
        page.wait_for_function(IDLE_JS, polling=IDLE_POLL_MS, timeout=WAIT_MS)
    except PlaywrightTimeoutError:  # say which one failed
        app = page.get_by_test_id("stApp")
        expect(page.get_by_test_id("stException")).to_have_count(0, timeout=SHOWN_MS)
        expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=SHOWN_MS)
        expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=SHOWN_MS)
        raise


def settle(page: Page, lasting: Locator) -> None:
    """After a click: wait for ``lasting`` (what the run the click started draws, and what stays until the next
    action), then for that run to end. ``idle`` alone right after a click may pass before the run has started,
    and the next click would then land on a widget the run is about to replace."""
    expect(lasting).to_be_visible()
    idle(page)


def load(page: Page, url: str) -> None:
    page.goto(url)
    idle(page)
    expect(page.get_by_role("combobox", name="Dataset file")).to_be_visible()


def keyed(page: Page, key: str) -> Locator:
    """The element of the widget with this Streamlit key (its container has the class ``st-key-<key>``)."""
    return page.locator(f".st-key-{key}")


def choose(page: Page, label: str, option: str) -> None:
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option, exact=True).click()
    box = page.get_by_role("combobox", name=label)
    expect(box).to_have_count(1)  # mid-rerun the old and the new page both show it: a strict check fails at once
    expect(box).to_have_value(option)
    idle(page)  # may pass before the run the choice started: the caller waits for what that run draws


def expand(page: Page, title: str) -> None:
    """Open the expander ``title`` and wait until it has stopped growing: a list opened inside it while it still
    animates closes again (the box is focused, no option shows). An animation a rerun cancels counts as ended
    (its ``finished`` rejects: with reduced motion every one does)."""
    expander = page.get_by_test_id("stExpander").filter(has_text=title)
    expander.get_by_text(title).first.click()
    expect(expander.locator("details")).to_have_attribute("open", "")
    expander.evaluate("el => Promise.allSettled(el.getAnimations({subtree: true}).map((a) => a.finished))")


def enter(page: Page, field: Locator, text: str) -> None:
    """Type ``text`` into a one-line field and press Enter, as a user does, then wait for the run a changed value
    begins: mid-run the old and the new page may both show the field (and the fields after it), and a strict look
    at one fails at once (Playwright does not retry a strict-mode violation). When no run begins, the field was drawn
    again just after the app fell idle and took neither the text nor the Enter (seen once in CI): typed again, with
    a warning."""
    idle(page)
    if field.input_value() == text:
        return  # nothing to commit: Enter starts no run
    for attempt in range(3):
        begun = runs(page)
        field.fill(text)
        field.press("Enter")
        try:
            page.wait_for_function(f"window.__messages > {begun}", polling=IDLE_POLL_MS, timeout=SHOWN_MS)
        except PlaywrightTimeoutError:
            warnings.warn(f"no run began after {text!r} and Enter in {field} (attempt {attempt + 1}): typed again",
                          stacklevel=2)
            idle(page)
            continue
        idle(page)
        return
    expect(field).to_have_value(text)  # no run seen three times, but the field holds the text: the next step checks it


def type_into(field: Locator, text: str) -> None:
    """Replace a text area's value and commit it (Ctrl+Enter), as a user does."""
    field.fill(text)
    field.press("Control+Enter")


def go_to(page: Page, title: str) -> None:
    """Switch page through the sidebar (the session, and so the open dataset, is kept)."""
    act(page, page.get_by_test_id("stSidebarNav").get_by_role("link", name=title),
        page.get_by_role("heading", name=title, level=1))


def open_sample(page: Page, name: str, summary: str) -> None:
    choose(page, "Dataset file", name)
    act(page, keyed(page, "ds_open").get_by_role("button"), page.get_by_text(f"opened {name}: {summary}"))


def edit_example(page: Page, number: int) -> None:
    """From the Dataset page to the Record editor showing example ``number``."""
    idle(page)  # mid-rerun, the old and the new page both show the field: a strict locator fails at once
    field = page.get_by_label("Example number")
    expect(field).to_have_count(1)
    enter(page, field, str(number))
    expect(field).to_have_value(str(number))
    click(page, keyed(page, "ds_goto_edit").get_by_role("button"))
    expect(page.get_by_role("heading", name="Record editor", level=1)).to_be_visible()
    expect(page.get_by_role("spinbutton", name=re.compile(r"^Example \(of \d+\)$"))).to_have_value(str(number))
    idle(page)  # the run that switched to the Record editor drew the heading: it has ended


def table_row(page: Page, row: int, columns: int) -> list[Locator]:
    """The cells of a row of the Dataset table (the grid draws on a canvas and mirrors it in a hidden table)."""
    grid = page.get_by_test_id("stDataFrame")
    return [grid.get_by_test_id(f"glide-cell-{column}-{row}") for column in range(1, columns + 1)]


def save(page: Page, name: str) -> None:
    idle(page)  # mid-rerun the old and the new page both show the button: a strict locator fails at once
    button = keyed(page, "save").get_by_role("button")
    expect(button).to_have_count(1)
    click(page, button)
    expect(page.get_by_text(f"saved {name}", exact=True)).to_be_visible()
    settle(page, page.get_by_text(f"{name}: saved, no changes"))


def screenshot(page: Page, name: str, *, height: int = VIEWPORT["height"]) -> Path:
    """The page as the user sees it, in a viewport ``height`` pixels tall, without a hover tooltip."""
    idle(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
    page.mouse.move(VIEWPORT["width"] - 5, height - 5)
    idle(page)
    page.screenshot(path=str(path))
    page.set_viewport_size(VIEWPORT)
    return path


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")


# -- tests ---------------------------------------------------------------------------------------


BAD_NAMES = [
    ("x" * 300 + ".jsonl", "the name is too long (306 bytes; at most 255)"),
    (".hidden.jsonl", "starts with a dot: such files and folders are hidden from the file list"),
    ("a\\b.jsonl", "a file name cannot contain a backslash"),
    ("../outside.jsonl", "outside the workspace folder"),
]


def test_an_author_edits_and_fixes_three_files(serve: Callable[..., str], page: Page,
                                               workspace: Path) -> None:
    """One session, as an author works: bad new file names are refused; a message edited and a weight toggled
    (elle_multi_turn); the findings of elle_broken next to their fields, then Fix this on one; the next example
    edited (elle_single_turn: its escapes and odd numbers stay). Each file saved, and only what was edited changes."""
    single = workspace / "elle_single_turn.jsonl"  # line 2 as json.dumps writes it (ASCII): its escape stays
    single.write_bytes(single.read_bytes().replace(b"Helium's number", b"Helium\\u2019s number", 1))
    records = single.read_bytes().split(b"\n")  # and numbers json.loads would write otherwise: they stay too
    records[1] = records[1][:-1] + b', "n": 1e2, "big": 12345678901234567890123}'
    single.write_bytes(b"\n".join(records))
    load(page, serve())

    # -- bad new file names are refused with a message
    for name, problem in BAD_NAMES:
        page.get_by_label("New file name").fill(name)
        page.get_by_label("New file name").press("Enter")
        click(page, keyed(page, "ds_create").get_by_role("button"))
        expect(page.get_by_role("alert").filter(has_text=problem)).to_be_visible()
        idle(page)  # no traceback box
    assert sorted(p.name for p in workspace.iterdir()) == sorted(p.name for p in SAMPLES.glob("*.jsonl"))
    page.get_by_label("New file name").fill("fresh.jsonl")
    page.get_by_label("New file name").press("Enter")
    click(page, keyed(page, "ds_create").get_by_role("button"))
    settle(page, page.get_by_text("created fresh.jsonl; add examples in the Record editor"))
    assert stat.S_IMODE((workspace / "fresh.jsonl").stat().st_mode) == 0o666 & ~_umask()  # not 0600

    # -- edit a message, toggle a weight and save
    path = workspace / "elle_multi_turn.jsonl"
    before = lines(path)
    open_sample(page, "elle_multi_turn.jsonl", "11 records in 11 entries")
    edit_example(page, 1)

    question = page.get_by_label("Message 2 content")
    expect(question).to_have_value("Tell me about aluminium.")
    type_into(question, "Tell me about aluminium, please.")
    expect(page.get_by_text("elle_multi_turn.jsonl: 1 unsaved change; 1 in the undo list")).to_be_visible()
    idle(page)  # the run that drew the new version's fields has ended (the old version's are gone)

    expect(page.get_by_text("Message 3 · assistant · context only (weight 0)")).to_be_visible()
    weight = page.get_by_role("switch", name="Message 3 trained")
    expect(weight).not_to_be_checked()
    click(page, page.locator("[class*='st-key-msg_messages_2_weight__']").get_by_text("Message 3 trained"))
    expect(page.get_by_text("Message 3 · assistant · trained", exact=True)).to_be_visible()
    expect(weight).to_be_checked()
    expect(page.get_by_text("elle_multi_turn.jsonl: 2 unsaved changes; 2 in the undo list")).to_be_visible()

    save(page, "elle_multi_turn.jsonl")
    after = lines(path)
    expected = before[0].replace(b'"content": "Tell me about aluminium."',
                                 b'"content": "Tell me about aluminium, please."')
    expected = expected.replace(b'"weight": 0}', b'"weight": 1}')
    assert expected != before[0]
    assert after[0] == expected
    assert after[1:] == before[1:]
    record = json.loads(after[0])
    assert record["messages"][1]["content"] == "Tell me about aluminium, please."
    assert [m.get("weight") for m in record["messages"]] == [None, None, 1, None, 1]

    # -- findings are shown next to their field, then Fix this, and save
    go_to(page, "Dataset")
    path = workspace / "elle_broken.jsonl"
    before = lines(path)
    open_sample(page, "elle_broken.jsonl", "43 records in 48 entries")
    expect(page.get_by_text(re.compile(r"^F070 few-examples \(file\)"))).to_be_visible()  # about the whole file
    expect(page.get_by_text("48 of 48 entries")).to_be_visible()
    first = table_row(page, 0, 10)  # #, line, first user message, turns, ..., errors, warnings, rules, status
    expect(first[1]).to_have_text("1")
    expect(first[8]).to_have_text("F010")
    expect(first[9]).to_have_text("not a record")
    screenshot(page, "dataset-broken")

    edit_example(page, 14)  # C030: the user message has the role "human"
    finding = 'C030 invalid-role (line 14, /messages/1/role): message 2 has role "human"; use "user"'
    alert = page.get_by_role("alert").filter(has_text=finding)
    expect(alert).to_be_visible()
    card = alert.locator("xpath=ancestor::div[@data-testid='stVerticalBlock'][1]")  # the message's own card
    expect(card.get_by_text("Message 2 · human", exact=True)).to_be_visible()
    expect(card.get_by_role("combobox", name="Message 2 role")).to_have_value("human")
    expect(card.get_by_role("button", name="Fix this")).to_be_visible()
    expect(card.get_by_role("combobox", name="Message 3 role")).to_have_count(0)
    expect(page.get_by_text(re.compile(r"^C131 missing-user-message"))).to_have_count(0)  # "human" is the user: C030 only
    screenshot(page, "record-editor-broken")

    click(page, card.get_by_role("button", name="Fix this"))
    expect(page.get_by_text('rename role "human" to "user"', exact=False)).to_be_visible()
    click(page, keyed(page, "fix_apply").get_by_role("button"))
    expect(page.get_by_text("fixed C030: 1 change; save to write them to the file")).to_be_visible()
    expect(page.get_by_text("Message 2 · user", exact=True)).to_be_visible()
    expect(page.get_by_text("C030 invalid-role", exact=False)).to_have_count(0)
    save(page, "elle_broken.jsonl")
    after = lines(path)
    assert after[13] == before[13].replace(b'"role": "human"', b'"role": "user"') != before[13]
    assert after[:13] == before[:13] and after[14:] == before[14:]
    expect(page.get_by_role("combobox", name="Message 2 role")).to_have_value("user", timeout=SHOWN_MS)

    # -- the next example, then an edit changes only that field
    path = single
    before = lines(path)
    go_to(page, "Dataset")
    open_sample(page, "elle_single_turn.jsonl", "14 records in 14 entries")
    edit_example(page, 1)
    expect(page.get_by_label("Message 2 content")).to_have_value("Tell me about hydrogen.")
    act(page, keyed(page, "rec_next").get_by_role("button"), page.get_by_text(re.compile(r"^line 2 · chat · ")))
    expect(page.get_by_label("Message 2 content")).to_have_value("What is helium used for?", timeout=SHOWN_MS)
    type_into(page.get_by_label("Message 2 content"), "What is helium used for, mostly?")
    expect(page.get_by_text("elle_single_turn.jsonl: 1 unsaved change; 1 in the undo list")).to_be_visible()
    save(page, "elle_single_turn.jsonl")
    after = lines(path)
    assert after[1] == before[1].replace(b'"What is helium used for?"', b'"What is helium used for, mostly?"')
    assert after[:1] == before[:1] and after[2:] == before[2:]


def test_use_this_key_after_the_key_field_lost_the_focus(serve: Callable[..., str], page: Page,
                                                         sandbox: Sandbox) -> None:
    """Type the endpoint and the key, Tab out of the key field, then click "Use this key": the connection is set up.
    Tab moves the focus to the field's own "Show password" button, and Streamlit sends a text field's value only when
    the focus leaves the whole widget: the button used to read the key last sent (none). Enter works too."""
    load(page, serve())
    go_to(page, "Train")
    expect(page.get_by_text("Connection to openai: not set up")).to_be_visible()
    endpoint = page.get_by_role("textbox", name="Endpoint (base URL)")
    key = keyed(page, "conn_key").locator("input")
    endpoint.click()
    endpoint.press_sequentially(sandbox.base_url)
    key.click()  # the endpoint is committed as it loses the focus
    key.press_sequentially("sandbox")
    key.press("Tab")
    idle(page)
    click(page, keyed(page, "conn_use").get_by_role("button"))
    host = sandbox.base_url.split("//")[1].split("/")[0]
    settle(page, page.get_by_text(re.compile(f"^Connection to openai: {re.escape(host)}")))
    # the expander folds once the connection is set up: in the page, not visible
    expect(page.get_by_text("An API key typed in this session is in use.")).to_have_count(1)
    expect(page.get_by_text("Type an API key in the API key field above")).to_have_count(0)
    expect(key).to_have_count(0)

    expand(page, f"Connection to openai: {host}")
    click(page, keyed(page, "conn_forget").get_by_role("button"))
    settle(page, page.get_by_text("Connection to openai: not set up"))
    key.click()
    key.press_sequentially("sandbox")
    key.press("Enter")
    settle(page, page.get_by_text(re.compile(f"^Connection to openai: {re.escape(host)}")))
    expect(key).to_have_count(0)


# -- nothing is lost or changed unasked ----------------------------------------------------------


def _json_box(page: Page) -> Locator:
    """The JSON box of the example shown, its expander opened. Whether to click is read from the expander's own
    state, not from whether the box is on the page: mid-rerun the box may be missing while the expander is open, and
    a click would then close it."""
    idle(page)  # a new key after an edit: the old box stays on the page until the run ends
    expander = page.get_by_test_id("stExpander").filter(has_text="Edit this example as JSON")
    expect(expander).to_have_count(1)
    details = expander.locator("details")
    if details.get_attribute("open") is None:
        expander.get_by_text("Edit this example as JSON").click()
    expect(details).to_have_attribute("open", "")
    box = expander.get_by_label("Example as JSON").filter(visible=True)
    expect(box).to_have_count(1)
    return box


def click(page: Page, target: Locator) -> None:
    """Click ``target`` once the app is idle and the page shows it once (mid-rerun the old and the new page both do,
    and a strict click fails at once). A run that began just after that check (one an Enter started, say) shows it
    twice again: the click waits for that run, with a warning. A click that landed on no button (the page shifted
    under it: see PAGE_PROBES_JS) is made again, with a warning; one that landed on another button fails the test."""
    for attempt in range(3):
        idle(page)
        expect(target).to_have_count(1)
        try:
            meant = target.evaluate(BUTTON_ID_JS)
            page.evaluate("window.__clickLanded = undefined")
            target.click()
        except PlaywrightError as exc:
            if "strict mode violation" not in str(exc):
                raise
            warnings.warn(f"{target} was on the page twice when it was to be clicked (a run had just begun; attempt "
                          f"{attempt + 1}): waited for that run", stacklevel=2)
            continue
        landed = page.evaluate("window.__clickLanded")
        if landed == meant:
            return
        assert landed == "", f"a click meant for {meant!r} hit {landed!r}"  # None: the page saw no click at all
        warnings.warn(f"a click meant for {meant!r} landed beside it (attempt {attempt + 1}): clicked again",
                      stacklevel=2)
    raise AssertionError(f"three clicks meant for {target} missed it")


def click_and_wait(page: Page, target: Locator) -> None:
    """:func:`click` ``target`` and wait for the run the click started to end, for a click whose run leaves
    nothing new on the page to wait for (``idle`` alone may pass before that run has begun, and what is typed next
    then races with it)."""
    begun = runs(page)
    click(page, target)
    ran(page, begun)


def runs(page: Page) -> int:
    """How many messages the page has had from the app's server: a count that grows when a run begins (see
    PAGE_PROBES_JS)."""
    return int(page.evaluate("window.__messages"))


def ran(page: Page, begun: int) -> None:
    """Wait until a run has begun since :func:`runs` was ``begun`` (the server spoke since), and for the app to be
    idle."""
    page.wait_for_function(f"window.__messages > {begun}", polling=IDLE_POLL_MS)
    idle(page)


def act(page: Page, target: Locator, lasting: Locator) -> None:
    """:func:`click` ``target``, then :func:`settle` on ``lasting`` (what the click's run draws and keeps)."""
    click(page, target)
    settle(page, lasting)


def test_the_json_and_raw_boxes_show_the_example_shown(serve: Callable[..., str], page: Page,
                                                        workspace: Path) -> None:
    """Applying the JSON (or raw line) box unchanged, on several examples in turn, changes nothing."""
    single, broken = workspace / "elle_single_turn.jsonl", workspace / "elle_broken.jsonl"
    before_single, before_broken = single.read_bytes(), broken.read_bytes()
    load(page, serve())
    open_sample(page, "elle_single_turn.jsonl", "14 records in 14 entries")
    edit_example(page, 1)
    for number in (1, 2, 3):
        expect(page.get_by_text(re.compile(f"^line {number} · chat · "))).to_be_visible()
        box = _json_box(page)
        expected = lines(single)[number - 1].decode()
        expect(box).to_have_value(expected)
        expect(page.get_by_label("Message 2 content").filter(visible=True)).to_have_value(
            json.loads(expected)["messages"][1]["content"])
        act(page, page.get_by_role("button", name="Apply JSON"),
            page.get_by_text(f"example {number}: text applied (1 entry)"))
        expect(page.get_by_text("elle_single_turn.jsonl: saved, no changes")).to_be_visible()
        act(page, keyed(page, "rec_next").get_by_role("button"),
            page.get_by_text(re.compile(f"^line {number + 1} · chat · ")))
    # a field edit shows in the JSON box at once (applying the box must not undo it)
    type_into(page.get_by_label("Message 2 content").filter(visible=True), "Which element has atomic number 6, please?")
    expect(page.get_by_text("elle_single_turn.jsonl: 1 unsaved change; 1 in the undo list")).to_be_visible()
    expect(_json_box(page)).to_have_value(re.compile("atomic number 6, please"))
    act(page, page.get_by_role("button", name="Apply JSON"), page.get_by_text("example 4: text applied (1 entry)"))
    expect(page.get_by_text("elle_single_turn.jsonl: 1 unsaved change; 1 in the undo list")).to_be_visible()
    save(page, "elle_single_turn.jsonl")
    after = lines(single)
    old = lines_of(before_single)
    assert after[3] == old[3].replace(b"atomic number 6?", b"atomic number 6, please?") != old[3]
    assert after[:3] == old[:3] and after[4:] == old[4:]

    go_to(page, "Dataset")
    open_sample(page, "elle_broken.jsonl", "43 records in 48 entries")
    edit_example(page, 1)
    for number in (1, 2, 3, 4):  # three lines that are not records, then a record
        expect(page.get_by_text(re.compile(f"^line {number}( · |$)"))).to_be_visible()
        if number == 4:
            box, apply = _json_box(page), page.get_by_role("button", name="Apply JSON")
        else:
            box = page.get_by_label("Line text (not a valid JSONL record yet)").filter(visible=True)
            apply = page.get_by_role("button", name="Apply text")
        expect(box).to_have_value(lines(broken)[number - 1].decode())
        act(page, apply, page.get_by_text(f"example {number}: text applied (1 entry)"))
        expect(page.get_by_text("elle_broken.jsonl: saved, no changes")).to_be_visible()
        act(page, keyed(page, "rec_next").get_by_role("button"), page.get_by_text(re.compile(f"^line {number + 1}( · |$)")))
    assert broken.read_bytes() == before_broken


def lines_of(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def test_odd_encodings_an_import_and_the_read_view(serve: Callable[..., str], page: Page, workspace: Path,
                                                   tmp_path: Path) -> None:
    """A line that is not UTF-8 is re-read only when asked (editing never turns its other accented characters into
    U+FFFD); Excel's default CSV is imported (the encoding offered, messages naming the user's file, no copy left
    behind); then the read view and the keyboard review of a tool-calling example."""
    path = workspace / "latin.jsonl"
    good = b'{"messages": [{"role": "user", "content": "Caf\xc3\xa9?"}, {"role": "assistant", "content": "Oui."}]}\n'
    bad = b'{"messages": [{"role": "user", "content": "Caf\xc3\xa9, na\xefve \x93quotes\x94?"}, ' \
          b'{"role": "assistant", "content": "Yes."}]}\n'
    path.write_bytes(good + bad)
    load(page, serve())
    open_sample(page, "latin.jsonl", "2 records in 2 entries")
    edit_example(page, 2)
    expect(page.get_by_text(re.compile(r"^F030 invalid-utf8 \(line 2"))).to_be_visible()
    expect(page.get_by_text(re.compile("cannot be edited until you choose how to read them"))).to_be_visible()
    expect(page.get_by_label("Message 1 content")).to_have_count(0)  # no field to type U+FFFD back with
    preview = page.locator(".ts-diff")  # the change highlighter of the other fix previews, not two JSON blobs
    expect(preview.locator("del").filter(has_text="na\ufffdve")).to_have_count(1)
    expect(preview.locator("ins").filter(has_text="naïve")).to_have_count(1)
    expect(preview.locator("ins").filter(has_text="“")).not_to_have_count(0)
    expect(page.get_by_test_id("stCode").filter(has_text="→")).to_have_count(0)
    screenshot(page, "record-editor-encoding", height=1400)
    click(page, keyed(page, "rec_redecode").get_by_role("button"))
    expect(page.get_by_text("example 2: re-read as cp1252; save to write it as UTF-8")).to_be_visible()
    field = page.get_by_label("Message 1 content").filter(visible=True)
    expect(field).to_have_value("Café, naïve “quotes”?")
    type_into(field, "Café, naïve “quotes”, please?")
    expect(page.get_by_text("latin.jsonl: 2 unsaved changes; 2 in the undo list")).to_be_visible()
    save(page, "latin.jsonl")
    after = lines(path)
    assert after[0] + b"\n" == good
    record = json.loads(after[1])
    assert record["messages"][0]["content"] == "Café, naïve “quotes”, please?"
    assert "\ufffd" not in after[1].decode("utf-8")

    # -- import a Windows-1252 CSV
    before = set(Path(tempfile.gettempdir()).glob("tunesmith-import-*"))
    table = tmp_path / "excel export.csv"
    table.write_bytes("question,answer\r\nCafé?,Naïve “yes”.\r\nÉclair?,Crème brûlée.\r\n".encode("cp1252"))
    go_to(page, "Import")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(table))
    expect(page.get_by_text(re.compile(r"^excel export\.csv: line 2, column 4: byte 0xe9 is not UTF-8, .* probably "
                                       r"Windows-1252 \(cp1252\)\. Choose the encoding"))).to_be_visible()
    expect(page.get_by_role("combobox", name="Read the file as")).to_have_value(
        "Windows-1252 (Excel's default on Windows)")
    expect(page.get_by_role("heading", name="Preview: 2 examples")).to_be_visible()
    expect(page.get_by_test_id("stCode").first).to_contain_text("Naïve “yes”.")
    screenshot(page, "import-cp1252", height=1400)
    choose(page, "Format", "jsonl (OpenAI chat or DPO records)")  # a wrong choice: the message names the file
    expect(page.get_by_text("tunesmith-import-")).to_have_count(0)
    choose(page, "Format", "csv")
    expect(keyed(page, "imp_go").get_by_role("button")).to_have_text("Import 2 examples")  # the CSV's preview
    page.get_by_label("New file name").fill("excel.jsonl")
    page.get_by_label("New file name").press("Enter")
    click(page, keyed(page, "imp_go").get_by_role("button"))
    settle(page, page.get_by_text("created excel.jsonl with 2 examples"))
    records = [json.loads(line) for line in (workspace / "excel.jsonl").read_text("utf-8").splitlines()]
    assert [r["messages"][-1]["content"] for r in records] == ["Naïve “yes”.", "Crème brûlée."]
    assert set(Path(tempfile.gettempdir()).glob("tunesmith-import-*")) == before  # no copy left behind
    assert stat.S_IMODE((workspace / "excel.jsonl").stat().st_mode) == 0o666 & ~_umask()

    # -- the read view and the keyboard review
    go_to(page, "Dataset")
    open_sample(page, "elle_tools.jsonl", "13 records in 13 entries")
    edit_example(page, 1)
    click(page, keyed(page, "rec_read").get_by_text("Read view"))
    bubbles = page.get_by_test_id("stChatMessage")
    expect(bubbles.first).to_be_visible()
    expect(page.get_by_label("Message 2 content")).to_have_count(0)  # no form fields in the read view
    expect(page.get_by_text("answered by message 4")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^answers call_ga_01: lookup_element\("))).to_be_visible()
    expect(page.get_by_text(re.compile(r"Message 3 · assistant · trained"))).to_be_visible()
    for width in (1280, 1400):
        page.set_viewport_size({"width": width, "height": 2000})
        idle(page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"record-read-view-{width}.png"))
    page.set_viewport_size(VIEWPORT)

    summary = page.get_by_text(re.compile(r"^line \d+ · "))
    page.get_by_role("heading", name="Record editor", level=1).click()  # focus on the page, not a field
    page.keyboard.press("j")
    expect(summary).to_have_text(re.compile(r"^line 2 · "))
    page.keyboard.press("j")
    expect(summary).to_have_text(re.compile(r"^line 3 · "))
    page.keyboard.press("k")
    expect(summary).to_have_text(re.compile(r"^line 2 · "))
    idle(page)

    click(page, keyed(page, "rec_read").get_by_text("Read view"))  # back to the fields: typing J types a J
    field = page.get_by_label("Message 2 content").filter(visible=True)
    expect(field).to_be_visible()
    field.click()
    page.keyboard.press("End")
    page.keyboard.type(" jk")
    expect(field).to_have_value(re.compile(r" jk$"))
    expect(summary).to_have_text(re.compile(r"^line 2 · "))


def test_a_reload_comes_back_to_the_example_and_offers_the_unsaved_changes(serve: Callable[..., str], page: Page,
                                                                           workspace: Path) -> None:
    path = workspace / "elle_single_turn.jsonl"
    before = lines(path)
    load(page, serve())
    open_sample(page, "elle_single_turn.jsonl", "14 records in 14 entries")
    edit_example(page, 3)
    type_into(page.get_by_label("Message 2 content").filter(visible=True), "What's special about lithium, then?")
    expect(page.get_by_text("elle_single_turn.jsonl: 1 unsaved change; 1 in the undo list")).to_be_visible()
    idle(page)
    expect(page).to_have_url(re.compile(r"/record\?file=elle_single_turn\.jsonl&example=3$"))

    page.reload()  # a new session: the file, the example and the unsaved change come back
    idle(page)
    expect(page.get_by_role("heading", name="Record editor", level=1)).to_be_visible()
    expect(page.get_by_role("spinbutton", name="Example (of 14)")).to_have_value("3")
    expect(page.get_by_text(re.compile(r"^elle_single_turn\.jsonl has unsaved changes from an earlier session"))
           ).to_be_visible()
    expect(page.get_by_label("Message 2 content").filter(visible=True)).to_have_value("What's special about lithium?")
    screenshot(page, "record-editor-restore", height=1200)
    click(page, keyed(page, "journal_restore").get_by_role("button"))
    expect(page.get_by_text(re.compile("^restored the unsaved changes of"))).to_be_visible()
    expect(page.get_by_label("Message 2 content").filter(visible=True)).to_have_value(
        "What's special about lithium, then?")
    save(page, "elle_single_turn.jsonl")
    after = lines(path)
    assert after[2] == before[2].replace(b"lithium?", b"lithium, then?") != before[2]
    assert after[:2] == before[:2] and after[3:] == before[3:]
    assert (workspace / ".tunesmith" / ".gitignore").read_text().strip().endswith("*")
    assert not list((workspace / ".tunesmith" / "journal").iterdir())  # saved: nothing kept any more

    page.reload()
    idle(page)
    expect(page.get_by_role("spinbutton", name="Example (of 14)")).to_have_value("3")
    expect(page.get_by_text(re.compile("unsaved changes from an earlier session"))).to_have_count(0)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_review_status_tags_filter_and_export(serve: Callable[..., str], page: Page, workspace: Path) -> None:
    """Notes live in the workspace, never in the JSONL; they follow the example into another file."""
    path = workspace / "elle_single_turn.jsonl"
    before = path.read_bytes()
    load(page, serve())
    open_sample(page, "elle_single_turn.jsonl", "14 records in 14 entries")
    edit_example(page, 2)
    click_and_wait(page, page.locator("[class*='st-key-rev_status_']").get_by_text("flagged", exact=True))
    tags = page.get_by_label("Tags (comma-separated)")
    tags.fill("tone, facts")
    begun = runs(page)
    tags.press("Enter")
    ran(page, begun)  # the tags are kept by that run
    screenshot(page, "record-review", height=1000)
    assert path.read_bytes() == before  # nothing in the JSONL
    go_to(page, "Dataset")
    choose(page, "Review", "flagged")
    settle(page, page.get_by_text("1 of 14 entries · review: flagged"))
    page.get_by_label("Tag", exact=True).fill("tone")
    page.get_by_label("Tag", exact=True).press("Enter")
    settle(page, page.get_by_text("1 of 14 entries · review: flagged · tag: tone"))
    expand(page, "Bulk actions")
    page.get_by_label("Export them to a new file").fill("flagged.jsonl")
    page.get_by_label("Export them to a new file").press("Enter")
    click(page, keyed(page, "ds_bulk_export").get_by_role("button"))
    expect(page.get_by_text("exported 1 entry to flagged.jsonl; the open file is unchanged")).to_be_visible()
    assert (workspace / "flagged.jsonl").read_bytes() == lines_of(before)[1] + b"\n"
    screenshot(page, "dataset-filtered", height=1400)
    page.set_viewport_size({"width": 1280, "height": 1400})
    idle(page)
    page.screenshot(path=str(SCREENSHOTS / "dataset-filtered-1280.png"))
    page.set_viewport_size(VIEWPORT)

    open_sample(page, "flagged.jsonl", "1 record in 1 entry")  # another file: the note came along
    edit_example(page, 1)
    expect(page.get_by_label("Tags (comma-separated)")).to_have_value("tone, facts")


def test_a_message_stays_when_the_check_of_a_big_file_ends(serve: Callable[..., str], page: Page,
                                                           workspace: Path) -> None:
    """The page the app draws again on its own (a background check ended) keeps the message of the user's last
    action; the user's next action takes it away."""
    record = json.loads(lines(workspace / "elle_single_turn.jsonl")[0])
    big = workspace / "big.jsonl"
    count = 1_500  # over the editor's BACKGROUND_BYTES: linted and counted in the worker
    with big.open("w", encoding="utf-8") as out:
        for n in range(count):
            record["messages"][1]["content"] = f"Question {n}: which element is this?"
            out.write(json.dumps(record) + "\n")
    load(page, serve())
    open_sample(page, "big.jsonl", f"{count:,} records in {count:,} entries")
    checking = page.get_by_text(re.compile("^Linting and counting tokens for the whole file"))
    expect(checking).to_have_count(0)  # the check ended: the page was drawn again
    expect(page.get_by_test_id("stMetricValue").filter(has_text="checking…")).to_have_count(0)
    idle(page)
    opened = page.get_by_text(f"opened big.jsonl: {count:,} records in {count:,} entries")
    expect(opened).to_be_visible(timeout=SHOWN_MS)
    search = page.get_by_role("textbox", name="Search")
    search.fill("Question 7:")
    search.press("Enter")
    settle(page, page.get_by_text("1 of 1,500 entries · search: Question 7:"))
    expect(opened).to_have_count(0)
