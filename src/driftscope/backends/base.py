"""The backend contract: record batches, column specs and the reference's bins in, profiles
out — and the registry that names the backends.

A backend computes what :mod:`driftscope.profile.model` holds and nothing else: per column the
bin counts (under the reference's :class:`~driftscope.profile.model.Binning`, or, on the
reference itself, under bins fitted with :func:`driftscope.profile.binning.fit_binning` from
the distinct values and quantiles the backend supplies), the category counts, the missing
counts, exact moments, the 101 percentiles, and either the sorted values (held or read back
one column at a time) or a quantile sketch. Metrics, policy and outputs never see a backend.

Every registered backend passes the same contract tests (``tests/backends/test_contract.py``):
same data → same counts, categories, missing counts and moments; the merge of two profiles is
the profile of the union; identical samples → zero drift for every registered metric.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from driftscope.errors import ConfigError
from driftscope.inputs.batches import BatchSource
from driftscope.profile.model import ColumnProfile, DatasetProfile
from driftscope.profile.spec import ColumnSpec

KsMode = Literal["exact", "approximate"]


@dataclass(frozen=True)
class ProfileSettings:
    """How a backend profiles: the value-bin limit of the binning fit, its threads, and
    whether exact Kolmogorov–Smirnov needs the sorted values (``ks: exact``) or a quantile
    sketch will do (``ks: approximate``: a backend that streams then never holds a column)."""

    max_value_bins: int = 20
    workers: int | None = None
    ks: KsMode = "exact"


class Backend(Protocol):
    """Turns one side's rows into profiles."""

    name: str

    def profile(self, source: BatchSource, specs: Sequence[ColumnSpec],
                reference: Mapping[str, ColumnProfile] | None = None,
                settings: ProfileSettings | None = None,
                on_column: Callable[[str], None] | None = None) -> DatasetProfile:
        """Profile the ``specs`` columns of ``source``: numerical columns under the
        ``reference`` profile's binning, or under bins fitted here when ``reference`` is None
        (the reference side itself). ``on_column`` is called as each column is done."""
        ...


_BACKENDS: dict[str, Callable[[], Backend]] = {}


def register_backend(name: str, factory: Callable[[], Backend]) -> None:
    """Make a backend available as ``backend: name`` (the factory is called per round)."""
    if name in _BACKENDS:
        raise ValueError(f"backend {name!r} is already registered")
    _BACKENDS[name] = factory


def backend_names() -> tuple[str, ...]:
    return tuple(_BACKENDS)


def get_backend(name: str) -> Backend:
    try:
        factory = _BACKENDS[name]
    except KeyError:
        raise ConfigError(f"backend: unknown backend {name!r}; registered backends: "
                          f"{', '.join(backend_names())}") from None
    return factory()
