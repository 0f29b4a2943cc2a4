"""The Train and Playground pages with ``--provider local`` in a real browser (Chromium + Playwright).

A tiny model made on the spot trains on this machine from the Train page; the Playground then answers with
the base and the tuned model side by side. Needs the ``local`` extra and Chromium (both installed in CI).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from test_browser import browser, choose, click, enter, go_to, idle, keyed, load, open_sample, page, screenshot, serve, workspace  # noqa: F401  (fixtures are found by name)

pytestmark = pytest.mark.browser
SAMPLES = Path(__file__).resolve().parents[1] / "samples"
LOCAL_WAIT_MS = 240_000  # a job process imports torch and trains: slow on a busy 2-core machine

if not os.environ.get("CI"):
    pytest.importorskip("trl", reason="the local extra is not installed: pip install -e '.[local]'")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from toolkit.local.tiny import write_tiny_model

    return write_tiny_model(tmp_path_factory.mktemp("tiny") / "m", corpus=[SAMPLES / "elle_single_turn.jsonl"])


def test_train_locally_from_the_train_page_then_ask_both_in_the_playground(
        serve: Callable[..., str], page: Page, tiny: Path, tmp_path: Path) -> None:  # noqa: F811
    from toolkit.training.local_registry import Registry

    load(page, serve(HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false"))
    open_sample(page, "elle_single_turn.jsonl", "14 records in 14 entries")
    choose(page, "Provider", "local")
    go_to(page, "Train")
    expect(page.get_by_text("Training and answers run on this machine")).to_be_visible()
    choose(page, "Base model", "(another model id)")
    enter(page, page.get_by_label(re.compile("^Model id")), str(tiny))
    enter(page, page.get_by_label("Epochs"), "1")
    expect(page.get_by_test_id("stMetric").filter(has_text="Estimated cost")).to_contain_text("$0.00")
    start = keyed(page, "tr_start").get_by_role("button")
    expect(start).to_be_enabled()
    click(page, start)
    expect(page.get_by_text(re.compile(r"^created job ftjob-local-"))).to_be_visible()
    status = page.get_by_test_id("stMetric").filter(has_text="Status")
    expect(status.first).to_contain_text("succeeded", timeout=LOCAL_WAIT_MS)
    screenshot(page, "train-local")
    tuned = Registry(tmp_path / "home" / "registry.sqlite3").jobs()[0].fine_tuned_model
    assert tuned and tuned.startswith("ft-local-m-")
    expect(page.get_by_text(re.compile(r"^succeeded; trained on .*elle_single_turn\.jsonl"))).to_contain_text(tuned)
    expect(page.get_by_test_id("stCode").filter(has_text=tuned)).to_have_count(1)  # the new model's id, to copy
    expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()

    go_to(page, "Playground")
    expect(page.get_by_role("combobox", name="Fine-tuned model or checkpoint")).to_have_value(tuned)
    expect(page.get_by_role("combobox", name="Base model")).to_have_value(str(tiny))
    question = page.get_by_label("Question")
    question.fill("Tell me about hydrogen.")
    question.press("Control+Enter")
    ask = keyed(page, "pg_ask").get_by_role("button")
    expect(ask).to_be_enabled()
    click(page, ask)
    expect(page.get_by_test_id("stMetric").filter(has_text="Latency")).to_have_count(2, timeout=LOCAL_WAIT_MS)
    answers = page.get_by_test_id("stCode")
    expect(answers).to_have_count(2)  # the base's and the tuned model's
    expect(answers.filter(has_text=tuned)).to_have_count(0)  # answers, not names
    assert all(answer.inner_text().strip() for answer in answers.all())
    screenshot(page, "playground-local", height=2400)
