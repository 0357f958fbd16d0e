"""The ``notifications:`` of the config: where alert messages go (:mod:`driftscope.notify`).

.. code-block:: yaml

    notifications:
      - type: slack                 # Slack-compatible payload (text + blocks)
        url_env: SLACK_WEBHOOK_URL  # the URL is a secret: read from the environment
        levels: [critical]          # only episodes that involve CRITICAL
      - type: webhook               # generic JSON payload
        url: https://alerts.example.com/driftscope
        timeout_seconds: 2
        retries: 2
    notifications_deadline_seconds: 5   # the most a round waits for all receivers together
"""

from __future__ import annotations

import os
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["NotificationTarget"]

Level = Literal["warning", "critical"]
LEVELS: tuple[Level, ...] = ("warning", "critical")


class NotificationTarget(BaseModel):
    """One receiver of alert messages."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["webhook", "slack"] = Field(
        description="'webhook': a generic JSON document; 'slack': a Slack incoming-webhook "
        "payload (text + blocks), also read by Mattermost and Rocket.Chat")
    url: str | None = Field(None, description="the receiver's http(s) URL")
    url_env: str | None = Field(None, description="environment variable holding the URL")
    levels: list[Level] = Field(
        default_factory=lambda: list(LEVELS),
        description="levels whose episodes are sent: an episode entering, changing within "
        "or leaving one of these levels")
    timeout_seconds: float = Field(2.0, gt=0, le=60,
                                   description="seconds one attempt may take")
    retries: int = Field(2, ge=0, le=10, description="attempts after the first on a 5xx "
                         "answer, a timeout or a connection error (with backoff)")

    @model_validator(mode="after")
    def _one_url(self) -> NotificationTarget:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give exactly one of url and url_env")
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise ValueError(f"url must start with http:// or https://, got {self.url[:40]!r}")
        if not self.levels:
            raise ValueError("levels: give warning, critical or both")
        return self

    def resolved_url(self) -> str:
        """The URL, read from the environment for ``url_env``.

        Raises
        ------
        ValueError
            When ``url_env`` names a variable that is unset or holds no http(s) URL.
        """
        if self.url is not None:
            return self.url
        assert self.url_env is not None
        value = os.environ.get(self.url_env, "").strip()
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"url_env: the environment variable {self.url_env} is "
                             + ("not set" if not value else "not an http(s) URL"))
        return value

    def shown(self) -> str:
        """How messages name the receiver: its type and host, never the URL's secret path."""
        if self.url_env is not None:
            return f"{self.type} (${self.url_env})"
        from urllib.parse import urlsplit

        assert self.url is not None
        return f"{self.type} ({urlsplit(self.url).netloc})"
