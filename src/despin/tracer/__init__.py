"""Trace spun copies to their source: a reference index robust to synonym swaps, with aligned evidence."""

from despin.tracer.align import Alignment, align
from despin.tracer.fingerprint import IndexConfig
from despin.tracer.index import AddReport, Index
from despin.tracer.query import DEFAULT_THRESHOLD, trace

__all__ = ["DEFAULT_THRESHOLD", "AddReport", "Alignment", "Index", "IndexConfig", "align", "trace"]
