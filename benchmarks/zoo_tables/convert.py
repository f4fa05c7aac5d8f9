"""Convert real open-source spinners' own Indonesian synonym tables into zoo tables (TSV).

Each source below is a file at a fixed commit of a public repository, read from its snapshot under
``/work/.mirror/<owner>+<name>/repo`` with ``git show <commit>:<path>``: nothing is fetched from the
network and none of the tools' code is kept, only the (original, replacement) pairs of their tables.

The output, one file per table, is ``<name>.tsv`` with lines ``original<TAB>replacement<TAB>weight``
(lower-case, single-spaced phrases, sorted; exactly :meth:`despin.lexicon.SynonymLexicon.to_rows`), and
``sources.json`` with each table's provenance, license, behaviour and counts.

Cleaning, the same for every table: phrases are lower-cased and single-spaced; a replacement equal to
its original, or with characters other than letters, digits, spaces, hyphens and apostrophes (``tidak/belum``,
``jadi, tunggu apa lagi?``) is dropped; so is any pair quoted as a substitution in the project's issues or in
``shared/data/real`` (matched, in either direction, against ``excluded_pairs.sha256``; only hashes are kept).
Every drop is counted in ``sources.json``.

Usage::

    python -m benchmarks.zoo_tables.convert            # (re)write the TSVs and sources.json
    python -m benchmarks.zoo_tables.convert --check    # exit 1 if any committed file differs
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from despin.lexicon import SynonymLexicon

HERE = Path(__file__).resolve().parent
MIRROR = Path("/work/.mirror")
EXCLUDED = HERE / "excluded_pairs.sha256"

Entries = list[tuple[str, list[str]]]

# ------------------------------------------------------------------------------------------------
# Reading source text: balanced blocks and literal entries
# ------------------------------------------------------------------------------------------------

_OPEN = {"(": ")", "[": "]", "{": "}"}


def block(text: str, marker: str, *, start: int = 0) -> str:
    """The text inside the bracket that opens right after ``marker`` (quotes and comments respected)."""
    at = text.find(marker, start)
    if at < 0:
        raise ValueError(f"marker {marker!r} not found")
    i = at + len(marker)
    while text[i] not in _OPEN:
        if not text[i].isspace():
            raise ValueError(f"no bracket after {marker!r}")
        i += 1
    stack = [_OPEN[text[i]]]
    begin = i + 1
    i += 1
    while stack:
        ch = text[i]
        if ch in "'\"`":
            i = _skip_string(text, i)
            continue
        if text.startswith("//", i) or (ch == "#" and text[i - 1] in " \n"):
            i = text.index("\n", i)
            continue
        if ch in _OPEN:
            stack.append(_OPEN[ch])
        elif ch == stack[-1]:
            stack.pop()
        elif ch in ")]}":
            raise ValueError(f"unbalanced {ch!r} at offset {i}")
        i += 1
    return text[begin : i - 1]


def _skip_string(text: str, i: int) -> int:
    quote = text[i]
    i += 1
    while text[i] != quote:
        i += 2 if text[i] == "\\" else 1
    return i + 1


_STRING = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"")


def strings(fragment: str) -> list[str]:
    """The quoted string literals of ``fragment``, in order, unescaped."""
    found = (m.group(1) if m.group(1) is not None else m.group(2) for m in _STRING.finditer(fragment))
    return [re.sub(r"\\(.)", r"\1", s) for s in found]


# 'key' => array( 'a', 'b' )   'key' => ['a', 'b']   'key': ['a', 'b']   "key": ["a"]
_QUOTED = r"'(?:[^'\\]|\\.)*'|" + r'"(?:[^"\\]|\\.)*"'
_ENTRY = re.compile(rf"""(?P<key>{_QUOTED})\s*(?:=>|:)\s*(?:array\s*\(|\[)(?P<body>(?:{_QUOTED}|[^()\[\]'"])*)[\)\]]""")


def entries(fragment: str) -> Entries:
    """``key => [values]`` literals of a PHP array or JS/TS object, in source order.

    A key that appears twice keeps its last list, in its first position, as PHP and JavaScript do.
    """
    out: dict[str, list[str]] = {}
    for m in _ENTRY.finditer(_drop_comments(fragment)):
        out[strings(m.group("key"))[0]] = strings(m.group("body"))
    return list(out.items())


def _drop_comments(fragment: str) -> str:
    return re.sub(r"(?m)^\s*(?://|#).*$", "", fragment)


# [/\bDalam konteks ini\b/gi, ['Berkaitan dengan hal tersebut', ...]],
_REGEX_ENTRY = re.compile(r"\[\s*/(?P<pattern>(?:[^/\\]|\\.)+)/[a-z]*\s*,\s*\[(?P<body>[^\[\]]*)\]\s*\]")


def regex_entries(fragment: str) -> Entries:
    """``[/literal phrase/flags, [values]]`` pairs whose pattern is a plain phrase (``\\b`` and ``,?\\s*`` allowed)."""
    out: Entries = []
    for m in _REGEX_ENTRY.finditer(_drop_comments(fragment)):
        phrase = re.sub(r"\\b|,\?\\s\*|\\s\*$", "", m.group("pattern"))
        if re.search(r"[\\^$.|?*+()\[\]{}]", phrase):
            continue  # a real regular expression, not a phrase
        out.append((phrase, strings(m.group("body"))))
    return out


def groups_all_to_all(groups: Iterable[list[str]]) -> Entries:
    """Each member of a group of interchangeable phrases may be replaced by any other member."""
    return [(a, [b for b in g if b != a]) for g in groups for a in g]


# ------------------------------------------------------------------------------------------------
# The sources
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One table of one tool at one commit, and how the tool uses it."""

    name: str
    tool: str
    repo: str
    commit: str
    paths: tuple[str, ...]
    license: str
    license_evidence: str
    extract: Callable[[dict[str, str]], Entries] = field(repr=False)
    parts: str
    behaviour: dict[str, Any]

    @property
    def url(self) -> str:
        return f"https://github.com/{self.repo}/blob/{self.commit}/{self.paths[0]}"

    @property
    def mirror(self) -> Path:
        return MIRROR / self.repo.replace("/", "+") / "repo"


def _travelseo_spinner(files: dict[str, str]) -> Entries:
    text = files["includes/spinner/class-spinner.php"]
    synonyms = entries(block(text, "$this->synonyms = array"))
    phrases = entries(block(text, "$this->phrases = array"))
    connectors = [strings(body) for _, body in _group_bodies(block(text, "$this->connectors = array"))]
    return synonyms + phrases + groups_all_to_all(connectors)


def _group_bodies(fragment: str) -> list[tuple[str, str]]:
    return [(strings(m.group("key"))[0], m.group("body")) for m in _ENTRY.finditer(_drop_comments(fragment))]


def _travelseo_qa(files: dict[str, str]) -> Entries:
    return entries(block(files["includes/agents/class-qa-agent.php"], "$this->synonyms = array"))


def _aiformatter(files: dict[str, str]) -> Entries:
    text = files["src/utils/humanizer.ts"]
    synonyms = entries(block(text, "const SYNONYM_MAP: Record<string, string[]> ="))
    phrases = block(text, "const AI_PHRASE_REPLACEMENTS: [RegExp, string[]][] =")
    indonesian = phrases.split("// English AI patterns")[0]
    return synonyms + regex_entries(indonesian)


def _aidetector(files: dict[str, str]) -> Entries:
    text = files["script.js"]
    body = block(text, "function replaceWithContextualSynonyms(sentence, lang, tone)")
    indonesian = block(body, "if (lang === 'id')")
    merged: dict[str, list[str]] = {}
    at = 0
    while (at := indonesian.find("synonymMap =", at)) >= 0:
        for key, values in entries(block(indonesian, "synonymMap =", start=at)):
            row = merged.setdefault(key, [])
            row.extend(v for v in values if v not in row)
        at += 1
    return list(merged.items())


def _arcspin(files: dict[str, str]) -> Entries:
    targets = re.findall(r"'target'\s*=>\s*'((?:[^'\\]|\\.)*)'", files["database/seeds/SpintaxInputsTableSeeder.php"])
    outputs = re.findall(
        r"'spintax'\s*=>\s*'((?:[^'\\]|\\.)*)',\s*'target_id'\s*=>\s*'(\d+)'",
        files["database/seeds/SpintaxOutputsTableSeeder.php"],
    )
    by_target: dict[int, list[str]] = {}
    for value, target_id in outputs:  # target_id is the 1-based row of the inputs seeder
        by_target.setdefault(int(target_id), []).append(value)
    return [(target, by_target.get(i, [])) for i, target in enumerate(targets, 1)]


_TRAVELSEO = "alberthwrd/travelseo-autopublisher"
_TRAVELSEO_LICENSE = "travelseo-autopublisher.php plugin header: 'License: GPL v2 or later' (gnu.org/licenses/gpl-2.0)"

SOURCES: tuple[Source, ...] = (
    Source(
        name="travelseo_spinner_v1",
        tool="TravelSEO Autopublisher (WordPress plugin), Professional Indonesian Text Spinner",
        repo=_TRAVELSEO,
        commit="a618d860d2e603bffb1a0c478664449b5295f8b8",
        paths=("includes/spinner/class-spinner.php",),
        license="GPL-2.0-or-later",
        license_evidence=_TRAVELSEO_LICENSE,
        extract=_travelseo_spinner,
        parts="$synonyms (word -> synonyms), $phrases (openers, transitions, closers), $connectors (groups of "
        "interchangeable sentence-initial connectors, all-to-all)",
        behaviour={
            "mode": "deterministic",
            "scope": "all",
            "rate": 0.5,
            "rate_unit": "headword",
            "capitalize": 0.0,
            "preserves_case": True,
            "multiword": True,
            "notes": "For each headword in table order, with probability intensity/100 (default 50), one synonym is "
            "drawn (array_rand) and written for every occurrence on the page (\\b, case-insensitive), keeping "
            "ALL CAPS or a leading capital; a fresh draw on each page. Headwords are applied in sequence, so a "
            "replacement can be replaced again by a later headword. Phrases go the same way; a sentence that "
            "starts with a connector gets another of its group half the time. Words seen more than 3 times get "
            "every other occurrence after the second replaced again. Also: 3 active->passive regexes.",
        },
    ),
    Source(
        name="travelseo_spinner_v5",
        tool="TravelSEO Autopublisher (WordPress plugin), Professional Indonesian Text Spinner V5 ('safe')",
        repo=_TRAVELSEO,
        commit="51522deb3f632631130a98bdd60a35c01ff8c2d2",
        paths=("includes/spinner/class-spinner.php",),
        license="GPL-2.0-or-later",
        license_evidence=_TRAVELSEO_LICENSE,
        extract=_travelseo_spinner,
        parts="$synonyms, $phrases, $connectors (as in v1, after the author removed 'dangerous' synonyms)",
        behaviour={
            "mode": "deterministic",
            "scope": "all",
            "rate": 0.3,
            "rate_unit": "headword",
            "capitalize": 0.0,
            "preserves_case": True,
            "multiword": True,
            "notes": "The same spinner as v1 with a smaller table, default intensity 30, protected words (place "
            "and brand names) left alone and the active->passive step off by default.",
        },
    ),
    Source(
        name="travelseo_qa",
        tool="TravelSEO Autopublisher (WordPress plugin), QA Agent V3 professional_spin",
        repo=_TRAVELSEO,
        commit="51522deb3f632631130a98bdd60a35c01ff8c2d2",
        paths=("includes/agents/class-qa-agent.php",),
        license="GPL-2.0-or-later",
        license_evidence=_TRAVELSEO_LICENSE,
        extract=_travelseo_qa,
        parts="$synonyms of the QA agent (its own table, separate from the spinner's)",
        behaviour={
            "mode": "deterministic",
            "scope": "first",
            "rate": 0.3,
            "rate_unit": "headword",
            "capitalize": 0.0,
            "preserves_case": True,
            "multiword": True,
            "notes": "For each headword, with probability spin_intensity (default 30%), one synonym is drawn and "
            "written for the FIRST occurrence only (preg_replace_callback limit 1); ucfirst when the original "
            "started with a capital.",
        },
    ),
    Source(
        name="aiformatter_humanizer",
        tool="AI Text Formatter 'AI Text Humanizer' (humanizer.ts, lolos Turnitin)",
        repo="Tujuhtigapuluh/Alat-Konversi-Teks-AI-Ekstraksi-Data",
        commit="7bb73df5a71ba553e0b66b885c24191761bc6f87",
        paths=("src/utils/humanizer.ts",),
        license="MIT",
        license_evidence="LICENSE: MIT License, Copyright (c) 2024 AI Text Formatter Contributors",
        extract=_aiformatter,
        parts="SYNONYM_MAP (Indonesian word -> alternatives) and the Indonesian half of AI_PHRASE_REPLACEMENTS "
        "(literal phrases only)",
        behaviour={
            "mode": "random",
            "scope": "all",
            "rate": 0.45,
            "rate_unit": "occurrence",
            "capitalize": 0.0,
            "preserves_case": True,
            "multiword": True,
            "notes": "Every occurrence of a headword is replaced with probability 0.25/0.45/0.65 (light/medium/heavy) "
            "by a fresh uniform draw from its list (PRNG seeded by the text, so the same input gives the same "
            "output); a capitalised original gives a capitalised replacement. Headwords in table order, so "
            "chains are possible. Phrases first, at 0.5/0.75/0.95.",
        },
    ),
    Source(
        name="aidetector_humanizer",
        tool="AI Detector & Humanizer v2.0 (script.js, replaceWithContextualSynonyms)",
        repo="hmdilham/ai-humanizer",
        commit="1608273524451f66f63d0a6668e607e446ebbbcb",
        paths=("script.js",),
        license="MIT",
        license_evidence="LICENSE: MIT License, Copyright (c) 2025 Ilham Kurniawan",
        extract=_aidetector,
        parts="the three Indonesian synonymMap tables (academic, business, casual tone), merged",
        behaviour={
            "mode": "random",
            "scope": "all",
            "rate": 0.4,
            "rate_unit": "occurrence",
            "capitalize": 0.0,
            "preserves_case": True,
            "multiword": True,
            "notes": "The user picks a tone, which picks one of the three maps; every occurrence of a headword is "
            "replaced with probability 0.4 by a fresh uniform draw; preserveCase keeps the original's casing.",
        },
    ),
    Source(
        name="arcspin_spintax",
        tool="ARCSPIN article spinner (Laravel), its seeded spintax collections",
        repo="dinorain/article-spinner",
        commit="f1c9aae4a8451c369ce244b7332e9c7eda46a65f",
        paths=("database/seeds/SpintaxInputsTableSeeder.php", "database/seeds/SpintaxOutputsTableSeeder.php"),
        license="MIT",
        license_evidence="license.txt: MIT License, Copyright (c) 2020 Dustin Jourdan",
        extract=_arcspin,
        parts="spintax targets (one word each) and their spintax collections, as the database seeders ship them",
        behaviour={
            "mode": "random",
            "scope": "all",
            "rate": 1.0,
            "rate_unit": "occurrence",
            "capitalize": 0.0,
            "preserves_case": True,
            "multiword": True,
            "notes": "Every token that is a target becomes a spintax group {target|syn|...} ('spintax 1', the "
            "original kept as one option) or {syn|...} ('spintax 2'), collections in random order; the article is "
            "then spun by resolving each group at random, so each occurrence gets its own draw. A capitalised "
            "token gets ucwords() options. Other words are looked up on persamaankata.com at run time (not part "
            "of this table).",
        },
    ),
)

# ------------------------------------------------------------------------------------------------
# Cleaning and writing
# ------------------------------------------------------------------------------------------------

_ALLOWED = re.compile(r"^[^\W_]+(?:[ '-][^\W_]+)*$")


def clean(phrase: str) -> str:
    """Lower-case, single-spaced, without a trailing comma (connectors are written ``'Namun,'``)."""
    return " ".join(phrase.replace("_", " ").split()).lower().rstrip(",").strip()


def pair_hash(a: str, b: str) -> str:
    lo, hi = sorted((a, b))
    return hashlib.sha256(f"{lo}\t{hi}".encode()).hexdigest()


def load_excluded(path: Path = EXCLUDED) -> frozenset[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@dataclass
class Conversion:
    lexicon: SynonymLexicon
    counts: dict[str, int]


def convert_entries(raw: Entries, excluded: frozenset[str]) -> Conversion:
    counts = {"raw_pairs": 0, "dropped_identity": 0, "dropped_charset": 0, "dropped_excluded": 0, "duplicates": 0}
    seen: set[tuple[str, str]] = set()
    for head, values in raw:
        for value in values:
            counts["raw_pairs"] += 1
            a, b = clean(head), clean(value)
            if not a or not b or a == b:
                counts["dropped_identity"] += 1
            elif not (_ALLOWED.match(a) and _ALLOWED.match(b)):
                counts["dropped_charset"] += 1
            elif pair_hash(a, b) in excluded:
                counts["dropped_excluded"] += 1
            elif (a, b) in seen:
                counts["duplicates"] += 1
            else:
                seen.add((a, b))
    lexicon = SynonymLexicon.from_pairs(sorted(seen))
    counts["n_pairs"] = lexicon.n_pairs
    counts["n_originals"] = len(lexicon)
    return Conversion(lexicon, counts)


def read_source(source: Source) -> dict[str, str]:
    """The source's files at its commit, from the local snapshot. Raises FileNotFoundError if absent."""
    if not (source.mirror / "HEAD").exists():
        raise FileNotFoundError(f"{source.repo}: no snapshot at {source.mirror} (fetch it first)")
    files = {}
    for path in source.paths:
        done = subprocess.run(
            ["git", "-C", str(source.mirror), "show", f"{source.commit}:{path}"],
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            raise FileNotFoundError(f"{source.repo}@{source.commit[:12]}:{path}: {done.stderr.decode().strip()}")
        files[path] = done.stdout.decode("utf-8")
    return files


def render_tsv(lexicon: SynonymLexicon) -> str:
    return "".join(row + "\n" for row in lexicon.to_rows())


def source_record(source: Source, counts: dict[str, int]) -> dict[str, Any]:
    return {
        "name": source.name,
        "tool": source.tool,
        "repo": source.repo,
        "commit": source.commit,
        "paths": list(source.paths),
        "license": source.license,
        "license_evidence": source.license_evidence,
        "url": source.url,
        "table": f"{source.name}.tsv",
        "parts": source.parts,
        "n_pairs": counts["n_pairs"],
        "n_originals": counts["n_originals"],
        "counts": {k: v for k, v in counts.items() if k not in ("n_pairs", "n_originals")},
        "behaviour": source.behaviour,
    }


def convert(source: Source, excluded: frozenset[str] | None = None) -> tuple[str, dict[str, Any]]:
    """The TSV text and the sources.json record of one source (reads its snapshot)."""
    conv = convert_entries(source.extract(read_source(source)), load_excluded() if excluded is None else excluded)
    return render_tsv(conv.lexicon), source_record(source, conv.counts)


def render_sources(records: list[dict[str, Any]]) -> str:
    doc = {
        "about": "Zoo tables converted from real open-source spinners' own Indonesian synonym tables; see "
        "SOURCES.md. Regenerate with: python -m benchmarks.zoo_tables.convert",
        "format": "original<TAB>replacement<TAB>weight, lower-case, sorted (SynonymLexicon.to_rows)",
        "tables": records,
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.zoo_tables.convert", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed files instead of writing")
    parser.add_argument("--out", type=Path, default=HERE, help="output directory (default: this package)")
    args = parser.parse_args(argv)
    excluded = load_excluded()
    outputs: dict[Path, str] = {}
    records = []
    for source in SOURCES:
        tsv, record = convert(source, excluded)
        outputs[args.out / f"{source.name}.tsv"] = tsv
        records.append(record)
    outputs[args.out / "sources.json"] = render_sources(records)
    differ = []
    for path, text in outputs.items():
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                differ.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
    for record in records:
        name, pairs, originals = record["name"], record["n_pairs"], record["n_originals"]
        print(f"{name:24s} {pairs:5d} pairs  {originals:4d} originals  {record['counts']}")
    if differ:
        print(f"differs from the committed files: {', '.join(differ)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
