"""Spinner footers: the "Sumber ...: OUTLET" line a content farm appends to credit (or fake) a source."""

from __future__ import annotations

import re

from despin.types import Footer

# Matched only on the last non-blank line, and only when short: a long last paragraph that
# happens to start with "Sumber" is prose, not a footer.
_FOOTER_RE = re.compile(
    r"(?im)^[ \t]*[\[(*_]*(?:(?:sumber|source|referensi|artikel asli|via)[^:\n]{0,40}[:\-\u2013\u2014]"
    r"|(?:artikel ini )?(?:telah )?(?:tayang|terbit|dimuat) di|dikutip dari|disadur dari|diadaptasi dari)"
    r"[ \t]*(?P<outlet>[^\n]{1,80}?)[\])*_ \t.]*$"
)


def find_footer(text: str) -> Footer | None:
    """The spinner footer at the end of ``text``, if any.

    Example:
        >>> find_footer("Isi berita.\\n\\nSumber Referensi Berita: Kompas").outlet
        'Kompas'
        >>> find_footer("Isi.\\n\\nArtikel ini telah tayang di Tribunnews.com").outlet
        'Tribunnews.com'
        >>> find_footer("Sumber air bersih di desa itu: sumur.\\nWarga senang.") is None
        True
    """
    stripped = text.rstrip()
    last_nl = stripped.rfind("\n")
    line_start = last_nl + 1
    line = stripped[line_start:]
    if len(line) > 120:
        return None
    m = _FOOTER_RE.match(line)
    if not m:
        return None
    # The footer owns the whitespace before it, so removing it leaves the article as it was.
    start = len(stripped[:line_start].rstrip())
    return Footer(start=start, end=len(stripped), text=text[start : len(stripped)], outlet=m.group("outlet").strip())
