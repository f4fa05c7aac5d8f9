"""Atheris target: the decoder (``detect`` + ``restore`` with the real default model) on arbitrary text.

Checks, for every input: blank text and lone surrogates are an ``InputError`` and nothing else is;
``0 <= score <= 1``; detection spans and restoration edits are in bounds, sorted, disjoint and
name the text at their offsets; applying the edits gives the restored text. Restoration is
forced, so the decoder runs on every input, not only on those that look spun.

Run (see fuzz/README.md):
    .venv/bin/python fuzz/fuzz_restore.py /tmp/fuzz/restore fuzz/seeds/restore -max_total_time=600 -timeout=30
"""

from __future__ import annotations

import sys
from typing import Any

import atheris  # type: ignore[import-untyped]

with atheris.instrument_imports(include=["despin"]):
    import despin
    from despin.errors import InputError
    from despin.restorer import apply_edits

MAX_CHARS = 2048
# Inputs are built from pieces the decoder cares about as well as from raw Unicode, so the
# fuzzer reaches the lattice (lexicon words, capitals, repeats, footers) and not only the tokenizer.
_WORDS = (
    "pemerintah akan membangun jalan baru di kota itu dan warga mengatakan bahwa harga beras naik "
    "besar agung raya kabar berita Presiden Jakarta Kemudian Sumber: Kompas kata-kata 1.500"
)
_ODD = [" ", " ", ". ", ", ", "\n", "\x00", "\u200b", "😀", "中文", "<p>", "</p>", "&amp;", "İ", "ǅ", "ﬁ", "\u0301"]
PIECES = [*_WORDS.split(" "), *_ODD]
model: Any = None


def check_spans(text: str, spans: Any) -> None:
    last = 0
    for s in spans:
        assert last <= s.start <= s.end <= len(text), (s, last, len(text))
        assert text[s.start : s.end] == s.text, s
        last = s.end


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    mode = fdp.ConsumeIntInRange(0, 2)
    if mode == 0:
        text = fdp.ConsumeUnicode(MAX_CHARS)
    elif mode == 1:
        text = fdp.ConsumeUnicodeNoSurrogates(MAX_CHARS)
    else:
        n = fdp.ConsumeIntInRange(0, 200)
        text = "".join(PIECES[fdp.ConsumeIntInRange(0, len(PIECES) - 1)] for _ in range(n))
    try:
        det = despin.detect(text, model=model)
    except InputError:
        valid = bool(text.strip())
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            valid = False
        assert not valid, "InputError on a valid text"
        return
    assert 0.0 <= det.score <= 1.0, det.score
    check_spans(text, det.spans)
    res = despin.restore(text, model=model, force=True)
    assert apply_edits(text, res.edits) == res.text
    last = 0
    for e in res.edits:
        assert last <= e.start <= e.end <= len(text), (e, last)
        assert text[e.start : e.end] == e.observed, e
        last = e.end


def main() -> None:
    global model
    model = despin.load_model()
    despin.detect("Pemerintah akan membangun jalan baru.", model=model)  # warm the lazy tables
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
