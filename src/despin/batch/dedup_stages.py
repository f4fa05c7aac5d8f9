"""The stages of ``despin dedup`` before the output is written: sign, buckets, verify, link.

Every stage is a job of resumable tasks (completion markers and stats under its own folder, as
in :mod:`despin.batch.groups`), so a job killed in any stage resumes, and nothing a task writes
depends on the executor or the number of workers. Under ``OUT_DIR/dedup/``:

1. **sign** (one task per input shard): read the shard, and for every good record store its text
   (``sign/<shard-id>/texts.bin``, random access by offset), its id, host and date
   (``meta.jsonl.gz``), and its LSH band keys split by bucket (``b00003.npy``: ``(key, ref)``
   sorted). A page's *ref* is ``shard number << 32 | ordinal``.
2. **buckets** (one task per bucket): pair the pages sharing a band key, from every shard's file
   of the bucket, and write the pairs by the shard of their first page
   (``buckets/<bucket>/<shard number>.npy``).
3. **verify** (one task per input shard): merge the shard's pairs from every bucket, keep the
   best ``max_candidates`` per page, and align each pair both ways; the copies are written to
   ``edges/<shard-id>.jsonl.gz`` with their substitution votes.
4. **link** (one task): decide directions, sources, clusters and sites
   (:func:`despin.duplicates.links.resolve`) and write ``links/<shard-id>.jsonl.gz``,
   ``OUT_DIR/hosts.jsonl``, ``OUT_DIR/tables/<host>.tsv`` and ``links.json`` (whose digest the
   write stage's markers hold).

The texts and band files are the index: built once, read-only afterwards, and read by offset,
so no worker holds the corpus in memory (a verify task holds one shard's pairs and the pages
they name).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt
import orjson

from despin.batch.shards import ShardTasks
from despin.duplicates.buckets import ENTRY_DTYPE, PAIR_DTYPE, bucket_pairs, count_pairs, top_candidates
from despin.duplicates.direction import parse_date, substitution_votes
from despin.duplicates.links import Edge, Page, Resolution, resolve, spun_share_score
from despin.duplicates.options import DedupOptions
from despin.duplicates.signature import EMPTY, Signer
from despin.duplicates.verify import PairCheck, Side, check_pair, vocab_weight
from despin.errors import ConfigError
from despin.files import commit, safe_name, tmp_name, write_atomic
from despin.pipeline.base import Shard
from despin.pipeline.readers import JsonlReader, ParquetReader, ProgressFn
from despin.pipeline.stats import Stats
from despin.pipeline.steps import GroupKey, ModelRef
from despin.pipeline.writers import _LineFile
from despin.tables.table import SpinnerTable
from despin.types import Substitution

REF_SHIFT = 32


def digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:16]


@lru_cache(maxsize=4)
def _signer(manifest: str, n_common: int, bands: int, rows: int, seed: int, model: ModelRef) -> Signer:
    vocab = model.get().vocab
    common = sorted(vocab, key=lambda w: (-vocab[w], w))[:n_common]
    return Signer(common, num_perm=bands * rows, bands=bands, rows=rows, seed=seed)


def signer_for(options: DedupOptions, model: ModelRef) -> Signer:
    """The job's :class:`Signer`: the model's ``n_common`` most frequent words left out (once per process)."""
    manifest = str(options.identity.get("model", {}).get("manifest", ""))
    return _signer(manifest, options.n_common, options.bands, options.rows, options.seed, model)


def _npy_bytes(arr: npt.NDArray[Any]) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


class DedupPaths:
    """Where the stages write, under ``OUT_DIR/dedup``."""

    def __init__(self, out_dir: Path) -> None:
        self.out = out_dir
        self.root = out_dir / "dedup"

    def sign_dir(self, shard_id: str) -> Path:
        return self.root / "sign" / "shards" / shard_id

    def bucket_file(self, shard_id: str, bucket: int) -> Path:
        return self.sign_dir(shard_id) / f"b{bucket:05d}.npy"

    def pairs_file(self, bucket: int, shard_no: int) -> Path:
        return self.root / "buckets" / "pairs" / f"{bucket:05d}" / f"{shard_no:06d}.npy"

    def edges_file(self, shard_id: str) -> Path:
        return self.root / "verify" / "edges" / f"{shard_id}.jsonl.gz"

    def links_file(self, shard_id: str) -> Path:
        return self.root / "link" / "links" / f"{shard_id}.jsonl.gz"

    @property
    def links_json(self) -> Path:
        return self.root / "links.json"


class TextStore:
    """Read-only access to one shard's stored pages by ordinal: texts by offset, and their metadata."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        with np.load(directory / "docs.npz") as z:
            self.lines = z["lines"]
            self.offsets = z["offsets"]
        with gzip.open(directory / "meta.jsonl.gz", "rb") as fh:
            self.meta: list[list[Any]] = [orjson.loads(line) for line in fh]
        self.minima = np.load(directory / "minima.npy", mmap_mode="r")
        self._fh: IO[bytes] | None = None

    def text(self, ordinal: int) -> str:
        if self._fh is None:
            self._fh = open(self.directory / "texts.bin", "rb")  # noqa: SIM115 - closed in close()
        start, end = int(self.offsets[ordinal]), int(self.offsets[ordinal + 1])
        self._fh.seek(start)
        return self._fh.read(end - start).decode("utf-8")

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


class _Stage:
    """What every stage shares: the options, the model, the paths and the signatures of the shards."""

    stage = "stage"

    def __init__(self, shards: Sequence[Shard], out_dir: Path, options: DedupOptions, model: ModelRef) -> None:
        self.shards = list(shards)
        self.options, self.model = options, model
        self.paths = DedupPaths(out_dir)
        self._fingerprint = options.fingerprint()

    @property
    def out_dir(self) -> Path:
        return self.paths.root / self.stage

    def shard_no(self, shard_id: str) -> int:
        return next(i for i, s in enumerate(self.shards) if s.id == shard_id)


class SignJob(_Stage, ShardTasks):
    """Stage 1: one task per input shard stores its pages and their band keys (see the module docstring)."""

    stage = "sign"

    def __init__(self, shards: Sequence[Shard], out_dir: Path, options: DedupOptions, model: ModelRef) -> None:
        _Stage.__init__(self, shards, out_dir, options, model)
        ShardTasks.__init__(self, shards)

    def task_signature(self, task_id: str) -> dict[str, Any]:
        return {**self.shard_signature(task_id, self._fingerprint), "shard_no": self.shard_no(task_id)}

    def index(self, shard_id: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.paths.sign_dir(shard_id) / "index.json").read_bytes())
        return data

    def run_task(self, task_id: str, progress: ProgressFn | None) -> Stats:
        shard, o = self._by_id[task_id], self.options
        shard_no = self.shard_no(task_id)
        folder = self.paths.sign_dir(shard.id)
        if folder.exists():  # a killed run's files
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        reader_cls = ParquetReader if shard.fmt == "parquet" else JsonlReader
        reader = reader_cls(shard, text_field=o.text_field, id_field=o.id_field, max_chars=o.max_chars)
        reader.progress = progress
        signer = signer_for(o, self.model)
        key_of = GroupKey(GroupKey.HOST, url_field=o.url_field)
        texts = folder / "texts.bin"
        tmp = tmp_name(texts)
        lines: list[int] = []
        offsets = [0]
        hosts: dict[str, int] = {}
        no_host = 0
        keys: list[npt.NDArray[np.uint64]] = []
        minima: list[npt.NDArray[np.uint64]] = []
        meta = _LineFile(folder / "meta.jsonl.gz", gz=True)
        try:
            with open(tmp, "wb") as fh:
                for doc in reader.run(None):
                    data = doc.text.encode("utf-8")
                    fh.write(data)
                    offsets.append(offsets[-1] + len(data))
                    lines.append(doc.line)
                    host = key_of.of(doc.record)
                    if host is None:
                        no_host += 1
                    else:
                        hosts[host] = hosts.get(host, 0) + 1
                    day = parse_date(doc.record.get(o.date_field)) if o.date_field else None
                    meta.write(orjson.dumps([doc.line, doc.doc_id, host, day.isoformat() if day else None]))
                    mins = signer.minhash(signer.words(doc.text))
                    minima.append(mins)
                    keys.append(signer.bands_of(mins))
        except BaseException:
            meta.abort()
            tmp.unlink(missing_ok=True)
            raise
        commit(tmp, texts)
        meta.commit()
        n = len(lines)
        write_atomic(
            folder / "docs.npz",
            _npz(lines=np.asarray(lines, dtype=np.int64), offsets=np.asarray(offsets, dtype=np.int64)),
        )
        # The minima (32-bit values) estimate a candidate pair's similarity before it is aligned.
        mins_table = np.stack(minima).astype(np.uint32) if minima else np.zeros((0, o.num_perm), dtype=np.uint32)
        write_atomic(folder / "minima.npy", _npy_bytes(mins_table))
        table = np.stack(keys) if keys else np.zeros((0, o.bands), dtype=np.uint64)
        refs = (np.uint64(shard_no) << np.uint64(REF_SHIFT)) + np.arange(n, dtype=np.uint64)
        flat_keys = table.ravel()
        flat_refs = np.repeat(refs, o.bands)
        live = flat_keys != EMPTY
        flat_keys, flat_refs = flat_keys[live], flat_refs[live]
        bucket = flat_keys % np.uint64(o.bucket_tasks)
        for b in range(o.bucket_tasks):
            sel = bucket == b
            entries = np.zeros(int(sel.sum()), dtype=ENTRY_DTYPE)
            entries["key"], entries["ref"] = flat_keys[sel], flat_refs[sel]
            write_atomic(self.paths.bucket_file(shard.id, b), _npy_bytes(np.sort(entries, order=["key", "ref"])))
        index = {"shard_no": shard_no, "docs": n, "hosts": dict(sorted(hosts.items())), "no_host": no_host}
        write_atomic(folder / "index.json", json.dumps(index, indent=1, ensure_ascii=False).encode() + b"\n")
        return reader.stats


def _npz(**arrays: npt.NDArray[Any]) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # type: ignore[arg-type]
    return buf.getvalue()


class BucketJob(_Stage):
    """Stage 2: one task per bucket pairs the pages that share a band key (:func:`bucket_pairs`)."""

    stage = "buckets"

    def __init__(self, sign: SignJob) -> None:
        super().__init__(sign.shards, sign.paths.out, sign.options, sign.model)
        self._inputs = digest([sign.task_signature(t) for t in sign.task_ids()])

    def task_ids(self) -> list[str]:
        return [f"{b:05d}" for b in range(self.options.bucket_tasks)]

    def task_size(self, task_id: str) -> int:
        return sum(self._size(self.paths.bucket_file(s.id, int(task_id))) for s in self.shards)

    @staticmethod
    def _size(path: Path) -> int:
        try:
            return path.stat().st_size
        except OSError:
            return 0

    def task_signature(self, task_id: str) -> dict[str, Any]:
        return {"bucket": task_id, "options": self._fingerprint, "inputs": self._inputs}

    def run_task(self, task_id: str, progress: ProgressFn | None) -> Stats:
        b = int(task_id)
        stats = Stats()
        folder = self.paths.pairs_file(b, 0).parent
        if folder.exists():
            shutil.rmtree(folder)
        parts = [np.load(self.paths.bucket_file(s.id, b), allow_pickle=False) for s in self.shards]
        entries = np.concatenate(parts) if parts else np.zeros(0, dtype=ENTRY_DTYPE)
        pairs = bucket_pairs(entries, cap=self.options.bucket_cap)
        stats.counts["band_entries"] += len(entries)
        stats.counts["band_pairs"] += len(pairs)
        by_shard = (pairs["a"] >> np.uint64(REF_SHIFT)).astype(np.int64)
        for no in np.unique(by_shard).tolist():
            write_atomic(self.paths.pairs_file(b, no), _npy_bytes(pairs[by_shard == no]))
        return stats


def side_dict(side: Side) -> dict[str, Any]:
    return {
        "score": side.score,
        "coverage": side.coverage,
        "n_words": side.n_words,
        "n_substituted": side.n_substituted,
        "substitutions": [s.to_dict() for s in side.substitutions],
    }


def side_of(d: dict[str, Any]) -> Side:
    subs = tuple(Substitution(**s) for s in d["substitutions"])
    return Side(float(d["score"]), float(d["coverage"]), int(d["n_words"]), int(d["n_substituted"]), subs)


def page_name(meta: list[Any], shard_id: str) -> str:
    """How a page is named in ``cluster`` and ``copy_of``: its id, or ``<shard-id>:<line>`` without one."""
    return str(meta[1]) if meta[1] is not None else f"{shard_id}:{meta[0]}"


class VerifyJob(_Stage, ShardTasks):
    """Stage 3: one task per input shard aligns its candidate pairs and keeps the copies."""

    stage = "verify"

    def __init__(self, buckets: BucketJob) -> None:
        _Stage.__init__(self, buckets.shards, buckets.paths.out, buckets.options, buckets.model)
        ShardTasks.__init__(self, buckets.shards)
        self._inputs = digest([buckets.task_signature(t) for t in buckets.task_ids()])
        self._stores: dict[int, TextStore] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_stores": {}}

    def task_signature(self, task_id: str) -> dict[str, Any]:
        return {**self.shard_signature(task_id, self._fingerprint), "inputs": self._inputs}

    def store(self, shard_no: int) -> TextStore:
        if shard_no not in self._stores:
            if len(self._stores) >= 64:  # bound open files and metadata held
                old = next(iter(self._stores))
                self._stores.pop(old).close()
            self._stores[shard_no] = TextStore(self.paths.sign_dir(self.shards[shard_no].id))
        return self._stores[shard_no]

    def _page(self, ref: int) -> tuple[Page, str]:
        no, ordinal = ref >> REF_SHIFT, ref & ((1 << REF_SHIFT) - 1)
        st = self.store(no)
        meta = st.meta[ordinal]
        return Page(ref, page_name(meta, self.shards[no].id), meta[2], meta[3]), st.text(ordinal)

    def run_task(self, task_id: str, progress: ProgressFn | None) -> Stats:
        o, stats = self.options, Stats()
        shard_no = self.shard_no(task_id)
        found = []
        for bucket in range(o.bucket_tasks):
            path = self.paths.pairs_file(bucket, shard_no)
            if path.is_file():
                found.append(np.load(path, allow_pickle=False))
        pairs = np.concatenate(found) if found else np.zeros(0, dtype=PAIR_DTYPE)
        pairs = count_pairs(pairs["a"], pairs["b"], pairs["n"])
        stats.counts["candidate_pairs"] += len(pairs)
        pairs = top_candidates(pairs, min_bands=o.min_bands, per_page=o.max_candidates)
        model = self.model.get()
        weight = vocab_weight(model.vocab)
        out = _LineFile(self.paths.edges_file(task_id), gz=True)
        try:
            for a_ref, b_ref in zip(pairs["a"].tolist(), pairs["b"].tolist(), strict=True):
                a_no, b_no = int(a_ref) >> REF_SHIFT, int(b_ref) >> REF_SHIFT
                ma = self.store(a_no).minima[int(a_ref) & 0xFFFFFFFF]
                mb = self.store(b_no).minima[int(b_ref) & 0xFFFFFFFF]
                if float(np.mean(ma == mb)) < o.min_similarity:
                    stats.counts["dissimilar_pairs"] += 1
                    continue
                a, a_text = self._page(int(a_ref))
                b, b_text = self._page(int(b_ref))
                same_id = self.store(a.ref >> REF_SHIFT).meta[a.ref & 0xFFFFFFFF][1]
                if same_id is not None and same_id == self.store(b.ref >> REF_SHIFT).meta[b.ref & 0xFFFFFFFF][1]:
                    stats.counts["same_id_pairs"] += 1
                    continue  # the same record listed twice, not a copy
                stats.counts["verified_pairs"] += 1
                check = check_pair(a_text, b_text, weight=weight)
                if not check.is_copy(o):
                    continue
                votes = substitution_votes(a_text, b_text, check.a_copy.substitutions, lm=model.lm, vocab=model.vocab)
                stats.counts["copy_pairs"] += 1
                rec = {
                    "a": [a.ref, a.name, a.host, a.date],
                    "b": [b.ref, b.name, b.host, b.date],
                    "votes": votes.total,
                    "a_copy": side_dict(check.a_copy),
                    # b's substitutions are a's mirrored (verify.check_pair): stored once, mirrored by link
                    "b_copy": {**side_dict(check.b_copy), "substitutions": []},
                }
                out.write(orjson.dumps(rec))
                if progress is not None:
                    progress(1, 0)
        except BaseException:
            out.abort()
            raise
        out.commit()
        for st in self._stores.values():
            st.close()
        self._stores.clear()
        return stats


class LinkJob(_Stage):
    """Stage 4: one task decides directions, sources, clusters and farms, and writes their files."""

    stage = "link"

    def __init__(self, verify: VerifyJob, sign: SignJob) -> None:
        super().__init__(verify.shards, verify.paths.out, verify.options, verify.model)
        self.sign = sign
        self._inputs = digest([verify.task_signature(t) for t in verify.task_ids()])
        self._lines: dict[int, npt.NDArray[np.int64]] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_lines": {}}

    def task_ids(self) -> list[str]:
        return ["links"]

    def task_size(self, task_id: str) -> int:
        return 0

    def task_signature(self, task_id: str) -> dict[str, Any]:
        return {"options": self._fingerprint, "inputs": self._inputs}

    def edges(self) -> list[Edge]:
        out = []
        for shard in self.shards:
            with gzip.open(self.paths.edges_file(shard.id), "rb") as fh:
                for line in fh:
                    r = orjson.loads(line)
                    check = PairCheck(side_of(r["a_copy"]), side_of(r["b_copy"]))
                    out.append(Edge(Page(*r["a"]), Page(*r["b"]), check, float(r["votes"])))
        return out

    def run_task(self, task_id: str, progress: ProgressFn | None) -> Stats:
        o, stats = self.options, Stats()
        host_pages: dict[str, int] = {}
        for s in self.shards:
            for h, n in self.sign.index(s.id)["hosts"].items():
                host_pages[h] = host_pages.get(h, 0) + n
        res = resolve(self.edges(), host_pages, o)
        self._write_links(res)
        tables: dict[str, dict[str, Any]] = {}
        tables_dir = self.paths.out / "tables"
        if tables_dir.exists():
            shutil.rmtree(tables_dir)
        for host, rows in res.tables.items():
            rel = f"tables/{safe_name(host, fallback='host')}.tsv"
            table = SpinnerTable.from_rows(rows, comment=f"despin dedup: farm {host}, learned from its spun copies")
            res.hosts[host].table = rel
            tables[host] = {"table": rel, "sha256": table.save(self.paths.out / rel), "entries": len(rows)}
        hosts_blob = b"".join(
            orjson.dumps(s.to_dict()) + b"\n" for s in sorted(res.hosts.values(), key=lambda s: s.host)
        )
        write_atomic(self.paths.out / "hosts.jsonl", hosts_blob)
        summary = {
            "copies": len(res.links),
            "spun_copies": sum(link.relation == "spun" for link in res.links.values()),
            "near_duplicates": sum(link.relation == "near_duplicate" for link in res.links.values()),
            "clusters": len(set(res.clusters.values())),
            "hosts": len(res.hosts),
            "farms": sorted(tables),
            "tables": tables,
            "hosts_sha256": hashlib.sha256(hosts_blob).hexdigest(),
        }
        for k in ("copies", "spun_copies", "near_duplicates", "clusters"):
            stats.counts[k] += int(summary[k])  # type: ignore[call-overload]
        write_atomic(self.paths.links_json, json.dumps(summary, indent=1, ensure_ascii=False).encode() + b"\n")
        return stats

    def _write_links(self, res: Resolution) -> None:
        """One file per shard: each linked page's line and annotation (the copy as the ``spun`` side)."""
        per_shard: dict[int, list[tuple[int, bytes]]] = {i: [] for i in range(len(self.shards))}
        o = self.options
        for ref, cluster in res.clusters.items():
            no, ordinal = ref >> REF_SHIFT, ref & ((1 << REF_SHIFT) - 1)
            line = int(self.sign_store_line(no, ordinal))
            link = res.links.get(ref)
            ann: dict[str, Any] = {"cluster": cluster, "copy_of": None, "relation": None}
            if link is not None:
                ann |= {
                    "copy_of": link.source.name,
                    "relation": link.relation.value,
                    "score": round(link.side.score, 4),
                    "coverage": round(link.side.coverage, 4),
                    "substitutions": [s.to_dict() for s in link.side.substitutions],
                    "spun_score": round(spun_share_score(link.side.substituted, o), 4),
                    "is_spun": link.relation == "spun",
                }
            per_shard[no].append((ordinal, orjson.dumps({"line": line, **ann})))
        for no, rows in per_shard.items():
            f = _LineFile(self.paths.links_file(self.shards[no].id), gz=True)
            for _, blob in sorted(rows):
                f.write(blob)
            f.commit()

    def sign_store_line(self, shard_no: int, ordinal: int) -> int:
        if shard_no not in self._lines:
            with np.load(self.paths.sign_dir(self.shards[shard_no].id) / "docs.npz") as z:
                self._lines[shard_no] = z["lines"]
        return int(self._lines[shard_no][ordinal])


def check_reserved(shards: Sequence[Shard]) -> None:
    """Refuse a shard whose name would clash with an output of dedup."""
    for s in shards:
        if s.name.split("/")[0] in {"dedup", "tables", "hosts.jsonl"}:
            raise ConfigError(f"{s.path}: shard name {s.name!r} clashes with an output of despin dedup")
