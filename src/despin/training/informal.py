"""Clean pages written the way people write on the web: the negatives a spinner's traits must be told from.

The clean calib pages are edited prose (news, encyclopaedia, manuals). Human pages on blogs and small
sites, which a curator must keep, have what a naive detector takes for spinning: typos, chat slang,
a reduplication written with a space, a heading in title case, a word capitalised for emphasis. A
share of the clean training pages gets a few of these (:func:`informalize`), so that the models learn
that one typo or one slang word is weak evidence, and that a spinner's trace is many odd choices of
common words.

Example:
    >>> import random
    >>> out = informalize("Kami tidak pergi ke pasar karena hujan turun sangat deras sekali.", random.Random(1))
    >>> out != "Kami tidak pergi ke pasar karena hujan turun sangat deras sekali."
    True
"""

from __future__ import annotations

import random

from despin.restorer.slang import SLANG
from despin.spinner.zoo import misspell
from despin.text.tokenize import tokenize

# Standard word -> the colloquial forms people write for it (the slang table, read backwards).
_COLLOQUIAL: dict[str, list[str]] = {}
for _form, _standards in SLANG.items():
    for _std in _standards:
        if " " not in _std:
            _COLLOQUIAL.setdefault(_std, []).append(_form)

TYPO_RATE = (0.0, 0.02)  # share of words misspelt, drawn per page
SLANG_RATE = (0.0, 0.3)  # share of the slang table's standard words written colloquially
HEADING_SHARE = 0.4
EMPHASIS = (0, 2)  # words capitalised for emphasis, drawn per page
REDUPLICATIONS = (0, 1)  # reduplications written with a space, drawn per page


def informalize(text: str, rng: random.Random) -> str:
    """``text`` with a few traits of informal human writing, drawn with ``rng``."""
    toks = tokenize(text)
    typo_rate = rng.uniform(*TYPO_RATE)
    slang_rate = rng.uniform(*SLANG_RATE)
    words = [i for i, t in enumerate(toks) if t.kind == "word"]
    emphasis = set(rng.sample(words, min(len(words), rng.randint(*EMPHASIS))))
    redup = set(rng.sample(words, min(len(words), rng.randint(*REDUPLICATIONS))))
    out: list[str] = []
    pos = 0
    for i, tok in enumerate(toks):
        out.append(text[pos : tok.start])
        pos = tok.end
        word = tok.text
        if tok.kind == "word":
            low = word.lower()
            if low in _COLLOQUIAL and rng.random() < slang_rate:
                form = rng.choice(_COLLOQUIAL[low])
                word = form.capitalize() if word[:1].isupper() else form
            elif len(word) > 4 and rng.random() < typo_rate:
                typo = misspell(low, seed=rng.randrange(1 << 30))
                word = typo.capitalize() if word[:1].isupper() else typo
            if i in emphasis and word.islower() and len(word) > 4:
                word = word.capitalize()
            if i in redup:
                word = f"{word} {word.lower()}"
        out.append(word)
    out.append(text[pos:])
    body = "".join(out)
    if words and rng.random() < HEADING_SHARE:
        first = [toks[i].text for i in words[: rng.randint(3, 7)]]
        body = " ".join(w[:1].upper() + w[1:] for w in first) + "\n" + body
    return body
