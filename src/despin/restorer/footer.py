"""Source footers: the trailing attribution a content farm appends ("Sumber ...: OUTLET", "Support by : outlet.com").

A footer is the last non-blank line(s) of a page when they credit a source or a writer: a cue and an outlet
("Sumber Referensi Berita: Kompas", "Artikel ini telah tayang di Tribunnews.com"), a bare outlet domain, a
byline ("Editor: ..."), or a bracketed reporter credit, on its own line or closing the last sentence
("... kata dia. (abc/def)"). A clean page may credit its source too: that is a footer as well; the restorer
decides whether to remove it.

Which lines are footers is not a list of patterns: a logistic model scores each candidate (the last line, the
lines above it while they are footers too, and a bracketed credit closing the last line) from features of its
wording and shape: its words and the words before a ``:`` or ``-`` separator (with their character
trigrams, so a misspelt cue still counts), whether it names an outlet (a domain, or a name of the outlet
vocabulary learned with the model), its length, capitals, brackets and punctuation, and where it sits. The
weights are learned from data by :mod:`despin.training.footer` (``python -m despin.training.footer``) and
shipped as ``footer_model.json`` beside this module, read once, on first use.

Example:
    >>> find_footer("Isi berita.\\n\\nSumber Referensi Berita: Kompas").outlet
    'Kompas'
    >>> find_footer("Isi.\\n\\nArtikel ini telah tayang di Tribunnews.com").outlet
    'Tribunnews.com'
    >>> find_footer("Sumber air bersih di desa itu: sumur.\\nWarga senang.") is None
    True
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

from despin.errors import ConfigError
from despin.types import Footer

__all__ = [
    "MODEL_FORMAT",
    "CandidateKind",
    "FooterModel",
    "OutletVocabulary",
    "candidate_features",
    "find_footer",
    "footer_candidates",
    "outlet_key",
    "outlet_of",
]

MODEL_FORMAT = "despin-footer-model"
MODEL_RESOURCE = "footer_model.json"
# Lines longer than this are prose, never a footer, whatever the model says (keeps the cost bounded too).
MAX_LINE_CHARS = 300
# A bracketed credit that closes the last sentence: "... kata dia. (abc/def)".
MAX_INLINE_CHARS = 48

_WORD = re.compile(r"[^\W\d_]+")
_DIGIT = re.compile(r"\d")
_ALNUM = re.compile(r"[^\W_]+")
_SEP = re.compile(r"\s*(?::|\|| [-\u2013\u2014] |[\u2013\u2014]|>>)\s*")
_DOMAIN = re.compile(
    r"(?i)(?<![\w.@-])(?:https?://)?(?:www\.)?"
    r"((?:[a-z0-9][a-z0-9-]*\.)+(?:co\.id|or\.id|ac\.id|go\.id|web\.id|my\.id|sch\.id|com|id|net|org|co|info|tv"
    r"|news|xyz|site|biz|me|io|cc|uk|us))(?![\w-])"
)
_INLINE = re.compile(rf"(?<=[.!?\"\u201d\u2019'])\s*(\([^()\n]{{1,{MAX_INLINE_CHARS - 2}}}\))\s*$")
_QUOTES = "\"'\u201c\u201d\u2018\u2019"
_LEN_BINS = (1, 2, 3, 5, 8, 12, 20, 35)
_PART_BINS = (0, 1, 2, 4, 8)


class CandidateKind(StrEnum):
    """Where a candidate sits: the last non-blank line, one of the two above it, or a credit closing the last line."""

    LAST = "last"
    ABOVE1 = "above1"
    ABOVE2 = "above2"
    INLINE = "inline"


_ABOVE = (CandidateKind.LAST, CandidateKind.ABOVE1, CandidateKind.ABOVE2)


def _bin(n: int, edges: Sequence[int]) -> str:
    for edge in edges:
        if n <= edge:
            return f"<={edge}"
    return f">{edges[-1]}"


def _trigrams(token: str) -> list[str]:
    padded = f"^{token}$"
    return [padded[i : i + 3] for i in range(len(padded) - 2)]


def outlet_key(text: str) -> str:
    """``text``'s lower-case letters and digits, word by word, joined by single spaces: how outlet names are kept.

    Example:
        >>> outlet_key("KOMPAS.com")
        'kompas com'
    """
    return " ".join(_ALNUM.findall(text.lower()))


def candidate_features(text: str, kind: CandidateKind, outlets: OutletVocabulary | Iterable[str] = ()) -> list[str]:
    """The features of one candidate line (or inline credit) that the footer model weighs.

    ``outlets`` are normalised outlet names (lower-case words joined by spaces: ``"cnn indonesia"``,
    ``"kompas com"``), best given as an :class:`OutletVocabulary` built once.

    Example:
        >>> feats = candidate_features("Sumber: Kompas.com", CandidateKind.LAST, {"kompas com"})
        >>> [f for f in feats if f in ("h=sumber", "sep=colon", "domain", "outlet", "len=<=3")]
        ['len=<=3', 'sep=colon', 'h=sumber', 'domain', 'outlet']
    """
    t = text.strip()
    low = t.lower()
    cased = _WORD.findall(t)
    toks = [w.lower() for w in cased]
    feats = [f"k={kind.value}", f"len={_bin(len(toks), _LEN_BINS)}"]
    feats += [f"w={tok}" for tok in dict.fromkeys(toks)]
    if toks:
        feats += [f"f={toks[0]}", f"l={toks[-1]}"]
    sep = _SEP.search(t, 0, 41)
    if sep is not None and 0 < sep.start() <= 40:
        head, tail = t[: sep.start()], t[sep.end() :]
        head_toks, tail_toks = _WORD.findall(head.lower()), _ALNUM.findall(tail.lower())
        mark = sep.group().strip()
        feats += [
            "sep=colon" if mark == ":" else "sep=dash",
            f"head={_bin(len(head_toks), _PART_BINS)}",
            f"tail={_bin(len(tail_toks), _PART_BINS)}",
        ]
    else:
        head_toks = toks[:3]
        feats.append("sep=none" if sep is None else "sep=lead")
    for tok in head_toks[:5]:
        feats.append(f"h={tok}")
        feats += [f"c={g}" for g in _trigrams(tok)]
    # "... dari Serambinews": the lower-case word before a closing run of names or a domain (an outlet).
    words = t.rstrip(_OUTLET_STRIP).split()
    k = len(words)
    while k > 0 and (words[k - 1][:1].isupper() or words[k - 1][:1].isdigit() or "." in words[k - 1]):
        k -= 1
    if 0 < k < len(words) and words[k - 1].isalpha() and words[k - 1].islower():
        feats += [f"pre={words[k - 1]}", f"run={min(len(words) - k, 3)}"]
    if t[:1] in "([" and t[-1:] in ")]":
        feats.append("bracketed")
    feats.append(f"start={_char_class(t[:1])}")
    feats.append(f"end={_char_class(t[-1:])}")
    if _DOMAIN.search(t):
        feats.append("domain")
    if "http" in low or "www." in low:
        feats.append("url")
    if "@" in t:
        feats.append("at")
    if "\u00a9" in t:
        feats.append("copyright")
    if _DIGIT.search(t):
        feats.append("digits")
    if "/" in t:
        feats.append("slash")
    feats.append(f"commas={min(t.count(',') + t.count(';'), 2)}")
    if any(q in t[1:-1] for q in _QUOTES):
        feats.append("quote")
    vocab = outlets if isinstance(outlets, OutletVocabulary) else OutletVocabulary(outlets)
    if vocab.found_in(_ALNUM.findall(low)):
        feats.append("outlet")
    letters = "".join(cased)
    if len(letters) >= 3 and letters.isupper():
        feats.append("caps=all")
    elif toks:
        capped = sum(1 for w in cased if w[0].isupper()) / len(toks)
        feats.append("caps=none" if capped == 0 else "caps=some" if capped < 0.5 else "caps=most")
    return feats


class OutletVocabulary:
    """Normalised outlet names (``"cnn indonesia"``, ``"kompas com"``), looked up as runs of a line's words.

    Example:
        >>> OutletVocabulary(["cnn indonesia", "kompas com"]).found_in("dikutip dari cnn indonesia".split())
        True
    """

    __slots__ = ("firsts", "max_words", "names")

    def __init__(self, names: Iterable[str]) -> None:
        self.names = frozenset(n for n in names if n)
        self.firsts = frozenset(n.split()[0] for n in self.names)
        self.max_words = max((len(n.split()) for n in self.names), default=0)

    def found_in(self, tokens: Sequence[str]) -> bool:
        for i, tok in enumerate(tokens):
            if tok in self.firsts:
                for n in range(1, self.max_words + 1):
                    if " ".join(tokens[i : i + n]) in self.names:
                        return True
        return False


def _char_class(c: str) -> str:
    if not c:
        return "none"
    if c in ".!?":
        return "stop"
    if c in ",;":
        return "comma"
    if c in ":":
        return "colon"
    if c in _QUOTES:
        return "quote"
    if c in "()[]*_-\u2013\u2014\u2022":
        return c
    if c.isdigit():
        return "digit"
    if c.isalpha():
        return "upper" if c.isupper() else "lower"
    return "other"


@dataclass(frozen=True, slots=True)
class _Candidate:
    kind: CandidateKind
    start: int  # offsets of the candidate's own text in the input
    end: int

    def text(self, source: str) -> str:
        return source[self.start : self.end]


def footer_candidates(text: str) -> tuple[list[_Candidate], _Candidate | None]:
    """The last non-blank lines of ``text`` (last first, at most three) and the bracketed credit closing the last.

    Lines over :data:`MAX_LINE_CHARS` end the list: nothing above a paragraph of prose is a footer.
    """
    stripped = text.rstrip()
    lines: list[_Candidate] = []
    end = len(stripped)
    while end > 0 and len(lines) < len(_ABOVE):
        nl = stripped.rfind("\n", 0, end)
        seg = stripped[nl + 1 : end]
        if seg.strip():
            s = nl + 1 + (len(seg) - len(seg.lstrip()))
            e = nl + 1 + len(seg.rstrip())
            if e - s > MAX_LINE_CHARS:
                lines.append(_Candidate(_ABOVE[len(lines)], s, e))
                break
            lines.append(_Candidate(_ABOVE[len(lines)], s, e))
        if nl < 0:
            break
        end = nl
    inline = None
    if lines:
        last = lines[0]
        m = _INLINE.search(stripped, last.start, last.end)
        if m is not None and m.start(1) > last.start:
            inline = _Candidate(CandidateKind.INLINE, m.start(1), m.end(1))
    return lines, inline


@dataclass(frozen=True, slots=True)
class FooterModel:
    """A logistic model over :func:`candidate_features`; ``outlets`` is the outlet vocabulary it was fitted with.

    Args:
        weights: feature -> weight; features absent from it weigh nothing.
        bias: the intercept.
        threshold: a candidate with probability at or above it is a footer.
        outlets: normalised outlet names (``"cnn indonesia"``, ``"kompas com"``).
        meta: what the model was fitted on (counts, sources); informational.

    Raises:
        ConfigError: the threshold is outside (0, 1) or a weight is not finite.
    """

    weights: Mapping[str, float]
    bias: float
    threshold: float = 0.5
    outlets: tuple[str, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)
    _vocabulary: OutletVocabulary = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_vocabulary", OutletVocabulary(self.outlets))
        if not 0.0 < self.threshold < 1.0:
            raise ConfigError(f"footer model threshold must be in (0, 1), got {self.threshold}")
        if not all(math.isfinite(w) for w in (self.bias, *self.weights.values())):
            raise ConfigError("footer model has a weight that is not finite")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FooterModel:
        """The model of a ``footer_model.json`` object (see :meth:`to_dict`)."""
        if data.get("format") != MODEL_FORMAT:
            raise ConfigError(f"not a footer model (format {data.get('format')!r}, expected {MODEL_FORMAT!r})")
        return cls(
            weights={str(k): float(v) for k, v in data["weights"].items()},
            bias=float(data["bias"]),
            threshold=float(data["threshold"]),
            outlets=tuple(str(o) for o in data.get("outlets", ())),
            meta=dict(data.get("meta", {})),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "version": 1,
            "threshold": self.threshold,
            "bias": self.bias,
            "outlets": list(self.outlets),
            "meta": dict(self.meta),
            "weights": dict(sorted(self.weights.items())),
        }

    def probability(self, text: str, kind: CandidateKind) -> float:
        """The probability that ``text``, sitting where ``kind`` says, is (part of) a footer."""
        z = self.bias + sum(self.weights.get(f, 0.0) for f in candidate_features(text, kind, self._vocabulary))
        return 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0

    def is_footer(self, text: str, kind: CandidateKind) -> bool:
        return self.probability(text, kind) >= self.threshold

    def find(self, text: str) -> Footer | None:
        """The footer at the end of ``text``, if any (see :func:`find_footer`)."""
        lines, inline = footer_candidates(text)
        top = None
        for cand in lines:
            line = cand.text(text)
            if cand.end - cand.start > MAX_LINE_CHARS or not _has_letter(line) or not self.is_footer(line, cand.kind):
                break
            top = cand
        if top is not None:
            block = text[top.start : lines[0].end]
        elif inline is not None and _has_letter(inline.text(text)) and self.is_footer(inline.text(text), inline.kind):
            top, block = inline, inline.text(text)
        else:
            return None
        start = len(text[: top.start].rstrip())
        if start == 0:
            return None  # nothing above it: a page that is only a credit line has no article to credit
        end = len(text.rstrip())
        return Footer(start=start, end=end, text=text[start:end], outlet=outlet_of(block, self.outlets))


def _has_letter(text: str) -> bool:
    """A footer names someone: a candidate without a letter (``)``, ``***``, ``12``) is never one."""
    return any(c.isalpha() for c in text)


_OUTLET_STRIP = " \t.,;:!?*_-\u2013\u2014()[]\"'\u201c\u201d\u2018\u2019<>"


def outlet_of(block: str, outlets: Iterable[str] = ()) -> str:
    """The outlet a footer block names: a domain, else a known outlet, else what follows its separator, else
    what a bracketed credit holds, else the closing run of capitalised words.

    Example:
        >>> outlet_of("Sumber : https://www.contoh-berita.com/?p=12")
        'contoh-berita.com'
        >>> outlet_of("Dikutip dari CNN Indonesia", ["cnn indonesia"])
        'CNN Indonesia'
        >>> outlet_of("Sumber Referensi Berita: Kompas")
        'Kompas'
        >>> outlet_of("(abc/def)")
        'abc/def'
    """
    m = _DOMAIN.search(block)
    if m is not None:
        return m.group(1)
    norm = f" {outlet_key(block)} "
    for name in sorted(outlets, key=len, reverse=True):
        if f" {name} " in norm:
            found = re.search(r"(?i)(?<!\w)" + r"[\W_]+".join(map(re.escape, name.split())) + r"(?!\w)", block)
            if found is not None:
                return found.group()
    lines = [ln.strip() for ln in block.splitlines() if ln.strip()]
    for line in reversed(lines):
        sep = _SEP.search(line)
        if sep is not None and 0 < sep.start() <= 40:
            tail = line[sep.end() :].strip(_OUTLET_STRIP)
            if tail:
                return tail
    last = lines[-1] if lines else block.strip()
    if last[:1] in "([" and last[-1:] in ")]" and last[1:-1].strip():
        return last[1:-1].strip(_OUTLET_STRIP) or last[1:-1].strip()  # a bracketed credit names who it credits
    words = last.split()
    run: list[str] = []
    for w in reversed(words):
        if not (w[:1].isupper() or "." in w.strip(".")):
            break
        run.insert(0, w)
    if run and len(run) < len(words):
        return " ".join(run).strip(_OUTLET_STRIP)
    return last.strip(_OUTLET_STRIP) or last


@cache
def default_model() -> FooterModel:
    """The model shipped with the package (``despin/restorer/footer_model.json``), read once."""
    try:
        raw = resources.files("despin.restorer").joinpath(MODEL_RESOURCE).read_text(encoding="utf-8")
    except FileNotFoundError as exc:  # pragma: no cover - a broken install
        raise ConfigError(
            f"the footer model {MODEL_RESOURCE} is missing from despin.restorer; "
            "rebuild it with `python -m despin.training.footer`"
        ) from exc
    return FooterModel.from_dict(json.loads(raw))


def find_footer(text: str, *, model: FooterModel | None = None) -> Footer | None:
    """The source footer at the end of ``text``, if any.

    The footer owns the whitespace before it, so ``text[:footer.start]`` is the article as it was, and
    ``footer.outlet`` is the outlet (or writer) it names.

    Example:
        >>> f = find_footer("Harga cabai naik lagi.\\n\\nSupport by : warta-pasar.com\\n")
        >>> (f.outlet, f.text)
        ('warta-pasar.com', '\\n\\nSupport by : warta-pasar.com')
        >>> find_footer("Harga cabai naik lagi.") is None
        True
    """
    return (model or default_model()).find(text)
