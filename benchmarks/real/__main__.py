"""``python -m benchmarks.real``: rewrite the list of the shared real set's URL hashes (SHARED_HASHES_PATH)."""

from __future__ import annotations

from benchmarks.real import SHARED_HASHES_PATH, url_hashes
from despin.training.corpora import default_data_dir

if __name__ == "__main__":
    hashes = url_hashes(default_data_dir() / "real")
    SHARED_HASHES_PATH.write_text("\n".join(hashes) + "\n", encoding="utf-8")
    print(f"{len(hashes)} URL hashes -> {SHARED_HASHES_PATH}")
