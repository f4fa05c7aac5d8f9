"""Trace spun copies to their source: a reference index robust to synonym swaps, with aligned evidence."""

from despin.trace.align import Alignment, align
from despin.trace.fingerprint import IndexConfig
from despin.trace.index import AddReport, Index
from despin.trace.query import DEFAULT_THRESHOLD, trace

__all__ = ["DEFAULT_THRESHOLD", "AddReport", "Alignment", "Index", "IndexConfig", "align", "trace"]
