"""Atheris target: the tokenizer, sentence splitter and normalizer on arbitrary Unicode.

Checks, for every input: token offsets are in bounds, increasing and disjoint, each token is the
text at its offsets, only whitespace lies between tokens, sentences partition the tokens, and
``normalize`` is idempotent. Any exception or failed check is a crash.

Run (see fuzz/README.md):
    .venv/bin/python fuzz/fuzz_tokenize.py /tmp/fuzz/tokenize fuzz/seeds/tokenize -max_total_time=600
"""

from __future__ import annotations

import sys

import atheris  # type: ignore[import-untyped]

with atheris.instrument_imports(include=["despin"]):
    from despin.text import normalize, sentences, tokenize

MAX_CHARS = 4096


def check(text: str) -> None:
    toks = tokenize(text)
    last = 0
    for t in toks:
        assert last <= t.start < t.end <= len(text), (t, last, len(text))
        assert text[t.start : t.end] == t.text, t
        assert not text[last : t.start].strip(), (last, t)  # only whitespace between tokens
        assert t.kind in ("word", "number", "punct", "other"), t
        last = t.end
    assert not text[last:].strip()
    spans = sentences(text, toks)
    pos = 0
    for i, j in spans:
        assert i == pos and i < j, spans
        pos = j
    assert pos == len(toks), (spans, len(toks))
    once = normalize(text)
    assert normalize(once) == once


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    text = fdp.ConsumeUnicodeNoSurrogates(MAX_CHARS) if fdp.ConsumeBool() else fdp.ConsumeUnicode(MAX_CHARS)
    check(text)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
