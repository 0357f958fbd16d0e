"""Columns that look like identifiers: their "drift" is certain and meaningless, so they are
not monitored."""

from __future__ import annotations

import pyarrow as pa

from driftscope.config.models import MonitoringConfig
from driftscope.profile.model import CategoricalProfile, ColumnProfile, NumericProfile
from driftscope.profile.spec import ColumnSpec

IDENTIFIER_MIN_ROWS = 50


def looks_like_identifier(spec: ColumnSpec, prof: ColumnProfile, table: pa.Table,
                           cfg: MonitoringConfig) -> str | None:
    """Why a column is an identifier, or None: its "drift" is certain and meaningless (an
    increasing id in a time-ordered batch lies wholly above the reference's). Three rules, each
    independent of how the reference was sampled except the counter's:

    * a column named like an identifier (:func:`driftscope.inputs.schema.identifier_name`:
      ``id``, ``loan_id``, ``LoanId``, ``customerID``, ``uuid``, ``rownames``, ``account_key``,
      …) of text or whole numbers, at least half of whose values are distinct;
    * a text column whose values are (nearly, ≥ 95 %) all distinct (keys, free text);
    * an integer column of nearly distinct, densely numbered values (a counter), whatever its
      name.

    A float column of amounts is never one, however distinct. Columns the config names
    explicitly are kept."""
    from driftscope.config.models import matches
    from driftscope.inputs.schema import identifier_name

    if matches(spec.name, cfg.categorical) or matches(spec.name, cfg.numerical) or \
            (cfg.columns is not None and spec.name in cfg.columns):
        return None
    if prof.count < IDENTIFIER_MIN_ROWS:
        return None
    named = identifier_name(spec.name)
    if isinstance(prof, CategoricalProfile):
        distinct = len(prof.counts)
        if named and distinct >= 0.5 * prof.count:
            return (f"its name reads as an identifier and {distinct} of its {prof.count} "
                    "values are distinct")
        if distinct >= 0.95 * prof.count:
            return f"{distinct} distinct values in {prof.count} rows"
        return None
    if not isinstance(prof, NumericProfile) or prof.distinct is None or prof.whole is None \
            or prof.moments.count != prof.count:
        return None
    distinct = prof.distinct
    t = table.schema.field(spec.name).type
    whole = pa.types.is_integer(t) or prof.whole
    if named and whole and distinct >= 0.5 * prof.count:
        return (f"its name reads as an identifier and {distinct} of its {prof.count} whole "
                "numbers are distinct")
    if pa.types.is_integer(t) and distinct >= 0.95 * prof.count:
        # a counter: nearly all distinct and densely numbered, unlike amounts
        lo, hi = prof.moments.min, prof.moments.max
        if hi - lo + 1 <= 2 * prof.count:
            return (f"a counter: {distinct} distinct integers in {prof.count} rows, numbered "
                    f"densely from {lo:.0f} to {hi:.0f}")
    return None

