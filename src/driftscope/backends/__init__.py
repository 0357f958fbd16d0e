"""Backends turn tables into profiles. The local (numpy/Arrow) backend is the default."""

from driftscope.backends.local import profile_table

__all__ = ["profile_table"]
