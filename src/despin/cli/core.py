"""Core commands: ``detect``, ``restore`` and ``build-model``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from despin import api
from despin.cli.common import cli, emit_json, one_shot, read_input

model_option = click.option(
    "--model",
    "model_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Model bundle directory (default: the bundled model).",
)
threshold_option = click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0),
    default=None,
    help="Decision threshold (default: calibrated).",
)


table_option = click.option(
    "--table",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="A spinner table learned with `despin learn`, used on top of the lexicon.",
)


@cli.command()
@click.argument("source", default="-", metavar="[FILE|-]")
@model_option
@threshold_option
@table_option
@one_shot
def detect(source: str, model_dir: Path | None, threshold: float | None, table: Path | None) -> None:
    """Score how likely a text is spun and list the suspicious spans (JSON).

    \b
    Example:
        despin detect article.txt
        {"spun_score":0.97,"is_spun":true,"spans":[{"start":12,"end":19,...}]}
    """
    text = read_input(source)
    emit_json(api.detect(text, model=api.load_model(model_dir), table=table, threshold=threshold).to_dict())


@cli.command()
@click.argument("source", default="-", metavar="[FILE|-]")
@model_option
@threshold_option
@table_option
@click.option("--json", "as_json", is_flag=True, help="Print the JSON result instead of the text.")
@click.option("--keep-footer", is_flag=True, help="Keep the spinner's source footer in the text.")
@click.option("--force", is_flag=True, help="Change the words even when the text does not look spun.")
@one_shot
def restore(
    source: str,
    model_dir: Path | None,
    threshold: float | None,
    table: Path | None,
    as_json: bool,
    keep_footer: bool,
    force: bool,
) -> None:
    """Undo the spin: print the most likely original text.

    \b
    Example:
        despin restore spun.txt --json
        {"spun_score":0.97,"is_spun":true,"text":"...","edits":[...]}
    """
    text = read_input(source)
    result = api.restore(
        text,
        model=api.load_model(model_dir),
        table=table,
        remove_footer=not keep_footer,
        force=force,
        threshold=threshold,
    )
    if as_json:
        emit_json(result.to_dict())
    else:
        click.echo(result.text, nl=not result.text.endswith("\n"))
    why = why_unchanged(result.to_dict(), forced=force)
    if why is not None:
        click.echo(f"despin restore: {why}", err=True)


def versus(score: float, threshold: float) -> str:
    """``"0.81 < 0.94"``: a score against a threshold, with enough decimals that the two never look equal.

    Example:
        >>> versus(0.8123, 0.9381), versus(0.9376, 0.9381), versus(0.97, 0.9381)
        ('0.81 < 0.94', '0.9376 < 0.9381', '0.97 >= 0.94')
    """
    digits = 2
    while digits < 4 and f"{score:.{digits}f}" == f"{threshold:.{digits}f}" and score != threshold:
        digits += 1
    return f"{score:.{digits}f} {'>=' if score >= threshold else '<'} {threshold:.{digits}f}"


def why_unchanged(result: dict[str, Any], *, forced: bool) -> str | None:
    """One line saying why a restoration changed no word (None when it changed some).

    ``result`` is :meth:`Restoration.to_dict`: the verdict, its threshold and the edits decide.
    """
    if any(e["kind"] != "footer" for e in result["edits"]):
        return None
    score, threshold = result["spun_score"], result.get("threshold")
    compared = f"score {score:.2f}" if threshold is None else versus(score, threshold)
    footer = "; the spinner footer was removed" if any(e["kind"] == "footer" for e in result["edits"]) else ""
    if not result["is_spun"] and not forced:
        return (
            f"not judged spun ({compared}), so the words are unchanged{footer}; "
            "--force restores them anyway, --json shows the verdict"
        )
    verdict = f"judged spun ({compared})" if result["is_spun"] else f"forced, though not judged spun ({compared})"
    return f"{verdict}, but no word could be restored with confidence: the words are unchanged{footer}"


@cli.command("build-model")
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Directory to write the bundle to.",
)
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="The shared data directory (default: $DESPIN_DATA, else ../shared/data beside the checkout).",
)
@click.option(
    "--work",
    "work_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("work/build"),
    help="Scratch directory (training text, KenLM build).",
)
@click.option("--order", type=click.IntRange(2, 6), default=5, show_default=True, help="n-gram order.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--detector-only",
    is_flag=True,
    help="Refit only the page score and the edit model of the bundle in --out (its LM and tables stay).",
)
@click.option("--calibration-only", is_flag=True, help="The same as --detector-only (kept for older scripts).")
def build_model(
    out: Path, data_dir: Path | None, work_dir: Path, order: int, seed: int, detector_only: bool, calibration_only: bool
) -> None:
    """Train a model bundle (KenLM, lexicon, neighbours, slot fills, edit and page models) from the shared corpora.

    \b
    Example:
        despin build-model -o src/despin/model/default
    """
    from despin.training.build import build_model as build
    from despin.training.build import refit_detector
    from despin.training.corpora import default_data_dir

    def log(msg: str) -> None:
        click.echo(msg, err=True)

    data = data_dir or default_data_dir()
    if detector_only or calibration_only:
        manifest = refit_detector(out, data_dir=data, work_dir=work_dir, seed=seed, log=log)
    else:
        manifest = build(out, data_dir=data, work_dir=work_dir, order=order, seed=seed, log=log)
    emit_json({"model_version": manifest["model_version"], "out": str(out), "files": manifest["files"]})
