"""Batch jobs: the pipeline's steps run over a corpus by an executor (local processes or Ray).

``despin.batch.options`` (what the CLI needs for its flags) is light; importing this package loads
the pipeline (``despin.batch.scan`` the module is shadowed here by ``scan`` the function, as before).
"""

from despin.batch.options import ScanOptions
from despin.batch.scan import ScanJob, ScanStats, scan

__all__ = ["ScanJob", "ScanOptions", "ScanStats", "scan"]
