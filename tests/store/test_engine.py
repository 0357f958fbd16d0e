"""Connections: database errors become one line that names the URL, never the password."""

from __future__ import annotations

import pytest

from driftscope.errors import HistoryError
from driftscope.store import HistoryStore
from tests.store.helpers import free_port, postgres_base_url


def test_unreachable_postgres_names_the_url_and_masks_the_password() -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(HistoryError) as info:
        HistoryStore(f"postgresql://bob:s3cret@127.0.0.1:{port}/mon")
    message = str(info.value)
    assert f"postgresql://bob:***@127.0.0.1:{port}/mon" in message
    assert "s3cret" not in message
    assert "\n" not in message
    assert "refused" in message.lower()


@pytest.mark.postgres
def test_wrong_postgres_password_is_a_clear_error() -> None:
    from sqlalchemy.engine import make_url

    base = make_url(postgres_base_url())
    wrong = base.set(password="wrong-password").render_as_string(hide_password=False)
    with pytest.raises(HistoryError, match="password") as info:
        HistoryStore(wrong)
    assert "wrong-password" not in str(info.value)
