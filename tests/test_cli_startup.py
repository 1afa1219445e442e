"""The ``amity`` command starts fast: building its command tree (what ``amity --help`` and every
command pay first) loads no domain service, model, database layer or heavy library. The cli_*
modules import those inside their commands (docs/architecture.md, "Layers and imports")."""

from __future__ import annotations

import json
import subprocess
import sys

# Top-level packages, or exact modules, that `import amity.cli` must not load.
HEAVY = ("openpyxl", "sklearn", "scipy", "numpy", "pandas", "sentence_transformers", "torch",
         "sqlalchemy", "alembic", "pydantic", "pydantic_settings", "fastapi", "starlette",
         "uvicorn", "jinja2", "rapidfuzz", "jellyfish", "phonenumbers", "rich.progress",
         "prometheus_client")
# The only amity modules it may load besides amity.cli and amity.cli_*: plain, stdlib-only.
LIGHT_AMITY = {"amity", "amity.core", "amity.core.clock"}
BUILD_THE_TREE = "import amity.cli, typer.main; typer.main.get_command(amity.cli.app)"


def loaded_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    return set(json.loads(out.stdout.splitlines()[-1]))


def forbidden(modules: set[str]) -> list[str]:
    heavy = [m for m in modules for h in HEAVY if m == h or m.startswith(h + ".")]
    amity = [m for m in modules if (m == "amity" or m.startswith("amity."))
             and m != "amity.cli" and not m.startswith("amity.cli_") and m not in LIGHT_AMITY]
    return sorted(heavy + amity)


def test_building_the_command_tree_loads_no_service_and_no_heavy_library() -> None:
    modules = loaded_after(BUILD_THE_TREE)
    assert "amity.cli_dataio" in modules  # the tree is really built
    assert forbidden(modules) == [], (
        "import these inside the command functions that need them, not at the top of "
        "src/amity/cli*.py")
    for named in ("openpyxl", "sklearn", "scipy", "numpy", "amity.analytics", "amity.reports",
                  "amity.dataio", "amity.intelligence", "sqlalchemy"):
        assert named not in modules


def test_the_check_sees_a_heavy_import() -> None:
    # the same check, once a command's services are loaded, names them
    modules = loaded_after(BUILD_THE_TREE + "\nimport amity.reports.service")
    found = forbidden(modules)
    assert "amity.reports.service" in found and "openpyxl" in found and "sqlalchemy" in found


def test_values_spelt_out_for_the_help_match_their_sources() -> None:
    from amity import cli_dataquality, cli_dedupe, cli_early_value, cli_field_values
    from amity.core.customfields import ENTITIES
    from amity.dataquality.queries import DEFAULT_STALE_DAYS
    from amity.dedupe.detect import DEFAULT_THRESHOLD
    from amity.intelligence.early_value import SIGNAL_KEYS

    assert cli_dedupe.DEFAULT_THRESHOLD == DEFAULT_THRESHOLD
    assert cli_dataquality.DEFAULT_STALE_DAYS == DEFAULT_STALE_DAYS
    assert cli_field_values.ENTITIES == ENTITIES
    assert cli_early_value.SIGNAL_KEYS == SIGNAL_KEYS
