"""The driftscope dashboard, a Streamlit app reading the history store.

Run it with ``driftscope dashboard`` or::

    streamlit run src/driftscope/dashboard/app.py -- --history URL --assets DIR --refresh 30

The page body is a fragment that reruns every ``--refresh`` seconds, so a round recorded in
the history shows up in an open page without a reload.

Names, values, reasons and messages come from production data: the pages show them as literal
text (escaped by :mod:`driftscope.dashboard.app_text`, never as Markdown links, images or
formatting), cut to ``app_text.MAX_CHARS`` = 200 characters ending with "…".
"""

from __future__ import annotations

import sys

import streamlit as st

from driftscope.dashboard.app_config import load_config
from driftscope.dashboard.app_pages import PAGES, render
from driftscope.dashboard.app_text import MAX_MESSAGE_CHARS, code, md
from driftscope.errors import ConfigError
from driftscope.store import mask_url


def main(argv: list[str] | None = None) -> None:
    """Draw the app: sidebar with the page choice, then the auto-refreshing page body."""
    st.set_page_config(page_title="driftscope monitoring", page_icon="📈", layout="wide")
    try:
        config = load_config(sys.argv[1:] if argv is None else argv)
    except ConfigError as exc:
        st.error(f"The dashboard is misconfigured: {md(exc, limit=MAX_MESSAGE_CHARS)}")
        return
    with st.sidebar:
        st.title("driftscope")
        page = st.radio("Page", list(PAGES), key="page")
        st.caption(f"History: {code(mask_url(config.history_url))}")
        st.caption(f"Assets: {code(config.assets_dir)}")
        st.caption(f"Refreshes every {config.refresh_seconds:g} s")
    body = st.fragment(run_every=config.refresh_seconds)(render)
    body(str(page), config)


if __name__ == "__main__":
    main()
