"""The alert policy: metric values in, NORMAL / WARNING / CRITICAL with reasons out."""

from driftscope.classify.policy import classify_columns
from driftscope.classify.verdict import recommend, round_status
from driftscope.result import Severity

__all__ = ["Severity", "classify_columns", "recommend", "round_status"]
