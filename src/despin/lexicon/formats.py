"""One parser per thesaurus format. Each takes lines (already decoded) and yields (word, synonym) pairs.

Spinner tables (TSV) are read by :class:`despin.tables.SpinnerTable`.

They do no I/O, so the caller decides the encoding: mythes-id is ISO-8859-1, Wordnet Bahasa UTF-8.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from despin.errors import LexiconError


def _clean(phrase: str) -> str:
    return " ".join(phrase.replace("_", " ").split()).lower()


def parse_mythes(lines: Iterable[str], *, source: str = "mythes") -> Iterator[tuple[str, str]]:
    """MyThes: ``word|n`` then ``n`` lines ``[pos]|syn|syn...``. Antonym lines (``[ant]``) are skipped.

    Example:
        >>> list(parse_mythes(["ISO-8859-1", "abad|1", "[n]|era|masa", "abah|2", "[n]|arah", "[ant]|x"]))
        [('abad', 'era'), ('abad', 'masa'), ('abah', 'arah')]
    """
    it = iter(enumerate(lines, 1))
    for lineno, line in it:
        line = line.rstrip("\n")
        if lineno == 1 and "|" not in line:
            continue  # encoding header
        head, sep, count = line.rpartition("|")
        if not sep or not count.strip().isdigit():
            raise LexiconError(f"{source}:{lineno}: expected 'word|n', got {line[:60]!r}")
        word = _clean(head)
        for _ in range(int(count)):
            try:
                sense_no, sense = next(it)
            except StopIteration:
                raise LexiconError(f"{source}:{lineno}: entry {head!r} promises {count} senses") from None
            fields = sense.rstrip("\n").split("|")
            if fields[0].strip() == "[ant]":
                continue
            for syn in fields[1:]:
                syn = _clean(syn.split("(")[0])
                if syn and syn != word:
                    yield word, syn


def parse_wordnet(lines: Iterable[str], *, source: str = "wordnet") -> Iterator[tuple[str, str]]:
    """OMW tab format ``synset<TAB>lang:lemma<TAB>lemma``: every pair of lemmas sharing a synset.

    Example:
        >>> rows = ["# header", "1-n\\tind:lemma\\tbesar", "1-n\\tind:lemma\\tagung", "2-n\\tind:lemma\\tkecil"]
        >>> sorted(parse_wordnet(rows))
        [('agung', 'besar'), ('besar', 'agung')]
    """
    synsets: dict[str, list[str]] = {}
    for lineno, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.rstrip("\n").split("\t")
        if len(fields) < 3:
            raise LexiconError(f"{source}:{lineno}: expected 3 tab-separated fields, got {len(fields)}")
        if fields[1].endswith(":lemma") and len(fields) == 3:  # ":def" rows carry glosses, not lemmas
            synsets.setdefault(fields[0], []).append(_clean(fields[2]))
    for members in synsets.values():
        for a in members:
            for b in members:
                if a != b:
                    yield a, b
