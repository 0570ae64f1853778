"""Image captioning on real small data: MNIST caption canvases from the fixture digits, a few real
Tux Paint stamps; both variants, the shared decoders, saving, the readers, bad input, the CLI."""

import csv
import io
import json
import re

import keras
import numpy as np
import pytest
from PIL import Image

import zoo
from zoo import images as zoo_images
from zoo.cli import main
from zoo.data import captions as capdata
from zoo.data.idx import read_idx
from zoo.data.mnist_captions import load_mnist_captions, make_canvases
from zoo.errors import ConfigError, DataError
from zoo.tasks import Captioner
from zoo.tasks.captioner import caption_scores
from zoo.training import train

from _helpers import write_deb
from conftest import DATA_DIR

TUX_DIR = DATA_DIR / "tuxpaint_captions"
# small enough to train in seconds on a shared CPU
TINY = {"encoder_filters": [8, 16], "feature_dim": 32, "embedding_dim": 16, "units": 32,
        "attention_units": 16, "dropout": 0.0, "batch_norm": False}
# as many validation as test canvases: the decoding loops compiled for one serve the other
CANVAS_RECIPE = {"num_canvases": 32, "num_test_canvases": 8, "eval_beam_width": 0}
CAPTION = re.compile(r"^a (small|large) \d( (left of|right of|above|below) a (small|large) \d)+$")


@pytest.fixture(scope="module")
def trained_dir(tmp_path_factory):
    """show_attend_tell trained for one epoch on canvases of the fixture digits, then resumed
    for a second epoch by the same command."""
    out = tmp_path_factory.mktemp("runs") / "sat"
    small = DATA_DIR / "mnist_small"
    kwargs = dict(dataset="mnist_captions", data_dir=small, out_dir=out, batch_size=16,
                  recipe=CANVAS_RECIPE, options=TINY, validation_fraction=0.25, verbose=0)
    train("show_attend_tell", epochs=1, **kwargs)
    metrics = train("show_attend_tell", epochs=2, **kwargs)
    return out, metrics


def _tiny_captioner(name, records, *, image_shape=(64, 64, 3), epochs=0, seed=0):
    """A Captioner of ``name`` with TINY options whose vocabulary is that of ``records``."""
    keras.utils.set_random_seed(seed)
    vocabulary = capdata.build_caption_vocabulary([c for caps in records.captions for c in caps])
    options = zoo.registry.resolve_options(name, **TINY, image_shape=list(image_shape),
                                           vocab_size=len(vocabulary))
    model = zoo.build(name, **options)
    preprocessor = capdata.caption_preprocessing(image_shape)
    config = {"model": name, "options": options, "vocabulary": vocabulary.to_dict(),
              "preprocessor": preprocessor.to_dict(), "max_caption_length": 12}
    return Captioner(model, config), preprocessor


# -- the MNIST caption set ------------------------------------------------------------------------

def test_mnist_canvases_are_deterministic_and_use_disjoint_digits(mnist_small_dir):
    first = load_mnist_captions(data_dir=mnist_small_dir, num_canvases=30, num_test_canvases=10,
                                validation_fraction=0.2, seed=3)
    again = load_mnist_captions(data_dir=mnist_small_dir, num_canvases=30, num_test_canvases=10,
                                validation_fraction=0.2, seed=3)
    other = load_mnist_captions(data_dir=mnist_small_dir, num_canvases=30, num_test_canvases=10,
                                validation_fraction=0.2, seed=4)
    for split in ("train", "validation", "test"):
        assert np.array_equal(first[split].images, again[split].images)
        assert first[split].captions == again[split].captions
    assert not np.array_equal(first["train"].images, other["train"].images)
    assert [len(first[s]) for s in ("train", "validation", "test")] == [30, 6, 10]

    train_digits = {i for d in first["train"].digits for i in d}
    val_digits = {i for d in first["validation"].digits for i in d}
    assert train_digits and val_digits and not train_digits & val_digits
    assert first["test"].source == "test"  # test canvases come from t10k, the others from train

    labels = {"train": read_idx(mnist_small_dir / "train-labels-idx1-ubyte.gz"),
              "test": read_idx(mnist_small_dir / "t10k-labels-idx1-ubyte.gz")}
    for split, canvases in first.items():
        pool = labels["test" if split == "test" else "train"]
        for caption_pair, digits, image in zip(canvases.captions, canvases.digits,
                                               canvases.images):
            forward, backward = caption_pair
            assert CAPTION.match(forward) and CAPTION.match(backward), caption_pair
            said = [int(w) for w in forward.split() if w.isdigit()]
            assert said == [int(pool[i]) for i in digits]  # the caption names the real digits
            assert [int(w) for w in backward.split() if w.isdigit()] == said[::-1]
            assert image.dtype == np.uint8 and image.shape == (64, 64) and image.max() > 200


def test_canvas_geometry_matches_the_caption():
    shades = [70, 130, 190, 250]  # four flat "digits", told apart by their shade
    digits = np.zeros((4, 28, 28), dtype=np.uint8)
    for label, shade in enumerate(shades):
        digits[label, 4:24, 8:20] = shade
    made = make_canvases(digits, np.arange(4), count=60, seed=0)
    for image, (caption, _) in zip(made.images, made.captions):
        words = caption.split()
        labels = [int(w) for w in words if w.isdigit()]
        sizes = [words[i - 1] for i, w in enumerate(words) if w.isdigit()]
        centres, heights = [], []
        for label in labels:
            ys, xs = np.nonzero(np.abs(image.astype(int) - shades[label]) <= 3)
            centres.append((ys.mean(), xs.mean()))
            heights.append(np.ptp(ys) + 1)
        axis = 1 if " left of " in caption else 0
        assert " left of " in caption or " above " in caption
        assert all(a[axis] < b[axis] for a, b in zip(centres, centres[1:])), caption
        for size, height in zip(sizes, heights):
            assert (height <= 13) if size == "small" else (height >= 15), (caption, heights)
    with pytest.raises(ConfigError, match="2 or more"):
        make_canvases(digits, np.arange(4), count=1, seed=0, digits_per_canvas=(1,))


def test_mnist_captions_need_a_data_dir(monkeypatch):
    monkeypatch.delenv("ZOO_DATA_DIR", raising=False)
    with pytest.raises(DataError, match="--data-dir"):
        load_mnist_captions(num_canvases=2, num_test_canvases=2)


# -- caption text and vocabulary ------------------------------------------------------------------

def test_caption_vocabulary_round_trip():
    captions = ["A frog.", "An albino peahen (a female peafowl, or peacock).", "A frog!"]
    assert capdata.clean_caption(captions[1]) == "an albino peahen a female peafowl or peacock"
    vocabulary = capdata.build_caption_vocabulary(captions)
    assert vocabulary.tokens[:4] == ["<pad>", "<unk>", "<s>", "</s>"]
    assert vocabulary.tokens[4:6] == ["a", "frog"]  # the most frequent first
    restored = zoo.text.Vocabulary.from_dict(json.loads(json.dumps(vocabulary.to_dict())))
    assert restored.tokens == vocabulary.tokens
    ids = capdata.encode_caption(restored, "A frog ate a zebra.", max_length=20)
    assert ids[0] == restored.bos_id and ids[-1] == restored.eos_id
    assert restored.decode(ids) == ["a", "frog", "a"]  # specials (and <unk>) are skipped
    assert [restored.tokens[i] for i in ids[1:-1]] == ["a", "frog", "<unk>", "a", "<unk>"]
    assert len(capdata.encode_caption(restored, "a frog " * 30, max_length=5)) == 7
    with pytest.raises(DataError, match="lacks"):
        capdata.check_caption_vocabulary(zoo.text.Vocabulary(["a"]))


# -- readers ----------------------------------------------------------------------------------------

def _png(path, size=(20, 12), mode="RGBA"):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, (200, 30, 30, 255) if mode == "RGBA" else 128).save(path)


def test_caption_tsv_reader_joins_rows_and_checks_images(tmp_path):
    for name in ("a/frog.png", "a/frog-1.png", "b/cow.png", "b/owl.png"):
        _png(tmp_path / name)
    rows = ["image\tcategory\tcaption_en\tcaption_es",
            "a/frog.png\ta\tA frog.\tUna rana.", "a/frog.png\ta\tA green frog.\t",
            "a/frog-1.png\ta\tA frog.\tUna rana.", "b/cow.png\tb\tA cow.\tUna vaca.",
            "b/owl.png\tb\t...\t"]  # no words: left out
    (tmp_path / "captions.tsv").write_text("\ufeff" + "\n".join(rows) + "\n", encoding="utf-8")
    records = capdata.read_caption_tsv(tmp_path)
    assert records.ids == ["a/frog.png", "a/frog-1.png", "b/cow.png"]
    assert records.captions[0] == ["A frog.", "A green frog."]
    assert records.groups[0] == records.groups[1] == "a/frog"
    spanish = capdata.read_caption_tsv(tmp_path / "captions.tsv", column="caption_es")
    assert spanish.captions == [["Una rana."], ["Una rana."], ["Una vaca."]]
    parts = capdata.split_records(records, fractions=(0.3,), seed=0)
    assert sorted(len(p) for p in parts) == [1, 2]
    assert {"a/frog.png", "a/frog-1.png"} in [set(p.ids) for p in parts]  # kept together

    with pytest.raises(DataError, match="'caption_fr'"):
        capdata.read_caption_tsv(tmp_path, column="caption_fr")
    (tmp_path / "b/cow.png").unlink()
    with pytest.raises(DataError, match="b/cow.png"):
        capdata.read_caption_tsv(tmp_path)
    with pytest.raises(DataError, match="no captions.tsv"):
        capdata.read_caption_tsv(tmp_path / "a")


def test_flickr8k_reader(tmp_path):
    root = tmp_path / "flickr"
    names = {"train": ["1_a.jpg", "2_b.jpg"], "validation": ["3_c.jpg"], "test": ["4_d.jpg"]}
    lines = []
    for split_names in names.values():
        for name in split_names:
            Image.new("RGB", (30, 20), (10, 200, 10)).save(
                (root / "Flicker8k_Dataset").mkdir(parents=True, exist_ok=True)
                or root / "Flicker8k_Dataset" / name)
            lines += [f"{name}#{k}\tA dog number {k} runs ." for k in range(5)]
    text = root / "Flickr8k_text"
    text.mkdir()
    (text / "Flickr8k.token.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for split, filename in capdata.FLICKR_SPLITS.items():
        (text / filename).write_text("\n".join(names[split]) + "\n", encoding="utf-8")
    splits = capdata.read_flickr8k(root)
    assert {k: v.ids for k, v in splits.items()} == names
    assert len(splits["train"].captions[0]) == 5
    assert capdata.clean_caption(splits["test"].captions[0][2]) == "a dog number 2 runs"

    data = capdata.load_caption_data(root, batch_size=2, image_shape=(16, 16, 3))
    assert data.info["images"] == {"train": 2, "validation": 1, "test": 1}
    assert data.info["captions"]["test"] == 5
    (images, caption_in), caption_out, weights = next(iter(data.train))
    assert images.shape == (2, 16, 16, 3) and caption_in.shape == caption_out.shape

    (text / "Flickr_8k.testImages.txt").write_text("1_a.jpg\n", encoding="utf-8")
    with pytest.raises(DataError, match="both the train and the test"):
        capdata.read_flickr8k(root)
    (text / "Flickr_8k.testImages.txt").write_text("9_z.jpg\n", encoding="utf-8")
    with pytest.raises(DataError, match="9_z.jpg"):
        capdata.read_flickr8k(root)
    (text / "Flickr8k.token.txt").write_text("no tab on this line\n", encoding="utf-8")
    with pytest.raises(DataError, match="expected 'image.jpg#N<TAB>caption'"):
        capdata.read_flickr8k(root)


def test_coco_captions_through_tfds_mock_data():
    tfds = pytest.importorskip("tensorflow_datasets")
    preprocessor = capdata.caption_preprocessing((24, 24, 3))
    with tfds.testing.mock_data(num_examples=3):
        records = capdata.load_coco_captions("validation", preprocessor)
        data = capdata.load_caption_data("coco_captions", image_shape=(24, 24, 3), batch_size=2)
    assert len(records) == 3 and records.ready
    assert records.images.shape == (3, 24, 24, 3) and records.images.dtype == np.uint8
    assert all(isinstance(c, str) for caps in records.captions for c in caps)
    assert data.info["images"] == {"train": 3, "validation": 3, "test": 3}
    assert data.info["source"] == "tfds" and len(data.vocabulary) > 4


# -- models ------------------------------------------------------------------------------------------

def test_a_model_overfits_a_few_captions_and_both_searches_reproduce_them():
    records = capdata.read_caption_tsv(TUX_DIR)
    keep = [i for i, name in enumerate(records.ids)
            if name.split("/")[-1] in ("frog.png", "cow.png", "lion.png", "butterfly.png",
                                       "albino_peahen.png", "snail.png")]
    records = records.subset(keep)
    captioner, preprocessor = _tiny_captioner("show_attend_tell", records, image_shape=(32, 32, 3))
    split = capdata.encode_split(records, capdata.load_caption_images(records, preprocessor),
                                 captioner.vocabulary, max_length=12)
    batch = next(iter(capdata.pairs_pipeline(split, preprocessor, batch_size=len(records))))
    Captioner.compile_model(captioner.model, keras.optimizers.Adam(0.01))
    for _ in range(120):
        loss = captioner.model.train_on_batch(*batch)
    wanted = [capdata.clean_caption(caps[0]) for caps in records.captions]
    paths = records.images
    greedy = [c.text for c in captioner.caption(paths)]
    beam = captioner.caption(paths, method="beam", beam_width=3)
    assert greedy == wanted, (loss, greedy)
    assert [c.text for c in beam] == wanted
    assert all(len(c.candidates) == 3 and c.candidates[0][0] == c.text for c in beam)
    assert "an albino peahen a female peafowl or peacock" in wanted  # a long one too
    scores = caption_scores(greedy, [[w] for w in wanted])
    assert scores["bleu4"] == pytest.approx(100.0) and scores["exact_match"] == 1.0


@pytest.mark.parametrize("name", zoo.list_models(family="captioning"))
def test_attention_maps_cover_the_image_grid_or_are_refused(name):
    """Each caption word's attention over the encoder's grid sums to one; a model without
    attention says so (building, training and saving every model: test_models.py)."""
    records = capdata.read_caption_tsv(TUX_DIR)
    captioner, _ = _tiny_captioner(name, records)
    paths = records.images[:2]
    if not captioner.has_attention:
        with pytest.raises(ConfigError, match="no attention"):
            captioner.caption(paths[:1], attention=True)
        return
    for found in captioner.caption(paths, attention=True):
        steps = len(found.words) + int(found.finished)
        assert found.attention.shape == (steps, 16, 16) == (steps,) + captioner.inference().grid
        np.testing.assert_allclose(found.attention.sum(axis=(1, 2)), 1.0, atol=1e-5)


def test_bad_build_options_are_clear():
    with pytest.raises(ConfigError, match="vocab_size is not set"):
        zoo.build("show_and_tell", image_shape=(32, 32, 1))
    with pytest.raises(ConfigError, match="image_shape is not set"):
        zoo.build("show_and_tell", vocab_size=9)
    with pytest.raises(ConfigError, match="image_input='state'"):
        zoo.build("show_attend_tell", image_shape=(32, 32, 1), vocab_size=9, image_input="input")
    with pytest.raises(ConfigError, match="locations"):
        zoo.build("show_attend_tell", image_shape=(32, 32, 1), vocab_size=9, locations="polar")
    with pytest.raises(ConfigError, match="rnn"):
        zoo.build("show_and_tell", image_shape=(32, 32, 1), vocab_size=9, rnn="tcn")


def test_backbone_weights_come_from_a_local_file_only(tmp_path):
    options = dict(TINY, image_shape=(32, 32, 3), vocab_size=10, backbone="mobilenet_v2")
    model = zoo.build("show_and_tell", **options, image_pooling="avg")
    backbone = model.get_layer("mobilenet_v2_backbone")
    path = tmp_path / "mobilenet.weights.h5"
    backbone.layers[-1].save_weights(path)
    frozen = zoo.build("show_and_tell", **options, image_pooling="avg", backbone_weights=str(path),
                       encoder_trainable=False)
    loaded = frozen.get_layer("mobilenet_v2_backbone")
    for a, b in zip(backbone.layers[-1].weights, loaded.layers[-1].weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not loaded.trainable_weights
    with pytest.raises(ConfigError, match="never downloaded"):
        zoo.build("show_and_tell", **options, backbone_weights="imagenet")
    with pytest.raises(ConfigError, match="no such file"):
        zoo.build("show_and_tell", **options, backbone_weights=str(tmp_path / "missing.h5"))
    with pytest.raises(ConfigError, match="RGB"):
        zoo.build("show_and_tell", **dict(options, image_shape=(32, 32, 1)))


# -- the trainer, zoo.load and the CLI ----------------------------------------------------------

def test_training_through_the_trainer_resumes_and_measures(trained_dir):
    out, metrics = trained_dir
    assert metrics["epochs_run"] == 2
    for split in ("validation", "test"):
        for key in ("bleu1", "bleu2", "bleu3", "bleu4", "exact_match", "loss"):
            assert np.isfinite(metrics[f"{split}_{key}"])
        assert f"{split}_beam_bleu4" not in metrics  # eval_beam_width=0: greedy only
        assert 0.0 <= metrics[f"{split}_bleu4"] <= metrics[f"{split}_bleu1"] <= 100.0
    config = json.loads((out / "zoo.json").read_text())
    assert config["task"] == "captioning" and config["options"]["image_shape"] == [64, 64, 1]
    assert config["dataset"]["images"] == {"train": 32, "validation": 8, "test": 8}
    assert len(json.loads((out / "history.json").read_text())["loss"]) == 2
    captioner = zoo.load(out)
    canvases = load_mnist_captions(data_dir=DATA_DIR / "mnist_small", num_canvases=32,
                                   num_test_canvases=8, validation_fraction=0.25)["test"]
    direct = captioner.caption(list(canvases.images[:4]))
    again = zoo.load(out).caption(list(canvases.images[:4]))
    assert [c.text for c in direct] == [c.text for c in again]


def test_images_of_any_mode_are_converted_and_bad_ones_refused(trained_dir, tmp_path,
                                                                  monkeypatch):
    captioner = zoo.load(trained_dir[0])
    light = np.zeros((64, 64), dtype=np.uint8)
    light[20:40, 30:34] = 255
    gray, rgb, rgba = tmp_path / "g.png", tmp_path / "rgb.jpg", tmp_path / "rgba.png"
    Image.fromarray(light).save(gray)
    Image.fromarray(light).convert("RGB").save(rgb, quality=100)
    stroke = np.zeros((64, 64, 4), dtype=np.uint8)  # transparent, one opaque dark stroke
    stroke[20:40, 30:34] = (0, 0, 0, 255)
    Image.fromarray(stroke, "RGBA").save(rgba)
    batch = captioner.preprocess([str(gray), str(rgb), str(rgba), light])
    assert batch.shape == (4, 64, 64, 1) and batch.dtype == np.float32
    np.testing.assert_allclose(batch[1], batch[0], atol=0.02)
    np.testing.assert_allclose(batch[2], batch[0], atol=1e-6)  # on white, then inverted
    np.testing.assert_allclose(batch[3], batch[0], atol=1e-6)
    assert len(captioner.caption([str(gray), str(rgba)])) == 2

    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(DataError, match="not an image file"):
        captioner.caption([str(tmp_path / "notes.png")])
    data = io.BytesIO()
    Image.fromarray(light).save(data, format="PNG")
    (tmp_path / "cut.png").write_bytes(data.getvalue()[:60])
    with pytest.raises(DataError, match="damaged or truncated"):
        captioner.caption([str(tmp_path / "cut.png")])
    monkeypatch.setattr(zoo_images, "MAX_PIXELS", 1000)
    with pytest.raises(DataError, match="too large"):
        captioner.caption([str(gray)])
    with pytest.raises(DataError, match="no such file"):
        captioner.caption([str(tmp_path / "missing.png")])
    with pytest.raises(ConfigError, match="method"):
        captioner.caption([light], method="sample")


def test_a_caption_folder_with_a_broken_image_is_refused(tmp_path):
    _png(tmp_path / "ok.png")
    (tmp_path / "bad.png").write_bytes(b"\x89PNG not really")
    (tmp_path / "captions.tsv").write_text(
        "image\tcaption_en\nok.png\tA red box.\nbad.png\tA blue box.\n"
        "ok.png\tA box.\n", encoding="utf-8")
    for name in ("c.png", "d.png", "e.png"):
        _png(tmp_path / name, mode="L")
        with open(tmp_path / "captions.tsv", "a", encoding="utf-8") as handle:
            handle.write(f"{name}\tA gray box.\n")
    with pytest.raises(DataError, match="bad.png"):
        capdata.load_caption_data(tmp_path, image_shape=(16, 16, 3), validation_fraction=0.2)


def test_training_on_a_tux_paint_folder_through_the_cli(tmp_path, capsys):
    out = tmp_path / "sat_tux"
    status = main(["train", "show_and_tell", "--dataset", str(TUX_DIR), "--out", str(out),
                   "--epochs", "1", "--batch-size", "4", "--validation-fraction", "0.2",
                   "--verbose", "0", "--recipe", "eval_beam_width=0",
                   *[f"--option={k}={json.dumps(v)}" for k, v in TINY.items()]])
    assert status == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert "test_bleu4" in metrics and "test_beam_bleu4" not in metrics
    config = json.loads((out / "zoo.json").read_text())
    assert config["options"]["image_shape"] == [64, 64, 3]
    assert sum(config["dataset"]["images"].values()) == 12
    capsys.readouterr()
    image = str(TUX_DIR / "images/animals/amphibians/frog.png")
    assert main(["caption", str(out), image, "--json"]) == 0
    line = json.loads(capsys.readouterr().out.strip())
    assert line["image"] == image and isinstance(line["caption"], str)
    assert main(["caption", str(out), image, "--attention"]) == 2
    assert "no attention" in capsys.readouterr().err


def test_the_caption_command_shows_attention(trained_dir, tmp_path, capsys):
    out = trained_dir[0]
    canvas = load_mnist_captions(data_dir=DATA_DIR / "mnist_small", num_canvases=2,
                                 num_test_canvases=1)["test"].images[0]
    path = tmp_path / "canvas.png"
    Image.fromarray(canvas).save(path)
    assert main(["caption", str(out), str(path), "--beam", "2", "--attention",
                 "--attention-dir", str(tmp_path / "maps")]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"{path}: ") and "looked at row" in printed
    figure = Image.open(tmp_path / "maps" / "canvas.attention.png")
    assert figure.width > figure.height > 64
    capsys.readouterr()
    assert main(["evaluate", str(out), "--data-dir", str(DATA_DIR / "mnist_small")]) == 0
    result = json.loads(capsys.readouterr().out)
    metrics = json.loads((out / "metrics.json").read_text())
    assert result["test_bleu4"] == pytest.approx(metrics["test_bleu4"])  # the same canvases
    assert result["test_exact_match"] == metrics["test_exact_match"]
    assert main(["caption", str(out), str(tmp_path / "nothing.png")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["caption", str(tmp_path), str(path)]) == 2
    assert "holds no trained model" in capsys.readouterr().err


# -- fetching the Tux Paint captions ----------------------------------------------------------------

def test_tux_paint_package_becomes_a_caption_folder(tmp_path):
    from zoo.data.sources import tuxpaint

    big = io.BytesIO()
    Image.new("RGBA", (300, 150), (0, 128, 0, 255)).save(big, format="PNG")
    small = io.BytesIO()
    Image.new("LA", (40, 60), (90, 255)).save(small, format="PNG")
    stamps = "usr/share/tuxpaint/stamps/"
    members = {
        "animals/amphibians/frog.png": big.getvalue(),
        "animals/amphibians/frog.txt": "A frog.\nde.utf8=Ein Frosch.\nes.utf8=Una rana.\n".encode(),
        "animals/mammals/cats/lion.png": small.getvalue(),
        "animals/mammals/cats/lion.txt": b"A lion.\nfr.utf8=Un lion.\n",
        "household/mirror_only.png": small.getvalue(),  # no description: left out
        "household/sound.ogg": b"OggS",
    }
    deb = write_deb(tmp_path / "tuxpaint.deb",
                    {stamps + name: data for name, data in members.items()})
    dest = tuxpaint.extract_tuxpaint_captions(deb, tmp_path / "captions")
    with open(dest / "captions.tsv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert rows == [
        {"image": "animals/amphibians/frog.png", "category": "animals/amphibians",
         "caption_en": "A frog.", "caption_es": "Una rana."},
        {"image": "animals/mammals/cats/lion.png", "category": "animals/mammals",
         "caption_en": "A lion.", "caption_es": ""}]
    frog = Image.open(dest / "images/animals/amphibians/frog.png")
    assert frog.mode == "RGBA" and frog.size == (128, 64)  # downscaled, proportions kept
    assert Image.open(dest / "images/animals/mammals/cats/lion.png").size == (40, 60)
    records = capdata.read_caption_tsv(dest)
    assert records.captions == [["A frog."], ["A lion."]]
    assert not (tmp_path / ".captions.part").exists()
