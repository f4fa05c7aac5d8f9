"""Spinner tables: the :class:`SpinnerTable` value, and tables learned from traced (spun, source) pairs."""

from despin.tables.pairs import LearnConfig, TableRow, learn_table
from despin.tables.table import SpinnerTable, as_table

__all__ = ["LearnConfig", "SpinnerTable", "TableRow", "as_table", "learn_table"]
