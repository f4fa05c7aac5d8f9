"""The real-page evaluation set (benchmarks/real/pages.jsonl) is well-formed and keeps its rules: unique ids,
valid labels and splits, evidence on every spun page, the by-site split, and no page reused from
../shared/data/real."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.real import (  # noqa: E402
    PAGES_PATH,
    SHARED_HASHES_PATH,
    Label,
    SpinType,
    Split,
    load_pages,
    site_of,
    split_of,
    url_hashes,
)

from despin.training.corpora import default_data_dir  # noqa: E402

SHARED_REAL = default_data_dir() / "real"  # $DESPIN_DATA or ../shared/data (despin.training.corpora)


def test_records_are_unique_sorted_and_valid() -> None:
    pages = load_pages()
    ids = [page.id for page in pages]
    assert len(ids) == len(set(ids)), "duplicate ids"
    assert ids == sorted(ids), "pages.jsonl must stay sorted by id"
    urls = [page.url for page in pages]
    assert len(urls) == len(set(urls)), "the same URL twice"
    for page in pages:
        assert page.id.startswith(f"{page.label}:"), page.id
        assert 200 <= len(page.text) <= 6500, page.id
        assert page.found_via.strip(), page.id
        if page.original_url is not None:
            assert page.original_url != page.url, page.id


def test_both_labels_and_both_splits_are_present() -> None:
    pages = load_pages()
    assert {page.label for page in pages} == set(Label)
    assert {page.split for page in pages} == set(Split)


def test_every_spun_page_shows_its_swaps() -> None:
    for page in load_pages(label="spun"):
        assert page.spin_type in set(SpinType), page.id
        assert isinstance(page.evidence, tuple) and page.evidence, page.id
        for item in page.evidence:
            observed, _, original = item.partition(" -> ")
            assert observed.strip() and original.strip(), f"{page.id}: {item!r} is not 'observed -> original'"
    for page in load_pages(label="clean"):
        assert page.spin_type is None and isinstance(page.evidence, str) and page.evidence.strip(), page.id


def test_split_is_by_site_hash() -> None:
    by_site: dict[str, set[Split]] = {}
    for page in load_pages():
        assert page.site == site_of(page.url), page.id
        assert page.split is split_of(page.site), f"{page.id}: split must follow the site hash"
        by_site.setdefault(page.site, set()).add(page.split)
    assert all(len(splits) == 1 for splits in by_site.values())


def test_filters_select_and_bad_filters_are_refused() -> None:
    dev_spun = load_pages(split="dev", label="spun")
    assert all(page.split is Split.DEV and page.label is Label.SPUN for page in dev_spun)
    assert len(load_pages(split="dev")) + len(load_pages(split="test")) == len(load_pages())
    with pytest.raises(ValueError):
        load_pages(split="train")
    with pytest.raises(ValueError):
        load_pages(label="maybe")


def test_a_malformed_record_is_reported_with_its_line(tmp_path: Path) -> None:
    good = PAGES_PATH.read_text(encoding="utf-8").splitlines()[0]
    row = json.loads(good)
    row["label"] = "spun"
    row["evidence"] = []
    bad = tmp_path / "pages.jsonl"
    bad.write_text(good + "\n" + json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"pages\.jsonl:2:"):
        load_pages(path=bad)


def test_no_page_of_the_shared_real_set_is_reused() -> None:
    shared = set(SHARED_HASHES_PATH.read_text(encoding="utf-8").split())
    assert shared, "the shared set's URL hashes should be listed"
    if SHARED_REAL.is_dir():  # the list is the shared set's, where that set is here to say so
        assert sorted(shared) == url_hashes(SHARED_REAL), "rerun `python -m benchmarks.real`"
    reused = [p.id for p in load_pages() if hashlib.sha256(p.url.encode("utf-8")).hexdigest() in shared]
    assert not reused, f"pages already in ../shared/data/real: {reused}"
