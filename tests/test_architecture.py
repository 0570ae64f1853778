"""The package's import graph, read from the source (AST), never run: no import circle among
the zoo's modules, and zoo modules imported at the top of each module, not inside functions
(function-level imports are for heavy optional third-party packages only: never the standard
library, never a package the module imports at its top already, and each listed in
LAZY_IMPORTS with its reason). The laziness that keeps `import zoo` and the light commands
fast lives in the package's PEP 562 attributes (zoo/__init__.py) and in those few listed
imports, not in scattered function-level imports.
"""

import ast
import functools
import pathlib
import sys

from zoo.tasks import task_names

ZOO = pathlib.Path(__file__).resolve().parents[1] / "zoo"


def _module_name(path):
    parts = path.relative_to(ZOO.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _targets(node, module, is_package):
    """The zoo modules an import statement names."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "zoo"]
    if node.level:  # relative
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[:len(base) - node.level + 1]
        root = ".".join(base + ([node.module] if node.module else []))
    else:
        root = node.module or ""
    if root.split(".")[0] != "zoo":
        return []
    return [root] + [f"{root}.{a.name}" for a in node.names]


def _packages_of(module):
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(2, len(parts))]


def import_graph():
    """``{module: {"top": set of zoo modules, "inner": [(line, statement)]}}``."""
    modules = {_module_name(p): p for p in ZOO.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top, inner = set(), []
        body_ids = {id(n) for n in tree.body}
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            found = [t for t in _targets(node, name, path.name == "__init__.py")
                     if t in modules]
            # importing zoo.a.b runs the package zoo.a first (the root package aside: it is
            # the public face, importing what it shows)
            found += [p for t in found for p in _packages_of(t) if p in modules]
            if not found:
                continue
            if id(node) in body_ids:
                top.update(found)
            else:
                inner.append((node.lineno, ast.unparse(node)))
        graph[name] = {"top": top - {name}, "inner": inner}
    return graph


def cycles(graph):
    """The strongly connected groups of more than one module (Tarjan), over top-level imports."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]["top"]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_circle():
    graph = import_graph()
    # a module importing its own package's __init__ is not a circle worth a name
    for name, facts in graph.items():
        facts["top"] = {t for t in facts["top"] if not name.startswith(t + ".")}
    assert cycles(graph) == []


def test_zoo_modules_are_imported_at_the_top():
    inner = {name: facts["inner"] for name, facts in import_graph().items() if facts["inner"]}
    lines = [f"{name}:{line}: {text}" for name, found in sorted(inner.items())
             for line, text in found]
    assert not lines, "imports of zoo modules inside functions:\n" + "\n".join(lines)


def test_central_modules_name_no_task():
    """Saving, the registry, training, publishing, weights and export ask the task class for a
    task's facts (its schema, recipe settings, record summary, export endpoints): none of them
    switches on a task's name. (batch.py keeps one named wrapper per task of its public API.)"""
    names = set(task_names())
    found = []
    for module in ("saving", "registry", "training", "publish", "weights", "export", "api"):
        tree = ast.parse((ZOO / f"{module}.py").read_text(encoding="utf-8"))
        found += [f"zoo/{module}.py:{node.lineno}: {node.value!r}" for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and node.value in names]
    assert not found, "task names outside zoo/tasks/:\n" + "\n".join(found)


# The function-level imports the zoo keeps, each with its reason: "heavy" (a heavy package in a
# module that a light command, `import zoo`, `zoo --help`, `zoo list`, `zoo describe`,
# `zoo weights list|verify`, loads; or one that costs every task load for one rare path) or
# "optional" (a package of an extra, not a dependency). Anything else goes at the module's top;
# a new lazy import is added here with its reason.
LAZY_IMPORTS = {
    ("zoo._quiet", "tensorflow"): "heavy: import_tensorflow() is the lazy import itself",
    ("zoo.saving", "h5py"): "heavy: zoo --help / list load saving",
    ("zoo.registry", "keras"): "heavy: zoo list / describe load the registry",
    ("zoo.publish", "keras"): "heavy: zoo --help loads publish",
    ("zoo.data.images", "tensorflow_datasets"): "heavy (~0.6 s): TFDS reads only; tasks load it",
    ("zoo.data.text", "tensorflow_datasets"): "heavy (~0.6 s): TFDS reads only",
    ("zoo.data.captions", "tensorflow_datasets"): "heavy (~0.6 s): TFDS reads only",
    ("zoo.training", "tensorboard"): "heavy: --tensorboard runs only, with a one-line error",
    ("zoo.data.sources.janeausten", "rdata"): "optional extra [fetch]",
    ("zoo.data.sources.emoji", "cairosvg"): "optional extra [fetch]: OpenMoji's SVG only",
    ("zoo.experiments._common", "matplotlib"): "optional extra [experiments]",
    ("zoo.experiments.scaling", "sklearn"): "optional extra [experiments]",
    ("zoo.export", "onnxruntime"): "optional extra [export]",
    ("zoo.export", "ai_edge_litert"): "optional extra [export]",
    ("zoo.runtime", "jax"): "optional extra [dev]: the JAX backend only",
    ("zoo.runtime", "torch"): "optional: not a dependency, the torch backend only",
    ("zoo.distribute", "jax"): "optional extra [dev]: the JAX backend only",
}


@functools.lru_cache(maxsize=None)
def function_level_imports():
    """``[(module, line, package, statement, packages the module imports at its top)]`` for
    every import statement inside a function or class of zoo/ (relative imports aside)."""
    found = []
    for path in sorted(ZOO.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = {name.split(".")[0] for node in tree.body for name in _imported(node)}
        body_ids = {id(n) for n in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in body_ids:
                for package in sorted({name.split(".")[0] for name in _imported(node)}):
                    found.append((_module_name(path), node.lineno, package, ast.unparse(node),
                                  top))
    return found


def _imported(node):
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom) and not node.level:
        return [node.module]
    return []


def test_no_function_level_stdlib_import():
    lines = [f"{m}:{line}: {text}  (the standard library: import it at the module's top)"
             for m, line, package, text, _ in function_level_imports()
             if package in sys.stdlib_module_names]
    assert not lines, "stdlib imports inside functions:\n" + "\n".join(lines)


def test_no_function_level_import_of_a_package_already_at_the_top():
    lines = [f"{m}:{line}: {text}  ({package} is imported at the top already)"
             for m, line, package, text, top in function_level_imports() if package in top]
    assert not lines, "imports repeated inside functions:\n" + "\n".join(lines)


def test_every_lazy_import_is_listed_with_its_reason():
    found = function_level_imports()
    lines = [f"{m}:{line}: {text}  (not in LAZY_IMPORTS: import it at the top, or list "
             f"({m!r}, {package!r}) with its reason)" for m, line, package, text, _ in found
             if (m, package) not in LAZY_IMPORTS and package != "zoo"
             and package not in sys.stdlib_module_names]
    assert not lines, "unlisted imports inside functions:\n" + "\n".join(lines)
    stale = sorted(set(LAZY_IMPORTS) - {(m, package) for m, _, package, _, _ in found})
    assert not stale, f"LAZY_IMPORTS lists imports that are gone: {stale}"
    assert all(reason.startswith(("heavy", "optional")) for reason in LAZY_IMPORTS.values())
