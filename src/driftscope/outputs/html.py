"""The self-contained HTML report of a round, rendered from a :class:`RunResult` only.

One file, no request to any other host: the styles and the small sorting/filtering script are
inlined, charts are inline SVG drawn from the bins and quantiles the result holds, and a
Content-Security-Policy meta tag forbids every outside source (the script is allowed by its
SHA-256 hash only). The template is rendered by Jinja2 with autoescaping on and no data ever
marked safe, so any column name or category value shows as text; no data goes into the
script, which reads sort keys from ``data-`` attributes.

The page is built in three steps, one module each: :mod:`.html_context` turns the result
into the values the template shows, :mod:`.html_charts` places the charts and
:mod:`.html_format` writes numbers and times; this module renders and writes the page.

Public functions: :func:`render_html`, :func:`write_html`, :func:`report_from_json`.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
from importlib import resources
from pathlib import Path

import jinja2
from markupsafe import Markup

from driftscope.outputs.atomic import write_text
from driftscope.outputs.html_context import page_context
from driftscope.outputs.html_format import num, pct, pvalue, short, sort_key
from driftscope.result import RunResult, Severity

__all__ = ["render_html", "report_from_json", "write_html"]

_TEMPLATES = "templates"


def render_html(result: RunResult) -> str:
    """Render the report of ``result`` as one self-contained HTML page.

    Parameters
    ----------
    result : RunResult
        The round to show; only read, never recomputed.

    Returns
    -------
    str
        The whole document, starting with ``<!DOCTYPE html>``.
    """
    script = _asset("report.js")
    return _environment().get_template("report.html.j2").render(
        **page_context(result),
        css=Markup(_asset("report.css")),
        script=Markup(script),
        script_hash=_csp_hash(script),
    )


def write_html(result: RunResult, path: str | os.PathLike[str]) -> Path:
    """Render the report of ``result`` and write it atomically to ``path``.

    Returns
    -------
    Path
        The written file.
    """
    target = Path(path)
    write_text(target, render_html(result))
    return target


def report_from_json(
    json_path: str | os.PathLike[str], out_path: str | os.PathLike[str]
) -> Path:
    """Re-render a report from a saved ``drift_report.json``, without the data.

    Parameters
    ----------
    json_path : path-like
        A result written by a round (``RunResult.to_json``).
    out_path : path-like
        Where to write the HTML page (atomically).

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    InputError
        When the file is missing, unreadable, not JSON, or not a driftscope result; the
        one-line message names the file.
    """
    from driftscope.outputs.json_report import read_json

    result = read_json(json_path)
    return write_html(result, out_path)


# -- environment and assets ---------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("driftscope.outputs", _TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=_bytecode_cache(),
    )
    env.filters.update(num=num, pvalue=pvalue, pct=pct, key=sort_key, short=short)
    env.filters.update(level=lambda s: Severity(s).value, rank=lambda s: Severity(s).rank)
    return env


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Jinja2's per-user cache of compiled templates (a private folder in the temp dir, keyed
    by each template's checksum): compiling the report template cost ~0.13 s a round. None
    when that folder cannot be made; the template is then compiled each time."""
    try:
        return jinja2.FileSystemBytecodeCache()
    except (OSError, RuntimeError):
        return None


@functools.lru_cache(maxsize=4)
def _asset(name: str) -> str:
    return (resources.files("driftscope.outputs") / _TEMPLATES / name).read_text("utf-8")


def _csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")
