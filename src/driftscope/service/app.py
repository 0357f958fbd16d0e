"""The HTTP application of ``driftscope serve`` (FastAPI; ``pip install 'driftscope[serve]'``).

=====================  ======================================================================
``POST /v1/records``   a batch of production rows (JSON records, CSV, Parquet); 201 stored,
                       200 a retry of a stored batch (same ``Idempotency-Key``), 4xx refused
``POST /v1/labels``    late labels (id and label columns), stored, then attached to rounds
``POST /v1/rounds``    a round now over the rows since the last round, or over a window
                       ``{"start": ISO, "end": ISO}`` of receive times; answers the report
``GET /v1/status``     counts, the last round, the next scheduled one
``GET /v1/runs/{id}``  the report of a recorded round
``GET /metrics``       Prometheus text format
``GET /healthz``       liveness, the only endpoint without the token
=====================  ======================================================================

Every other endpoint needs ``Authorization: Bearer <token>`` (401 otherwise, compared in
constant time); a body larger than ``service.max_request_bytes`` is refused with 413 before
any of it is parsed. No endpoint takes a path: files are named by the service. Each request
is logged as one JSON line on the ``driftscope.service.access`` logger, without row contents.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import logging
import time
from dataclasses import asdict, dataclass, field, is_dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from driftscope.config.models import MonitoringConfig
from driftscope.errors import DriftscopeError
from driftscope.service.ingest import IngestStore, KeyConflict, body_digest
from driftscope.service.rounds import NoRows, RoundRunner
from driftscope.service.schedule import Schedule
from driftscope.service.validate import BatchRefused, BatchSchema, read_body

__all__ = ["Service", "create_app"]

access_log = logging.getLogger("driftscope.service.access")
log = logging.getLogger("driftscope.service")

MAX_KEY_CHARS = 200
DRAIN_BYTES = 16 * 1024 * 1024
"""A body over the limit is read and dropped up to this much more, so the client gets the
413 rather than a reset connection; beyond it the connection is answered without reading."""
INGEST_ROUTES = ("/v1/records", "/v1/labels")


@dataclass
class Service:
    """What the application serves: config, schema, stores, rounds, metrics and schedule."""

    config: MonitoringConfig
    token: str
    schema: BatchSchema
    store: IngestStore
    runner: RoundRunner
    metrics: Any
    schedule: Schedule
    started_at: float = field(default_factory=time.time)

    @property
    def max_bytes(self) -> int:
        return self.config.service.max_request_bytes

    def refused(self, reason: str) -> None:
        if self.metrics is not None:
            self.metrics.batch_refused(reason)

    def close(self) -> None:
        self.schedule.stop()
        self.runner.close()
        self.store.close()


def _error(status: int, reason: str, detail: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": reason, "detail": detail, **extra}, status_code=status)


class Guard:
    """ASGI middleware: the token, the size limit, the access log and request metrics."""

    def __init__(self, app: ASGIApp, service: Service) -> None:
        self.app = app
        self.service = service
        self.expected = service.token.encode()

    def _authorized(self, scope: Scope) -> bool:
        """``Authorization: Bearer <token>`` (the scheme in any case, RFC 7235), the token
        compared in constant time."""
        given = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        scheme, _, token = given.strip().partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(token.strip(), self.expected)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        seen: dict[str, Any] = {"status": 500, "bytes": 0}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
            await send(message)

        path = scope["path"]
        try:
            if path != "/healthz" and not self._authorized(scope):
                if path in INGEST_ROUTES:
                    self.service.refused("auth")
                await _error(401, "auth", "a valid 'Authorization: Bearer <token>' header is "
                             "required")(scope, receive, sending)
                return
            body = await self._body(scope, receive, seen)
            if seen.get("disconnected"):  # a body cut short is never parsed, never stored
                seen["status"] = 499
                return
            if body is None:
                if path in INGEST_ROUTES:
                    self.service.refused("size")
                await _error(413, "size", f"the request body is larger than "
                             f"{self.service.max_bytes} bytes (service.max_request_bytes); "
                             "send smaller batches")(scope, receive, sending)
                return
            sent = False

            async def replay() -> Message:
                nonlocal sent
                if not sent:
                    sent = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            await self.app(scope, replay, sending)
        finally:
            self._done(scope, seen, time.perf_counter() - t0)

    async def _body(self, scope: Scope, receive: Receive, seen: dict[str, Any]) -> bytes | None:
        """The whole body, or None when it is over the limit (read and dropped up to
        :data:`DRAIN_BYTES` more)."""
        limit = self.service.max_bytes
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > limit + DRAIN_BYTES:
            return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                seen["disconnected"] = True
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size <= limit:
                chunks.append(chunk)
            elif size > limit + DRAIN_BYTES:
                break
            if not message.get("more_body", False):
                break
        seen["bytes"] = size
        return None if size > limit else b"".join(chunks)

    def _done(self, scope: Scope, seen: dict[str, Any], seconds: float) -> None:
        template = _template(scope)
        status = int(seen["status"])
        if self.service.metrics is not None:
            self.service.metrics.observe_request(scope["method"], template, status, seconds)
        entry = {"time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds"),
                 "method": scope["method"], "route": template, "status": status,
                 "ms": round(seconds * 1000, 2), "bytes_in": seen["bytes"],
                 "client": (scope.get("client") or ("", 0))[0]}
        entry.update(scope.get("driftscope.log") or {})
        access_log.info(json.dumps(entry))


ROUTES = ("/healthz", "/metrics", "/v1/records", "/v1/labels", "/v1/rounds", "/v1/status")


def _template(scope: Scope) -> str:
    """The route of a request for metrics and logs: its template, never a raw path (a
    refused request has not reached the router)."""
    route = getattr(scope.get("route"), "path", None)
    if route:
        return str(route)
    path = scope["path"]
    if path in ROUTES:
        return str(path)
    return "/v1/runs/{id}" if path.startswith("/v1/runs/") else "(other)"


def _key(request: Request) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    if not key or len(key) > MAX_KEY_CHARS or not key.isprintable():
        raise BatchRefused(400, "format", f"Idempotency-Key must be 1 to {MAX_KEY_CHARS} "
                           "printable characters")
    return key


def _window(body: bytes) -> tuple[float, float] | None:
    """The receive-time window a round request asks for, None for the rows since the last
    round."""
    if not body.strip():
        return None
    try:
        data = json.loads(body)
    except ValueError as err:
        raise BatchRefused(400, "format", f"the body is not valid JSON ({err})") from None
    if not isinstance(data, dict) or set(data) - {"start", "end"}:
        raise BatchRefused(422, "format", "expected {} or {\"start\": ISO time, \"end\": ISO "
                           "time}")
    if not data:
        return None
    times = []
    for name in ("start", "end"):
        value = data.get(name)
        try:
            text = str(value)
            t = dt.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        except ValueError:
            raise BatchRefused(422, "format", f"{name}: expected an ISO time such as "
                               f"2026-01-05T10:00:00Z, got {value!r}") from None
        times.append((t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)).timestamp())
    if times[0] >= times[1]:
        raise BatchRefused(422, "format", "start must be before end")
    return times[0], times[1]


def _plain(value: Any) -> Any:
    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else value


def create_app(service: Service) -> FastAPI:
    """The application over ``service`` (its schedule starts and stops with the app)."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        service.schedule.start()
        try:
            yield
        finally:
            service.schedule.stop()

    app = FastAPI(title="driftscope", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)

    @app.exception_handler(BatchRefused)
    async def refused(request: Request, err: BatchRefused) -> JSONResponse:
        if request.url.path in INGEST_ROUTES:
            service.refused(err.reason)
        return JSONResponse(err.body(), status_code=err.status)

    @app.exception_handler(KeyConflict)
    async def conflict(request: Request, err: KeyConflict) -> JSONResponse:
        return _error(409, "idempotency", "this Idempotency-Key was used for a different body; "
                      "use a new key for a new batch")

    @app.exception_handler(DriftscopeError)
    async def failed(request: Request, err: DriftscopeError) -> JSONResponse:
        return _error(422, "invalid", " ".join(str(err).split()))

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/records")
    async def records(request: Request) -> JSONResponse:
        body, key = await request.body(), _key(request)
        ctype = request.headers.get("content-type")
        status, answer = await run_in_threadpool(_ingest, service, body, ctype, key)
        request.scope["driftscope.log"] = {"rows": answer["rows"], "batch": answer["batch"],
                                           "duplicate": answer["duplicate"]}
        return JSONResponse(answer, status_code=status)

    @app.post("/v1/labels")
    async def labels(request: Request) -> JSONResponse:
        body, key = await request.body(), _key(request)
        ctype = request.headers.get("content-type")
        status, answer = await run_in_threadpool(_labels, service, body, ctype, key)
        request.scope["driftscope.log"] = {"rows": answer["rows"], "batch": answer["batch"]}
        return JSONResponse(answer, status_code=status)

    @app.post("/v1/rounds")
    async def rounds(request: Request) -> JSONResponse:
        window = _window(await request.body())
        try:
            if window is None:
                done = await run_in_threadpool(service.runner.run_pending)
            else:
                done = await run_in_threadpool(service.runner.run_window, *window)
        except NoRows as err:
            return _error(409, "no_rows", str(err))
        request.scope["driftscope.log"] = {"run_id": done.result.run.id, "rows": done.rows}
        return JSONResponse(done.result.to_dict(), headers={"X-Run-Id": done.result.run.id})

    @app.get("/v1/status")
    async def status() -> dict[str, Any]:
        return await run_in_threadpool(_status, service)

    @app.get("/v1/runs/{id}")
    async def run(id: str) -> JSONResponse:
        from driftscope.store import RunNotFoundError

        if len(id) > MAX_KEY_CHARS:
            return _error(404, "not_found", "no round with that id")
        try:
            report = await run_in_threadpool(service.runner.report, id)
        except RunNotFoundError:
            return _error(404, "not_found", f"no round {id!r} in the history")
        return JSONResponse(report)

    @app.get("/metrics")
    async def metrics() -> Response:
        body, ctype = service.metrics.render()
        return Response(body, media_type=ctype)

    app.add_middleware(Guard, service=service)
    return app


def _ingest(service: Service, body: bytes, ctype: str | None, key: str | None
            ) -> tuple[int, dict[str, Any]]:
    """Store a batch of production rows: (HTTP status, answer)."""
    digest = body_digest(body, ctype)
    known = service.store.find("records", key, digest) if key is not None else None
    if known is None:
        table = service.schema.check(read_body(body, ctype))
        known = service.store.add("records", table, digest, key)
        if not known.duplicate and service.metrics is not None:
            service.metrics.rows_received(known.rows)
    answer = {"batch": known.seq, "rows": known.rows, "duplicate": known.duplicate}
    return (200 if known.duplicate else 201), answer


def _labels(service: Service, body: bytes, ctype: str | None, key: str | None
            ) -> tuple[int, dict[str, Any]]:
    """Store late labels, then attach them to the recorded rounds: (HTTP status, answer)."""
    id_column, label = service.schema.id_column, service.schema.label_column
    if not id_column or not label:
        raise BatchRefused(422, "schema", "late labels need 'id_column' and 'target' in the "
                           "config: rows are matched by id")
    import pyarrow as pa
    import pyarrow.compute as pc

    table = read_body(body, ctype)
    if table.num_rows == 0:
        raise BatchRefused(422, "empty", "the batch holds no labels; send at least one")
    for name in table.column_names:
        if name not in (id_column, label):
            raise BatchRefused(422, "schema", f"column {name!r}: a labels batch holds only "
                               f"{id_column!r} and {label!r}", column=name)
    for name in (id_column, label):
        if name not in table.column_names:
            raise BatchRefused(422, "schema", f"column {name!r} is missing from the labels",
                               column=name)
        nulls = pc.is_null(table.column(name))
        if pc.any(nulls).as_py():
            row = int(pc.index(nulls, True).as_py())
            raise BatchRefused(422, "schema", f"row {row}, column {name!r}: a label row needs "
                               "both the id and the label", row=row, column=name)
    i = table.column_names.index(id_column)
    table = table.set_column(i, pa.field(id_column, pa.string()),
                             pc.cast(table.column(i), pa.string()))
    from driftscope.errors import InputError
    from driftscope.labels import attach_labels  # (a retry attaches again: attaching is
    # idempotent, and the first attempt may have been cut short by a crash)

    try:  # labels the recorded rounds cannot take refuse the batch before it is stored
        attach_labels(service.runner.history, table, id_column=id_column, label_column=label)
    except InputError as err:
        raise BatchRefused(422, "schema", str(err), column=label) from None
    stored = service.store.add("labels", table, body_digest(body, ctype), key)
    answer: dict[str, Any] = {"batch": stored.seq, "rows": stored.rows,
                              "duplicate": stored.duplicate}
    # again once stored: a round recorded meanwhile did not see this batch
    report = attach_labels(service.runner.history, table, id_column=id_column,
                           label_column=label, foreign="skip")
    service.runner.labels_attached({r.run_id for r in report.rounds})
    answer["attached"] = _plain(report)
    return (200 if stored.duplicate else 201), answer


def _status(service: Service) -> dict[str, Any]:
    counts = service.store.counts()
    pending = service.store.pending()
    last = service.runner.last
    received = service.store.last_received()
    latest = service.runner.history.runs(last=1) if last is None else []
    nxt = service.schedule.next
    return {
        "rows_received": counts["rows"], "batches_received": counts["batches"],
        "label_rows_received": counts["label_rows"], "rounds": counts["rounds"],
        "pending_rows": pending.rows,
        "last_received": None if received is None else
        dt.datetime.fromtimestamp(received, dt.timezone.utc).isoformat(timespec="seconds"),
        "last_round": ({"run_id": last.result.run.id, "status": last.result.status.value,
                        "rows": last.rows} if last is not None else
                       {"run_id": latest[0].run_id, "status": latest[0].status.value,
                        "rows": None} if latest else None),
        "next_scheduled_round": None if nxt is None else nxt.isoformat(timespec="seconds"),
        "up_since": dt.datetime.fromtimestamp(service.started_at, dt.timezone.utc)
        .isoformat(timespec="seconds"),
    }
