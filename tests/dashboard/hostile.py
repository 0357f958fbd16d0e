"""A history round whose names and values are hostile Markdown, for the dashboard tests.

Everything is built through the public API (``RunResult`` and the test factories), as a
round recorded from attacker-controlled production data would be: a column named like a
Markdown image, category values that are links, reasons with HTML, bold text and bare URLs,
findings, model name, baseline, window and round id that are links or images.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from driftscope.result import Finding, PerformanceMetric, RunResult, Severity
from driftscope.store import HistoryStore
from tests.factories import make_feature, make_result

EVIL = "evil.example"
LONG_NAME = "long_" + "x" * 10_000
PLOT = f"[p](https:{EVIL}).png"
"""The hostile column's PNG diagnostic: its file name is a Markdown link."""


@dataclasses.dataclass(frozen=True)
class Hostile:
    """The hostile strings of one round; ``trap`` is a URL prefix (a local trap server)."""

    trap: str

    @property
    def column(self) -> str:
        return f"![img]({self.trap}/column.png)"

    @property
    def category(self) -> str:
        return f"[phish](https://{EVIL}/category)"

    @property
    def image_category(self) -> str:
        return f"![v]({self.trap}/category.png)"

    @property
    def reason(self) -> str:
        return (
            "<img src=x onerror=alert(1)> **bold** _it_ $x^2$ :streamlit: "
            f"see https://{EVIL}/reason or www.{EVIL} or bob@{EVIL} -> now"
        )

    @property
    def finding(self) -> str:
        return f"new category {self.image_category} and [click](https://{EVIL}/finding)"

    @property
    def run_id(self) -> str:
        return f"run-[x](https://{EVIL}/run)"

    @property
    def model_name(self) -> str:
        return f"[model](https://{EVIL}/model)"

    @property
    def baseline(self) -> str:
        return f"![b]({self.trap}/baseline.png)"

    @property
    def window_start(self) -> str:
        return f"<{self.trap}/window>"

    @property
    def recommendation(self) -> str:
        return f"Look at ![rec]({self.trap}/rec.png) # not a heading"

    @property
    def performance_reason(self) -> str:
        return f"[perf](https://{EVIL}/perf) **dropped**"

    @property
    def metric(self) -> str:
        return f"[auc](https://{EVIL}/metric)"

    def strings(self) -> dict[str, str]:
        """Every hostile string by name."""
        return {
            name: getattr(self, name)
            for name in ("column", "category", "image_category", "reason", "finding", "run_id",
                         "model_name", "baseline", "window_start", "recommendation",
                         "performance_reason", "metric")
        }  # fmt: skip

    def round(self) -> RunResult:
        """The hostile round: its worst feature is the hostile column."""
        column = make_feature(self.column, Severity.CRITICAL, psi=0.42, type_="categorical")
        labels = [self.category, self.image_category, "parents", "other"]
        column = dataclasses.replace(
            column,
            bins=tuple(dataclasses.replace(b, label=lab)
                       for b, lab in zip(column.bins, labels, strict=True)),
            reason=self.reason,
            findings=(self.finding,),
            plot=f"images/{PLOT}",
        )  # fmt: skip
        long = dataclasses.replace(make_feature(LONG_NAME, Severity.WARNING, psi=0.2),
                                   reason=LONG_NAME)  # fmt: skip
        result = make_result(
            [column, long, make_feature("income", Severity.NORMAL, psi=0.02)],
            run_id=self.run_id,
            started_at="2026-11-28T08:00:00Z",
        )
        assert result.run.model is not None and result.performance is not None
        assert result.prediction is not None
        performance = dataclasses.replace(
            result.performance,
            reason=self.performance_reason,
            metrics={**result.performance.metrics,
                     self.metric: PerformanceMetric(0.7, None, 0.8, -0.125, Severity.WARNING)},
        )  # fmt: skip
        run = dataclasses.replace(
            result.run,
            model=dataclasses.replace(result.run.model, name=self.model_name,
                                      version="**9**"),
            baseline=self.baseline,
            window_start=self.window_start,
            window_end="2026-11-28",
        )  # fmt: skip
        return dataclasses.replace(
            result,
            run=run,
            reason=self.reason,
            recommendation=self.recommendation,
            performance=performance,
            prediction=dataclasses.replace(result.prediction, reason=self.reason),
            findings=(Finding(self.finding, self.column),),
        )


def write_history(path: Path, hostile: Hostile) -> Path:
    """A history with a plain first round and the hostile round after it; the hostile
    column's PNG is written under ``path.parent / "images"`` (the assets folder)."""
    from PIL import Image

    (path.parent / "images").mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (60, 30), (200, 40, 40)).save(path.parent / "images" / PLOT, format="PNG")
    with HistoryStore(path) as store:
        store.record(make_result(run_id="run-001", started_at="2026-11-27T08:00:00Z"))
        store.record(hostile.round())
    return path


# Markdown that would still make a link, an image or formatting once Streamlit reads it:
# an unescaped ``](`` (link or image), an unescaped ``<`` (autolink, HTML), ``**bold**`` and
# bare ``https://``, ``www.`` and ``name@host`` (GFM autolinks, found past backslashes).
LIVE_MARKDOWN = {
    "link or image": re.compile(r"(?<!\\)\]\("),
    "angle bracket": re.compile(r"(?<!\\)<(?:img|http)", re.IGNORECASE),
    "bold": re.compile(r"(?<!\\)\*\*(?:bold|dropped|9)"),
    "url autolink": re.compile(r"https?://", re.IGNORECASE),
    "www autolink": re.compile(r"www\.", re.IGNORECASE),
    "mail autolink": re.compile(rf"@{re.escape(EVIL)}"),
    "streamlit logo": re.compile(r":streamlit:"),
}


def live_markdown(source: str) -> list[str]:
    """What in ``source`` Streamlit would turn into links, images or formatting."""
    return [f"{kind}: {m.group(0)!r} in {source[:120]!r}"
            for kind, pattern in LIVE_MARKDOWN.items()
            for m in pattern.finditer(source)]  # fmt: skip


def literal(source: str) -> str:
    """Markdown source with backslash escapes and invisible word joiners removed."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", str(source)).replace("\u2060", "")
