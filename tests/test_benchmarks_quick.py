"""The benchmark harness: its metrics on hand-made cases, and the quick suite end to end.

The end-to-end tests need the packaged model and the shared corpora (../shared/data, or
$DESPIN_DATA); they are skipped where either is missing. They check that the suite runs and
writes well-formed, reproducible results, not what the numbers are.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# benchmarks/ sits beside src/ and is not installed: import it from the checkout.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.baselines import MostFrequentRestorer, PerplexityDetector  # noqa: E402
from benchmarks.config import BenchConfig, default_data_dir  # noqa: E402
from benchmarks.metrics import Change, RestoreCounts, SpanCounts, auroc, changes, roc_points, wer  # noqa: E402
from benchmarks.report import readme_section, update_readme  # noqa: E402

from despin.errors import ConfigError  # noqa: E402
from despin.lexicon import SynonymLexicon  # noqa: E402
from despin.model.bundle import DEFAULT_PATH  # noqa: E402
from despin.spinner import spin  # noqa: E402
from despin.types import SpinEdit  # noqa: E402


def test_auroc_counts_ties_half_and_matches_a_brute_force() -> None:
    pos, neg = [0.9, 0.5, 0.5, 0.2], [0.5, 0.1, 0.3]
    pairs = [(p > n) + 0.5 * (p == n) for p in pos for n in neg]
    assert auroc(pos, neg) == pytest.approx(sum(pairs) / len(pairs))
    assert auroc([], neg) is None
    assert roc_points([1.0], [0.0]) == [(0.0, 0.0), (0.0, 1.0), (1.0, 1.0)]


def test_changes_delete_the_second_copy_of_a_repeat() -> None:
    assert changes("Dia pergi pergi ke pasar.", "Dia pergi ke pasar.") == [Change(9, 15, "")]
    assert changes("sama", "sama") == []


def test_restore_counts_against_gold_edits() -> None:
    spun = "Dia cuma pergi pergi.\n\nSumber: Kompas.com"
    gold = [
        SpinEdit(4, 8, "cuma", "hanya"),
        SpinEdit(14, 20, " pergi", "", "repeat"),
        SpinEdit(21, len(spun), spun[21:], "", "footer"),
    ]
    original = "Dia hanya pergi."
    perfect = RestoreCounts()
    perfect.add(spun, gold, original, original)
    d = perfect.to_dict()
    assert (d["exact_restore"], d["repeat_removal"], d["footer_removal"], d["damage"]) == (1.0, 1.0, 1.0, 0.0)
    assert d["wer_restored"] == 0.0 and d["wer_reduction"] == 1.0
    # A restorer that only swaps the first word: nothing restored, one untouched word damaged.
    bad = RestoreCounts()
    bad.add(spun, gold, original, "Ia " + spun[4:])  # "Dia" -> "Ia"
    d = bad.to_dict()
    assert (d["exact_restore"], d["repeat_removal"], d["footer_removal"]) == (0.0, 0.0, 0.0)
    assert d["damage"] == 0.5  # "Dia" of {"Dia", "pergi"}


def test_restore_counts_on_spinner_output_roundtrip() -> None:
    lex = SynonymLexicon.from_pairs([("hanya", "cuma"), ("karena itu", "oleh sebab itu"), ("pergi", "berangkat")])
    text = "Dia hanya pergi ke pasar karena itu hanya dia pergi juga."
    s = spin(text, lexicon=lex, rate=0.6, seed=2, repeat=0.3, outlet="Tempo.co")
    rc = RestoreCounts()
    rc.add(s.text, s.edits, text, text)
    assert rc.n_synonym > 0 and rc.n_restored == rc.n_synonym and rc.n_damaged == 0
    identity = RestoreCounts()
    identity.add(s.text, s.edits, text, s.text)
    assert identity.n_restored == 0 and identity.to_dict()["wer_reduction"] == 0.0


def test_span_counts_and_wer() -> None:
    sc = SpanCounts()
    sc.add("Dia cuma pergi.", gold=[(4, 8)], pred=[(4, 8), (9, 14)])
    assert (sc.tp, sc.fp, sc.fn) == (1, 1, 0)
    assert wer("dia cuma pergi", "dia hanya pergi") == pytest.approx(1 / 3)


def test_most_frequent_baseline_skips_names() -> None:
    lex = SynonymLexicon.from_pairs([("hasan", "baik"), ("hanya", "cuma")])
    r = MostFrequentRestorer(lex, {"baik": 10, "hasan": 1, "hanya": 10, "cuma": 1})
    assert r.restore("Cuma Hasan cuma.")[0] == "Hanya Hasan hanya."


def test_perplexity_threshold_is_the_90th_percentile() -> None:
    det = PerplexityDetector(lm=None)
    assert det.calibrate([float(x) for x in range(1, 11)]) == 9.0


def test_config_fingerprint_and_checks(tmp_path: Path) -> None:
    a = BenchConfig(suite="quick", out_dir=tmp_path)
    assert a.fingerprint() == BenchConfig(suite="quick").fingerprint()  # out_dir does not count
    assert a.fingerprint() != BenchConfig(suite="quick", seed=1).fingerprint()
    with pytest.raises(ConfigError, match="train"):
        BenchConfig(splits=("train",))


def test_readme_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# x\n<!-- results:start -->\nold\n<!-- results:end -->\ntail\n", encoding="utf-8")
    assert update_readme(readme, "new\n")
    assert readme.read_text(encoding="utf-8") == "# x\n<!-- results:start -->\nnew\n<!-- results:end -->\ntail\n"
    (tmp_path / "other.md").write_text("no markers", encoding="utf-8")
    assert not update_readme(tmp_path / "other.md", "new\n")


needs_model_and_data = pytest.mark.skipif(
    not (DEFAULT_PATH / "manifest.json").is_file() or not (default_data_dir() / "corpus").is_dir(),
    reason="needs the packaged model and the shared corpora (../shared/data or $DESPIN_DATA)",
)


@needs_model_and_data
def test_quick_suite_runs_and_writes_results(tmp_path: Path) -> None:
    out = tmp_path / "results"
    proc = subprocess.run(
        # Our module only: trace, scale and serve have their own tests, and together the suite
        # takes minutes (`make bench-quick` runs all of it).
        [
            sys.executable,
            "-m",
            "benchmarks",
            "run",
            "--suite",
            "quick",
            "--out",
            str(out),
            "--no-cache",
            "--only",
            "detect_restore",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=290,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    path = Path(proc.stdout.strip().splitlines()[-1])
    assert path.parent == out and path.name.endswith("-quick.json")
    results = json.loads(path.read_text(encoding="utf-8"))
    assert results["config"]["suite"] == "quick" and results["fingerprint"]
    assert {"python", "despin"} <= set(results["versions"])
    dr = results["benchmarks"]["detect_restore"]
    assert "error" not in dr, dr.get("traceback")
    for split in ("dev", "test"):
        q = dr["quality"][split]
        assert {"despin", "ppl"} <= set(q["detection"])
        assert {"despin", "most_frequent"} <= set(q["restoration"])
        for system in ("despin", "most_frequent"):
            for table in ("shared", "disjoint"):
                n = q["restoration"][system][table]["0.15"]
                assert 0.0 <= n["exact_restore"] <= 1.0 and 0.0 <= n["damage"] <= 1.0
        for reg, n in q["detection"]["despin"]["by_register"].items():
            assert n["n_neg"] > 0, reg
            assert n["auroc"] is None or 0.0 <= n["auroc"] <= 1.0
    assert dr["speed"]["despin"]["restore"]["docs_per_s"] > 0
    md = path.with_suffix(".md").read_text(encoding="utf-8")
    assert "| despin | shared | 0.15 |" in md
    assert (
        sorted(p.name.removeprefix(path.stem) for p in out.glob("*.png"))
        == [
            "-damage-vs-rate.png",
            "-detect-vs-rate.png",
            "-restore-vs-rate.png",
            "-roc.png",
            "-throughput.png",
        ]
        or (out / f"{path.stem}-trace-recall.png").is_file()
    )
    section = readme_section(results, source=path.name)
    assert "Restoration at a 15% spin rate" in section


@needs_model_and_data
def test_quality_numbers_are_reproducible(tmp_path: Path) -> None:
    from benchmarks.runner import quality_view, run_suite

    # Generated sets are written to the cache on the first run and read back on the second.
    cfg = BenchConfig(suite="quick", sample_size=2, rates=(0.15,), out_dir=tmp_path / "a")
    first = run_suite(cfg, only=["detect_restore"], cache_dir=tmp_path / "cache", plots=False)
    cfg_b = BenchConfig(suite="quick", sample_size=2, rates=(0.15,), out_dir=tmp_path / "b")
    again = run_suite(cfg_b, only=["detect_restore"], cache_dir=tmp_path / "cache", plots=False)
    assert len(list((tmp_path / "cache").glob("sets-*.json.gz"))) == 1
    views = [quality_view(json.loads(p.read_text(encoding="utf-8"))) for p in (first, again)]
    assert views[0]["quality"]["dev"]["restoration"]["despin"]["shared"]["0.15"]["n_synonym"] > 0
    assert views[0] == views[1]
