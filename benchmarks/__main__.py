"""``python -m benchmarks NAME [options]`` runs one registered benchmark (benchmarks/registry.py);
``python -m benchmarks run|readme|report|plot`` run the suite and its reports (benchmarks/runner.py)."""

from __future__ import annotations

from pathlib import Path

import click

from benchmarks.config import REPO_ROOT, RESULTS_DIR, BenchConfig
from benchmarks.registry import BENCHMARKS, benchmark_name, run_benchmark, summary


class BenchmarkGroup(click.Group):
    """The suite's commands, plus one command per registered benchmark (its options are its own)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *sorted(n for n in BENCHMARKS if n not in self.commands)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is not None or benchmark_name(cmd_name) not in BENCHMARKS:
            return found
        name = benchmark_name(cmd_name)

        @click.command(
            name,
            help=f"{summary(name)} (options: python -m benchmarks {name} --help)",
            short_help=summary(name),
            context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []},
        )
        @click.argument("argv", nargs=-1, type=click.UNPROCESSED)
        def command(argv: tuple[str, ...]) -> None:
            run_benchmark(name, argv)

        return command


@click.group(cls=BenchmarkGroup)
def main() -> None:
    """despin benchmarks: quality on held-out dev/test splits, baselines, and speed.

    `python -m benchmarks NAME --help` shows a benchmark's options; each writes
    benchmarks/results/<name>-<sha>.json and .md.
    """


@main.command("run")
@click.option("--suite", type=click.Choice(["quick", "full"]), default="quick", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--model",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Model bundle directory (the packaged default if omitted).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=RESULTS_DIR,
    show_default=True,
)
@click.option("--sample-size", type=int, default=None, help="Documents per (split, register).")
@click.option("--only", multiple=True, help="Run only these modules (detect_restore, trace, scale, serve).")
@click.option("--no-cache", is_flag=True, help="Regenerate the evaluation sets instead of reading the cache.")
@click.option("--no-plots", is_flag=True)
def run_command(
    suite: str,
    seed: int,
    model: Path | None,
    out_dir: Path,
    sample_size: int | None,
    only: tuple[str, ...],
    no_cache: bool,
    no_plots: bool,
) -> None:
    """Run a suite and write benchmarks/results/<date>-<sha>[-quick].json, .md and .png files."""
    from benchmarks.config import CACHE_DIR
    from benchmarks.runner import run_suite

    cfg = BenchConfig(suite=suite, seed=seed, out_dir=out_dir, model=model, sample_size=sample_size)  # type: ignore[arg-type]
    path = run_suite(cfg, only=only or None, cache_dir=None if no_cache else CACHE_DIR, plots=not no_plots)
    click.echo(str(path))


@main.command("report")
@click.argument("results", type=click.Path(dir_okay=False, path_type=Path), required=False)
def report_command(results: Path | None) -> None:
    """Print the Markdown tables of a results file (the latest if omitted)."""
    from benchmarks import report

    path = results or report.latest_results()
    click.echo(report.markdown(report.load_results(path), source=path.name), nl=False)


@main.command("plot")
@click.argument("results", type=click.Path(dir_okay=False, path_type=Path), required=False)
def plot_command(results: Path | None) -> None:
    """Redraw the PNG plots of a results file (the latest if omitted)."""
    from benchmarks import plots, report

    path = results or report.latest_results()
    for p in plots.plot_all(report.load_results(path), path.parent, path.stem):
        click.echo(str(p))


@main.command("readme")
@click.option(
    "--results",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Results file (the latest full run, else the latest run).",
)
@click.option(
    "--readme",
    type=click.Path(dir_okay=False, path_type=Path),
    default=REPO_ROOT / "README.md",
    show_default=True,
)
def readme_command(results: Path | None, readme: Path) -> None:
    """Regenerate the README section between <!-- results:start --> and <!-- results:end -->.

    It holds the detect/restore suite's tables, then, when their results exist, the latest full
    leave-one-family-out run (held-out spinners, real pages) and the latest fresh-process speed run.
    """
    import json

    from benchmarks import report
    from benchmarks.lofo import readme_part
    from benchmarks.speed import render as render_speed

    path = results or report.latest_results()
    section = report.readme_section(report.load_results(path), source=path.name)
    lofo = sorted(RESULTS_DIR.glob("lofo-full-*.json"), key=lambda p: p.stat().st_mtime)
    if lofo:
        section += "\n" + readme_part(json.loads(lofo[-1].read_text(encoding="utf-8")), source=lofo[-1].name)
    speed = sorted(RESULTS_DIR.glob("speed-*.json"), key=lambda p: p.stat().st_mtime)
    if speed:
        part = render_speed(json.loads(speed[-1].read_text(encoding="utf-8"))).replace("# Speed", "**Speed", 1)
        section += "\n" + part.replace("\n\n", "**\n\n", 1) + f"\n(`python -m benchmarks speed`: `{speed[-1].name}`)\n"
    if not report.update_readme(readme, section):
        raise click.ClickException(f"{readme} has no {report.START} ... {report.END} markers")
    click.echo(f"updated {readme} from {path.name}")


if __name__ == "__main__":
    main()
