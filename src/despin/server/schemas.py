"""Request bodies (validated) and response shapes (documentation only).

Responses are the ``to_dict()`` of :mod:`despin.types`, serialised as they are; the response models
here only describe that schema in ``/openapi.json``. A test checks that real responses validate
against them, so the documentation cannot drift from ``to_dict()``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_EXAMPLE = "Presiden menyebutkan bahwa pemerintah bakal membangun jalan raya baru di Jawa Tengah."


class TextRequest(BaseModel):
    """A document to analyse. Unknown fields are refused, so nothing else (no path) reaches the server."""

    model_config = ConfigDict(extra="forbid", strict=True)
    text: str = Field(description="the document, UTF-8 text (at most the server's max_bytes)", examples=[_EXAMPLE])


class DetectRequest(TextRequest):
    """Body of ``POST /v1/detect``."""


class RestoreRequest(TextRequest):
    """Body of ``POST /v1/restore``. A spinner table is the server's (``despin serve --table``), not the request's."""

    remove_footer: bool = Field(True, description="drop a spinner's source footer such as 'Sumber: OUTLET'")
    force: bool = Field(
        False,
        description="change the words even when the text is not judged spun (`despin restore --force`); "
        "`is_spun` still reports the verdict",
    )


class TraceRequest(TextRequest):
    """Body of ``POST /v1/trace``."""

    top: int = Field(5, ge=1, le=100, description="how many source matches to return at most")
    with_text: bool = Field(False, description="include each match's `source_text` (the page does)")


class SpanOut(BaseModel):
    start: int
    end: int
    text: str
    score: float


class DetectionOut(BaseModel):
    """``Detection.to_dict()``."""

    model_config = ConfigDict(extra="forbid")
    spun_score: float = Field(ge=0, le=1)
    is_spun: bool
    spans: list[SpanOut]
    threshold: float | None = Field(default=None, ge=0, le=1, description="is_spun is spun_score >= threshold")


class EditOut(BaseModel):
    start: int
    end: int
    observed: str
    restored: str
    confidence: float = Field(
        ge=0, le=1, description="synonym edits: calibrated probability that `restored` is the original"
    )
    kind: str


class FooterOut(BaseModel):
    start: int
    end: int
    text: str
    outlet: str


class RestorationOut(BaseModel):
    """``Restoration.to_dict()``."""

    model_config = ConfigDict(extra="forbid")
    spun_score: float = Field(ge=0, le=1)
    is_spun: bool
    text: str
    edits: list[EditOut]
    footer: FooterOut | None
    changed: bool = Field(description="whether text differs from the input")
    threshold: float | None = Field(default=None, ge=0, le=1, description="is_spun is spun_score >= threshold")


class SubstitutionOut(BaseModel):
    spun_start: int
    spun_end: int
    source_start: int
    source_end: int
    spun: str
    source: str


class SourceMatchOut(BaseModel):
    source_id: str
    score: float
    coverage: float
    substitutions: list[SubstitutionOut]
    source_text: str | None = None


class TraceOut(BaseModel):
    """``TraceResult.to_dict()``."""

    model_config = ConfigDict(extra="forbid")
    matches: list[SourceMatchOut]


class ErrorOut(BaseModel):
    """Every error response. ``error`` is a stable code, ``message`` says what to do."""

    model_config = ConfigDict(extra="forbid")
    error: str = Field(examples=["InputError"])
    message: str = Field(examples=["input: text is empty"])


class ModelInfo(BaseModel):
    """The loaded model's version and manifest (never its path on the server)."""

    version: str
    manifest: dict[str, Any]


class HealthOut(BaseModel):
    """``GET /v1/health``: 200 when the model is loaded, 503 otherwise."""

    status: str = Field(examples=["ok"], description="'ok', or 'unavailable' when the model did not load")
    despin_version: str
    model: ModelInfo | None
    model_error: str | None = None
    index: dict[str, Any] | None = Field(None, description="the index header and size, when one is configured")
    index_error: str | None = None
    table: dict[str, Any] | None = Field(
        None, description="the spinner table every request uses (`despin serve --table`): entries and fingerprint"
    )
    limits: dict[str, Any]
