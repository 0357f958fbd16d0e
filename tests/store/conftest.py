"""The store tests' fixtures (defined in :mod:`tests.store.fixtures`)."""

from tests.store.fixtures import pg_schema, pg_url, store, url

__all__ = ["pg_schema", "pg_url", "store", "url"]
