"""The package's folders are the pipeline's stages, and imports run one way: a module imports from its own stage or
an earlier one, never a later one, and no modules import each other round in a circle. Every import counts, the
ones inside functions too (a function-level import is how a cycle hides)."""

import ast
from pathlib import Path

from helpers import ROOT

PACKAGE = ROOT / "makemore"
# the stages in the order data flows through them (makemore/__init__.py says what each holds); cli/ and api/ are
# the two shells over everything, side by side
STAGES = ["config", "compute", "data", "models", "runs", "inference", "board", "training", ("cli", "api")]


def stage_of(module: str) -> int:
    """makemore.data.words -> the index of data in STAGES; the package itself (makemore) is above every stage."""
    parts = module.split(".")
    if len(parts) == 1:
        return len(STAGES)
    for i, stage in enumerate(STAGES):
        if parts[1] in (stage if isinstance(stage, tuple) else (stage,)):
            return i
    raise AssertionError(f"{module}: in no stage; add its folder to STAGES (and to makemore/__init__.py's docstring)")


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """The makemore modules `module` imports, anywhere in the file (`from makemore.x import y` names makemore.x.y
    when y is a module, else makemore.x)."""
    found = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("makemore")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            if not base.startswith("makemore"):
                continue
            for a in node.names:
                found.add(f"{base}.{a.name}" if f"{base}.{a.name}" in known else base)
    return found - {module}


GRAPH = {m: imports_of(m, p, set(modules())) for m, p in modules().items()}


def test_every_folder_is_a_stage_and_a_package():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    named = {s for stage in STAGES for s in (stage if isinstance(stage, tuple) else (stage,))}
    assert folders <= named, f"folders in no stage: {sorted(folders - named)}"
    assert all((PACKAGE / f / "__init__.py").is_file() for f in folders), "a stage folder without __init__.py"


def test_no_module_imports_from_a_later_stage():
    wrong = [
        f"{m} ({STAGES[stage_of(m)]}) imports {i} ({STAGES[stage_of(i)]})"
        for m, imported in GRAPH.items()
        if m != "makemore"
        for i in imported
        if stage_of(i) > stage_of(m)
    ]
    assert not wrong, "\n".join(sorted(wrong))


def test_no_import_cycles():
    """Depth-first search over the graph: a module met again while it is still being visited closes a cycle."""
    state, cycles = {}, []

    def visit(m, path):
        state[m] = "visiting"
        for i in sorted(GRAPH.get(m, ())):
            if state.get(i) == "visiting":
                cycles.append(" -> ".join(path[path.index(i) :] + [i]))
            elif i not in state:
                visit(i, path + [i])
        state[m] = "done"

    for m in sorted(GRAPH):
        if m not in state:
            visit(m, [m])
    assert not cycles, "\n".join(cycles)


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    """The walk reads imports in function bodies too: the kind that hid the dropout_mean <-> ensemble cycle."""
    path = tmp_path / "m.py"
    path.write_text("def f():\n    from makemore.training.trainer import train\n")
    assert imports_of("makemore.data.m", path, {"makemore.training.trainer"}) == {"makemore.training.trainer"}
    assert stage_of("makemore.training.trainer") > stage_of("makemore.data.m")
