"""Readers for reference and current data: files, folders, in-memory tables."""

from driftscope.inputs.readers import read_table, to_arrow

__all__ = ["read_table", "to_arrow"]
