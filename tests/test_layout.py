"""The package layout holds its rules: small modules, public names, imports one way, no cycles.

Read from the source with ``ast`` (nothing is imported), so the rules hold for
code paths the other tests never run. docs/ARCHITECTURE.md draws the tree.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "castline"

#: The stages in pipeline order: a stage may import the shared helpers at the top
#: of the package and the stages before it, never a later stage or the service.
STAGES = (
    "castline.ingest",
    "castline.speech",
    "castline.diarize",
    "castline.clean",
    "castline.segment",
    "castline.highlights",
    "castline.export",
)
#: Speaker attribution places speaker changes around the cold open, the host's
#: introduction and sponsor reads: it reads the structure detectors, which work
#: on plain sentences and import only the model and text helpers.
LATER_STAGE_ALLOWED = {("castline.diarize", "castline.segment.structure")}
MAX_LINES = 600


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _target(name: str) -> str:
    """The castline module that an import of ``name`` loads last."""
    while name not in MODULES and "." in name:
        name = name.rpartition(".")[0]
    return name


def _imports(module: str) -> list[tuple[str, list[str], int]]:
    """``(imported module, names taken from it, line)`` for every castline import, deferred ones too."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(_target(a.name), [], node.lineno) for a in node.names if a.name.startswith("castline")]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            if not base.startswith("castline"):
                continue
            for alias in node.names:
                full = f"{base}.{alias.name}"
                out.append((full, [], node.lineno) if full in MODULES else (_target(base), [alias.name], node.lineno))
    return out


def _stage(module: str) -> str | None:
    return next((s for s in STAGES if module == s or module.startswith(s + ".")), None)


def test_no_module_is_past_the_line_limit():
    long = {
        m: n
        for m, p in MODULES.items()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, f"split these by what they do: {long}"


def test_every_module_lists_its_public_names():
    missing = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {
            t.id
            for node in tree.body
            if isinstance(node, ast.Assign | ast.AnnAssign)
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(t, ast.Name)
        }
        if "__all__" not in names:
            missing.append(module)
    assert missing == []


def _all(module: str) -> set[str]:
    for node in ast.parse(MODULES[module].read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return set(ast.literal_eval(node.value))
    return set()


def test_what_crosses_a_module_is_in_its_all():
    unlisted = [
        f"{module}:{line} takes {target}.{name}, not in its __all__"
        for module in MODULES
        for target, names, line in _imports(module)
        for name in names
        if not name.startswith("_") and name not in _all(target)
    ]
    assert unlisted == []


def test_no_private_name_crosses_a_module():
    crossings = []
    for module, path in MODULES.items():
        for target, names, line in _imports(module):
            crossings += [f"{module}:{line} takes {target}.{n}" for n in names if n.startswith("_")]
        # ``import castline.x as x`` then ``x._private``
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                aliases.update({a.asname: a.name for a in node.names if a.asname and a.name in MODULES})
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("castline"):
                aliases.update({a.asname or a.name: f"{node.module}.{a.name}" for a in node.names
                                if f"{node.module}.{a.name}" in MODULES})
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                crossings.append(f"{module}:{node.lineno} takes {aliases[node.value.id]}.{node.attr}")
    assert crossings == []


def _cycle() -> list[str] | None:
    """An import cycle among castline's modules (deferred imports included), or None."""
    graph = {
        m: {t for t, _, _ in _imports(m) if t != m and t in MODULES}
        for m in MODULES
    }
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt, [*path, nxt])):
                return found
        state[node] = 2
        return None

    for start in MODULES:
        if start not in state and (found := visit(start, [start])):
            return found
    return None


def test_no_import_cycles():
    cycle = _cycle()
    assert cycle is None, " -> ".join(cycle or [])


def test_stages_import_one_way():
    wrong = []
    for module in MODULES:
        stage = _stage(module)
        if stage is None:
            continue
        for target, _, line in _imports(module):
            if target.startswith("castline.service") or target in ("castline.pipeline", "castline.cli"):
                wrong.append(f"{module}:{line} imports {target} (stages never import the service)")
            later = _stage(target)
            if later and STAGES.index(later) > STAGES.index(stage) and (stage, target) not in LATER_STAGE_ALLOWED:
                wrong.append(f"{module}:{line} imports the later stage {target}")
    assert wrong == []


def test_stages_never_import_prefect_or_the_flows():
    wrong = []
    for module, path in MODULES.items():
        if _stage(module) is None:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            wrong += [f"{module}:{node.lineno} imports {n}" for n in names if n.split(".")[0] in ("prefect", "flows")]
    assert wrong == []


def test_no_package_export_shadows_one_of_its_modules():
    shadowed = []
    for module, path in MODULES.items():
        if path.name != "__init__.py":
            continue
        children = {p.stem for p in path.parent.glob("*.py") if p.stem != "__init__"}
        children |= {p.name for p in path.parent.iterdir() if (p / "__init__.py").exists()}
        tree = ast.parse(path.read_text(encoding="utf-8"))
        bound = set()
        for node in tree.body:
            if isinstance(node, ast.ImportFrom):
                bound |= {a.asname or a.name for a in node.names}
            elif isinstance(node, ast.FunctionDef | ast.ClassDef):
                bound.add(node.name)
            elif isinstance(node, ast.Assign):
                bound |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        # ``from castline.x import y`` of the module ``y`` itself binds the module: no shadow.
        modules_bound = {a.asname or a.name for node in tree.body if isinstance(node, ast.ImportFrom)
                         for a in node.names if f"{node.module}.{a.name}" in MODULES}
        shadowed += [f"{module}.{name}" for name in sorted((bound - modules_bound) & children)]
    assert shadowed == []
