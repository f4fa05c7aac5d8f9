"""Telling a wrong ``--text-field`` from bad records: the one check every batch command shares.

A shard whose records all lack the text field is almost never a shard of bad records: the text is
under another name (``content``, ``body``). Rejecting every record one by one, and exiting 0, hides
that. :class:`FieldCensus` counts, per shard, the records that are JSON objects, those that have the
text field, and the fields they do have; :meth:`FieldCensus.check` raises
:class:`MissingTextFieldError` (a :class:`~despin.errors.InputError`, so exit 1 on the CLI) naming
those fields and the one most likely to hold the text.

The readers (:mod:`despin.pipeline.readers`) run it on every shard they read, so ``despin scan``,
``index add``, ``learn`` and anything else built on them (``despin dedup``) get it; a reader of
another kind can use the census directly:

    >>> census = FieldCensus("text")
    >>> for record in [{"id": 1, "content": "Harga naik."}, {"id": 2, "content": "Banjir."}]:
    ...     census.add(record)
    >>> census.check("a.jsonl")
    Traceback (most recent call last):
    ...
    despin.pipeline.fields.MissingTextFieldError: a.jsonl: none of its 2 records has the text field 'text'; \
their fields are content (2), id (2). The text looks to be in 'content': pass --text-field content \
(text_field='content' in Python).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from despin.errors import InputError

MAX_FIELDS = 1000  # distinct field names remembered per shard (a record of random keys cannot grow this)
SHOWN_FIELDS = 12  # field names listed in the message


class MissingTextFieldError(InputError):
    """No record of a shard has the text field: the text is under another name (``--text-field``)."""

    def __init__(
        self,
        message: str,
        *,
        shard: str = "",
        text_field: str = "",
        fields: dict[str, int] | None = None,
        suggestion: str | None = None,
    ) -> None:
        super().__init__(message)
        self.shard, self.text_field, self.suggestion = shard, text_field, suggestion
        self.fields = dict(fields or {})

    def __reduce__(self) -> tuple[Any, ...]:  # crosses process boundaries (local pool, Ray) intact
        state = {"shard": self.shard, "text_field": self.text_field, "fields": self.fields}
        return (_rebuild, (str(self), {**state, "suggestion": self.suggestion}))


def _rebuild(message: str, state: dict[str, Any]) -> MissingTextFieldError:
    return MissingTextFieldError(message, **state)


class FieldCensus:
    """Counts one shard's object records, those with a usable text field, and the fields they have.

    Args:
        text_field: the field the command reads the text from.
    """

    def __init__(self, text_field: str) -> None:
        self.text_field = text_field
        self.n_records = 0  # records that are JSON objects (rows, for Parquet)
        self.n_with_text = 0  # ... whose text field is present and not null
        self.fields: Counter[str] = Counter()
        self._chars: Counter[str] = Counter()  # total characters of each field's string values

    def add(self, record: Any) -> None:
        """Count one parsed record (anything that is not a JSON object is not counted)."""
        if not isinstance(record, dict):
            return
        self.n_records += 1
        if record.get(self.text_field) is not None:
            self.n_with_text += 1
            return
        for key, value in record.items():
            name = str(key)
            if name in self.fields or len(self.fields) < MAX_FIELDS:
                self.fields[name] += 1
                if isinstance(value, str):
                    self._chars[name] += len(value)

    @property
    def all_missing(self) -> bool:
        """Whether the shard has records and none of them has the text field."""
        return self.n_records > 0 and self.n_with_text == 0

    def suggestion(self) -> str | None:
        """The field most likely to hold the text: the one with the most characters of string values."""
        best = max(self._chars.items(), key=lambda kv: (kv[1], kv[0]), default=None)
        return best[0] if best is not None and best[1] > 0 else None

    def check(self, where: str) -> None:
        """Raise :class:`MissingTextFieldError` if no record of the shard at ``where`` has the text field."""
        if not self.all_missing:
            return
        n = self.n_records
        ranked = sorted(self.fields.items(), key=lambda kv: (-kv[1], kv[0]))  # most common first, then by name
        shown = ", ".join(f"{k} ({v:,})" for k, v in ranked[:SHOWN_FIELDS])
        more = len(self.fields) - SHOWN_FIELDS
        have = f"their fields are {shown}" + (f" and {more:,} more" if more > 0 else "") if shown else "they are empty"
        best = self.suggestion()
        hint = (
            f"The text looks to be in {best!r}: pass --text-field {best} (text_field={best!r} in Python)."
            if best is not None
            else "Pass --text-field NAME (text_field= in Python) to name the field holding the text."
        )
        raise MissingTextFieldError(
            f"{where}: none of its {n:,} record{'' if n == 1 else 's'} has the text field {self.text_field!r}; "
            f"{have}. {hint}",
            shard=where,
            text_field=self.text_field,
            fields=dict(self.fields),
            suggestion=best,
        )
