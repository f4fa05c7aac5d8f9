"""Corpus-scale processing as composable steps over document generators (datatrove-style).

``JsonlReader``/``ParquetReader`` → ``DetectStep``/``RestoreStep`` → ``FilterStep`` →
``TraceStep`` → ``JsonlWriter``/``ParquetWriter``, with a shared ``RejectWriter``; :func:`scan`
runs that pipeline over a corpus, one resumable task per shard, locally or on Ray.
"""

from despin.pipeline.base import Document, Reject, Shard, Step, run_steps
from despin.pipeline.fields import FieldCensus, MissingTextFieldError
from despin.pipeline.readers import JsonlReader, ParquetReader, find_shards
from despin.pipeline.stats import RejectReason, Stat, Stats
from despin.pipeline.steps import (
    DetectStep,
    FilterStep,
    IndexRef,
    ModelRef,
    RestoreStep,
    TableRef,
    TraceStep,
)
from despin.pipeline.writers import JsonlWriter, ParquetWriter, RejectWriter

__all__ = [
    "DetectStep",
    "Document",
    "FieldCensus",
    "FilterStep",
    "IndexRef",
    "JsonlReader",
    "JsonlWriter",
    "MissingTextFieldError",
    "ModelRef",
    "ParquetReader",
    "ParquetWriter",
    "Reject",
    "RejectReason",
    "RejectWriter",
    "RestoreStep",
    "Shard",
    "Stat",
    "Stats",
    "Step",
    "TableRef",
    "TraceStep",
    "find_shards",
    "run_steps",
]
