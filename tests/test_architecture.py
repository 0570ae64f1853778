"""The package's import graph, read from the source (AST), never run: no import circle among
the zoo's modules, and zoo modules imported at the top of each module, not inside functions
(function-level imports are for heavy optional third-party packages only). The laziness that
keeps `import zoo` and the light commands fast lives in one place, the package's PEP 562
attributes (zoo/__init__.py), not in scattered function-level imports.
"""

import ast
import pathlib

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
