"""Speed of ``detect`` and ``restore`` in a fresh process, on 200 news pages, clean and spun.

``python -m benchmarks speed [--docs 200]`` writes the pages to a temporary file, then for each of
detect and restore, on the clean pages and on their spins (15%, one half of the lexicon), starts a
new Python process that loads the bundled model, runs the verb over every page once (no cache is
warm: a fresh process, each page new to it) and reports its CPU seconds (user + system, from
``resource.getrusage``), the CPU seconds of loading the model alone, and its peak resident memory.
Docs per CPU-second are reported with and without the load. Writes ``benchmarks/results/speed-<sha>.json``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.config import REPO_ROOT, BenchConfig
from benchmarks.datasets import sample_clean
from benchmarks.registry import git_sha, md_table, parser_for
from despin.api import load_model
from despin.spinner import Spinner

VERBS = ("detect", "restore")
SPIN_RATE = 0.15

# The child: load the model, time it, run the verb over every page, report CPU and peak memory.
CHILD = r"""
import json, resource, sys
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
verb, path = sys.argv[1], sys.argv[2]
pages = json.load(open(path, encoding="utf-8"))
t0 = cpu()
from despin.api import load_model
import despin.api as api
model = load_model()
model.restorer(); model.detector  # the model's parts load lazily: count them as loading
t1 = cpu()
fn = api.detect if verb == "detect" else api.restore
for text in pages:
    fn(text, model=model)
t2 = cpu()
print(json.dumps({"load_cpu_s": t1 - t0, "run_cpu_s": t2 - t1,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


@dataclass(frozen=True)
class SpeedConfig:
    n_docs: int
    seed: int
    out_dir: Path


def configure(argv: Sequence[str]) -> SpeedConfig:
    parser = parser_for("speed", __doc__)
    parser.add_argument("--docs", type=int, default=200, help="news pages (default 200)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    return SpeedConfig(args.docs, args.seed, args.out)


def result_name(cfg: SpeedConfig, result: dict[str, Any]) -> str:
    return f"speed-{result['git_sha']}"


def _pages(cfg: SpeedConfig) -> dict[str, list[str]]:
    sample = BenchConfig(suite="full", seed=cfg.seed, sample_size=cfg.n_docs, splits=("dev",))
    news = [d.text for d in sample_clean(sample) if d.register == "news"][: cfg.n_docs]
    half, _ = load_model().lexicon.split(seed=cfg.seed)
    spinner = Spinner(half, rate=SPIN_RATE, seed=cfg.seed, footer=False)
    return {"clean": news, "spun": [spinner.spin(t, doc=i).text for i, t in enumerate(news)]}


def _child(verb: str, path: Path) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, verb, str(path)], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def run(cfg: SpeedConfig) -> dict[str, Any]:
    pages = _pages(cfg)
    out: dict[str, Any] = {"git_sha": git_sha(), "n_docs": len(pages["clean"]), "runs": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for kind, texts in pages.items():
            path = Path(tmp) / f"{kind}.json"
            path.write_text(json.dumps(texts), encoding="utf-8")
            for verb in VERBS:
                m = _child(verb, path)
                n = len(texts)
                out["runs"][f"{verb}_{kind}"] = {
                    **m,
                    "docs_per_cpu_s": n / m["run_cpu_s"],
                    "docs_per_cpu_s_with_load": n / (m["run_cpu_s"] + m["load_cpu_s"]),
                }
    return out


def render(result: dict[str, Any]) -> str:
    rows = [
        [
            k,
            f"{r['docs_per_cpu_s']:.1f}",
            f"{r['docs_per_cpu_s_with_load']:.1f}",
            f"{r['load_cpu_s']:.2f}",
            f"{r['max_rss_mb']:.0f}",
        ]
        for k, r in result["runs"].items()
    ]
    head = f"# Speed in a fresh process ({result['n_docs']} news pages, {result['git_sha']})\n\n"
    return head + md_table(["verb_pages", "docs/CPU-s", "with model load", "load CPU s", "peak RSS MB"], rows) + "\n"
