"""Fast start (issue 17, item 5): ``import despin`` and ``despin --help`` load no model code, a command
loads only its own module, and every public name still resolves (PEP 562 lazy exports).

The start-up times themselves are measured by ``python -m benchmarks startup`` (benchmarks/startup.py).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import despin
from despin.cli import COMMANDS

HEAVY = ("numpy", "kenlm", "despin.api", "despin.model", "despin.pipeline", "despin.tracer", "despin.batch")


def loaded_after(code: str) -> list[str]:
    """The modules a fresh interpreter has loaded after running ``code``."""
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if m.startswith(HEAVY)]


def test_import_despin_loads_no_model_code() -> None:
    assert heavy(loaded_after("import despin")) == []


def test_help_imports_no_command_module() -> None:
    modules = loaded_after("from despin.cli import cli\ntry:\n    cli(['--help'])\nexcept SystemExit:\n    pass")
    assert heavy(modules) == []
    assert not [m for m in modules if m.startswith("despin.cli.") and m not in ("despin.cli.common",)]


def test_a_command_loads_only_its_own_module() -> None:
    modules = loaded_after(
        "from despin.cli import cli\ntry:\n    cli(['spin', '--help'])\nexcept SystemExit:\n    pass"
    )
    commands = {m for m in modules if m.startswith("despin.cli.")}
    assert commands <= {"despin.cli.common", "despin.cli.spin", "despin.cli.options"}
    assert "numpy" not in modules and "despin.model" not in modules


def test_help_lists_every_command_with_its_summary() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "despin", "--help"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    for name in COMMANDS:
        assert f"  {name} " in out
    assert "Score how likely a text is spun" in out  # read from detect's docstring without importing it


@pytest.mark.parametrize("name", sorted(despin.__all__))
def test_every_public_name_resolves_lazily(name: str) -> None:
    value = getattr(despin, name)
    assert value is not None and name in dir(despin)


def test_lazy_names_are_the_real_objects() -> None:
    from despin import api
    from despin.batch.scan import scan

    assert despin.detect is api.detect and despin.scan is scan and despin.SpinOptions is api.SpinOptions
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        despin.nope  # noqa: B018


def test_one_shot_commands_exit_cleanly_with_their_output(tmp_path: object) -> None:
    # detect ends its own process at once after flushing (no teardown of the model): the JSON is complete.
    text = "Pemerintah kota akan membangun tiga taman baru di wilayah timur pada tahun depan."
    res = subprocess.run(
        [sys.executable, "-m", "despin", "detect", "-"], input=text, capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, res.stderr
    assert set(json.loads(res.stdout)) >= {"spun_score", "is_spun", "spans", "threshold"}


def test_all_lists_exactly_the_lazy_exports() -> None:
    assert set(despin.__all__) == {*despin._EXPORTS, "__version__"}
