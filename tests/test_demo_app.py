"""The Streamlit demo (demo_app/), page by page, in-process with Streamlit's AppTest.

Each test sets a page's inputs, runs it and checks what the page shows: the label the
classifiers read from a real MNIST test digit, the Spanish of an English sentence, a caption of a
real MNIST caption canvas, reconstruction figures in range, and for every kind of bad input
(files that are not images, truncated, a 40000x40000 PNG, empty, very long or unknown text) the
message on the page, with the app still serving.

The models are the published weights (``zoo.weights``), loaded once for the whole module: the
demo caches them per process (``st.cache_resource``), and every AppTest runs in this process.
"""

import io
import json
import re
import resource
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import zoo
from _apptest import ROOT, assert_no_exception, open_page
from demo_app import models, samples  # demo_app/ is on the path through _apptest


# -- helpers --------------------------------------------------------------------------------------

def needs(*names):
    """Every weight a page shows is published (bundled): a missing one is a defect."""
    missing = [n for n in names if n not in models.available()]
    assert not missing, f"weights the demo shows are not published: {', '.join(missing)}"


def chart_data(element):
    """The data frame behind an ``st.altair_chart`` element."""
    import pyarrow as pa

    datasets = element.proto.datasets
    assert len(datasets) == 1
    return pa.ipc.open_stream(datasets[0].data.data).read_all().to_pandas()


def charts(at):
    return at.get("vega_lite_chart")


def png(image, **options):
    buffer = io.BytesIO()
    image.save(buffer, format=options.pop("format", "PNG"), **options)
    return buffer.getvalue()


def _chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def decompression_bomb(side=40000):
    """A valid 1-bit PNG of ``side`` x ``side`` black pixels: 200 KB that decode to 1.6 GB."""
    compressor = zlib.compressobj(9)
    rows = (b"\x00" * (1 + side // 8)) * 1000  # each row: filter byte 0, then side/8 zero bytes
    body = b"".join(compressor.compress(rows) for _ in range(side // 1000)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", body)
            + _chunk(b"IEND", b""))


@pytest.fixture(scope="module", autouse=True)
def fixture_digits_only():
    """The sample pages read MNIST from tests/data/mnist_small (not a full copy in ``data/``), so
    every run sees the same canvases and test digits."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ZOO_DATA_DIR", str(ROOT / "tests" / "data" / "mnist_small"))
        samples.mnist_test.clear()
        yield
    samples.mnist_test.clear()
    models.code_pool.clear()


@pytest.fixture(scope="module")
def digits():
    """The real MNIST test digits of tests/data/mnist_small: ``(uint8 (n, 28, 28), labels)``."""
    from zoo.data.idx import read_idx

    folder = ROOT / "tests" / "data" / "mnist_small"
    return (read_idx(folder / "t10k-images-idx3-ubyte.gz"),
            read_idx(folder / "t10k-labels-idx1-ubyte.gz"))


@pytest.fixture(scope="module")
def bad_files():
    """Uploads the image pages must refuse, each with a word its message must hold."""
    stamp = ROOT / "tests" / "data" / "tuxpaint_captions" / "images" / "animals" / "amphibians"
    whole = (stamp / "frog.png").read_bytes()
    return {
        "not an image": ("notes.png", b"These are my notes, not a picture.\n" * 20,
                         "not an image"),
        "truncated": ("frog.png", whole[:len(whole) // 2], "truncated"),
        # the size and the limit named (Pillow's own bomb check refuses before saying the size)
        "decompression bomb": ("bomb.png", decompression_bomb(),
                               "40000x40000 pixels is too large (limit 40,000,000 pixels"),
        "empty": ("empty.png", b"", "empty"),
    }


def odd_images(digit):
    """A real digit in the awkward encodings users upload: CMYK JPEG, 16-bit PNG, an animated
    GIF and RGBA with a transparent background (the digit dark on light, as drawn)."""
    ink = 255 - digit  # dark on light
    big = Image.fromarray(ink).resize((112, 112), Image.Resampling.LANCZOS)
    frames = [big.convert("P"), Image.new("P", big.size, 255)]
    gif = io.BytesIO()
    frames[0].save(gif, format="GIF", save_all=True, append_images=frames[1:], duration=100,
                   loop=0)
    rgba = Image.new("RGBA", big.size, (0, 0, 0, 0))
    rgba.putalpha(Image.fromarray(255 - np.asarray(big)))  # the ink opaque, the rest clear
    # 16 bits, grey ink on a light grey page: every value is above 255
    sixteen = Image.fromarray(((60 + np.asarray(big) * (200 / 255)) * 257).astype(np.uint16))
    return {"CMYK JPEG": png(big.convert("CMYK"), format="JPEG", quality=95),
            "16-bit PNG": png(sixteen),
            "animated GIF": gif.getvalue(),
            "RGBA PNG": png(rgba)}


def choose(at, key, option):
    """Pick ``option`` in the radio ``key`` (and run the page) unless it is already picked."""
    if at.radio(key=key).value != option:
        at.radio(key=key).set_value(option).run()
        assert_no_exception(at)
    return at


def upload(at, key, name, data):
    at.file_uploader(key=key).set_value((name, data, "application/octet-stream"))
    at.run()
    assert_no_exception(at)
    return at


def metrics(at):
    return {m.label: m.value for m in at.metric}


# -- home -----------------------------------------------------------------------------------------

def test_home_shows_every_family_its_weights_and_the_runtime():
    at = open_page()
    titles = [h.value for h in at.subheader]
    for family in ("Perceptrons and MLPs", "Convolutional networks", "Character RNNs",
                   "Encoder-decoder translation", "Image captioning", "Autoencoders", "Runtime"):
        assert family in titles
    text = " ".join(m.value for m in at.markdown)
    for model in ("perceptron", "mnist_convnet", "char_lstm", "seq2seq_gru_bahdanau",
                  "show_attend_tell", "conv_autoencoder"):
        assert f"`{model}`" in text
    tables = [d.value for d in at.dataframe]
    runtime = tables[0].set_index("")["value"]
    assert runtime["Keras backend"] == "tensorflow"
    from zoo import runtime as zoo_runtime

    assert (runtime["Device"] == "CPU") == (not zoo_runtime.gpus())  # else the GPU's name
    assert re.match(r"\d+ per operation", runtime["Threads"])
    weights = {row["weight"]: row for table in tables[1:] for row in table.to_dict("records")}
    assert set(weights) == set(models.available())
    for name, row in weights.items():
        record = models.record(name)
        assert row["model"] == record["model"]
        assert row["headline figure"] == zoo.weights.headline_text(record) != ""


# -- digits ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def digits_page():
    needs(*models.DIGITS)
    return open_page("digits")


def read_predictions(at):
    """``{model: (label, probabilities)}`` from the three columns of the Digits page."""
    found = {}
    for metric, chart in zip(at.metric, charts(at)):
        frame = chart_data(chart)
        found[metric.label] = (metric.value, frame["probability"].to_numpy())
    return found


def test_digits_reads_an_uploaded_real_mnist_digit(digits_page, digits):
    images, labels = digits
    at = digits_page
    choose(at, "source", "Upload")
    for index in (0, 1, 2):
        picture = Image.fromarray(images[index]).resize((140, 140), Image.Resampling.LANCZOS)
        upload(at, "upload", f"digit{index}.png", png(picture))
        assert not at.error
        found = read_predictions(at)
        assert set(found) == {"perceptron", "deep_mlp", "mnist_convnet"}
        for label, probs in found.values():
            assert label in [str(d) for d in range(10)]
            assert probs.shape == (10,) and abs(probs.sum() - 1) < 1e-4
            assert probs[int(label)] == probs.max()
        assert found["mnist_convnet"][0] == str(labels[index])
        assert found["deep_mlp"][0] == str(labels[index])
        assert not [w.value for w in at.warning if "guess" in w.value]
        assert [c.value for c in at.caption if c.value.startswith("Looks like its training")]


def test_digits_shows_the_cnn_feature_maps_of_a_test_digit(digits_page):
    at = digits_page
    choose(at, "source", "MNIST test digit")
    at.number_input(key="index").set_value(3).run()
    assert_no_exception(at)
    _, label = samples.mnist_digit(3)
    assert f"labelled {label}" in " ".join(c.value for c in at.caption)
    assert metrics(at)["mnist_convnet"] == str(label)
    captions = " ".join(c for image in at.image for c in image.captions)
    for layer in ("conv", "pool"):  # both kinds of layer, with their sizes
        assert re.search(rf"\w*{layer}\w*: \d+ maps of \d+x\d+", captions)
    if "lenet5.mnist" in models.available():  # the other CNN: LeNet-5's 6 then 16 maps
        at.selectbox(key="cnn").set_value("lenet5.mnist").run()
        assert_no_exception(at)
        captions = " ".join(c for image in at.image for c in image.captions)
        assert re.search(r": 6 maps of 28x28", captions) and re.search(r": 16 maps of", captions)


@pytest.mark.parametrize("kind", ["CMYK JPEG", "16-bit PNG", "animated GIF", "RGBA PNG"])
def test_digits_reads_awkward_image_encodings(digits_page, digits, kind):
    images, labels = digits
    at = digits_page
    choose(at, "source", "Upload")
    upload(at, "upload", f"digit.{kind.split()[-1].lower()}", odd_images(images[0])[kind])
    assert not at.error, [e.value for e in at.error]
    assert metrics(at)["mnist_convnet"] == str(labels[0])


def test_digits_says_blank_tiny_and_thin_pictures_are_empty(digits_page):
    at = digits_page
    choose(at, "source", "Upload")
    for name, picture in {"white.png": Image.new("L", (100, 100), 255),
                          "clear.png": Image.new("RGBA", (50, 50), (0, 0, 0, 0)),
                          "dot.png": Image.new("L", (1, 1), 0),
                          "line.png": Image.new("RGB", (5000, 3), (0, 0, 0))}.items():
        upload(at, "upload", name, png(picture))
        assert not at.error, [e.value for e in at.error]
        assert [w.value for w in at.warning if "empty" in w.value], name
        assert len(at.metric) == 0  # no confident digit for an empty picture


def test_digits_warns_that_noise_is_not_a_digit(digits_page):
    at = digits_page
    choose(at, "source", "Upload")
    noise = np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)
    upload(at, "upload", "noise.png", png(Image.fromarray(noise)))
    assert [w.value for w in at.warning if "does not look like a handwritten digit" in w.value]
    assert len(at.metric) == 3  # the guesses are still shown, under the warning


def test_digits_says_a_photo_is_unlike_the_training_digits(digits_page):
    at = digits_page
    choose(at, "source", "Upload")
    photo = Path(__file__).parent / "data" / "photos" / "french-alpine-landscape.jpg"
    upload(at, "upload", photo.name, photo.read_bytes())
    assert not at.error
    assert [w.value for w in at.warning
            if "looks unlike the training data; the answer is a guess" in w.value]
    assert [c.value for c in at.caption if "the answer is a guess" in c.value]
    assert len(at.metric) == 3  # the guesses are still shown, under the warning


@pytest.mark.parametrize("kind", ["not an image", "truncated", "decompression bomb", "empty"])
def test_digits_refuses_bad_files_with_a_message(digits_page, digits, bad_files, kind):
    at = digits_page
    choose(at, "source", "Upload")
    name, data, words = bad_files[kind]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    upload(at, "upload", name, data)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak
    assert any(words in e.value and name in e.value for e in at.error), \
        [e.value for e in at.error]
    assert not at.metric  # no prediction from a refused file
    assert grown < 300 * 1024, f"memory peak grew by {grown // 1024} MiB"
    if kind == "decompression bomb":  # the page keeps serving: a real digit right after
        images, labels = digits
        upload(at, "upload", "digit.png", png(Image.fromarray(images[0])))
        assert not at.error and metrics(at)["mnist_convnet"] == str(labels[0])


# -- text -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def text_page():
    needs("char_lstm.english")
    return open_page("text")


def language_models():
    return [name for name in zoo.weights.list_weights()
            if zoo.weights.get_weight(name)["task"] == "language_model"]


def test_text_lists_every_published_language_model_the_broad_one_first(text_page, monkeypatch):
    at = text_page
    choice = at.selectbox(key="weight")
    assert sorted(choice.options) == language_models()
    assert choice.value == choice.options[0] == models.text_weights()[0]
    expected = "char_gru.english_broad" if "char_gru.english_broad" in choice.options \
        else "char_lstm.english"
    assert choice.value == expected
    record = zoo.weights.get_weight(choice.value)
    assert any(record["description"] in c.value for c in at.caption)
    # a weight published later is listed, and the broad model is the default once it is
    published = {"char_lstm.english": "language_model", "deep_mlp.mnist": "image_classifier",
                 "char_rnn.shakespeare": "language_model"}
    monkeypatch.setattr(models, "available", lambda: sorted(published))
    monkeypatch.setattr(models, "record", lambda name: {"task": published[name]})
    assert models.text_weights() == ["char_lstm.english", "char_rnn.shakespeare"]
    published["char_gru.english_broad"] = "language_model"
    assert models.text_weights() == ["char_gru.english_broad", "char_lstm.english",
                                     "char_rnn.shakespeare"]


def test_text_predicts_the_next_character_and_continues_the_prefix(text_page):
    at = text_page
    name = at.selectbox(key="weight").value
    at.slider(key="length").set_value(40)
    for prefix, expected in (("said Emm", "a"), ("Hello, worl", "d")):  # English, and Austen
        at.text_area(key="prefix").set_value(prefix).run()
        assert_no_exception(at)
        assert metrics(at)["Most probable next character"] == expected
        with models.use(name) as model:
            assert model.next_char_probabilities(prefix, top_k=1)[0][0] == expected
    at.text_area(key="prefix").set_value("Hell").run()
    frame = chart_data(charts(at)[0])
    assert len(frame) == 20 and frame["probability"].between(0, 1).all()
    assert list(frame["probability"]) == sorted(frame["probability"], reverse=True)
    assert frame["probability"].sum() <= 1 + 1e-6
    with models.use(name) as model:  # the chart is the model's distribution
        top = model.next_char_probabilities("Hell", top_k=20)
    assert np.allclose(frame["probability"], [p for _, p in top])
    # room to read it: the page's whole width (in no column), a 26 px row per character, every
    # label drawn and white space named
    assert not any(column.get("vega_lite_chart") for column in at.columns)
    spec = json.loads(charts(at)[0].proto.spec)
    axis = spec["layer"][0]["encoding"]["y"]["axis"]
    assert axis["labelOverlap"] is False and axis["labelLimit"] == 0 and spec["height"] >= 26 * 20
    assert "␣ (space)" in set(frame["character"])

    at.slider(key="length").set_value(120)
    at.slider(key="temperature").set_value(0.7)
    at.number_input(key="top_k").set_value(5)
    at.number_input(key="seed").set_value(7).run()
    written = at.code[0].value
    assert written.startswith("Hell") and len(written) == len("Hell") + 120
    at.run()  # same settings, same seed: the same text
    assert at.code[0].value == written
    at.number_input(key="seed").set_value(8).run()
    assert at.code[0].value != written


def test_text_decodes_by_the_chosen_method(text_page):
    at = text_page
    name = at.selectbox(key="weight").value
    model = models.get(name)
    at.text_area(key="prefix").set_value("It was").run()
    at.slider(key="length").set_value(150)  # the search the demo warmed up (4 beams, 256 long)
    at.radio(key="method").set_value("greedy").run()
    assert_no_exception(at)
    assert at.slider(key="temperature").disabled and at.slider(key="width").disabled
    greedy = model.generate("It was", length=150, method="greedy")
    assert at.code[0].value == "It was" + greedy
    at.radio(key="method").set_value("beam").run()
    assert_no_exception(at)
    assert not at.slider(key="width").disabled and at.number_input(key="seed").disabled
    beam = model.generate("It was", length=150, method="beam", beam_width=4)
    assert at.code[0].value == "It was" + beam != "It was" + greedy
    assert "beam search, 4 candidates" in " ".join(c.value for c in at.caption)
    at.radio(key="method").set_value("sample").run()
    at.slider(key="temperature").set_value(0.9)
    at.number_input(key="top_k").set_value(0)
    at.slider(key="top_p").set_value(0.6)
    at.number_input(key="seed").set_value(3).run()
    assert_no_exception(at)
    assert at.code[0].value == "It was" + model.generate(
        "It was", length=150, method="sample", temperature=0.9, top_p=0.6, seed=3)
    assert "top-p 0.6" in " ".join(c.value for c in at.caption)
    # the chart stays the model's next-character distribution whatever the method
    frame = chart_data(charts(at)[0])
    assert np.allclose(frame["probability"],
                       [p for _, p in model.next_char_probabilities("It was", top_k=20)])


def test_text_handles_empty_long_and_unknown_text(text_page):
    at = text_page
    at.slider(key="length").set_value(20)
    at.text_area(key="prefix").set_value("").run()
    assert_no_exception(at)
    assert any("beginning of a paragraph" in i.value for i in at.info)
    at.radio(key="method").set_value("sample").run()
    top_p = at.slider(key="top_p").value
    written = models.get(at.selectbox(key="weight").value).generate(
        "", length=20, temperature=at.slider(key="temperature").value,
        top_k=int(at.number_input(key="top_k").value) or None,
        top_p=top_p if top_p < 1 else None, seed=int(at.number_input(key="seed").value))
    assert len(written) == 20
    assert at.code[0].value.strip() == written.strip()  # the page shows it without edge blanks

    at.text_area(key="prefix").set_value("It was a truth universally acknowledged. " * 200).run()
    assert_no_exception(at)
    assert any("reads its last 2,000" in w.value for w in at.warning)
    assert metrics(at)["Most probable next character"]

    at.text_area(key="prefix").set_value("Hello 🦓 世界").run()
    assert_no_exception(at)
    unknown = " ".join(w.value for w in at.warning)
    assert "never saw" in unknown and "'🦓'" in unknown and "'世'" in unknown
    assert at.code[0].value.startswith("Hello 🦓 世界")


# -- translate ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def translate_page():
    needs(*models.TRANSLATE)
    return open_page("translate")


def test_translate_writes_spanish_with_its_attention(translate_page):
    at = translate_page
    at.text_area(key="source").set_value("Please select a folder.").run()
    assert_no_exception(at)
    assert not at.error
    spanish = at.success[0].value
    assert "carpeta" in spanish.lower()
    frame = chart_data(charts(at)[0])
    sources = frame["source"].unique()
    # the subword translator's pieces: "▁" marks the start of a word
    assert [s.split(". ", 1)[1].lstrip("▁") for s in sources] == \
        ["Please", "select", "a", "folder", "."]
    rows = frame.groupby("target")["weight"].sum()
    assert np.allclose(rows, 1.0, atol=1e-3)  # each word's attention sums to 1

    at.radio(key="method").set_value("beam").run()
    at.slider(key="width").set_value(5).run()
    assert_no_exception(at)
    assert "carpeta" in at.success[0].value.lower()
    assert any("beam search" in c.value for c in at.caption)


def test_translate_reads_a_text_sentence_by_sentence(translate_page):
    """The published subword translator reads a text of several sentences one at a time: the
    page says so, and its attention chart is block-diagonal, each sentence's Spanish looking
    only at its own English."""
    at = translate_page
    at.radio(key="method").set_value("greedy")
    at.text_area(key="source").set_value("Please select a folder. Enter the password.").run()
    assert_no_exception(at)
    assert any("one sentence at a time (2 sentences)" in i.value for i in at.info)
    spanish = at.success[0].value.lower()
    assert "carpeta" in spanish and "contraseña" in spanish
    frame = chart_data(charts(at)[0])
    sources = list(frame["source"].unique())
    words = [s.split(". ", 1)[1].lstrip("▁") for s in sources]
    first = words.index(".") + 1  # the first sentence's pieces, then the second's
    assert words[:first] == ["Please", "select", "a", "folder", "."]
    assert "password" in "".join(words[first:])
    targets = list(frame["target"].unique())
    weights = frame.pivot(index="target", columns="source", values="weight")
    weights = weights.loc[targets, sources].to_numpy()
    rows = [k for k, t in enumerate(targets) if "carpeta" in t]
    assert rows and np.allclose(weights[rows][:, first:], 0)  # "carpeta" looks at sentence 1


def test_translate_attention_labels_every_word_of_a_long_sentence(translate_page):
    at = translate_page
    sentence = ("Please select the folder, the file and the table, then enter the password of "
                "the new user and save the document in the folder before you close the window.")
    at.text_area(key="source").set_value(sentence).run()
    assert_no_exception(at)
    chart = charts(at)[0]
    sources = chart_data(chart)["source"].unique()
    assert len(sources) > 30
    spec = json.loads(chart.proto.spec)
    axes = [layer["encoding"][xy] for layer in spec.get("layer", [spec]) for xy in ("x", "y")]
    # every label drawn: no overlap rule (Vega's "parity" drops every other one), no length cut
    assert all(a["axis"]["labelOverlap"] is False and a["axis"]["labelLimit"] == 0
               for a in axes), axes
    assert {len(a["sort"]) for a in axes if a["field"] == "source"} == {len(sources)}


def test_translate_example_buttons_fill_the_sentence(translate_page):
    at = translate_page
    at.radio(key="method").set_value("greedy")
    at.pills(key="example").set_value("Enter the password.").run()
    assert_no_exception(at)
    assert at.text_area(key="source").value == "Enter the password."
    assert "contraseña" in at.success[0].value.lower()


def test_translate_handles_empty_long_and_unknown_text(translate_page):
    at = translate_page
    at.text_area(key="source").set_value("   ").run()
    assert any("Type an English sentence" in i.value for i in at.info)
    assert not at.success

    at.text_area(key="source").set_value("Please select a folder. " * 100).run()
    assert_no_exception(at)
    assert any("at most 2,000" in e.value for e in at.error) and not at.success

    at.text_area(key="source").set_value("Please select a folder. " * 14).run()  # 70 tokens
    assert_no_exception(at)
    assert not at.error and at.success[0].value.lower().count("carpeta") >= 2
    # the score of 12 like sentences is the mean of theirs, as for one (a sum read -12 times it)
    method = at.radio(key="method").value
    note = next(c.value for c in at.caption if "score" in c.value)
    assert "mean over its" in note, note
    one = models.translation(models.TRANSLATE[0], "Please select a folder.", method=method,
                             beam_width=at.slider(key="width").value).score
    shown = float(re.search(r"score (-?[\d.]+)", note).group(1))
    assert abs(shown - one) < 0.01 + 0.05 * abs(one), (note, one)

    at.text_area(key="source").set_value("Please select the zyxquv folder. 🦓").run()
    assert_no_exception(at)
    assert "carpeta" in at.success[0].value.lower()
    # the subword translator has no unknown word: it spells one from pieces (or bytes)
    assert not any("never saw" in w.value for w in at.warning)
    assert any("spelled from pieces" in c.value for c in at.caption)


# -- caption --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def caption_page():
    assert models.caption_weights(), "no captioner is published"
    return open_page("caption")


CAPTION_GRAMMAR = re.compile(r"a (small|large) \d( (left of|right of|above|below) a (small|large) "
                             r"\d){1,2}")
MNIST_CAPTIONER = "show_attend_tell.mnist_captions"


def choose_model(at, name):
    if at.selectbox(key="model").value != name:
        at.selectbox(key="model").set_value(name).run()
        assert_no_exception(at)
    return at


def test_caption_lists_the_published_captioners_the_emoji_one_first(caption_page, monkeypatch):
    at = caption_page
    choice = at.selectbox(key="model")
    published = [n for n in zoo.weights.list_weights()
                 if zoo.weights.get_weight(n)["task"] == "captioning"]
    assert sorted(choice.options) == sorted(published) and choice.options[0] == choice.value
    assert choice.options == models.caption_weights()
    # a listed weight not (yet) published is left out; the first of CAPTION published leads
    tasks = {"show_attend_tell.mnist_captions": "captioning", "deep_mlp.mnist": "image_classifier",
             "show_attend_tell.tuxpaint": "captioning"}
    monkeypatch.setattr(models, "available", lambda: sorted(tasks))
    monkeypatch.setattr(models, "record", lambda name: {"task": tasks[name]})
    assert models.caption_weights() == [MNIST_CAPTIONER, "show_attend_tell.tuxpaint"]
    tasks.update({"show_attend_tell.emoji_es": "captioning",
                  "show_attend_tell.emoji_en": "captioning"})
    assert models.caption_weights() == ["show_attend_tell.emoji_en", "show_attend_tell.emoji_es",
                                        MNIST_CAPTIONER, "show_attend_tell.tuxpaint"]


def test_caption_opens_on_the_first_published_captioner_with_its_own_examples(caption_page):
    """Whatever captioner leads the list (the emoji one once published): its own examples come
    first, and the page's caption of the first one is the captioner's."""
    at = caption_page
    name = models.caption_weights()[0]
    choose_model(at, name)
    kind, language = models.caption_pictures(name)
    radio = next(r for r in at.radio if r.label == "Picture")
    expected = {"emoji": "Emoji", "mnist_captions": "MNIST caption canvas"}[kind]
    assert radio.options == [expected, "Tux Paint stamp", "Upload"]
    choose(at, radio.key, expected)
    at.radio(key="method").set_value("beam").run()
    assert_no_exception(at)
    intro = " ".join(m.value for m in at.markdown)
    if kind == "emoji":
        label = at.selectbox(key=f"emoji_{language}").value
        picture = samples.emoji(language)[label]
        assert label == next(iter(zoo.samples.emoji(language)))
        assert "learned from emoji" in intro and "MNIST" not in intro
    else:
        picture, _ = samples.caption_canvas(at.number_input(key="seed").value)
        assert "real MNIST digits" in intro
    expected_caption = zoo.load(name).caption([picture], method="beam", beam_width=3)[0]
    assert at.success[0].value == expected_caption.text
    assert "Reference: " in " ".join(c.value for c in at.caption)


def test_caption_describes_an_mnist_canvas_with_attention_per_word(caption_page):
    needs(MNIST_CAPTIONER)
    at = choose_model(caption_page, MNIST_CAPTIONER)
    choose(at, "source_mnist_captions", "MNIST caption canvas")
    at.number_input(key="seed").set_value(11)
    at.radio(key="method").set_value("beam").run()
    assert_no_exception(at)
    _, references = samples.caption_canvas(11)  # a large 2 above a large 8
    caption = at.success[0].value
    assert CAPTION_GRAMMAR.fullmatch(caption), caption
    assert caption in references
    assert "Reference: " in " ".join(c.value for c in at.caption)
    assert "looks like the training pictures" in " ".join(c.value for c in at.caption)
    assert not at.warning
    candidates = at.dataframe[0].value
    assert candidates["caption"].iloc[0] == caption and len(candidates) == 3
    words = caption.split() + ["(end)"]
    assert [i.captions[0] for i in at.image[1:]] == words  # one attention map per word


def test_caption_describes_a_tux_paint_stamp_greedily(caption_page):
    needs(MNIST_CAPTIONER)
    at = choose_model(caption_page, MNIST_CAPTIONER)
    choose(at, "source_mnist_captions", "Tux Paint stamp")
    stamp = next(o for o in at.selectbox(key="stamp").options if o.startswith("A frog."))
    at.selectbox(key="stamp").set_value(stamp)
    at.radio(key="method").set_value("greedy").run()
    assert_no_exception(at)
    assert not at.error
    assert at.success[0].value  # what the model makes of it
    assert [w.value for w in at.warning if "the caption is a guess" in w.value]
    assert "Reference: “A frog.”" in " ".join(c.value for c in at.caption)


def test_caption_offers_emoji_to_an_emoji_captioner(tiny_emoji_captioner_run, tmp_path,
                                                    monkeypatch):
    """An emoji captioner (a tiny one trained and calibrated on tests/data/emoji_small, shown
    as an unpublished run through ZOO_DEMO_RUNS, under a name no cache of the page has seen):
    its examples are the package's emoji, the page says what it learned from, and its caption,
    reference and familiarity are the captioner's own."""
    import shutil

    name = "show_attend_tell.emoji_tiny"
    shutil.copytree(tiny_emoji_captioner_run, tmp_path / name)
    monkeypatch.setenv("ZOO_DEMO_RUNS", str(tmp_path))
    at = open_page("caption")
    assert at.selectbox(key="model").options == [name]
    intro = " ".join(m.value for m in at.markdown)
    assert "learned from emoji" in intro and "in English" in intro and "MNIST" not in intro
    radio = at.radio(key="source_emoji")
    assert radio.options == ["Emoji", "Tux Paint stamp", "Upload"] and radio.value == "Emoji"
    examples = at.selectbox(key="emoji_en")
    assert examples.options == list(zoo.samples.emoji("en"))
    label = "red apple (Google Noto, an emoji never trained on)"
    examples.set_value(label)
    at.radio(key="method").set_value("greedy").run()
    assert_no_exception(at)
    expected = zoo.load(tmp_path / name).caption([zoo.samples.emoji("en")[label]])[0]
    assert at.success[0].value == (expected.text or "(an empty caption)")
    captions = " ".join(c.value for c in at.caption)
    assert "Reference: “red apple”" in captions
    assert expected.familiar is not None  # calibrated: the page says which
    if expected.familiar:
        assert f"looks like the training pictures (familiarity {expected.familiarity:.0%})" \
            in captions
    else:
        assert [w.value for w in at.warning if "the caption is a guess" in w.value]
    choose(at, "source_emoji", "Tux Paint stamp")
    assert at.success[0].value and "Reference: " in " ".join(c.value for c in at.caption)


def test_caption_refuses_bad_files_with_a_message(caption_page, bad_files):
    at = caption_page
    kind, _ = models.caption_pictures(at.selectbox(key="model").value)
    choose(at, f"source_{kind}", "Upload")
    for name, data, words in bad_files.values():
        upload(at, "upload", name, data)
        assert any(words in e.value and name in e.value for e in at.error), \
            [e.value for e in at.error]
        assert not at.success


# -- autoencoder ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def autoencoder_page():
    needs(models.AUTOENCODER[0])
    return open_page("autoencoder")


@pytest.mark.parametrize("name", models.AUTOENCODER)
def test_autoencoder_rebuilds_the_input_and_shows_what_units_learned(autoencoder_page, name):
    needs(name)
    at = autoencoder_page
    at.selectbox(key="model").set_value(name).run()
    assert_no_exception(at)
    assert not at.error, [e.value for e in at.error]
    error = float(metrics(at)["Reconstruction error (mean squared, per pixel)"])
    assert 0 <= error < 0.1
    code = chart_data(charts(at)[0])
    task = models.get(name)
    assert len(code) == task.code_size
    unit = int(code.loc[code["chosen"], "unit"].iloc[0])
    assert code["activation"].iloc[unit] == code["activation"].max()  # starts at the top unit
    at.number_input(key=f"unit-{name}").set_value(1).run()
    assert_no_exception(at)
    assert "Unit 1: its top-activating test inputs" in [h.value for h in at.subheader]
    top = [c for i in at.image for c in i.captions if "inputs with the highest activation" in c]
    assert len(top) == 1 and top[0].startswith("The 9 of ")


def test_autoencoder_refuses_bad_files_and_recovers(autoencoder_page, bad_files, digits):
    at = autoencoder_page
    at.selectbox(key="model").set_value(models.AUTOENCODER[0]).run()
    choose(at, "source", "Upload")
    for kind in ("not an image", "decompression bomb", "empty"):
        name, data, words = bad_files[kind]
        upload(at, "upload", name, data)
        assert any(words in e.value for e in at.error), [e.value for e in at.error]
    images, _ = digits
    upload(at, "upload", "digit.png", png(Image.fromarray(images[5])))
    assert not at.error
    assert float(metrics(at)["Reconstruction error (mean squared, per pixel)"]) < 0.1


def test_models_are_loaded_once_and_shared_safely_between_sessions(digits):
    needs(models.CNNS[0])
    first = models.get(models.CNNS[0])
    open_page("digits")  # another session
    assert models.get(models.CNNS[0]) is first

    # sessions run in threads: concurrent calls through models.use give each its own answer
    from concurrent.futures import ThreadPoolExecutor

    images, _ = digits
    pictures = [Image.fromarray(images[i]) for i in range(16)]
    alone = [first.predict_proba([p])[0] for p in pictures]

    def classify(picture):
        with models.use(models.CNNS[0]) as task:
            assert task is first
            return task.predict_proba([picture])[0]

    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(classify, pictures))
    assert all(np.allclose(a, b, atol=1e-5) for a, b in zip(alone, together))


# -- experiments ----------------------------------------------------------------------------------

def test_experiments_show_every_shipped_full_run():
    from zoo import experiments

    at = open_page("experiments")
    for name in experiments.list_experiments():
        at.selectbox(key="experiment").set_value(name).run()
        assert_no_exception(at)
        result = experiments.shipped(name)
        assert at.info[0].value == result["claim"]
        checks = at.dataframe[0].value
        assert checks["expected effect"].tolist() == list(result["holds"])
        assert set(checks["seen"]) == {"yes"}
        assert any(f"`{result['command']}`" in c.value for c in at.caption)
        assert len(at.image) >= 1  # the shipped plot


def test_experiments_rerun_the_quick_version_live():
    at = open_page("experiments")
    at.selectbox(key="experiment").set_value("incremental").run()
    at.button(key="run").click().run()
    assert_no_exception(at)
    tables = [d.value for d in at.dataframe]
    live = tables[2]  # after the full run's checks and figures
    assert live["seen"].tolist() == ["yes"] * 4
    captions = " ".join(c.value for c in at.caption)
    assert "600 training and 200 held-out test digits" in captions
