"""Footer detection: the learned footer model against the old hand-written regex, on real pages, simulated spins
and clean documents of every register.

Run: ``python -m benchmarks footer [--suite quick|full] [--seed N] [--sample-size N]``; writes
``footer-<git sha>[-quick].json`` and ``.md`` under ``benchmarks/results/``.

What is measured, for both detectors in the same run (``old``: the regex on the last line that
``despin.restorer.footer`` used before the model; ``new``: :func:`despin.restorer.footer.find_footer`):

* **real pages** (``benchmarks/real/pages.jsonl`` dev and test, and ``../shared/data/real`` as ``shared``):
  each page is labelled by hand below (:data:`TEST_FOOTERS`, :data:`SHARED_FOOTERS`, and
  :data:`despin.training.footer.DEV_FOOTERS` for dev) with how many trailing lines are a footer (a source
  line, a byline or a reporter's bracketed credit), or ``"inline"`` for a credit closing the last sentence;
  every other page ends in prose. A detection is *correct* when it starts where the labelled footer starts,
  *partial* when it starts elsewhere, a *miss* when nothing is found; on a page that ends in prose any
  detection is a *false footer*. A look-alike's legitimate credit is a footer, so detecting it is correct.
  The dev pages' footers are among the model's training lines (dev is for tuning): read the test and shared
  columns for unseen pages.
* **simulated spins**: clean dev/test documents spun by :class:`despin.spinner.Spinner` with a footer
  (the simulator's own templates, which the model saw), and the same documents with footers of
  :data:`HELD_OUT_TEMPLATES` and :data:`HELD_OUT_OUTLETS`, wording written for this benchmark only and
  absent from the training generators. *found*: the detected footer covers the appended one; *exact*: it is
  exactly the appended one (a document that already ended in a credit gets a two-part footer: found, not exact).
* **clean documents** of every register (calib, dev, test; every document): the last line is labelled by
  its shape with :func:`despin.training.footer.corpus_label` (a bracketed credit line, or one closing the last
  sentence, is a ``credit``; a short ``head: tail`` line or a domain is ``ambiguous``; the rest ``prose``), and
  the documents of :data:`AUDITED_FOOTERS`, read by hand, are ``credit`` too.
  *false footers* = detections on ``prose`` documents; *credits found* = detections on ``credit`` documents;
  ``ambiguous`` detections are counted apart. calib is the model's training split; dev and test are unseen.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from benchmarks.config import BenchConfig
from benchmarks.real import load_pages
from benchmarks.registry import md_table
from despin.restorer.footer import default_model, find_footer, footer_candidates
from despin.spinner import Spinner
from despin.spinner.zoo import natural_table
from despin.training.corpora import iter_docs
from despin.training.footer import DEV_FOOTERS, CorpusLabel, corpus_label
from despin.types import Footer

Finder = Callable[[str], Footer | None]

# Hand labels of the real pages outside dev (see the module docstring): id -> trailing footer lines or "inline".
TEST_FOOTERS: dict[str, int | str] = {
    "spun:userpage-tipsberwiraswasta-teamwork-1243830": 1,  # "read it in full at: <url>"
    "clean:pikiran-rakyat-diguyur-hujan-deras-blitar-dilanda-banjir": 1,  # editor line
    "clean:harianindo-saksi-mata-melihat-setnov-dibopong-keluar-mobil": 1,  # bracketed writer and site
    "clean:wanheartnews-pesan-andika-perkasa-ke-dudung-redam": 1,  # source line naming an outlet
    "clean:ubaya-yuk-mengenal-air-putih": 1,  # byline
    "clean:infonews871-walau-sudah-dilarang-mandi-di-laut-pantai-suwuk": 1,  # newsroom credit
    # clean:bhinnekanusantara-...: its source line sits above a line of tags, so the page does not end in a footer.
}
SHARED_FOOTERS: dict[str, int | str] = {
    "spun:ruthcasarello-kelakar-prabowo-yang-menyesal-tidak-jadi-lakukan-kudeta": 1,  # "support by" an outlet
    "spun:jagatbisnis-jokowi-harap-akses-untuk-vaksinasi-dipermudah": "inline",  # initials after the last sentence
    "spun:fun-eastern-ma-ruf-amin-saya-tak-perlu-dipoles-poles-apa-adanya-saja": "inline",  # initials, one swapped
    "clean:bacaanmutu-jebret-amien-rais-siapkan-bukti-jokowi": 1,  # source line
    "clean:jokowidiary-taktik-jokowi-layani-wawancara": 2,  # a source cue, then the outlet on the next line
}

# Footer wording written for this benchmark only (absent from despin.training.footer's generators).
HELD_OUT_TEMPLATES = (
    "\n\nKredit berita: {outlet}",
    "\n\nDinukil dari {outlet}",
    "\n\nDisalin dari {outlet}",
    "\n\nBersumber dari {outlet}",
    "\n\nDipetik dari {outlet}",
    "\n\nAsal berita - {outlet}",
    "\n\nOriginal source: {outlet}",
    "\n\nDiambil dari laman {outlet}",
    "\n\nInformasi lengkap ada di {outlet}",
    "\n\nBerita ini bersumber dari {outlet}",
    "\n\nCopas dari {outlet}",
    "\n\nTulisan ini disarikan dari {outlet}",
    "\n\nSUMBR : {outlet}",
    "\n\nKutipan dari: {outlet}",
)
HELD_OUT_OUTLETS = (
    "solopos.com",
    "Harian Jogja",
    "bangkapos.com",
    "jatimnow.com",
    "Radar Bogor",
    "tagar.id",
    "akurat.co",
    "Sripoku.com",
    "Kabar24",
    "Serambinews",
    "Banjarmasin Post",
    "ayobandung.com",
)

# The detector before the model: one regex on the last line (kept here as the baseline).
_OLD_RE = re.compile(
    r"(?im)^[ \t]*[\[(*_]*(?:(?:sumber|source|referensi|artikel asli|via)[^:\n]{0,40}[:\-\u2013\u2014]"
    r"|(?:artikel ini )?(?:telah )?(?:tayang|terbit|dimuat) di|dikutip dari|disadur dari|diadaptasi dari)"
    r"[ \t]*(?P<outlet>[^\n]{1,80}?)[\])*_ \t.]*$"
)


def old_find_footer(text: str) -> Footer | None:
    """The footer the old regex found (the last line only, at most 120 characters)."""
    stripped = text.rstrip()
    line_start = stripped.rfind("\n") + 1
    line = stripped[line_start:]
    if len(line) > 120:
        return None
    m = _OLD_RE.match(line)
    if not m:
        return None
    start = len(stripped[:line_start].rstrip())
    return Footer(start=start, end=len(stripped), text=text[start : len(stripped)], outlet=m.group("outlet").strip())


FINDERS: dict[str, Finder] = {"old": old_find_footer, "new": find_footer}

# Clean documents whose last line the shape rule calls prose but a reader calls a footer: a credit with digits or
# a star, or a source / read-more line whose link the scraper dropped. Read by hand among every detection of either
# detector on calib/dev/test (a detection on a prose document that is not listed here counts as false).
AUDITED_FOOTERS = frozenset(
    {
        "indosum-1511290800-peter-butler-tertarik-latih-persib-bandung",  # (initials - number)
        "indosum-1512853462-inggris-tak-berniat-pindahkan-kedutaan-ke-yerusale",  # (initials. code)
        "indosum-1512552383-dilirik-madrid-inter-tegaskan-peran-icardi",  # (*/initials)
        "clickid-000579",  # read the full story in: <dropped link>
        "clickid-000590",  # read it here: <dropped link>
        "clickid-000638",  # follow the series only at <outlet>
        "clickid-001019",  # this article appeared on <outlet>
        "clickid-001166",  # (code-number) credit
        "clickid-002450",  # read more at <dropped link>
        "clickid-003023",
        "clickid-003030",
        "clickid-009184",
        "clickid-023977",  # this article appeared on <outlet> with the title ..., <url>
        "clickid-024034",  # this article appeared on <dropped link> with the title <dropped>
        "clickid-024092",
        "clickid-024117",
        "clickid-024128",
    }
)


# --- real pages ---


@dataclass(frozen=True, slots=True)
class _Page:
    id: str
    label: str
    split: str
    text: str


def _real_pages(data_dir: Path) -> list[_Page]:
    pages = [_Page(p.id, p.label.value, p.split.value, p.text) for p in load_pages()]
    for name in ("spun_pages", "clean_lookalikes"):
        path = data_dir / "real" / f"{name}.jsonl"
        if path.is_file():
            with path.open(encoding="utf-8") as fh:
                for raw in fh:
                    row = json.loads(raw)
                    pages.append(_Page(row["id"], row["id"].split(":", 1)[0], "shared", row["text"]))
    return pages


def _expected_start(text: str, label: int | str) -> int | None:
    """Where the labelled footer starts (owning the whitespace before it), or None for a page ending in prose."""
    lines, inline = footer_candidates(text)
    if label == "inline":
        return None if inline is None else len(text[: inline.start].rstrip())
    n = int(label)
    if n == 0:
        return None
    return len(text[: lines[n - 1].start].rstrip())


def _outcome(found: Footer | None, expected: int | None) -> str:
    if expected is None:
        return "false" if found is not None else "none"
    if found is None:
        return "miss"
    return "correct" if found.start == expected else "partial"


def real_pages(data_dir: Path) -> dict[str, Any]:
    labels = {**DEV_FOOTERS, **TEST_FOOTERS, **SHARED_FOOTERS}
    rows = []
    table: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for page in _real_pages(data_dir):
        expected = _expected_start(page.text, labels.get(page.id, 0))
        group = f"{page.label}:{'footer' if expected is not None else 'prose'}"
        row: dict[str, Any] = {"id": page.id, "split": page.split, "label": page.label, "expected": expected}
        for name, finder in FINDERS.items():
            found = finder(page.text)
            outcome = _outcome(found, expected)
            table[page.split][f"{group}:{name}"][outcome] += 1
            row[name] = {"outcome": outcome, "text": found.text.strip() if found else None}
        rows.append(row)
    return {"counts": {s: {k: dict(v) for k, v in g.items()} for s, g in sorted(table.items())}, "pages": rows}


# --- simulated spins ---


def _sample(data_dir: Path, split: str, n: int, seed: int) -> list[str]:
    """The first ``n`` documents of each register (in file order) of ``split``, at least 40 characters long."""
    per: dict[str, list[str]] = defaultdict(list)
    for doc in iter_docs(data_dir, splits=(split,)):
        if len(per[doc.register]) < n and len(doc.text) >= 40:
            per[doc.register].append(doc.text)
    return [t for reg in sorted(per) for t in per[reg]]


def _score_appended(texts: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """``texts`` = (spun text, appended footer); found / exact counts for both detectors."""
    out: dict[str, Any] = {name: Counter() for name in FINDERS}
    n = 0
    for text, footer in texts:
        n += 1
        gold_start = len(text.rstrip()) - len(footer.strip())
        for name, finder in FINDERS.items():
            found = finder(text)
            if found is None:
                continue
            covered = found.start <= gold_start and text[found.start : found.end].strip().endswith(footer.strip())
            out[name]["found"] += covered
            out[name]["exact"] += covered and text[found.start : found.end].strip() == footer.strip()
    return {"n": n, **{name: {k: c[k] / n if n else None for k in ("found", "exact")} for name, c in out.items()}}


def simulated(data_dir: Path, n_docs: int, seed: int) -> dict[str, Any]:
    table = natural_table()
    result: dict[str, Any] = {}
    for split in ("dev", "test"):
        docs = _sample(data_dir, split, n_docs, seed)
        spun = []
        for i, text in enumerate(docs):
            spin = Spinner(table, rate=0.15, seed=seed + i, footer=True).spin(text)
            gold = [e for e in spin.edits if e.kind == "footer"]
            spun.append((spin.text, gold[0].observed))
        held = []
        for i, text in enumerate(docs):
            template = HELD_OUT_TEMPLATES[(i + seed) % len(HELD_OUT_TEMPLATES)]
            footer = template.format(outlet=HELD_OUT_OUTLETS[(i * 7 + seed) % len(HELD_OUT_OUTLETS)])
            held.append((text.rstrip() + footer, footer))
        result[split] = {"simulator": _score_appended(spun), "held_out": _score_appended(held)}
    return result


# --- clean documents ---


def clean_corpus(data_dir: Path) -> dict[str, Any]:
    counts: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    false_examples: dict[str, list[str]] = defaultdict(list)
    for doc in iter_docs(data_dir, splits=("calib", "dev", "test")):
        lines, _ = footer_candidates(doc.text)
        if not lines:
            continue
        label, _kind = corpus_label(doc.text[lines[0].start : lines[0].end])
        if doc.doc_id in AUDITED_FOOTERS:
            label = CorpusLabel.CREDIT
        c = counts[doc.split][doc.register]
        c[f"n_{label.value}"] += 1
        for name, finder in FINDERS.items():
            found = finder(doc.text)
            if found is None:
                continue
            c[f"{name}_{label.value}"] += 1
            if label is CorpusLabel.PROSE and name == "new" and len(false_examples[doc.split]) < 40:
                false_examples[doc.split].append(found.text.strip()[:160])
    return {
        "counts": {s: {r: dict(c) for r, c in sorted(regs.items())} for s, regs in sorted(counts.items())},
        "false_examples_new": dict(false_examples),
    }


# --- speed ---


def speed(data_dir: Path, n: int = 2000) -> dict[str, float]:
    docs = [d.text for d, _ in zip(iter_docs(data_dir, splits=("dev",)), range(n), strict=False)]
    out = {}
    for name, finder in FINDERS.items():
        t0 = time.perf_counter()
        for text in docs:
            finder(text)
        out[f"{name}_us_per_doc"] = round((time.perf_counter() - t0) / max(len(docs), 1) * 1e6, 1)
    return out


def run(config: BenchConfig) -> dict[str, Any]:
    data_dir = config.resolved_data_dir()
    model = default_model()
    size = len(resources.files("despin.restorer").joinpath("footer_model.json").read_bytes())
    return {
        "benchmark": "footer",
        "suite": config.suite,
        "seed": config.seed,
        "model": {
            "weights": len(model.weights),
            "outlets": len(model.outlets),
            "threshold": model.threshold,
            "json_bytes": size,
            "meta": dict(model.meta),
        },
        "real": real_pages(data_dir),
        "simulated": simulated(data_dir, config.n_docs, config.seed),
        "clean": clean_corpus(data_dir),
        "speed": speed(data_dir),
    }


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _ratio(c: dict[str, int], hit: str) -> str:
    n = sum(c.values())
    return f"{c.get(hit, 0)}/{n}" if n else "–"


def render(result: dict[str, Any]) -> str:
    out = [f"# Footer detection (suite {result['suite']}, seed {result['seed']})", ""]
    m = result["model"]
    out += [
        f"Model: {m['weights']} weights, {m['outlets']} outlets, threshold {m['threshold']}, "
        f"{m['json_bytes'] / 1024:.0f} KiB; fitted on {m['meta'].get('examples')} candidates "
        f"({m['meta'].get('positives')} footers). `old` = the regex on the last line, `new` = the learned model.",
        "",
        "## Real pages",
        "",
        "Footer pages: correct / labelled (a miss or a different start is not correct). Prose pages: false "
        "footers / pages. dev footers were training lines; test and shared are unseen.",
        "",
    ]
    rows = []
    for split, groups in result["real"]["counts"].items():
        for group in ("spun:footer", "clean:footer", "spun:prose", "clean:prose"):
            old, new = groups.get(f"{group}:old", {}), groups.get(f"{group}:new", {})
            if not old and not new:
                continue
            hit = "correct" if group.endswith("footer") else "false"
            rows.append([split, group, _ratio(old, hit), _ratio(new, hit)])
    out += [md_table(["split", "pages", "old", "new"], rows), ""]
    out += ["## Simulated spins", "", "found (exact) share of documents given a footer.", ""]
    rows = []
    for split, sets in result["simulated"].items():
        for name, r in sets.items():
            rows.append(
                [
                    split,
                    name,
                    r["n"],
                    f"{_pct(r['old']['found'])} ({_pct(r['old']['exact'])})",
                    f"{_pct(r['new']['found'])} ({_pct(r['new']['exact'])})",
                ]
            )
    out += [md_table(["split", "footers", "docs", "old", "new"], rows), ""]
    out += [
        "## Clean documents",
        "",
        "False footers: detections on documents whose last line is prose; credits: detections on documents "
        "closing with a credit (a bracketed credit, or a footer found by reading: `AUDITED_FOOTERS`); "
        "ambiguous (short `head: tail` lines) apart. calib is the training split.",
        "",
    ]
    rows = []
    for split, regs in result["clean"]["counts"].items():
        for reg, c in regs.items():
            n_prose, n_credit, n_amb = c.get("n_prose", 0), c.get("n_credit", 0), c.get("n_ambiguous", 0)
            rows.append(
                [
                    split,
                    reg,
                    n_prose,
                    f"{c.get('old_prose', 0)} / {c.get('new_prose', 0)}",
                    f"{c.get('old_credit', 0)} / {c.get('new_credit', 0)} of {n_credit}",
                    f"{c.get('old_ambiguous', 0)} / {c.get('new_ambiguous', 0)} of {n_amb}",
                ]
            )
    out += [md_table(["split", "register", "prose docs", "false old / new", "credits old / new", "ambiguous"], rows)]
    examples = result["clean"].get("false_examples_new", {})
    if any(examples.values()):
        out += ["", "New false footers on clean prose (first few per split):", ""]
        for split, texts in examples.items():
            out += [f"- {split}: " + " · ".join(f"`{t[:70]}`" for t in texts[:8])]
    s = result["speed"]
    out += ["", f"Speed: old {s['old_us_per_doc']} µs, new {s['new_us_per_doc']} µs per document."]
    return "\n".join(out) + "\n"
