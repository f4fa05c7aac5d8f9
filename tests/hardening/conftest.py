"""Bad inputs written to real files, and helpers to run the real CLI and build real indexes and bundles.

Every file here is made by these fixtures (nothing is read from ../shared), so the hardening tests run
anywhere the default model bundle exists. See docs/hardening.md for the table these tests fill.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from despin.model.bundle import DEFAULT_PATH, REQUIRED_FILES
from despin.tracer import Index

REPO = Path(__file__).resolve().parents[2]
DESPIN = [sys.executable, "-c", "import sys; from despin.cli import cli; sys.exit(cli(prog_name='despin'))"]
MODEL_AVAILABLE = (DEFAULT_PATH / "manifest.json").is_file()
needs_model = pytest.mark.skipif(not MODEL_AVAILABLE, reason="the default model bundle is not built")

# ------------------------------------------------------------------------------------------ texts

from tests.texts import SOURCES, SPUN_KUPANG  # noqa: E402,F401  (shared with the server tests)

# Texts every interface must *process* (not refuse), in bounded time.
PROCESSED: dict[str, str] = {
    "html": (
        "<!DOCTYPE html><html><head><title>Berita</title><script>var s = '<p>' + \"</script>\";</script>"
        '<style>p{color:red}</style></head><body><p class="lead">Presiden &amp; wakil presiden '
        '<b>meresmikan</b> jembatan anyar di Kupang.</p><!-- komentar --><br/><a href="/x?a=1&b=2">'
        "selengkapnya</a> &lt;tag&gt; &#x1F600; [b]bold[/b] {{template}} <![CDATA[ x ]]></body></html>"
    ),
    "mixed_scripts": (
        "Presiden 習近平 bertemu Путин dan نتنياهو di Jakarta 😀👍🏽👨‍👩‍👧 — ﷽ naïve e\u0301 \u200b\u200d"
        "\u202eterbalik\u202c \U0001f1ee\U0001f1e9 ǅ İstanbul ﬁ Ⅻ ① 𝔸𝕓𝕔 가 \ufeff tamat."
    ),
    # Three NUL characters in ~500 bytes: under the CLI's 1%-NUL "binary" rule, so processed everywhere.
    "nul_chars": SOURCES["kupang-bridge"].replace(" dua ", " dua\x00", 1).replace(" Senin", "\x00Senin\x00", 1),
    "long_word": "a" * 1_000_000,
    "long_hyphen_word": "-".join(["kata"] * 100_000),
    "english": (
        "The president inaugurated a new bridge in Kupang on Monday. The bridge connects two districts that "
        "until now could only be reached by boat. According to the governor, construction cost about two "
        "hundred billion rupiah and finished ahead of schedule."
    ),
}


def long_line(size: int = 5_000_000, *, words: int = 5_000) -> str:
    """One ``size``-byte line with no sentence break: ``words`` news words padded apart with spaces and tabs.

    The restorer's cost is per word (dense text is measured by fuzz/bench_limits.py); the padding
    makes the line 5 MB while keeping a test fast, and 5,000 words are 42 decoding windows.
    """
    vocab = [w.strip(".,") for w in " ".join(SOURCES.values()).split()]
    rng = random.Random(7)
    pad = (size - sum(len(w) for w in vocab) * words // len(vocab)) // words
    parts = [rng.choice(vocab) + (" \t" * (pad // 2 + 1))[: max(1, pad)] for _ in range(words)]
    text = "".join(parts)[: size - 2]
    return text + " " * (size - 1 - len(text)) + "x"


def doc_20mb() -> str:
    para = SOURCES["rice-price"] + "\n"
    return (para * (20_000_000 // len(para) + 1))[:20_000_000]


# ------------------------------------------------------------------------------------------ CLI


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def run_cli(*args: str | Path, stdin: bytes | None = None, timeout: float = 120.0) -> Result:
    """Run the real ``despin`` in a subprocess; a traceback on stderr is never acceptable."""
    proc = subprocess.run(
        [*DESPIN, *map(str, args)], input=stdin, capture_output=True, timeout=timeout, cwd=REPO, check=False
    )
    out = Result(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"))
    assert "Traceback (most recent call last)" not in out.stderr, out.stderr[-3000:]
    return out


def clear_error(res: Result, *fragments: str) -> str:
    """Assert exit 1 with a one-line ``Error: ...`` message holding every fragment; return the message."""
    assert res.returncode == 1, (res.returncode, res.stdout[-500:], res.stderr[-2000:])
    errors = [line for line in res.stderr.splitlines() if line.startswith("Error: ")]
    assert errors, res.stderr
    for frag in fragments:
        assert frag in res.stderr, (frag, res.stderr)
    return errors[-1]


# ------------------------------------------------------------------------------------------ files


@pytest.fixture(scope="session")
def bad_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Plain-text bad inputs on disk, by name."""
    d = tmp_path_factory.mktemp("bad")
    files: dict[str, bytes] = {
        "empty.txt": b"",
        "blank.txt": " \n\t\r\n\u3000\u00a0\n".encode(),
        "binary.bin": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8 + b"\x00" * 512,
        "invalid_utf8.txt": b"Harga beras naik, kata pedagang di caf" + b"\xe9 Pasar Baru \xff\xfe.",
        "doc_20mb.txt": doc_20mb().encode(),
        "over_20mib.txt": b"a " * (10 * 1024 * 1024 + 1),
        "line_5mb.txt": long_line().encode(),
        "nul_heavy.txt": b"kata\x00" * 200,
    }
    for name, text in PROCESSED.items():
        files[f"{name}.txt"] = text.encode()
    for name, data in files.items():
        (d / name).write_bytes(data)
    return {name: d / name for name in files}


def jsonl(records: list[Any]) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)


@pytest.fixture(scope="session")
def shard_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of shards: one of every bad record and file kind, and one good shard.

    ``expected_rejects.json`` beside it lists, per shard id, the reject reasons a reader must give.
    """
    d = tmp_path_factory.mktemp("shards") / "in"
    d.mkdir()
    good = [{"id": k, "text": v} for k, v in SOURCES.items()]
    (d / "good.jsonl").write_bytes(jsonl(good))
    texts = [{"id": f"t-{k}", "text": v} for k, v in PROCESSED.items()]
    texts += [
        {"id": "t-empty", "text": ""},
        {"id": "t-blank", "text": " \n\t\u3000 "},
        {"id": "t-json-nul", "text": "Harga beras\u0000 naik."},
        {"id": "t-20mb", "text": doc_20mb()},
        {"id": "t-line-5mb", "text": long_line()},
    ]
    (d / "texts.jsonl").write_bytes(jsonl(texts))
    (d / "binary.jsonl").write_bytes(
        b'{"id": "b-ok", "text": "Harga beras naik."}\n'
        + bytes(range(1, 256)).replace(b"\n", b"")
        + b"\n"
        + b'{"id": "b-latin1", "text": "caf\xe9 di pasar"}\n'
        + b"\x00\x00\x00\x00\n"
    )
    (d / "malformed.jsonl").write_bytes(
        b'{"id": "m-ok", "text": "Harga beras naik."}\n'
        b'{"id": "m-1", "text": "tanpa penutup\n'
        b"[1, 2, 3]\n"
        b"null\n"
        b"\n"
        b"{'id': 'single quotes'}\n"
        b'{"id": "m-trunc", "text": "baris terakhir terpotong'  # truncated: no closing quote, brace or newline
    )
    (d / "fields.jsonl").write_bytes(
        jsonl(
            [
                {"id": "f-missing"},
                {"id": "f-null", "text": None},
                {"id": "f-int", "text": 12},
                {"id": "f-list", "text": ["a", "b"]},
                {"id": "f-obj", "text": {"x": "y"}},
                {"id": "f-ok", "text": "Harga beras naik."},
            ]
        )
    )
    rng = random.Random(11)
    words = " ".join(SOURCES.values()).split()
    varied = [{"id": f"g-{i}", "text": " ".join(rng.sample(words, 40))} for i in range(200)]
    full = gzip.compress(jsonl(varied), mtime=0)
    (d / "truncated.jsonl.gz").write_bytes(full[: len(full) // 2])
    corrupt = bytearray(full)
    for i in range(len(corrupt) // 2, len(corrupt) // 2 + 64):
        corrupt[i] ^= 0xA5
    (d / "corrupt.jsonl.gz").write_bytes(bytes(corrupt))
    (d / "notgzip.jsonl.gz").write_bytes(jsonl(good))
    # One row without the text field among good ones (a shard of nothing but such rows is an error of
    # --text-field, not bad records: tests/e2e/test_cli_hints.py).
    wrong = [{"id": "w-1", "body": SOURCES["rice-price"], "text": None}, {"id": "w-2", "body": None, "text": "Ok."}]
    pq.write_table(pa.Table.from_pylist(wrong), d / "wrong_schema.parquet")
    pq.write_table(pa.Table.from_pylist([{"id": "n-1", "text": 5}, {"id": "n-2", "text": 7}]), d / "nonstring.parquet")
    pq.write_table(
        pa.Table.from_pylist([{"id": "z-1", "text": None}, {"id": "z-2", "text": SOURCES["rice-price"]}]),
        d / "nulltext.parquet",
    )
    (d / "garbage.parquet").write_bytes(b"PAR1" + random.Random(3).randbytes(3000))
    expected = {
        "good": [],
        "texts": ["blank_text", "blank_text", "text_too_long"],
        "binary": ["invalid_utf8", "invalid_utf8", "malformed_json"],
        "malformed": ["blank_line", "malformed_json", "malformed_json", "malformed_json", "not_object", "not_object"],
        "fields": ["missing_text", "missing_text", "text_not_string", "text_not_string", "text_not_string"],
        "truncated": ["truncated_gzip"],
        "corrupt": ["corrupt_gzip"],
        "notgzip": ["corrupt_gzip"],
        "wrong_schema": ["missing_text"],
        "nonstring": ["text_not_string", "text_not_string"],
        "nulltext": ["missing_text"],
        "garbage": ["unreadable_parquet"],
    }
    (d.parent / "expected_rejects.json").write_text(json.dumps(expected))
    return d


# The shards of shard_dir with bad records (every reader must reject each with its reason).
BAD_SHARDS = (
    "texts",
    "binary",
    "malformed",
    "fields",
    "truncated",
    "notgzip",
    "wrong_schema",
    "nonstring",
    "nulltext",
    "garbage",
)


def expected_rejects(shard_dir: Path) -> dict[str, list[str]]:
    return dict(json.loads((shard_dir.parent / "expected_rejects.json").read_text()))


# ------------------------------------------------------------------------------------------ index


def build_index(path: Path, records: dict[str, str] | None = None) -> Path:
    with Index.create(path) as ix:
        ix.add(sorted((records or SOURCES).items()))
    return path


@pytest.fixture(scope="session")
def index_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A good index, and copies truncated, zeroed, of another format, and with a damaged stored text."""
    d = tmp_path_factory.mktemp("index")
    good = build_index(d / "good.db")
    data = good.read_bytes()
    (d / "truncated.db").write_bytes(data[: len(data) // 2])
    (d / "empty.db").write_bytes(b"")
    (d / "not_sqlite.db").write_bytes(b"PK\x03\x04" + data[4:])
    blob = zlib.compress(SOURCES["kupang-bridge"].encode(), 1)  # how the store keeps a text (store.py)
    at = data.find(blob)
    assert at > 0, "the stored text blob was not found in the index file"
    damaged = bytearray(data)
    damaged[at + len(blob) // 2] ^= 0x10
    (d / "damaged_text.db").write_bytes(bytes(damaged))
    return {p.stem: p for p in d.glob("*.db")}


# ------------------------------------------------------------------------------------------ model


# The broken model directories of model_variants, with what the error must say.
BROKEN_MODELS = [
    ("missing-lm.binary", "incomplete: lm.binary is missing"),
    ("missing-manifest.json", "manifest.json is missing"),
    ("corrupt-detector.json", "detector.json is corrupted (sha256 does not match the manifest)"),
    ("corrupt-lexicon.json.gz", "lexicon.json.gz is corrupted"),
    ("bad-manifest", "is not valid JSON"),
]


@pytest.fixture(scope="session")
def model_variants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Bundles beside the default one: each required file missing, a corrupted file, a broken manifest.

    Big files are symlinked to the real bundle; the one to damage is a real copy.
    """
    if not MODEL_AVAILABLE:
        pytest.skip("the default model bundle is not built")
    root = tmp_path_factory.mktemp("models")
    out: dict[str, Path] = {}

    def variant(name: str) -> Path:
        d = root / name
        d.mkdir()
        for f in DEFAULT_PATH.iterdir():
            if f.is_file():
                os.symlink(f, d / f.name)
        out[name] = d
        return d

    for f in REQUIRED_FILES:
        (variant(f"missing-{f}") / f).unlink()
    (variant("missing-manifest.json") / "manifest.json").unlink()
    d = variant("corrupt-detector.json")
    (d / "detector.json").unlink()
    data = bytearray((DEFAULT_PATH / "detector.json").read_bytes())
    data[len(data) // 2] ^= 0x01
    (d / "detector.json").write_bytes(bytes(data))
    d = variant("corrupt-lexicon.json.gz")
    (d / "lexicon.json.gz").unlink()
    shutil.copyfile(DEFAULT_PATH / "lexicon.json.gz", d / "lexicon.json.gz")
    with open(d / "lexicon.json.gz", "r+b") as fh:  # truncate: a half-copied file
        fh.truncate((DEFAULT_PATH / "lexicon.json.gz").stat().st_size // 2)
    d = variant("bad-manifest")
    (d / "manifest.json").unlink()
    (d / "manifest.json").write_text('{"format_version": 2, "files": {')
    return out
