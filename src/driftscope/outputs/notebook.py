"""How a notebook shows a result: the HTML report inline.

:mod:`driftscope` calls :func:`register` when it is imported, so every :class:`RunResult`
shows as its report in Jupyter (``RunResult._repr_html_``) while :mod:`driftscope.result`
imports no output. Registering is cheap: Jinja2 and the templates are loaded the first time a
notebook shows a result.
"""

from __future__ import annotations

from driftscope.result import RunResult, set_html_renderer

__all__ = ["notebook_html", "register"]


def notebook_html(result: RunResult) -> str:
    """The HTML report of ``result``, as :func:`driftscope.outputs.html.render_html` draws it."""
    from driftscope.outputs.html import render_html

    return render_html(result)


def register() -> None:
    """Make notebooks show every result as its HTML report (idempotent)."""
    set_html_renderer(notebook_html)
