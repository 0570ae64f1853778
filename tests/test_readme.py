"""Every Python snippet of the README runs as pasted: each in a fresh namespace, in an empty
working directory, with only what the package ships (no placeholder file, no run directory).

One call is not run again here: ``experiments.run(..., quick=True)`` trains for a minute, and
tests/test_experiments.py runs every quick experiment already. In its snippet the call is checked
instead (its arguments bind to the real signature, its ``data_dir`` holds MNIST's four files)
and answered with that experiment's shipped full-run result, so the rest of the snippet (reading
the figures, ``experiments.save``) runs for real.

The snippets run one statement at a time, and a comment that states what a statement gives is
checked against what it gave (:func:`claim_kind` says which comments state a result; any other
comment is prose): a Python literal (``# ['deep_mlp', ...]``, ``# 'star'``; ``...`` stands for
the rest, a float is compared to the digits written), a shape with its dtype (``# (4, 28, 28,
1) float32``; a name stands for any size), ``# N parameters`` (the model's count) and an
object with its fields (``# Caption(text='...', words=[...])``, on the statement's line or the
comment lines right after it)."""

import ast
import inspect
import io
import pathlib
import re
import tokenize

import numpy as np

import pytest

import zoo
from zoo import experiments
from zoo.data.idx import find_mnist_files

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"
SNIPPETS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_the_readme_has_python_snippets():
    assert len(SNIPPETS) >= 5


@pytest.mark.parametrize("index", range(len(SNIPPETS)))
def test_readme_snippet_runs_as_pasted(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    real_run = experiments.run
    calls = []

    def checked_run(*args, **kwargs):
        bound = inspect.signature(real_run).bind(*args, **kwargs)
        assert len(find_mnist_files(bound.arguments["data_dir"])[1]) == 4
        calls.append(bound.arguments["name"])
        return experiments.shipped(bound.arguments["name"])

    monkeypatch.setattr(zoo.experiments, "run", checked_run)
    checked = run_checking_claims(SNIPPETS[index], f"README.md python snippet {index + 1}")
    assert checked == [text for text in _comment_texts(SNIPPETS[index]) if claim_kind(text)]
    if calls:
        assert all((tmp_path / "out" / f"{name}.json").is_file() for name in calls)


def test_the_readme_states_results_that_are_checked():
    claims = [text for snippet in SNIPPETS for text in _comment_texts(snippet)
              if claim_kind(text)]
    kinds = {claim_kind(text) for text in claims}
    assert len(claims) >= 8 and kinds == {"literal", "shape", "parameters", "object"}, claims


@pytest.mark.parametrize("source, words", [
    ("x = [1, 2]  # [1, 3]", "the README says 3, got 2"),
    ("x = 0.25  # 0.3", "the README says 0.3"),
    ("x = [('4', 0.96), ('9', 0.02)]  # [('4', 0.9), ...]", "the README says 0.9, got 0.96"),
    ("import numpy as np\nx = np.zeros((2, 3))  # (2, 4) float64", "shape (2, 3)"),
    ("import numpy as np\nx = np.zeros((2, 3))  # (2, 3) int32", "dtype float64"),
    ("import fractions\nfractions.Fraction(1, 2)\n# Fraction(numerator=2, denominator=...)",
     "numerator"),
])
def test_a_wrong_claim_fails(source, words):
    with pytest.raises(AssertionError, match=re.escape(words)):
        run_checking_claims(source, "a snippet")


def test_right_claims_pass():
    source = ("import numpy as np\n"
              "x = [('4', 0.999998), ('9', 7e-07), ('7', 0.0)]  # [('4', 0.999998), ('9', 7e-07), ...]\n"
              "np.zeros((3, 4, 4), np.float32)  # (steps, 4, 4) float32\n"
              "'star'  # 'star'\n"
              "import collections\nBox = collections.namedtuple('Box', 'text words grid')\n"
              "Box('a b', ['a', 'b'], np.zeros((5, 2)))\n"
              "# Box(text='a b', words=[...], grid=(n, 2) array)\n"
              "y = 1  # one, as prose: not checked\n")
    assert run_checking_claims(source, "a snippet") == [
        "[('4', 0.999998), ('9', 7e-07), ...]", "(steps, 4, 4) float32", "'star'",
        "Box(text='a b', words=[...], grid=(n, 2) array)"]
    with pytest.raises(AssertionError, match=r"\(grid\): the README says '\(n, 3\) array'"):
        run_checking_claims(source.replace("(n, 2) array", "(n, 3) array"), "a snippet")


# -- the claims in comments ----------------------------------------------------------------------

SHAPE = re.compile(r"\(((?:\w+, )*\w+,?)\)(?:\s+(\w+))?")
PARAMETERS = re.compile(r"([\d,]+) parameters\b")
OBJECT = re.compile(r"([A-Z]\w*)\((.*)\)$")


def _literal(node):
    """Whether an expression is a literal (constants, ``...``, lists, tuples, negative
    numbers)."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, (ast.List, ast.Tuple)):
        return all(_literal(element) for element in node.elts)
    return (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant))


def _parsed(text):
    try:
        return ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return None


def claim_kind(text):
    """What a comment states about its statement's result: ``"shape"``, ``"parameters"``,
    ``"object"``, ``"literal"``, or ``None`` (prose)."""
    text = text.strip()
    shape = SHAPE.match(text)
    if shape and any(part.strip().isdigit() for part in shape.group(1).split(",")):
        return "shape"
    if PARAMETERS.search(text):
        return "parameters"
    if OBJECT.match(text):
        return "object"
    node = _parsed(text)
    return "literal" if node is not None and _literal(node) else None


def _same(node, value, source, where):
    """Assert that ``value`` is what the literal ``node`` (from ``source``) writes."""
    said = f"{where}: the README says {ast.get_source_segment(source, node)}, got {value!r}"
    if isinstance(node, ast.Constant) and node.value is Ellipsis:
        return
    if isinstance(node, (ast.List, ast.Tuple)):
        assert isinstance(value, (list, tuple)), said
        elements = node.elts
        rest = bool(elements) and isinstance(elements[-1], ast.Constant) \
            and elements[-1].value is Ellipsis
        if rest:
            elements = elements[:-1]
            assert len(value) >= len(elements), said
        else:
            assert len(value) == len(elements), said
        for element, item in zip(elements, value):
            _same(element, item, source, where)
        return
    written = ast.literal_eval(node)
    if isinstance(written, float):  # compared to the significant digits written
        digits = len(re.sub(r"[^0-9]", "", re.split("[eE]", ast.get_source_segment(
            source, node))[0]).lstrip("0")) or 1
        assert isinstance(value, (float, int, np.floating)), said
        assert float(f"{float(value):.{digits - 1}e}") == written, said
        return
    assert value == written and type(value) is type(written), said


def _check_shape(text, value, where):
    sizes, dtype = SHAPE.match(text.strip()).groups()
    shape = tuple(getattr(value, "shape", None) or ())
    said = f"{where}: the README says {text.strip()!r}, got shape {shape}"
    wanted = [part.strip() for part in sizes.split(",") if part.strip()]
    assert len(shape) == len(wanted), said
    for size, part in zip(shape, wanted):
        assert not part.isdigit() or int(size) == int(part), said
    try:
        np.dtype(dtype)
    except TypeError:
        return  # a word, not a dtype: "(1, 64) features"
    got = str(getattr(value.dtype, "name", value.dtype))
    assert got == dtype, f"{where}: the README says {dtype}, got dtype {got}"


def _split_fields(text):
    """``name=value`` pieces of a call's arguments, split at the commas outside brackets and
    quotes."""
    pieces, depth, quote, start = [], 0, None, 0
    for position, char in enumerate(text):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            pieces.append(text[start:position])
            start = position + 1
    pieces.append(text[start:])
    return [piece.strip() for piece in pieces if piece.strip()]


def _check_object(text, value, where):
    name, fields = OBJECT.match(text.strip()).groups()
    assert type(value).__name__ == name, f"{where}: the README says a {name}, got {value!r}"
    for field in _split_fields(fields):
        key, _, written = field.partition("=")
        key, written = key.strip(), written.strip()
        assert hasattr(value, key), f"{where}: the README names {name}.{key}, which it has not"
        got = getattr(value, key)
        if SHAPE.match(written) and claim_kind(written) == "shape":
            _check_shape(written, got, f"{where} ({key})")
            continue
        node = _parsed(written)
        if node is not None and _literal(node):
            _same(node, got, written, f"{where} ({key})")


def check_claim(text, value, where):
    """Assert the comment ``text`` about a statement's result ``value``."""
    kind = claim_kind(text)
    if kind == "shape":
        _check_shape(text, value, where)
    elif kind == "parameters":
        count = int(PARAMETERS.search(text).group(1).replace(",", ""))
        assert value.count_params() == count, \
            f"{where}: the README says {count:,} parameters, got {value.count_params():,}"
    elif kind == "object":
        _check_object(text, value, where)
    elif kind == "literal":
        text = text.strip()
        _same(_parsed(text), value, text, where)


def _comments(source):
    """``{line: (comment text without '#', whether the line holds only the comment)}``."""
    found = {}
    lines = source.splitlines()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            line = token.start[0]
            alone = not lines[line - 1][:token.start[1]].strip()
            found[line] = (token.string[1:].strip(), alone)
    return found


def _comment_texts(source):
    """The comments :func:`run_checking_claims` reads as claims about a statement, in order."""
    return [text for _, texts in _statement_comments(source) for text in texts]


def _statement_comments(source):
    """``[(statement, [comment texts about its result])]``: the comment on its last line and,
    after an expression, the comment lines right below it."""
    comments, tree = _comments(source), ast.parse(source)
    out = []
    for stmt in tree.body:
        texts = []
        end = stmt.end_lineno
        if end in comments and not comments[end][1]:
            texts.append(comments[end][0])
        if isinstance(stmt, ast.Expr):
            line = end + 1
            while line in comments and comments[line][1]:
                texts.append(comments[line][0])
                line += 1
        out.append((stmt, texts))
    return out


def run_checking_claims(source, name):
    """Run ``source`` a statement at a time in a fresh namespace, checking each claim in its
    comments against the statement's result (an expression's value, or the one name an
    assignment binds); returns the claims checked."""
    namespace, checked = {}, []
    for stmt, texts in _statement_comments(source):
        if isinstance(stmt, ast.Expr):
            value = eval(compile(ast.Expression(stmt.value), name, "eval"), namespace)
        else:
            exec(compile(ast.Module([stmt], type_ignores=[]), name, "exec"), namespace)
            targets = getattr(stmt, "targets", [])
            value = namespace[targets[0].id] if len(targets) == 1 and isinstance(
                targets[0], ast.Name) else None
        for text in texts:
            if claim_kind(text):
                check_claim(text, value, f"{name}, line {stmt.lineno}")
                checked.append(text)
    return checked
