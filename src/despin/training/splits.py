"""Deterministic train / calib / dev / test splits of the shared corpora.

News is split by date, so no test article is older than a training one and near-duplicates
published the same day stay on one side. Registers without dates are split by a stable hash
of the *article* (the id without its paragraph suffix), so paragraphs of one page never straddle.
The LM trains on ``train`` only; the detector is fitted on ``calib``; we tune on ``dev`` and
report ``test``, which nothing ever trains on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, Literal

Split = Literal["train", "calib", "dev", "test"]

# Corpus file -> register, for per-register reporting (false positives must hold on each).
REGISTERS: dict[str, str] = {
    "indosum_dev": "news",
    "clickid_clean": "news",
    "clickid_link_gaps": "news_gaps",
    "ntrex128_ind": "news_translated",
    "ud_indonesian": "sentences",
    "indonlu_bapos_nergrit": "sentences",
    "indonlu_facqa_wrete": "wikipedia",
    "indonli_premises": "wikipedia",
    "tydiqa_id_dev": "wikipedia",
    "nlp_ngram_wiki": "wikipedia",
    "debian_handbook_id": "technical",
}


# Ids of these end in a paragraph number; the rest are one record per sentence or passage.
_PARAGRAPH_CORPORA = frozenset({"nlp_ngram_wiki", "tydiqa_id_dev", "debian_handbook_id"})


def _bucket(key: str) -> float:
    return int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def _article_key(doc_id: str) -> str:
    # "nlp_ngram_wiki:Atmosfer_Bumi:0" -> "nlp_ngram_wiki:Atmosfer_Bumi"
    head, sep, tail = doc_id.rpartition(":")
    return head if sep and tail.isdigit() else doc_id


def split_of(corpus: str, record: Mapping[str, Any]) -> Split:
    """The split of one record of ``corpus`` (the file stem, e.g. ``indosum_dev``).

    Example:
        >>> split_of("indosum_dev", {"id": "x", "date": "2018-02-02"})
        'test'
        >>> split_of("indosum_dev", {"id": "x", "date": "2017-01-02"})
        'train'
    """
    date = str(record.get("date") or "")
    if corpus == "indosum_dev":
        # Up to Oct 2017 train, Nov calib, Dec dev, 2018 (Jan-Feb) test.
        month = date[:7]
        if month < "2017-11":
            return "train"
        return "calib" if month == "2017-11" else "dev" if month == "2017-12" else "test"
    if corpus in ("clickid_clean", "clickid_link_gaps"):
        # CLICK-ID articles are all from Sep-Oct 2019; split on the day written in the URL path.
        day = _clickid_day(record)
        if corpus == "clickid_link_gaps":
            return "train" if day is None or day < 14 else "test"  # same cut as the clean copy
        if day is None or day < 14:
            return "train"
        return "calib" if day < 16 else "dev" if day < 18 else "test"
    doc_id = str(record.get("id", ""))
    b = _bucket(_article_key(doc_id) if corpus in _PARAGRAPH_CORPORA else doc_id)
    return "train" if b < 0.7 else "calib" if b < 0.8 else "dev" if b < 0.9 else "test"


def _clickid_day(record: Mapping[str, Any]) -> int | None:
    url = str(record.get("url") or "")
    parts = url.split("/")
    for i in range(len(parts) - 2):
        y, m, d = parts[i : i + 3]
        if y == "2019" and m.isdigit() and d.isdigit() and len(d) <= 2:
            return int(d) if m == "09" else 31 + int(d)
    return None
