"""Atheris target: the JSONL reader (plain and gzip) and the serialisation of what it yields.

Each input becomes a shard file: plain JSONL, a valid gzip of it, a truncated or bit-flipped gzip
of it, or raw bytes named ``.jsonl.gz``. Checks: the reader never raises; every line counts once
(``input == documents + rejects``, and for plain/valid gzip ``input`` is the number of lines);
every document's text is non-blank valid Unicode within the limit; every reject and every output
record serialises to JSON exactly as the reject writer and the JSONL writer do.

Run (see fuzz/README.md):
    .venv/bin/python fuzz/fuzz_jsonl.py /tmp/fuzz/jsonl fuzz/seeds/jsonl -max_total_time=600

``--skip-known`` ignores the crash signatures of bugs already reported (see KNOWN below), so a long
run keeps exploring instead of stopping at the first known crash; a run without it stops there.
"""

from __future__ import annotations

import gzip
import os
import sys
import tempfile
from pathlib import Path

import atheris  # type: ignore[import-untyped]

with atheris.instrument_imports(include=["despin"]):
    import orjson

    from despin.pipeline.base import Reject
    from despin.pipeline.readers import JsonlReader
    from despin.pipeline.stats import Stat
    from despin.pipeline.writers import dumps_record

MAX_CHARS = 200  # a small limit, so that text_too_long is reachable
TMP = Path(tempfile.mkdtemp(prefix="fuzz-jsonl-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None))
SKIP_KNOWN = "--skip-known" in sys.argv
# Reported bugs: (exception type, message fragment) -> issue note. Only skipped with --skip-known.
KNOWN: dict[tuple[type[BaseException], str], str] = {
    # Fixed in 5f0c954 (Reject.to_dict escapes the id); kept as the format of an entry:
    # (TypeError, "surrogates not allowed"): "Reject.to_dict: an id with a lone surrogate (pipeline/base.py)",
}
n_known = 0


class Collect:
    """A stand-in reject sink that serialises like RejectWriter.write, without the file commit."""

    def __init__(self) -> None:
        self.rejects: list[Reject] = []

    def write(self, reject: Reject) -> None:
        self.rejects.append(reject)
        orjson.dumps(reject.to_dict())


def _known(exc: BaseException) -> bool:
    return SKIP_KNOWN and any(isinstance(exc, t) and frag in str(exc) for t, frag in KNOWN)


def test_one_input(data: bytes) -> None:
    global n_known
    fdp = atheris.FuzzedDataProvider(data)
    mode = fdp.ConsumeIntInRange(0, 4)
    cut = fdp.ConsumeIntInRange(0, 1 << 16)
    payload = fdp.ConsumeBytes(1 << 16)
    if mode == 0:
        name, blob = "s.jsonl", payload
    elif mode == 1:
        name, blob = "s.jsonl.gz", gzip.compress(payload, mtime=0)
    elif mode == 2:
        full = gzip.compress(payload, mtime=0)
        name, blob = "s.jsonl.gz", full[: cut % (len(full) + 1)]
    elif mode == 3:
        flipped = bytearray(gzip.compress(payload, mtime=0))
        flipped[cut % len(flipped)] ^= 1 << (cut >> 13) % 8
        name, blob = "s.jsonl.gz", bytes(flipped)
    else:
        name, blob = "s.jsonl.gz", payload
    path = TMP / name
    path.write_bytes(blob)
    sink = Collect()
    reader = JsonlReader(path, max_chars=MAX_CHARS, rejects=sink)  # type: ignore[arg-type]
    try:
        docs = list(reader.run(None))
        for d in docs:
            assert isinstance(d.text, str) and d.text.strip() and len(d.text) <= MAX_CHARS
            d.text.encode("utf-8")
            dumps_record(d.record, lenient=d.lenient_json)
    except Exception as exc:
        if _known(exc):
            n_known += 1
            if n_known & (n_known - 1) == 0:  # 1, 2, 4, 8, ...: libFuzzer exits without a hook to print at
                print(f"known bug hit ({n_known} inputs so far): {exc!r}", file=sys.stderr)
            return
        raise
    n_input = reader.stats[Stat.INPUT]
    assert n_input == len(docs) + len(sink.rejects), (n_input, len(docs), len(sink.rejects))
    if mode in (0, 1):
        n_lines = payload.count(b"\n") + (1 if payload and not payload.endswith(b"\n") else 0)
        assert n_input == n_lines, (n_input, n_lines)


def main() -> None:
    argv = [a for a in sys.argv if a != "--skip-known"]
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
