"""Following a job: metrics from events, the terminal view, and the progress bar."""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

from toolkit.training.console import FollowConsole, describe_metrics, table
from toolkit.training.follow import StepMetrics, Update, step_metrics
from toolkit.training.progress import Progress, human_bytes


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def event(message: str, *, type: str = "message", data: Any = None, level: str = "info",
          id: str = "ftevent-1") -> SimpleNamespace:
    return SimpleNamespace(id=id, message=message, type=type, data=data, level=level, created_at=0)


def test_metrics_from_openai_data() -> None:
    m = step_metrics(event("Step 3/10: training loss=0.50", type="metrics",
                           data={"step": 3, "total_steps": 10, "train_loss": 0.5, "train_mean_token_accuracy": 0.8,
                                 "valid_loss": None, "flag": True}))
    assert m == StepMetrics(3, 10, {"train_loss": 0.5, "train_mean_token_accuracy": 0.8})


def test_metrics_parsed_from_openai_and_azure_messages() -> None:
    m = step_metrics(event("Step 300/300: training loss=0.15, validation loss=0.27, full validation loss=0.40"))
    assert m == StepMetrics(300, 300, {"train_loss": 0.15, "valid_loss": 0.27, "full_valid_loss": 0.40})
    azure = step_metrics(event("Step 100: training loss=0.001647822093218565"))
    assert azure == StepMetrics(100, None, {"train_loss": 0.001647822093218565})
    assert step_metrics(event("Fine-tuning job started")) is None


def test_describe_metrics_orders_known_keys() -> None:
    text = describe_metrics(StepMetrics(5, 20, {"valid_loss": 1.25, "train_mean_token_accuracy": 0.5,
                                                "train_loss": 1.0}))
    assert text == "step 5/20  train loss 1.0000  train acc 0.500  valid loss 1.2500"


def test_console_without_a_terminal_prints_lines() -> None:
    out = io.StringIO()
    console = FollowConsole(out)
    job = SimpleNamespace(status="running")
    console.show(Update("status", job))
    console.show(Update("event", job, event("Fine-tuning job started")))
    console.show(Update("event", job, event("Step 1/4", type="metrics", data={"step": 1, "total_steps": 4,
                                                                             "train_loss": 2.0})))
    console.show(Update("event", job, event("disk almost full", level="warn")))
    console.show(Update("retry", message="connection lost; retrying in 2 s"))
    lines = [line.split("  ", 1)[-1] for line in out.getvalue().splitlines()]
    assert lines == ["status: running", "Fine-tuning job started", "step 1/4  train loss 2.0000",
                     "warning: disk almost full", "! connection lost; retrying in 2 s"]
    assert "\r" not in out.getvalue()


def test_long_jobs_print_about_twenty_metrics_lines_without_a_terminal() -> None:
    out = io.StringIO()
    console = FollowConsole(out)
    for step in range(1, 1001):
        data = {"step": step, "total_steps": 1000, "train_loss": 1.0}
        if step == 333:
            data["full_valid_loss"] = 0.9
        console.show(Update("event", None, event("", type="metrics", data=data, id=f"e{step}")))
    steps = [line.split()[2] for line in out.getvalue().splitlines()]
    assert steps[:2] == ["50/1000", "100/1000"] and steps[-1] == "1000/1000"
    assert "333/1000" in steps and len(steps) == 21


def test_console_on_a_terminal_moves_a_bar_and_keeps_lines_above_it() -> None:
    out = Tty()
    console = FollowConsole(out)
    console.show(Update("event", None, event("", type="metrics", data={"step": 2, "total_steps": 4,
                                                                      "train_loss": 1.5})))
    console.show(Update("event", None, event("Checkpoint created at step 2")))
    console.close()
    screen = out.getvalue()
    assert "\r\033[Ktraining [" in screen and " 50% 2/4 steps" in screen and "train loss 1.5000" in screen
    assert "Checkpoint created at step 2\n" in screen
    assert screen.rindex("Checkpoint") < screen.rindex(" 50% 2/4 steps")  # the bar is redrawn below the line
    assert screen.endswith("\n")


def test_events_listing_has_no_bar_even_on_a_terminal() -> None:
    out = Tty()
    FollowConsole(out, bar=False).show(Update("event", None, event("", type="metrics",
                                                                   data={"step": 1, "total_steps": 2})))
    assert out.getvalue().endswith("step 1/2\n") and "\r" not in out.getvalue()


def test_progress_bar_rendering() -> None:
    drawn = io.StringIO()
    bar = Progress(drawn, "uploading", 4 * 1024**2, unit="bytes")
    bar.update(1024**2)
    assert bar.render(50) == "uploading [####--------------]  25% 1.0 MB/4.0 MB"
    assert not bar.enabled  # not a terminal: nothing is drawn
    bar.update(2 * 1024**2)
    assert drawn.getvalue() == ""
    assert human_bytes(512) == "512 B" and human_bytes(1536) == "1.5 KB" and human_bytes(3 * 1024**3) == "3.0 GB"


def test_table_aligns_columns() -> None:
    assert table([("A", "BB"), ("ccc", "d")]) == "A    BB\nccc  d"
