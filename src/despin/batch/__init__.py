"""Batch jobs: the pipeline's steps run over a corpus by an executor (local processes or Ray)."""

from despin.batch.scan import ScanJob, ScanOptions, ScanStats, scan

__all__ = ["ScanJob", "ScanOptions", "ScanStats", "scan"]
