"""A seeded simulator of content-farm article spinners, with exact gold labels.

A thesaurus spinner walks the text, looks each word (or the longest phrase) up in its table and
swaps a share of them for a listed synonym, ignoring sense. The output shows the artefacts we
must learn to undo: synonyms of the wrong sense, multi-word swaps in both directions, a capital
letter in mid-sentence, an accidental repeated word ("yang yang") and an appended source footer.

Every random choice comes from a stream derived from ``seed`` (and the document number in
:meth:`Spinner.spin_batch`), so a spin is a pure function of its arguments.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from despin.errors import ConfigError
from despin.lexicon import SynonymLexicon
from despin.text.normalize import lm_key
from despin.text.tokenize import Token, sentences, tokenize
from despin.types import EditKind, Spin, SpinEdit

Mode = Literal["random", "deterministic"]
Choice = Literal["uniform", "weighted"]

# Footers seen on Indonesian content farms that copy news; "{outlet}" is filled in.
FOOTER_TEMPLATES: tuple[str, ...] = (
    "\n\nSumber Referensi Berita: {outlet}",
    "\n\nSumber: {outlet}",
    "\n\nArtikel ini telah tayang di {outlet}",
    "\n\nDikutip dari {outlet}",
    "\n\nReferensi: {outlet}",
)
OUTLETS: tuple[str, ...] = (
    "Kompas.com",
    "Detik.com",
    "Tribunnews.com",
    "CNN Indonesia",
    "Okezone.com",
    "Liputan6.com",
    "Tempo.co",
    "Antaranews.com",
    "Suara.com",
    "Merdeka.com",
    "Kumparan.com",
    "Sindonews.com",
)


@dataclass(frozen=True, slots=True)
class _Site:
    """A chosen substitution site: tokens [i, j) of the input, which spell the table key ``original_key``."""

    i: int
    j: int
    original_key: str


def _stable_unit(*parts: object) -> float:
    """A uniform number in [0, 1) from a stable hash (not Python's salted ``hash``)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _capitalize(phrase: str) -> str:
    return phrase[:1].upper() + phrase[1:]


class Spinner:
    """A thesaurus spinner with a substitution table, a word rate and the usual artefacts.

    Args:
        lexicon: the substitution table, ``original -> replacements`` (the full lexicon, a table
            file read with :func:`despin.api.load_table`, or one half of ``lexicon.split()``).
        rate: share of word tokens to substitute, in [0, 1]. Only tokens the table covers are
            eligible, so a sparse table may fall short of it. A multi-word match counts each of
            its words. The target is stochastically rounded, so short texts average out.
        seed: seeds every random choice, and the word -> replacement map in deterministic mode.
        mode: ``"random"`` draws a replacement at each site; ``"deterministic"`` always writes the
            same replacement for the same word (a seeded hash of the word picks it).
        choice: ``"uniform"`` picks among all listed replacements alike, as a thesaurus spinner
            that ignores sense does (the merged lexicon mixes senses, so wrong senses occur
            naturally); ``"weighted"`` follows the table's weights.
        wrong_sense: probability of a two-hop synonym (a synonym of a synonym that is not itself
            listed for the word), which is what chained lookups produce: more wrong senses.
        capitalize: probability that a mid-sentence replacement is written with a capital letter.
        repeat: probability, per untouched word token, of writing it twice ("yang yang").
        footer: append a source footer such as ``"\\n\\nSumber Referensi Berita: OUTLET"``.
        outlet: the outlet named in the footer; a seeded pick from :data:`OUTLETS` when None.
        multiword: match multi-word table keys (longest match) and not only single words.
        footer_templates: footer patterns with an ``{outlet}`` field.

    Raises:
        ConfigError: an option is out of range.

    Example:
        >>> lex = SynonymLexicon.from_pairs([("besar", "agung"), ("rumah", "kediaman")])
        >>> s = Spinner(lex, rate=1.0, footer=False, capitalize=0.0, repeat=0.0)
        >>> out = s.spin("Rumah itu besar.")
        >>> out.text
        'Kediaman itu agung.'
        >>> [(e.observed, e.original) for e in out.edits]
        [('Kediaman', 'Rumah'), ('agung', 'besar')]
    """

    def __init__(
        self,
        lexicon: SynonymLexicon,
        *,
        rate: float = 0.15,
        seed: int = 0,
        mode: Mode = "random",
        choice: Choice = "uniform",
        wrong_sense: float = 0.0,
        capitalize: float = 0.25,
        repeat: float = 0.02,
        footer: bool = True,
        outlet: str | None = None,
        multiword: bool = True,
        footer_templates: Sequence[str] = FOOTER_TEMPLATES,
    ) -> None:
        for name, p in (
            ("rate", rate),
            ("wrong_sense", wrong_sense),
            ("capitalize", capitalize),
            ("repeat", repeat),
        ):
            if not 0.0 <= p <= 1.0:
                raise ConfigError(f"{name} must be in [0, 1], got {p}")
        if mode not in ("random", "deterministic"):
            raise ConfigError(f"mode must be 'random' or 'deterministic', got {mode!r}")
        if choice not in ("uniform", "weighted"):
            raise ConfigError(f"choice must be 'uniform' or 'weighted', got {choice!r}")
        if footer and not footer_templates:
            raise ConfigError("footer=True needs at least one footer template")
        for template in footer_templates:
            if "{outlet}" not in template:
                raise ConfigError(f"footer template {template!r} has no {{outlet}} field")
        if outlet is not None and not outlet.strip():
            raise ConfigError("outlet must not be blank; pass None for a seeded pick")
        self.lexicon = lexicon
        self.rate, self.seed, self.mode, self.choice = rate, seed, mode, choice
        self.wrong_sense, self.capitalize, self.repeat = wrong_sense, capitalize, repeat
        self.footer, self.outlet, self.multiword = footer, outlet, multiword
        self.footer_templates = tuple(footer_templates)

    @cached_property
    def max_key_len(self) -> int:
        """Longest table key in words: the window of the longest-match lookup."""
        if not self.multiword:
            return 1
        return max((w.count(" ") + 1 for w in self.lexicon.words()), default=1)

    # -- choosing replacements -------------------------------------------------------------

    def _options(self, key: str, *, two_hop: bool) -> list[tuple[str, float]]:
        direct = self.lexicon.weights(key)
        if not two_hop:
            return sorted(direct.items())
        far: dict[str, float] = {}
        for syn in direct:
            for s2, w in self.lexicon.weights(syn).items():
                if s2 != key and s2 not in direct:
                    far[s2] = far.get(s2, 0.0) + w
        return sorted(far.items()) or sorted(direct.items())

    def _pick(self, key: str, u_sense: float, u_pick: float) -> str:
        options = self._options(key, two_hop=u_sense < self.wrong_sense)
        if self.choice == "uniform":
            return options[min(int(u_pick * len(options)), len(options) - 1)][0]
        total = sum(w for _, w in options)
        acc = 0.0
        for phrase, w in options:
            acc += w / total
            if u_pick < acc:
                return phrase
        return options[-1][0]

    # -- spinning ----------------------------------------------------------------------------

    def spin(self, text: str, *, doc: int = 0) -> Spin:
        """Spin one text. ``doc`` varies the random draws between documents of one spinner.

        Returns:
            The spun text and its gold edits: offsets into the spun text, sorted, disjoint.
            Replacing every edit's ``observed`` by its ``original`` gives back ``text`` exactly.
        """
        rngs = {
            name: random.Random(f"{self.seed}/{doc}/{name}")
            for name in ("sites", "sense", "pick", "case", "repeat", "footer")
        }
        tokens = tokenize(text)
        words = [k for k, t in enumerate(tokens) if t.kind == "word"]
        initial = self._sentence_initial(text, tokens)
        sites = self._choose_sites(text, tokens, words, initial, rngs["sites"])

        out: list[str] = []
        edits: list[SpinEdit] = []
        pos = 0  # length of the spun text written so far
        cursor = 0  # next unread char of the input
        by_start = {s.i: s for s in sites}
        k = 0
        while k < len(tokens):
            tok = tokens[k]
            gap = text[cursor : tok.start]
            out.append(gap)
            pos += len(gap)
            site = by_start.get(k)
            if site is not None:
                last = tokens[site.j - 1]
                original = text[tok.start : last.end]
                if self.mode == "deterministic":
                    u_sense = _stable_unit(self.seed, "sense", site.original_key)
                    u_pick = _stable_unit(self.seed, "pick", site.original_key)
                else:
                    u_sense, u_pick = rngs["sense"].random(), rngs["pick"].random()
                phrase = self._pick(site.original_key, u_sense, u_pick)
                observed = self._case_like(phrase, tok, initial=k in initial, rng=rngs["case"])
                out.append(observed)
                edits.append(SpinEdit(pos, pos + len(observed), observed, original, EditKind.SYNONYM))
                pos += len(observed)
                cursor = last.end
                k = site.j
                continue
            out.append(tok.text)
            pos += len(tok.text)
            cursor = tok.end
            if tok.kind == "word" and self.repeat and rngs["repeat"].random() < self.repeat:
                dup = " " + tok.text
                out.append(dup)
                edits.append(SpinEdit(pos, pos + len(dup), dup, "", EditKind.REPEAT))
                pos += len(dup)
            k += 1
        tail = text[cursor:]
        body_tail = tail.rstrip()
        trailing = tail[len(body_tail) :]
        out.append(body_tail)
        pos += len(body_tail)
        if self.footer:
            rng = rngs["footer"]
            template = self.footer_templates[rng.randrange(len(self.footer_templates))]
            outlet = self.outlet or OUTLETS[rng.randrange(len(OUTLETS))]
            footer = template.format(outlet=outlet)
            out.append(footer)
            edits.append(SpinEdit(pos, pos + len(footer), footer, "", EditKind.FOOTER))
        out.append(trailing)
        return Spin("".join(out), tuple(edits))

    def spin_batch(self, texts: Sequence[str]) -> list[Spin]:
        """Spin many texts; text ``i`` is spun with ``doc=i``."""
        return [self.spin(t, doc=i) for i, t in enumerate(texts)]

    @staticmethod
    def _sentence_initial(text: str, tokens: list[Token]) -> set[int]:
        """Indices of the first word token of each sentence."""
        out: set[int] = set()
        for i, j in sentences(text, tokens):
            for k in range(i, j):
                if tokens[k].kind in ("word", "number"):
                    out.add(k)
                    break
        return out

    @staticmethod
    def _eligible(tok: Token, *, initial: bool) -> bool:
        if tok.kind != "word" or any(c.isdigit() for c in tok.text):
            return False
        # A capitalised word in mid-sentence is most likely a name: spinners skip those.
        return initial or not tok.text[:1].isupper()

    def _matches(self, text: str, tokens: list[Token], k: int, initial: set[int]) -> list[tuple[int, str]]:
        """Table keys starting at token ``k``, longest first, as (end token, key)."""
        if not self._eligible(tokens[k], initial=k in initial):
            return []
        found: list[tuple[int, str]] = []
        parts = [lm_key(tokens[k].text)]
        if parts[0] in self.lexicon:
            found.append((k + 1, parts[0]))
        j = k + 1
        while len(parts) < self.max_key_len and j < len(tokens):
            gap = text[tokens[j - 1].end : tokens[j].start]
            if not gap or "\n" in gap or gap.strip() or not self._eligible(tokens[j], initial=False):
                break
            parts.append(lm_key(tokens[j].text))
            key = " ".join(parts)
            if key in self.lexicon:
                found.append((j + 1, key))
            j += 1
        found.reverse()
        return found

    def _choose_sites(
        self, text: str, tokens: list[Token], words: list[int], initial: set[int], rng: random.Random
    ) -> list[_Site]:
        exact = self.rate * len(words)
        target = int(exact) + (1 if rng.random() < exact - int(exact) else 0)
        if target == 0:
            return []
        starts = [(k, m) for k in words if (m := self._matches(text, tokens, k, initial))]
        rng.shuffle(starts)
        taken: set[int] = set()
        sites: list[_Site] = []
        covered = 0
        for k, matches in starts:
            if covered >= target:
                break
            for end, key in matches:  # longest first, but never past the word budget
                span = range(k, end)
                if covered + len(span) <= target and not taken.intersection(span):
                    taken.update(span)
                    sites.append(_Site(k, end, key))
                    covered += len(span)
                    break
        return sorted(sites, key=lambda s: s.i)

    def _case_like(self, phrase: str, tok: Token, *, initial: bool, rng: random.Random) -> str:
        """Write ``phrase`` with the case of the original's first token, plus the capital artefact."""
        draw = rng.random()  # drawn at every site, so one choice never shifts the others
        if initial and len(tok.text) > 1 and tok.text.isupper():
            return phrase.upper()
        if tok.text[:1].isupper():
            return _capitalize(phrase)
        return _capitalize(phrase) if draw < self.capitalize else phrase


def spin(
    text: str,
    *,
    lexicon: SynonymLexicon,
    rate: float = 0.15,
    seed: int = 0,
    mode: Mode = "random",
    capitalize: float = 0.25,
    repeat: float = 0.02,
    footer: bool = True,
    outlet: str | None = None,
    multiword: bool = True,
    choice: Choice = "uniform",
    wrong_sense: float = 0.0,
    doc: int = 0,
) -> Spin:
    """Spin ``text`` with ``lexicon`` as a content farm would; see :class:`Spinner` for the options.

    Example:
        >>> lex = SynonymLexicon.from_pairs([("rumah", "kediaman")])
        >>> spin("rumah kami", lexicon=lex, rate=1.0, outlet="Kompas.com", capitalize=0.0, repeat=0.0).text
        'kediaman kami\\n\\nSumber Referensi Berita: Kompas.com'
    """
    spinner = Spinner(
        lexicon,
        rate=rate,
        seed=seed,
        mode=mode,
        capitalize=capitalize,
        repeat=repeat,
        footer=footer,
        outlet=outlet,
        multiword=multiword,
        choice=choice,
        wrong_sense=wrong_sense,
    )
    return spinner.spin(text, doc=doc)


def spin_batch(texts: Sequence[str], *, lexicon: SynonymLexicon, seed: int = 0, **options: object) -> list[Spin]:
    """Spin many texts with one spinner; text ``i`` uses ``doc=i`` (see :meth:`Spinner.spin_batch`)."""
    return Spinner(lexicon, seed=seed, **options).spin_batch(texts)  # type: ignore[arg-type]


def unspin(spun: Spin) -> str:
    """Apply the gold edits backwards: the text the spinner started from.

    Example:
        >>> lex = SynonymLexicon.from_pairs([("rumah", "kediaman")])
        >>> unspin(spin("Rumah kami.", lexicon=lex, rate=1.0))
        'Rumah kami.'
    """
    out: list[str] = []
    cursor = 0
    for e in spun.edits:
        out.append(spun.text[cursor : e.start])
        out.append(e.original)
        cursor = e.end
    out.append(spun.text[cursor:])
    return "".join(out)
