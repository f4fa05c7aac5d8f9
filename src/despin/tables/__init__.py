"""Spinner tables: learn a content farm's substitution table from traced (spun, source) pairs."""

from despin.tables.pairs import LearnConfig, TableRow, format_table, learn_table

__all__ = ["LearnConfig", "TableRow", "format_table", "learn_table"]
