"""The published weights: every record complete and true, resolution by name, publishing, and
refusing files that are not plain weights."""

import functools
import http.server
import importlib.util
import json
import math
import pathlib
import pickle
import re
import shutil
import threading

import keras
import numpy as np
import pytest

import zoo
from zoo import cli, publish, saving, weights
from zoo.tasks import task_class

ROOT = pathlib.Path(__file__).resolve().parents[1]
MNIST_SMALL = ROOT / "tests" / "data" / "mnist_small"
NAMES = weights.list_weights()
MNIST_CLASSIFIERS = [n for n in NAMES if weights.get_weight(n)["task"] == "image_classification"]


def _no_machine_paths(value, where):
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in ("source_vocab", "target_vocab", "vocabulary"):  # tokens such as "/"
                _no_machine_paths(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _no_machine_paths(item, f"{where}[{index}]")
    elif isinstance(value, str):
        text = value.split(":", 1)[-1] if ":" in value[:8] else value
        assert not text.startswith("/"), f"{where} holds an absolute path: {value}"


def test_the_demo_weights_are_published():
    for model in ("perceptron", "deep_mlp", "mnist_convnet", "char_lstm", "seq2seq_gru_bahdanau",
                  "show_attend_tell", "conv_autoencoder"):
        assert weights.list_weights(model=model), f"no published weight for {model}"


@pytest.mark.parametrize("name", NAMES)
def test_record_is_complete_and_true(name):
    record = weights.get_weight(name)
    assert weights.check_record(record) == []
    folder = weights.PRETRAINED_DIR / name
    assert record["bundled"], "every published weight ships in the package for now"
    for entry in record["files"]:
        path = folder / entry["name"]
        assert path.stat().st_size == entry["size"]
        assert weights.sha256_file(path) == entry["sha256"]
    config = saving.read_config(folder)
    assert config["model"] == record["model"] and config["options"] == record["options"]
    assert config["task"] == record["task"] == zoo.describe(record["model"])["task"]
    assert zoo.build(record["model"], **record["options"]).count_params() == record["num_params"]
    headline = task_class(record["task"]).headline_for(record["metrics"])
    assert record["headline"] == dict(headline.to_dict(), value=record["headline"]["value"])
    assert record["headline"]["value"] == record["metrics"][headline.metric]
    assert record["metrics"] == {k: v for k, v in config["metrics"].items()
                                 if k.startswith(("test_", "validation_"))}
    assert record["training"]["wall_time_s"] == config["metrics"]["wall_time_s"]
    assert record["training"]["command"].startswith(f"zoo train {record['model']} ")
    # the data it names is the data its command trained on
    words = record["training"]["command"].split()
    assert record["dataset"]["name"] == words[words.index("--dataset") + 1]
    named = words[words.index("--test-data") + 1] if "--test-data" in words else None
    assert record["training"]["split"]["test_data"] == config["data"]["test_data"] == named
    assert record["keras_version"].split(".")[0] == "3"
    for value in record["metrics"].values():
        assert value is None or math.isfinite(value)
    _no_machine_paths(config, f"{name}/zoo.json")
    _no_machine_paths(record, f"{name} record")


_WORDS = {w: n for n, w in enumerate("no one two three four five six seven eight nine ten "
                                     "eleven twelve".split())}
# numbers that are names, not sizes
_NOT_SIZES = re.compile(r"stride-2|LeNet-5|\bL1\b")


def stated_size_problems(description, options, num_params):
    """What a description says about sizes that its options (or parameter count) contradict;
    every number it writes must be one of the checked kinds, so a new size is not missed."""
    problems = []
    text = _NOT_SIZES.sub(" ", description)
    lists = {k: list(v) for k, v in options.items() if isinstance(v, (list, tuple))}
    hidden = options.get("hidden_units") or []

    def check(stated, actual, what):
        if stated != actual:
            problems.append(f"{what}: the description says {stated}, the options {actual}")

    # counts in words: "two GRU layers", "three hidden ReLU layers", "two stride-2
    # convolutions", "one layer of 256 ReLU code units", "no hidden layer"
    for match in re.finditer(r"\b(" + "|".join(_WORDS) + r")\b([^,:;.()]{0,40}?)\b(layers?|"
                             r"convolutions?|blocks?)\b", text, flags=re.IGNORECASE):
        count, between, noun = _WORDS[match.group(1).lower()], match.group(2), match.group(3)
        if "hidden" in between:
            check(count, len(hidden), f"{match.group(0)!r} (hidden_units)")
        elif noun.startswith(("convolution", "block")):
            check(count, len(options["filters"]), f"{match.group(0)!r} (filters)")
        elif "num_layers" in options:
            check(count, options["num_layers"], f"{match.group(0)!r} (num_layers)")
        else:  # the code layer after the hidden ones
            check(count, len(hidden) + 1, f"{match.group(0)!r} (hidden_units and the code)")
    spans = []

    def take(pattern, handle):
        for match in re.finditer(pattern, text):
            spans.append(match.span())
            handle(match)

    def numbers(chunk):
        return [int(n) for n in re.findall(r"\d+", chunk.replace(",", ""))]

    take(r"([\d,]+) parameters", lambda m: check(numbers(m.group(1))[0], num_params,
                                                 "the parameter count"))

    def shape(m):
        sizes = numbers(m.group(0).replace("x", " "))
        if len(set(sizes)) == 1 and len(sizes) == 2 and "kernel_size" in options:
            check(sizes[0], options["kernel_size"], f"{m.group(0)} (kernel_size)")
        else:
            full = list(options.get("input_shape") or options.get("image_shape"))
            check(sizes, full[:len(sizes)], f"{m.group(0)} (input shape)")
    take(r"\d+(?:x\d+)+", shape)
    take(r"\d+(?:-\d+)+", lambda m: check(
        numbers(m.group(0).replace("-", " ")),
        next((v for v in lists.values() if v == numbers(m.group(0).replace("-", " "))), None),
        f"{m.group(0)} (a list of sizes)"))
    take(r"\((\d+(?:, \d+)+)\)", lambda m: check(
        numbers(m.group(1).replace(",", " ")),
        next((v for v in lists.values() if v == numbers(m.group(1).replace(",", " "))), None),
        f"({m.group(1)}) (a list of sizes)"))
    take(r"(\d+) classes", lambda m: check(int(m.group(1)), options["num_classes"],
                                           "num_classes"))
    take(r"a dense layer of (\d+)", lambda m: check([int(m.group(1))],
                                                    list(options.get("dense_units") or []),
                                                    "dense_units"))

    def units(m):
        widths = [options[k] for k in ("units", "code_size") if k in options] + list(hidden)
        if int(m.group(1)) not in widths:
            problems.append(f"{m.group(0)!r}: no such width in the options {widths}")
    take(r"(\d+)(?:-unit| (?:[\w-]+ ){0,2}units)", units)
    rest = list(text)
    for start, end in spans:
        rest[start:end] = " " * (end - start)
    for number in re.findall(r"\d+", "".join(rest)):
        problems.append(f"{number}: a number this test does not know how to check")
    return problems


def test_a_published_config_names_data_as_its_command_does(tmp_path):
    """Publishing writes a run's paths relative to the project (inside the data folder:
    ``data/...``, however the folder was given), an absolute path elsewhere as its file
    name only, each path of a comma-separated list alike, and a URL as it is."""
    from zoo.publish import _relative

    root, data = tmp_path / "project", tmp_path / "shared" / "data"
    data_dirs = (pathlib.Path("../shared/data"), data)
    for value, want in [
            (f"{root}/data/x.tsv", "data/x.tsv"),
            (f"{data}/text/english_broad", "data/text/english_broad"),
            ("../shared/data/text/b.txt", "data/text/b.txt"),
            (str(data), "data"),
            (f"rel/a.tsv,{data}/b.tsv,/srv/c.tsv", "rel/a.tsv,data/b.tsv,c.tsv"),
            ("https://example.org/x.tsv", "https://example.org/x.tsv"),
            ("heldout", "heldout"), ("/elsewhere/f.txt", "f.txt"), ("mnist", "mnist")]:
        assert _relative(value, root, data_dirs) == want, value
    assert _relative({"a": [f"{data}/t"]}, root, data_dirs) == {"a": ["data/t"]}


@pytest.mark.parametrize("name", NAMES)
def test_a_record_states_the_sizes_of_its_options(name):
    """The sizes a record's description states (units, layers, hidden units, filters, input
    shape, parameters) are those of its options: char_gru.english_broad said 256 units for
    its 512. Publishing writes the registry's description filled from the run's options."""
    record = weights.get_weight(name)
    assert stated_size_problems(record["description"], record["options"],
                                record["num_params"]) == []
    spec = zoo.registry.get_spec(record["model"])
    assert record["description"] == spec.describe_options(record["options"])


def test_the_size_check_and_the_descriptions_follow_the_options():
    gru = zoo.registry.get_spec("char_gru")
    said = "Character language model with two GRU layers of 256 units: gated like the LSTM " \
           "with one state instead of two."
    assert gru.description == said  # the listing: the defaults
    broad = {"rnn": "gru", "units": 512, "num_layers": 2}
    assert stated_size_problems(said, broad, None) == [
        "'256 units': no such width in the options [512]"]
    assert gru.describe_options(broad) == said.replace("256", "512")
    assert gru.describe_options({"units": 64, "num_layers": 1}).startswith(
        "Character language model with one GRU layer of 64 units:")
    deep = zoo.registry.get_spec("deep_mlp").describe_options({"hidden_units": [300, 100]})
    assert deep == "Deep MLP: two hidden ReLU layers (300-100) with dropout."
    assert stated_size_problems(deep, {"hidden_units": [300, 100]}, None) == []
    assert stated_size_problems(deep, {"hidden_units": [300, 100, 10]}, None) == [
        "'two hidden ReLU layers' (hidden_units): the description says 2, the options 3",
        "300-100 (a list of sizes): the description says [300, 100], the options None"]
    convnet = zoo.registry.get_spec("mnist_convnet")
    assert stated_size_problems(convnet.description, convnet.options(), 34_826) == []
    assert "dense" not in convnet.description  # the classic convnet has no dense layer
    head = convnet.describe_options({"dense_units": [128]})
    assert ", a dense layer of 128, dropout" in head
    assert stated_size_problems(head, {**convnet.options(), "dense_units": [128]}, 0) == []
    assert stated_size_problems(head, convnet.options(), 0) == [
        "dense_units: the description says [128], the options []"]
    assert convnet.describe_options({"dense_units": [128, 64]}).count("two dense layers (128-64)")
    assert stated_size_problems("softmax (34,826 parameters)", {}, 35_000) == [
        "the parameter count: the description says 34826, the options 35000"]
    assert stated_size_problems("A 7-layer net.", {}, 0) == [
        "7: a number this test does not know how to check"]
    # braces that name no option are text
    assert zoo.registry.render_description("a {set} of {units} units", {"units": 3}) == \
        "a {set} of 3 units"


@pytest.mark.parametrize("name", NAMES)
def test_fixture_figure_is_measured_again(name):
    """Loading the bundled files and measuring on the small real data under tests/data gives
    the figure the record states (the same code path `publish` used)."""
    record = weights.get_weight(name)
    fixture = record["fixture"]
    assert fixture and fixture["metrics"], "every record carries a re-measurable figure"
    again = publish.measure_fixture(zoo.load(name), fixture)
    for key, value in fixture["metrics"].items():
        if isinstance(value, float):
            assert again[key] == pytest.approx(value, rel=1e-4, abs=1e-4), key
        else:
            assert again[key] == value, key


UNSEEN_PHOTO_RECORDS = [n for n in NAMES
                        if "test_unseen_photos_mse" in weights.get_weight(n)["metrics"]]


def test_photo_patch_records_carry_their_unseen_photo_figures():
    """A photo-patch weight's headline is its MSE on photos it never saw (at least 10, from
    other packages: the tests do not ship them, so the figures are checked against the list
    the record keeps of each photo's figures, and that list against the fetch table)."""
    from zoo.data.sources import photos

    patch_records = [n for n in NAMES
                     if weights.get_weight(n)["preprocessing"].get("per_image") is not None]
    assert patch_records and patch_records == UNSEEN_PHOTO_RECORDS
    for name in UNSEEN_PHOTO_RECORDS:
        record = weights.get_weight(name)
        metrics, unseen = record["metrics"], record["dataset"]["unseen_photos"]
        assert record["headline"]["metric"] == "test_unseen_photos_mse"
        assert unseen["files"] == sorted(photos.UNSEEN_PHOTOS) == sorted(unseen["per_photo"])
        assert metrics["test_unseen_photos_photos"] == len(unseen["files"]) >= 10
        trained = {f for files in record["dataset"]["files"].values() for f in files}
        assert not trained & set(unseen["files"])
        mses = [unseen["per_photo"][f]["mse"] for f in unseen["files"]]
        count = unseen["patches_per_photo"]
        assert all(unseen["per_photo"][f]["examples"] == count for f in unseen["files"])
        assert metrics["test_unseen_photos_examples"] == count * len(mses)
        assert metrics["test_unseen_photos_mse"] == pytest.approx(np.mean(mses), rel=1e-6)
        assert [metrics[f"test_unseen_photos_mse_{k}"] for k in ("min", "median", "max")] \
            == pytest.approx([min(mses), np.median(mses), max(mses)])
        assert "the tests do not ship these photos" in record["training"]["notes"]


def test_publishing_a_patch_run_measured_on_photos_heads_its_record_with_them(tmp_path,
                                                                           monkeypatch):
    """The publish step (scripts/train_pretrained.py's record_unseen_photos): the figures it
    adds to a run reach its record, and the unseen-photo MSE becomes the headline; without
    them the headline is the test MSE."""
    run = tmp_path / "run"
    run.mkdir()
    for file in (saving.CONFIG_FILE, saving.WEIGHTS_FILE):
        (run / file).write_bytes((weights.PRETRAINED_DIR / "patch_autoencoder.photos" / file)
                                 .read_bytes())
    config = json.loads((run / saving.CONFIG_FILE).read_text())
    for key in [k for k in config["metrics"] if k.startswith("test_unseen_photos")]:
        del config["metrics"][key]
    (run / saving.CONFIG_FILE).write_text(json.dumps(config))
    facts = dict(data_source="fixture", data_license="CC0", command="zoo train patch_autoencoder")
    plain = publish.publish(run, tmp_path / "out", name="patch.plain", **facts)
    assert plain["headline"]["metric"] == "test_mse"
    # the publish script's step, with the three small photos standing for the fetched ones
    from zoo.data.sources import photos

    shipped = ROOT / "tests" / "data" / "photos"
    unseen = shutil.copytree(shipped, tmp_path / "data" / photos.UNSEEN_FOLDER)
    monkeypatch.setattr(photos, "UNSEEN_PHOTOS", {
        p.name: photos._Photo("-", "-", (0, 0), weights.sha256_file(p)) for p in unseen.iterdir()})
    spec = importlib.util.spec_from_file_location("train_pretrained",
                                                  ROOT / "scripts" / "train_pretrained.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    figures = script.record_unseen_photos(run, tmp_path / "data")  # nothing to fetch
    record = publish.publish(run, tmp_path / "out", name="patch.unseen", **facts)
    assert record["headline"] == {"metric": "test_unseen_photos_mse",
                                  "label": "MSE on unseen photos", "direction": "min",
                                  "split": "test", "unit": "",
                                  "value": figures["test_unseen_photos_mse"]}
    assert record["metrics"]["test_unseen_photos_examples"] == 3 * 2000
    assert record["dataset"]["unseen_photos"]["files"] == sorted(photos.UNSEEN_PHOTOS)
    assert record["dataset"]["unseen_photos"]["license"] == photos.UNSEEN_LICENSE
    assert weights.check_record(record) == []


@pytest.mark.parametrize("name", MNIST_CLASSIFIERS)
def test_mnist_fixture_accuracy_agrees_with_the_headline(name):
    """The 200 fixture digits come from MNIST's test set: their accuracy must be near the
    recorded test accuracy on all 10,000 (a 200-digit sample is within 5 points)."""
    record = weights.get_weight(name)
    fixture = record["fixture"]["metrics"]["test_accuracy"]
    assert abs(fixture - record["headline"]["value"]) < 0.05


def test_load_and_build_by_name_give_the_same_model():
    from zoo.data import read_idx

    digits = read_idx(MNIST_SMALL / "t10k-images-idx3-ubyte.gz")[:20]
    labels = read_idx(MNIST_SMALL / "t10k-labels-idx1-ubyte.gz")[:20]
    classifier = zoo.load("mnist_convnet")  # a model name: its published weight
    assert classifier.config["model"] == "mnist_convnet"
    predicted = [int(p.label) for p in classifier.predict(list(digits))]
    assert np.mean(np.array(predicted) == labels) >= 0.9
    model = zoo.build("mnist_convnet", weights="mnist_convnet.mnist")
    batch = classifier.preprocess(list(digits))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model.predict_on_batch(batch)),
                               classifier.predict_proba(list(digits)), rtol=1e-5, atol=1e-6)
    assert "mnist_convnet" in zoo.list_models(pretrained=True)
    assert set(zoo.list_models(pretrained=True)) <= set(zoo.list_models())


def test_unknown_names_and_mismatched_options_are_clear_errors():
    with pytest.raises(zoo.ZooError, match="Did you mean 'mnist_convnet.mnist'"):
        zoo.load("mnist_convnet.mnsit")
    with pytest.raises(zoo.ZooError, match="no such directory"):
        zoo.load("runs/does-not-exist")
    with pytest.raises(zoo.ZooError, match="trained with other options"):
        zoo.build("mnist_convnet", weights="mnist_convnet.mnist", num_classes=5)
    with pytest.raises(zoo.ZooError, match="is for 'deep_mlp'"):
        zoo.build("mnist_convnet", weights=weights.list_weights(model="deep_mlp")[0])
    with pytest.raises(zoo.ZooError, match="not an image classifier|not a"):
        zoo.tasks.load_as("conv_autoencoder", zoo.tasks.ImageClassifier)


def test_weights_cli(capsys):
    assert cli.main(["weights", "list"]) == 0
    out = capsys.readouterr().out
    for name in NAMES:
        assert name in out
    # the columns line up, also past a long headline ("MSE on unseen photos 0.003004")
    assert len({line.index(" params ") for line in out.splitlines()}) == 1, out
    assert "test accuracy" in out and "bundled" in out
    assert cli.main(["weights", "verify"]) == 0
    assert capsys.readouterr().out.count(": ok") == len(NAMES)
    assert cli.main(["list", "--pretrained"]) == 0
    assert "mnist_convnet.mnist" in capsys.readouterr().out
    assert cli.main(["weights", "list", "--json"]) == 0
    assert {r["name"] for r in json.loads(capsys.readouterr().out)} == set(NAMES)


# -- publishing and downloading -------------------------------------------------------------------

def test_publish_then_download_from_a_mirror(tiny_perceptron_run, tmp_path, monkeypatch):
    """publish writes files and a record; a zoo whose table says "not bundled" fetches them
    from ZOO_WEIGHTS_URL into the cache, verified, and loads the same model."""
    served = tmp_path / "served"
    record = publish.publish(tiny_perceptron_run, served, name="perceptron.tiny",
                             data_source="fixture",
                             data_license="CC BY-SA 3.0", command="zoo train perceptron ...",
                             bundled=False,
                             fixture={"dataset": "mnist", "data_dir": "tests/data/mnist_small"})
    assert weights.check_record(record) == []
    assert json.loads((served / "weights.json").read_text())[0]["name"] == "perceptron.tiny"
    table = tmp_path / "table"
    table.mkdir()
    (table / "weights.json").write_text((served / "weights.json").read_text())
    monkeypatch.setattr(weights, "PRETRAINED_DIR", table)
    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ZOO_OFFLINE", raising=False)
    monkeypatch.delenv("ZOO_WEIGHTS_URL", raising=False)
    with pytest.raises(zoo.ZooError, match="ZOO_WEIGHTS_URL"):
        zoo.load("perceptron.tiny")
    # a real HTTP server on 127.0.0.1 serving what publish wrote
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("ZOO_WEIGHTS_URL", f"http://127.0.0.1:{server.server_port}/")
        loaded = zoo.load("perceptron.tiny")
    finally:
        server.shutdown()
        server.server_close()
    cached = tmp_path / "cache" / "weights" / "perceptron.tiny" / saving.WEIGHTS_FILE
    assert cached.is_file()
    assert zoo.load("perceptron.tiny").config["model"] == "perceptron"  # server gone: cache hit
    monkeypatch.setenv("ZOO_WEIGHTS_URL", served.as_uri() + "/")  # a file:// mirror
    original = zoo.load(tiny_perceptron_run)
    digits = np.random.default_rng(0).random((3, 28, 28)).astype("float32")
    np.testing.assert_allclose(loaded.predict_proba(list(digits)),
                               original.predict_proba(list(digits)), rtol=1e-6)
    assert weights.verify("perceptron.tiny")["ok"]
    # offline, the verified cache still serves; a damaged cached file is refused offline
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    assert zoo.load("perceptron.tiny").config["model"] == "perceptron"
    cached.write_bytes(b"\x89HDF\r\n\x1a\n" + b"0" * 100)
    assert not weights.verify("perceptron.tiny")["ok"]
    monkeypatch.setenv("ZOO_WEIGHTS_URL", f"http://127.0.0.1:{server.server_port}/")
    with pytest.raises(zoo.ZooError, match="ZOO_OFFLINE"):
        zoo.load("perceptron.tiny")
    # back online with a file:// mirror: the damaged file is replaced
    monkeypatch.delenv("ZOO_OFFLINE")
    monkeypatch.setenv("ZOO_WEIGHTS_URL", served.as_uri() + "/")
    assert zoo.load("perceptron.tiny").config["model"] == "perceptron"
    assert weights.verify("perceptron.tiny")["ok"]


def _copy_run(run, dest):
    dest.mkdir()
    for name in (saving.CONFIG_FILE, saving.WEIGHTS_FILE):
        (dest / name).write_bytes((run / name).read_bytes())
    return dest


def test_files_that_are_not_plain_weights_are_refused(tiny_perceptron_run, tmp_path):
    model = zoo.load(tiny_perceptron_run).model
    keras_file = tmp_path / "whole.keras"
    model.save(keras_file)
    legacy = tmp_path / "whole.h5"
    import h5py

    with h5py.File(legacy, "w") as store:  # what a whole-model HDF5 file carries
        store.attrs["model_config"] = json.dumps({"class_name": "Functional"})
    cases = {"zip archive": keras_file.read_bytes(), "a pickle": pickle.dumps({"a": 1}),
             "whole-model HDF5": legacy.read_bytes(), "empty": b""}
    for index, (message, content) in enumerate(cases.items()):
        run = _copy_run(tiny_perceptron_run, tmp_path / f"case{index}")
        (run / saving.WEIGHTS_FILE).write_bytes(content)
        with pytest.raises(zoo.ZooError, match=message):
            zoo.load(run)


@pytest.mark.parametrize("options, message", [
    ({"hidden_units": [10 ** 12]}, "between 0 and"),
    ({"num_classes": -3}, "between 0 and"),
    ({"num_classes": "ten"}, "takes a number"),
    ({"dropout": float("inf")}, "finite"),
])
def test_absurd_options_in_zoo_json_are_refused_before_building(tiny_perceptron_run, tmp_path,
                                                                 options, message):
    run = _copy_run(tiny_perceptron_run, tmp_path / "run")
    config = json.loads((run / saving.CONFIG_FILE).read_text())
    config["options"].update(options)
    (run / saving.CONFIG_FILE).write_text(json.dumps(config))
    with pytest.raises(zoo.ZooError, match=message):
        zoo.load(run)


def test_a_model_with_several_weights_keeps_its_first_one_by_name():
    # the emoji captioners sort before the MNIST-canvas one; zoo.load("show_attend_tell") keeps
    # meaning the weight it meant before they were published
    assert {"show_attend_tell.emoji_en", "show_attend_tell.mnist_captions"} \
        <= set(weights.list_weights(model="show_attend_tell"))
    assert weights.default_weight("show_attend_tell") == "show_attend_tell.mnist_captions"
    assert zoo.tasks.resolve("show_attend_tell") == weights.weight_dir(
        "show_attend_tell.mnist_captions")
    assert weights.default_weight("mnist_convnet") == "mnist_convnet.mnist"
    assert weights.default_weight("no_such_model") is None
