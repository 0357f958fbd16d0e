"""The ingestion service (``driftscope serve``; ``pip install 'driftscope[serve]'``).

Production rows arrive over HTTP, are validated against the baseline's schema and stored
durably; rounds run on request or on a schedule through the :class:`driftscope.Monitor` and
are recorded in the history like a CLI round. The service computes no statistics itself.

=================  =========================================================================
``ingest``         the durable batch store: fsync'd Parquet files and a SQLite index
``validate``       a request body (JSON, CSV, Parquet) read and checked against the baseline
``rounds``         rounds over received rows: Monitor -> outputs and history -> notify
``schedule``       rounds every N minutes or on a cron expression
``app``            the FastAPI application: routes, token, size limit, access log
``command``        ``driftscope serve``: config -> app -> uvicorn
``metrics``        Prometheus metrics of the service and its rounds
=================  =========================================================================

Importing this package imports no web framework: FastAPI and uvicorn are imported by
``app`` and ``command`` only.
"""
