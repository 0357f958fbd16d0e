"""Backends turn one side's rows into profiles (see :mod:`driftscope.backends.base`).

Registered here: ``local`` (the whole side in memory, the default), ``streaming`` (batch by
batch, one column in memory at most) and ``spark`` (on a Spark cluster; pyspark is imported
only when it runs).
"""

from driftscope.backends import local, spark, streaming  # noqa: F401  (they register themselves)
from driftscope.backends.base import (
    Backend,
    ProfileSettings,
    backend_names,
    get_backend,
    register_backend,
)
from driftscope.backends.local import profile_table

__all__ = ["Backend", "ProfileSettings", "backend_names", "get_backend", "profile_table",
           "register_backend"]
