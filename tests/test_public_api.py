"""The public API (``zoo.__all__``: functions, errors and the public modules of
``zoo.PUBLIC_MODULES``) is all the demo and the ``zoo`` command use, read from their source (AST):
no private module (``zoo._io``), no ``zoo.data``, ``zoo.images`` or ``zoo.saving``, no private
name. And the sample inputs the demo shows ship inside the package (``zoo.samples``), listed in
pyproject's package-data, and load from an installed copy that has no ``tests/`` folder.
"""

import ast
import os
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
from PIL import Image

import zoo

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "zoo"
FRONT_ENDS = sorted((ROOT / "demo_app").rglob("*.py")) + [PACKAGE / "cli.py"]


def _public_module(dotted):
    """Whether ``zoo.x.y`` is a public module (or the package): under ``zoo.PUBLIC_MODULES``,
    no private part."""
    parts = dotted.split(".")
    return parts[0] == "zoo" and (len(parts) == 1 or parts[1] in zoo.PUBLIC_MODULES) \
        and not any(p.startswith("_") for p in parts)


def _private(name):
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def non_public_uses(source):
    """``[(line, what)]``: the uses of the zoo's insides in a module's source."""
    tree = ast.parse(source)
    found, bound = [], {"zoo"}  # names that stand for public zoo modules
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "zoo" and not _public_module(alias.name):
                    found.append((node.lineno, f"import {alias.name}"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "zoo":
            if not _public_module(node.module):
                found.append((node.lineno, f"from {node.module} import ..."))
                continue
            for alias in node.names:
                if node.module == "zoo" and alias.name not in zoo.__all__ or _private(alias.name):
                    found.append((node.lineno, f"from {node.module} import {alias.name}"))
                elif node.module == "zoo" and alias.name in zoo.PUBLIC_MODULES:
                    bound.add(alias.asname or alias.name)
    inner = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or id(node) in inner:
            continue  # each whole chain once: zoo.a.b, not zoo.a too
        chain, base = [], node
        while isinstance(base, ast.Attribute):
            chain.insert(0, base.attr)
            base = base.value
        if not (isinstance(base, ast.Name) and base.id in bound):
            continue
        if base.id == "zoo" and chain[0] not in zoo.__all__ and not chain[0].startswith("__"):
            found.append((node.lineno, f"zoo.{chain[0]}"))
        elif any(_private(part) for part in chain):
            first = next(i for i, part in enumerate(chain) if _private(part))
            found.append((node.lineno, ".".join([base.id, *chain[:first + 1]])))
    return sorted(set(found))


def test_the_check_finds_every_kind_of_inside_use():
    source = textwrap.dedent("""
        import zoo
        import zoo.data.idx
        from zoo import _quiet, weights, saving
        from zoo._io import write_json
        from zoo.data.unlabeled import read_photo
        from zoo.weights import _read_records, get_weight
        zoo.images.open_image(x)
        zoo.weights._records_path()
        weights._TABLES.clear()
        zoo.samples.digits(); zoo.load("x"); zoo.__version__; zoo.tasks.captioner.attention_peaks
        def f():
            from zoo.images import open_image
    """)
    assert [what for _, what in non_public_uses(source)] == [
        "import zoo.data.idx", "from zoo import _quiet", "from zoo import saving",
        "from zoo._io import ...", "from zoo.data.unlabeled import ...",
        "from zoo.weights import _read_records", "zoo.images",
        "zoo.weights._records_path", "weights._TABLES", "from zoo.images import ..."]


@pytest.mark.parametrize("path", FRONT_ENDS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_demo_and_the_cli_use_the_public_api_only(path):
    found = non_public_uses(path.read_text(encoding="utf-8"))
    assert not found, "\n".join(f"{path.relative_to(ROOT)}:{line}: {what}"
                                for line, what in found)


def test_the_public_names_are_there_and_documented():
    assert "data" not in zoo.PUBLIC_MODULES and "images" not in zoo.PUBLIC_MODULES
    for name in zoo.PUBLIC_MODULES:
        assert (PACKAGE / f"{name}.py").is_file() or (PACKAGE / name / "__init__.py").is_file()
        assert f"``zoo.{name}``" in zoo.__doc__, f"zoo.{name} is not named in zoo's docstring"
    lazy = {name: module for name, module in zoo._LAZY.items()}
    for name, module in lazy.items():  # defined where the package says, read without importing
        path = PACKAGE.parent / (module.replace(".", "/") + ".py")
        path = path if path.is_file() else path.with_suffix("") / "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        defined |= {a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom)
                    for a in n.names}
        assert name in defined, f"zoo.{name}: {module} defines no {name}"


# -- the sample inputs ----------------------------------------------------------------------------

def _package_data():
    """The files pyproject's package-data puts in a wheel (setuptools globs from zoo/)."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "tool"]["setuptools"]["package-data"]["zoo"]
    return {p for pattern in patterns for p in PACKAGE.glob(pattern) if p.is_file()}


def test_every_sample_file_is_package_data_and_small():
    samples = PACKAGE / "samples"
    files = {p for p in samples.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")}
    assert files, "no sample files"
    missing = sorted(str(p.relative_to(PACKAGE)) for p in files - _package_data())
    assert not missing, f"sample files a wheel would leave out: {missing}"
    assert sum(p.stat().st_size for p in files) < 1_000_000  # the wheel stays small


def test_the_samples_load_from_the_package():
    import zoo.samples

    images, labels = zoo.samples.digits()
    assert images.shape == (200, 28, 28) and images.dtype == "uint8"
    assert sorted(set(labels.tolist())) == list(range(10)) and (labels == 7).sum() == 20
    assert not images.flags.writeable
    image, captions = zoo.samples.caption_canvas(11)
    assert image.shape == (64, 64) and captions[0] == "a large 2 above a large 8"
    stamps, photos = zoo.samples.stamps(), zoo.samples.photos()
    assert len(stamps) == 12 and "A frog. (frog-1)" in stamps and len(photos) == 3
    for path in [*stamps.values(), *photos.values(), zoo.samples.mnist_dir()]:
        assert Path(path).resolve().is_relative_to(PACKAGE / "samples")
    patches = zoo.samples.photo_patches(8, 3, per_photo=5)
    assert patches.shape == (15, 8, 8, 3) and patches.dtype == "uint8"
    assert (zoo.samples.photo_patches(8, 3, per_photo=5) == patches).all()  # seeded


def test_the_emoji_samples_are_pictures_never_trained_on_with_both_names():
    """Eight 64x64 RGB pictures: four OpenMoji (the held-out style) and four held-out emoji of
    the training styles, each named in English and Spanish (its reference caption), every
    one listed in the packaged captions.tsv with the split it comes from."""
    import csv

    import zoo.samples
    from zoo.data.sources import emoji as emoji_source
    from zoo.errors import DataError

    english, spanish = zoo.samples.emoji("en"), zoo.samples.emoji("es")
    assert zoo.samples.emoji() == english and len(english) == len(spanish) == 8
    assert list(english.values()) == list(spanish.values())
    assert "red apple (Google Noto, an emoji never trained on)" in english
    assert "cara de perro (OpenMoji, a drawing style never trained on)" in spanish
    with open(PACKAGE / "samples" / "emoji" / "captions.tsv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert [r["split"] for r in rows].count("test_style") == 4
    assert [r["split"] for r in rows].count("test_emoji") == 4
    for row, (label_en, path), label_es in zip(rows, english.items(), spanish):
        assert row["caption_en"].strip() and row["caption_es"].strip()
        assert label_en.rsplit(" (", 1)[0] == row["caption_en"]
        assert label_es.rsplit(" (", 1)[0] == row["caption_es"]
        # the split the fetcher's own rule gives: OpenMoji held out, these emoji held out
        assert (row["style"] == emoji_source.TEST_STYLE) == (row["split"] == "test_style")
        # (none has a skin tone: its hexcode is its base emoji's)
        assert emoji_source.is_heldout_emoji(row["hexcode"]) == (row["split"] == "test_emoji")
        assert Path(path).resolve().is_relative_to(PACKAGE / "samples" / "emoji")
        with Image.open(path) as picture:
            assert picture.size == (64, 64) and picture.mode == "RGB"
            assert picture.getpixel((0, 0)) == (255, 255, 255)  # on white
    with pytest.raises(DataError, match="no emoji names in 'fr'; choose one of en, es"):
        zoo.samples.emoji("fr")


def test_the_samples_load_from_an_installed_copy_without_tests(tmp_path):
    """The package as a wheel installs it (its modules and package-data, nothing else), in a
    folder of its own: every sample reads there, and no checkout is near."""
    site = tmp_path / "site"
    chosen = set(PACKAGE.rglob("*.py")) | _package_data()
    for path in chosen:
        if "__pycache__" in path.parts:
            continue
        target = site / path.relative_to(PACKAGE.parent)
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".h5":  # the bundled weights: large, and not what is tested here
            target.symlink_to(path)
        else:
            shutil.copyfile(path, target)
    script = textwrap.dedent("""
        import pathlib, sys
        import zoo, zoo.samples
        here = pathlib.Path(sys.argv[1]).resolve()
        assert pathlib.Path(zoo.__file__).resolve().is_relative_to(here), zoo.__file__
        images, labels = zoo.samples.digits()
        stamps, photos = zoo.samples.stamps(), zoo.samples.photos()
        image, captions = zoo.samples.caption_canvas(11)
        emoji = zoo.samples.emoji("es")
        paths = [*stamps.values(), *photos.values(), *emoji.values(), zoo.samples.mnist_dir()]
        assert all(pathlib.Path(p).resolve().is_relative_to(here) for p in paths)
        print(images.shape[0], len(stamps), len(photos), len(emoji), captions[0])
    """)
    env = {**os.environ, "PYTHONPATH": str(site), "ZOO_OFFLINE": "1"}
    env.pop("ZOO_DATA_DIR", None)
    result = subprocess.run([sys.executable, "-c", script, str(site)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "200 12 3 8 a large 2 above a large 8"


# -- records of runs ------------------------------------------------------------------------------

def test_a_run_record_agrees_with_the_published_record():
    """``zoo.publish.run_record`` (what the demo shows for an unpublished run) on the folder of
    a bundled weight, which is a run's folder once published: the same facts as its record."""
    name = "mnist_convnet.mnist"
    published = zoo.weights.get_weight(name)
    record = zoo.publish.run_record(zoo.weights.weight_dir(name), name=name)
    for key in ("name", "model", "family", "task", "description", "options", "headline",
                "metrics", "preprocessing"):
        assert record[key] == published[key], key
    assert record["bundled"] is False
    assert zoo.weights.headline_text(record) == zoo.weights.headline_text(published) != ""
    assert zoo.weights.headline_text({**record, "headline": None}) == ""
