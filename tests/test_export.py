"""`zoo export`: each export is loaded in a fresh process by its own runtime (TensorFlow's
SavedModel loader, onnxruntime, the LiteRT interpreter) and compared with the Keras model on
real fixture inputs (MNIST test digits, Tux Paint sentences, Austen's text).

Tolerances: the model's own input through any format, max abs difference of probabilities
< 1e-5 (logits of the character model < 1e-4); the SavedModel's in-graph preprocessing of PNG
files against the classifier's Python path (the same preprocessor ops, Pillow decoding the
files): every top label equal and probabilities within 1e-5 too.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PIL import Image, ImageOps

import zoo
from zoo.cli import main
from zoo.data import read_idx
from zoo.errors import ConfigError, DataError
from zoo.export import export

from conftest import DATA_DIR

PROBABILITY_TOLERANCE = 1e-5
LOGIT_TOLERANCE = 1e-4
PREPROCESSING_TOLERANCE = 1e-5

CHILD = textwrap.dedent("""
    import json, sys
    import numpy as np
    job = json.load(open(sys.argv[1]))
    inputs = dict(np.load(job["inputs"]))
    out = {}
    if job["runtime"] == "saved_model":
        import tensorflow as tf
        for key, (path, signature, name, output) in job["calls"].items():
            fn = tf.saved_model.load(path).signatures[signature]
            value = [open(f, "rb").read() for f in job["files"]] if key == "bytes" \
                else inputs[key]
            result = fn(**{name: tf.constant(value)})
            for field, value in result.items():
                value = value.numpy()
                out[key + "/" + field] = value.astype("S") if value.dtype == object else value
    elif job["runtime"] == "onnx":
        import onnxruntime
        for key, path in job["calls"].items():
            session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
            out[key] = session.run(None, {session.get_inputs()[0].name: inputs[key]})[0]
    else:
        from ai_edge_litert.interpreter import Interpreter
        for key, path in job["calls"].items():
            interpreter = Interpreter(model_path=path)
            entry = interpreter.get_input_details()[0]
            interpreter.resize_tensor_input(entry["index"], list(inputs[key].shape))
            interpreter.allocate_tensors()
            interpreter.set_tensor(entry["index"], inputs[key])
            interpreter.invoke()
            out[key] = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    out["tensorflow_imported"] = np.array("tensorflow" in sys.modules)
    np.savez(job["outputs"], **out)
""")


def _fresh(tmp, runtime, calls, inputs, files=()):
    """Run the exports in a new Python process with only ``runtime``'s loader; its outputs.
    (Arrays go through .npz files, read without pickle; encoded images as file names.)"""
    np.savez(tmp / f"{runtime}_in.npz", **inputs)
    job = {"runtime": runtime, "calls": calls, "inputs": str(tmp / f"{runtime}_in.npz"),
           "outputs": str(tmp / f"{runtime}_out.npz"), "files": [str(f) for f in files]}
    (tmp / f"{runtime}.json").write_text(json.dumps(job))
    (tmp / "child.py").write_text(CHILD)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, str(tmp / "child.py"), str(tmp / f"{runtime}.json")],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(np.load(job["outputs"]))


@pytest.fixture(scope="module")
def digits():
    """The first 16 MNIST test digits of the fixture, as uint8 and as the model's input."""
    images = read_idx(DATA_DIR / "mnist_small" / "t10k-images-idx3-ubyte.gz")[:16]
    return images, (images[..., None] / 255.0).astype(np.float32)


@pytest.fixture(scope="module")
def sentences():
    lines = (DATA_DIR / "translation" / "tuxpaint_pairs_small.tsv").read_text("utf-8")
    return [line.split("\t")[0] for line in lines.splitlines()[:8]]


@pytest.fixture(scope="module")
def exported(tmp_path_factory, digits, sentences):
    """Every export the tests load, made once, with the Keras answers to compare against."""
    tmp = tmp_path_factory.mktemp("export")
    out = tmp / "models"
    classifier = zoo.load("mnist_convnet")
    translator = zoo.load("seq2seq_gru_bahdanau.software_es")
    generator = zoo.load("char_lstm.english")
    results = {f: export(classifier, f, out) for f in ("saved_model", "onnx", "litert")}
    results["translator"] = export(translator, "saved_model", out)
    results["char"] = export(generator, "saved_model", out)
    results["char_onnx"] = export(generator, "onnx", out)

    # PNG files of the digits, as drawn (light on dark) and as a dark-on-light RGBA drawing
    pngs = []
    for index, image in enumerate(digits[0]):
        picture = Image.fromarray(image)
        if index % 2:
            picture = ImageOps.invert(picture).convert("RGBA").resize((56, 56))
        path = tmp / f"digit{index}.png"
        picture.save(path)
        pngs.append(path)
    text = (DATA_DIR / "text" / "emma_chapter1.txt").read_text("utf-8")
    char_ids = np.array([generator.encode(text[i * 64:(i + 1) * 64]) for i in range(3)],
                        np.int32)
    token_lists = [translator.source_tokens(s) for s in sentences]
    return {"tmp": tmp, "out": out, "results": results, "classifier": classifier,
            "translator": translator, "generator": generator, "pngs": pngs,
            "char_ids": char_ids, "source_ids": translator._source_ids(token_lists),
            "translations": translator.translate(sentences, details=True)}


def test_saved_model_in_a_fresh_process_matches_keras(exported, digits):
    e = exported
    classifier, keras_probs = e["classifier"], e["classifier"].predict_proba(digits[1])
    sm = str(e["out"] / "mnist_convnet" / "1")
    assert os.path.isfile(os.path.join(sm, "saved_model.pb"))  # TF Serving's NAME/VERSION/
    pixels = np.stack([np.asarray(Image.open(p).convert("L").resize((28, 28)))
                       for p in e["pngs"][::2]])[..., None]
    inputs = {"pre": digits[1], "pixels": pixels,
              "char": e["char_ids"], "translate": e["source_ids"]}
    calls = {"pre": (sm, "predict_preprocessed", "images", None),
             "bytes": (sm, "serving_default", "image_bytes", None),
             "pixels": (sm, "predict_pixels", "pixels", None),
             "char": (str(e["out"] / "char_lstm" / "1"), "serving_default", "ids", None),
             "translate": (str(e["out"] / "seq2seq_gru_bahdanau" / "1"), "translate_greedy",
                           "source_ids", None)}
    got = _fresh(e["tmp"], "saved_model", calls, inputs, files=e["pngs"])

    # the model's own input: the same probabilities, the labels as strings
    assert np.max(np.abs(got["pre/probabilities"] - keras_probs)) < PROBABILITY_TOLERANCE
    assert [s.decode() for s in got["pre/labels"]] == [
        classifier.class_names[i] for i in keras_probs.argmax(1)]
    # encoded PNG files, preprocessed inside the graph, against zoo's Pillow pipeline
    pil = classifier.predict_proba([str(p) for p in e["pngs"]])
    assert (got["bytes/class_ids"] == pil.argmax(1)).all()
    assert np.max(np.abs(got["bytes/probabilities"] - pil)) < PREPROCESSING_TOLERANCE
    assert np.allclose(got["bytes/probability"], got["bytes/probabilities"].max(1))
    # uint8 arrays take the same in-graph path as decoded files
    assert np.max(np.abs(got["pixels/probabilities"] - got["bytes/probabilities"][::2])) < 1e-6
    # character model: logits over a sequence of ids
    want = np.asarray(e["generator"].model(e["char_ids"], training=False))
    assert np.max(np.abs(got["char/logits"] - want)) < LOGIT_TOLERANCE
    # translator: the greedy loop inside the graph writes the task's own tokens
    vocab = json.loads((e["out"] / "seq2seq_gru_bahdanau" / "1" / "assets.extra" /
                        "target_vocab.json").read_text("utf-8"))
    eos = e["translator"].target_vocab.eos_id
    for row, length, result in zip(got["translate/token_ids"], got["translate/lengths"],
                                   e["translations"]):
        written = [vocab[i] for i in row[:length] if i != eos]
        assert written == result.tokens
    assert np.max(np.abs(got["translate/scores"] - [r.score for r in e["translations"]])) < 1e-4


def test_onnx_and_litert_in_fresh_processes_match_keras(exported, digits):
    e = exported
    keras_probs = e["classifier"].predict_proba(digits[1])
    onnx = _fresh(e["tmp"], "onnx", {"digits": str(e["out"] / "mnist_convnet.onnx"),
                                     "char": str(e["out"] / "char_lstm.onnx")},
                  {"digits": digits[1], "char": e["char_ids"]})
    assert not onnx["tensorflow_imported"]  # onnxruntime alone
    assert np.max(np.abs(onnx["digits"] - keras_probs)) < PROBABILITY_TOLERANCE
    want = np.asarray(e["generator"].model(e["char_ids"], training=False))
    assert np.max(np.abs(onnx["char"] - want)) < LOGIT_TOLERANCE
    lite = _fresh(e["tmp"], "litert", {"digits": str(e["out"] / "mnist_convnet.tflite")},
                  {"digits": digits[1]})
    assert not lite["tensorflow_imported"]  # the LiteRT interpreter alone
    assert np.max(np.abs(lite["digits"] - keras_probs)) < PROBABILITY_TOLERANCE


def test_exports_record_their_check_sizes_and_vocabularies(exported):
    e = exported
    for fmt, meta_path in (("saved_model", e["out"] / "mnist_convnet" / "1" / "assets.extra" /
                            "zoo_export.json"), ("onnx", e["out"] / "mnist_convnet.onnx.json"),
                           ("litert", e["out"] / "mnist_convnet.tflite.json")):
        result = e["results"][fmt]
        assert result["bytes"] > 50_000 and result["check"]["max_abs_diff"] < 1e-5
        meta = json.loads(meta_path.read_text())
        assert meta["class_names"] == [str(i) for i in range(10)]
        assert meta["preprocessor"]["color_mode"] == "L" and meta["format"] == fmt
    chars = json.loads((e["out"] / "char_lstm" / "1" / "assets.extra" / "vocab.json")
                       .read_text("utf-8"))
    assert chars == list(e["generator"].vocabulary.tokens) and "\n" in chars
    assert e["results"]["translator"]["signatures"] == ["encode", "decode_step",
                                                        "translate_greedy"]
    assert e["results"]["char"]["signatures"] == ["serving_default", "step"]


def test_refusals_say_what_to_do(exported, capsys):
    e = exported
    with pytest.raises(ConfigError, match="saved_model"):
        export(e["translator"], "onnx", e["out"])
    with pytest.raises(ConfigError, match="Flex"):
        export(e["generator"], "litert", e["out"])
    with pytest.raises(DataError, match="exists"):
        export(e["classifier"], "onnx", e["out"])
    with pytest.raises(ConfigError, match="export format must be one of"):
        export(e["classifier"], "torchscript", e["out"])
    assert main(["export", "seq2seq_gru_bahdanau", "--format", "litert", "--out",
                 str(e["out"])]) == 2
    err = capsys.readouterr().err
    assert err.startswith("zoo: error: litert cannot hold the translator's decoding loop")
    assert len(err.strip().splitlines()) == 1


def test_cli_export_writes_the_serving_layout(exported, capsys):
    out = exported["tmp"] / "cli"
    assert main(["export", "conv_autoencoder", "--format", "saved_model", "--out", str(out),
                 "--name", "ae", "--model-version", "3"]) == 0
    assert "signatures serving_default" in capsys.readouterr().out
    assert (out / "ae" / "3" / "saved_model.pb").is_file()
    assert main(["export", "conv_autoencoder", "--format", "saved_model", "--out", str(out),
                 "--name", "ae", "--model-version", "3"]) == 2  # no silent overwrite
