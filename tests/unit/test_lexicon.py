from __future__ import annotations

import pytest

from despin.errors import ConfigError, LexiconError
from despin.lexicon import SynonymLexicon, parse_mythes, parse_wordnet


def test_reverse_channel_probabilities(tiny_lexicon: SynonymLexicon) -> None:
    # "raya" is one of 2 replacements of "besar" and the only one of "luas".
    assert tiny_lexicon.originals("raya") == {"besar": 0.5, "luas": 1.0}
    assert tiny_lexicon.originals("tidak ada") == {}


def test_mythes_parser_skips_antonyms_and_header() -> None:
    lines = [
        "ISO-8859-1",
        "abadi|2",
        "[a]|kekal|lestari",
        "[ant]|sementara",
        "abdi negara|1",
        "[n]|pegawai negeri",
    ]
    assert list(parse_mythes(lines)) == [
        ("abadi", "kekal"),
        ("abadi", "lestari"),
        ("abdi negara", "pegawai negeri"),
    ]


def test_mythes_truncated_entry_names_the_line() -> None:
    with pytest.raises(LexiconError, match="th.dat:1: entry 'abadi' promises 3 senses"):
        list(parse_mythes(["abadi|3", "[a]|kekal"], source="th.dat"))


def test_wordnet_pairs_share_a_synset_and_ignore_definitions() -> None:
    rows = ["1-n\tind:lemma\tbesar", "1-n\tind:lemma\tagung", "1-n\tind:def\t0\tsangat besar"]
    assert sorted(parse_wordnet(rows)) == [("agung", "besar"), ("besar", "agung")]


def test_split_halves_share_no_unordered_pair(tiny_lexicon: SynonymLexicon) -> None:
    a, b = tiny_lexicon.split(seed=3)
    pairs_a = {frozenset(p[:2]) for p in a.pairs()}
    pairs_b = {frozenset(p[:2]) for p in b.pairs()}
    assert not pairs_a & pairs_b
    assert a.n_pairs + b.n_pairs == tiny_lexicon.n_pairs
    with pytest.raises(ConfigError):
        tiny_lexicon.split(fraction=1.5)


def test_rows_roundtrip_and_fingerprint(tiny_lexicon: SynonymLexicon) -> None:
    again = SynonymLexicon.from_rows(tiny_lexicon.to_rows())
    assert again.pairs() == tiny_lexicon.pairs()
    assert again.fingerprint() == tiny_lexicon.fingerprint()
    assert SynonymLexicon.from_pairs([("a", "b")]).fingerprint() != tiny_lexicon.fingerprint()
