"""The package is laid out by stage, and imports point one way: down the stages, never up."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "nlp_pipeline"
# lowest first: a module may import its own stage and the stages before it, never one after it
STAGES = ["io", "letter", "extraction", "facts", "model", "explain", "predict", "app"]
BASE = {"errors", "types"}  # the shared vocabulary every stage may import
MAX_TOP_LEVEL_MODULES = 8


def _stage(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "nlp_pipeline" or len(parts) < 2:
        return None
    return parts[1]


def _imports(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, node.lineno))
            if node.module == "nlp_pipeline":
                found += [(f"nlp_pipeline.{alias.name}", node.lineno) for alias in node.names]
    return found


def test_at_most_eight_top_level_modules():
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(modules) <= MAX_TOP_LEVEL_MODULES, modules


def test_every_module_lives_in_a_known_stage():
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if len(relative.parts) > 1:
            assert relative.parts[0] in STAGES, relative


def test_imports_point_down_the_stages():
    """No module imports a later stage (lazy imports inside functions included): the path of a letter goes one
    way, from reading to the application."""
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        own = relative.parts[0] if len(relative.parts) > 1 else None
        rank = STAGES.index(own) if own else -1  # top-level modules are the base: they import no stage
        for module, line in _imports(path):
            stage = _stage(module)
            if stage is None or stage in BASE or stage in ("shipped_models", "__version__"):
                continue
            if stage not in STAGES:
                continue
            if STAGES.index(stage) > rank:
                wrong.append(f"{relative}:{line} imports {module}")
    assert not wrong, "\n".join(wrong)


def test_the_direction_check_sees_an_upward_import(tmp_path):
    """The check itself: a lower stage importing a higher one is found (so a passing check means something)."""
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from nlp_pipeline.app.render import page\n", encoding="utf-8")
    (module, _), = _imports(probe)
    assert STAGES.index(_stage(module)) > STAGES.index("io")
