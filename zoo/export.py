"""Exporting trained models for serving: TensorFlow SavedModel, ONNX and LiteRT (TFLite).

``export(task_or_name, format, out)`` writes one of:

- ``saved_model``: ``OUT/NAME/VERSION/`` (the layout TensorFlow Serving scans), with signatures
  that take raw inputs where the graph can hold the preprocessing:

  * image classifiers: ``serving_default`` takes encoded image files (``image_bytes``, a string
    tensor ``(N,)``: PNG, JPEG, GIF, BMP), ``predict_pixels`` uint8 pixel arrays
    ``(N, H, W, C)`` with C = 1, 2, 3 or 4, ``predict_preprocessed`` the model's float32 input.
    Decoding, flattening transparency onto white, greyscale, inverting a dark-on-light drawing,
    centring the ink like an MNIST digit, resizing and scaling run inside the graph; every
    signature returns ``probabilities``, ``class_ids``, ``labels`` (strings) and
    ``probability``.
  * translators: ``translate_greedy`` (source token ids ``(N, S)`` -> target ids, lengths,
    scores: the zoo's own greedy decoder as a ``tf.while_loop``), ``encode`` and
    ``decode_step`` (for beam search or streaming outside), the vocabularies in
    ``assets.extra/``.
  * captioners: ``caption_greedy`` (float32 images -> word ids), ``encode``, ``decode_step``.
  * character language models: ``serving_default`` (ids ``(N, T)`` -> logits ``(N, T, V)``) and
    ``step`` (ids and recurrent states in, logits and states out).
  * autoencoders: ``serving_default`` (float32 images -> reconstructions).

  Vocabularies and class names are written as JSON lists (index = id) to
  ``assets.extra/`` beside the graph, with ``zoo_export.json`` describing the signatures.
- ``onnx``: ``OUT/NAME.onnx`` through Keras' own exporter (tf2onnx), checked with onnxruntime.
- ``litert``: ``OUT/NAME.tflite`` through Keras' own LiteRT exporter, checked with the LiteRT
  interpreter.

ONNX and LiteRT take the model's float32 input (the preprocessing is described in
``OUT/NAME.onnx.json``, ``OUT/NAME.tflite.json``): neither has image decoding ops. Translators and captioners are refused for
them: their decoding loop feeds each written token back in, with a state whose shape grows,
which the zoo does not convert; the SavedModel holds it. Each export is run once on sample
inputs and compared with the Keras model; the largest difference is recorded in the metadata.
Each export is written under a temporary name beside its target (``.partial-PID.NAME``) and
renamed into place only once complete and checked, so a kill or a failure never leaves a
half-written export where a server would load it; the next export removes such leftovers.

Nothing here runs code from a file: the model is rebuilt from the zoo's registry and its plain
weights (:mod:`zoo.saving`); the exported files are graphs, read by their runtimes.
"""

import os
import pathlib
import re
import shutil

import numpy as np

from zoo.checks import check_choice, check_number, check_path, check_text
from zoo.errors import ConfigError, DataError
from zoo import decoding
from zoo.decoding import _make_greedy
from zoo.models.char_rnn import build_step_model, state_sizes
from zoo.saving import write_json
from zoo.tasks import load
from zoo.tasks.base import Task

FORMATS = ("saved_model", "onnx", "litert")
SEQUENCE_TASKS = ("translation", "captioning")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
TOLERANCE = 1e-4  # largest difference accepted at export time between the export and Keras


def _load(task_or_name):

    if isinstance(task_or_name, Task):
        return task_or_name
    if isinstance(task_or_name, (str, os.PathLike)):
        return load(task_or_name)
    raise ConfigError(f"export takes a task object, a run directory or a published weight "
                      f"name, got {type(task_or_name).__name__}")


def export(task_or_name, format, out, *, name=None, version=1, overwrite=False):
    """Export a trained model.

    Args:
        task_or_name: a task object (``zoo.load(...)``), a run directory or a weight name.
        format: ``"saved_model"``, ``"onnx"`` or ``"litert"``.
        out: the output directory (created).
        name: the model's name in the output (default: its registered name).
        version: the SavedModel version directory (TensorFlow Serving serves the highest).
        overwrite: replace an existing export of the same name (and version).

    Returns:
        A dict: ``format``, ``path`` (what was written), ``bytes`` (its size), ``check`` (the
        largest difference from the Keras model on sample inputs) and ``signatures``.
    """

    check_choice(format, "the export format", FORMATS)
    version = check_number(version, "version", whole=True, low=1, high=2**31 - 1)
    out = check_path(out, "out")
    name = check_text(name, "the export name", none=True, limit=100)
    task = _load(task_or_name)
    name = name or task.config["model"]
    if not NAME.match(name):
        raise ConfigError(f"export name {name!r}: use letters, digits, '_', '.' or '-' "
                          "(at most 100)")
    kind = task.task
    if format != "saved_model" and kind in SEQUENCE_TASKS:
        raise ConfigError(
            f"{format} cannot hold the {task.noun.split(' ', 1)[-1]}'s decoding loop (each "
            "written token is fed back in); export --format saved_model instead, whose "
            "encode, decode_step and greedy signatures run it, with the vocabulary beside it")
    if format == "litert" and kind == "language_model":
        raise ConfigError(
            "litert cannot hold the character model's recurrent loop without TensorFlow's Flex "
            "ops, which the LiteRT interpreter lacks; export --format onnx or saved_model")
    out = pathlib.Path(out)
    target = {"saved_model": out / str(name) / str(version), "onnx": out / f"{name}.onnx",
              "litert": out / f"{name}.tflite"}[format]
    if target.exists() and not overwrite:
        raise DataError(f"{target} exists; pass overwrite=True (--overwrite) to replace it, "
                        "or another out, name or version (--out, --name, --model-version)")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DataError(f"{out}: cannot create the output directory ({err.strerror})") from None
    _remove_leftovers(target)
    # Everything is written under a temporary name beside the target and renamed into place
    # once complete and checked: a kill or a failure never leaves a half-written export at the
    # target (a SavedModel directory that TensorFlow Serving would pick up), and an export
    # being replaced stays whole until then.
    partial = target.with_name(f"{PARTIAL}{os.getpid()}.{target.name}")
    try:
        if format == "saved_model":
            result = _saved_model(task, partial)
        else:
            result = _flat(task, format, partial)
        result.update(format=format, path=str(target), bytes=_size(partial), name=str(name))
        meta = dict(result, model=task.config["model"], task=kind, tolerance=TOLERANCE,
                    **_assets_meta(task))
        if format == "saved_model":
            _write_json(partial / "assets.extra" / "zoo_export.json", meta)
            _replace_dir(partial, target)
        else:
            os.replace(partial, target)
            _write_json(target.with_name(target.name + ".json"), meta)
    finally:
        _remove(partial)
    return result


PARTIAL = ".partial-"  # + the writer's pid + "." + the target's name
REPLACED = ".replaced-"  # an export being replaced, between two renames


def _replace_dir(partial, target):
    """Rename the finished directory ``partial`` onto ``target``, replacing an older export:
    at every moment ``target`` is either absent or a whole export."""
    old = target.with_name(f"{REPLACED}{os.getpid()}.{target.name}")
    if target.exists():
        os.replace(target, old)
    os.replace(partial, target)
    _remove(old)


def _remove(path):
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _remove_leftovers(target):
    """Remove what an export of ``target`` killed mid-way left (its temporary copies), unless
    the process that wrote them is still running."""
    for prefix in (PARTIAL, REPLACED):
        for path in target.parent.glob(f"{prefix}*.{target.name}"):
            pid = path.name[len(prefix):-len(target.name) - 1]
            if pid.isdigit() and (int(pid) == os.getpid() or not _running(int(pid))):
                _remove(path)


def _running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process
        return True
    return True


def _size(path):
    path = pathlib.Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _write_json(path, data):

    write_json(path, data)


def _assets_meta(task):
    """Plain data a client needs beside the graph (preprocessing, labels, special ids)."""
    config = task.config
    meta = {"preprocessing": config.get("preprocessing")}
    if task.task == "image_classification":
        meta["class_names"] = list(task.class_names)
    if task.task == "translation":
        meta["special_ids"] = {"pad": task.target_vocab.pad_id, "bos": task.target_vocab.bos_id,
                               "eos": task.target_vocab.eos_id,
                               "unk": task.source_vocab.unk_id}
        meta["vocabularies"] = {"source": "source_vocab.json", "target": "target_vocab.json"}
    if task.task in ("captioning", "language_model"):
        vocab = task.vocabulary
        meta["vocabularies"] = {"vocabulary": "vocab.json"}
        meta["special_ids"] = {t: vocab.id(t) for t in vocab.specials}
    return meta


def _vocab_files(task):
    """``{file name: token list}`` written to ``assets.extra/`` (JSON: tokens may be newlines)."""
    if task.task == "translation":
        return {"source_vocab.json": list(task.source_vocab.tokens),
                "target_vocab.json": list(task.target_vocab.tokens)}
    if task.task in ("captioning", "language_model"):
        return {"vocab.json": list(task.vocabulary.tokens)}
    if task.task == "image_classification":
        return {"labels.json": list(task.class_names)}
    return {}


# -- sample inputs for the export-time check ---------------------------------------------------


def sample_inputs(task, count=4, seed=0):
    """Deterministic float32 (or int32 ids) inputs of the model's shape, for the checks."""
    rng = np.random.default_rng(seed)
    if task.task == "language_model":
        low = len(task.vocabulary.specials)
        return rng.integers(low, len(task.vocabulary), size=(count, 24)).astype(np.int32)
    shape = tuple(task.input_shape) if task.task == "captioning" else \
        tuple(task.model.input_shape[1:])
    return rng.random((count,) + shape, dtype=np.float32)


def _keras_output(task, x):
    import keras

    return np.asarray(keras.ops.convert_to_numpy(task.model(x, training=False)))


# -- TensorFlow in-graph image preprocessing ------------------------------------------------


def tf_preprocess(image, preprocessing, size):
    """One uint8 image ``(H, W, C)`` (C = 1 to 4) as the model's float32 input, in TensorFlow
    ops: the steps of :func:`zoo.images.to_model_input` (EXIF rotation aside)."""
    import tensorflow as tf

    height, width = int(size[0]), int(size[1])
    mode = preprocessing.get("color_mode", "RGB")
    x = tf.cast(image, tf.float32)
    channels = tf.shape(x)[-1]
    has_alpha = tf.logical_or(tf.equal(channels, 2), tf.equal(channels, 4))
    alpha = tf.cond(has_alpha, lambda: x[..., -1:] / 255.0, lambda: tf.ones_like(x[..., :1]))
    color = tf.cond(channels >= 3, lambda: x[..., :3], lambda: tf.tile(x[..., :1], [1, 1, 3]))
    rgb = tf.round(color * alpha + 255.0 * (1.0 - alpha))  # transparency onto white
    if mode == "L":
        # Pillow's ITU-R 601-2 luma, in its fixed-point weights
        gray = (rgb[..., 0] * 19595.0 + rgb[..., 1] * 38470.0 + rgb[..., 2] * 7471.0) / 65536.0
        img = tf.floor(gray + 0.5)[..., None]
        if preprocessing.get("invert_light_background"):
            border = tf.concat([img[0, :, 0], img[-1, :, 0], img[:, 0, 0], img[:, -1, 0]], 0)
            ordered = tf.sort(border)
            n = tf.size(ordered)
            median = (ordered[(n - 1) // 2] + ordered[n // 2]) / 2.0
            img = tf.cond(median > 127.5, lambda: 255.0 - img, lambda: img)
        if preprocessing.get("center_glyph") and height == width:
            img = _tf_fit_digit(img, height)
    else:
        img = rgb
    shape = tf.shape(img)
    img = tf.cond(tf.logical_and(tf.equal(shape[0], height), tf.equal(shape[1], width)),
                  lambda: img,
                  lambda: tf.clip_by_value(tf.round(tf.image.resize(
                      img, (height, width), method="bilinear", antialias=True)), 0.0, 255.0))
    img = tf.ensure_shape(img, (height, width, 1 if mode == "L" else 3))
    return img * float(preprocessing.get("scale", 1 / 255))


def _tf_fit_digit(img, size, box=20):
    """:func:`zoo.images.fit_digit` in TensorFlow ops: crop the ink, scale its longer side to
    ``box`` (Lanczos), paste it with its centre of mass at the centre of a ``size`` square."""
    import tensorflow as tf

    plane = img[..., 0]
    threshold = 0.1 * tf.maximum(tf.reduce_max(plane), 1.0)
    ink = plane > threshold
    rows = tf.where(tf.reduce_any(ink, axis=1))[:, 0]
    cols = tf.where(tf.reduce_any(ink, axis=0))[:, 0]

    def lanczos(x, h, w):
        return tf.clip_by_value(tf.round(tf.image.resize(x, tf.stack([h, w]), method="lanczos3",
                                                         antialias=True)), 0.0, 255.0)

    def empty():
        return lanczos(img, tf.constant(size), tf.constant(size))

    def glyph():
        top, bottom = tf.cast(rows[0], tf.int32), tf.cast(rows[-1], tf.int32) + 1
        left, right = tf.cast(cols[0], tf.int32), tf.cast(cols[-1], tf.int32) + 1
        crop = img[top:bottom, left:right]
        h, w = tf.cast(bottom - top, tf.float64), tf.cast(right - left, tf.float64)
        scale = box / tf.maximum(h, w)
        nh = tf.maximum(1, tf.cast(tf.round(h * scale), tf.int32))
        nw = tf.maximum(1, tf.cast(tf.round(w * scale), tf.int32))
        g = lanczos(crop, nh, nw)
        weights = tf.cast(g[..., 0], tf.float64)
        total = tf.reduce_sum(weights)
        total = tf.where(total > 0, total, 1.0)
        cy = tf.reduce_sum(tf.reduce_sum(weights, 1) * tf.range(nh, dtype=tf.float64)) / total
        cx = tf.reduce_sum(tf.reduce_sum(weights, 0) * tf.range(nw, dtype=tf.float64)) / total
        oy = tf.cast(tf.round(size / 2 - cy), tf.int32)
        ox = tf.cast(tf.round(size / 2 - cx), tf.int32)
        g = g[tf.maximum(-oy, 0):, tf.maximum(-ox, 0):]
        top, left = tf.clip_by_value(oy, 0, size), tf.clip_by_value(ox, 0, size)
        g = g[:size - top, :size - left]
        gh, gw = tf.shape(g)[0], tf.shape(g)[1]
        return tf.pad(g, [[top, size - top - gh], [left, size - left - gw], [0, 0]])

    return tf.cond(tf.size(rows) > 0, glyph, empty)


# -- SavedModel -------------------------------------------------------------------------------


def _saved_model(task, target):
    import keras
    import tensorflow as tf

    archive = keras.export.ExportArchive()
    archive.track(task.model)
    kind = task.task
    if kind == "image_classification":
        signatures = _classifier_endpoints(archive, task)
    elif kind == "translation":
        signatures = _translator_endpoints(archive, task)
    elif kind == "captioning":
        signatures = _captioner_endpoints(archive, task)
    elif kind == "language_model":
        signatures = _char_endpoints(archive, task)
    else:
        model = task.model
        spec = tf.TensorSpec((None,) + tuple(model.input_shape[1:]), tf.float32, name="images")
        archive.add_endpoint("serving_default",
                             lambda images: {"outputs": model(images, training=False)}, [spec])
        signatures = ["serving_default"]
    _quiet_write(archive, target)
    extra = target / "assets.extra"
    extra.mkdir(parents=True, exist_ok=True)
    for file_name, tokens in _vocab_files(task).items():
        _write_json(extra / file_name, tokens)
    check = _check_saved_model(task, target)
    return {"signatures": signatures, "check": check}


def _quiet_write(archive, target):
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        archive.write_out(str(target), verbose=False)


def _classifier_endpoints(archive, task):
    import tensorflow as tf

    model = task.model
    shape = tuple(model.input_shape[1:])
    names = tf.constant(task.class_names)
    pre = dict(task.preprocessing)

    def answer(batch):
        probabilities = tf.cast(model(batch, training=False), tf.float32)
        ids = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
        return {"probabilities": probabilities, "class_ids": ids,
                "labels": tf.gather(names, ids), "probability": tf.reduce_max(probabilities, -1)}

    out_sig = tf.TensorSpec(shape, tf.float32)

    def from_pixels(pixels):
        return answer(tf.map_fn(lambda im: tf_preprocess(im, pre, shape[:2]), pixels,
                                fn_output_signature=out_sig))

    def from_bytes(image_bytes):
        def one(data):
            decoded = tf.io.decode_image(data, channels=0, dtype=tf.uint8,
                                         expand_animations=False)
            return tf_preprocess(decoded, pre, shape[:2])

        return answer(tf.map_fn(one, image_bytes, fn_output_signature=out_sig))

    archive.add_endpoint("serving_default", from_bytes,
                         [tf.TensorSpec((None,), tf.string, name="image_bytes")])
    archive.add_endpoint("predict_pixels", from_pixels,
                         [tf.TensorSpec((None, None, None, None), tf.uint8, name="pixels")])
    archive.add_endpoint("predict_preprocessed", answer,
                         [tf.TensorSpec((None,) + shape, tf.float32, name="images")])
    return ["serving_default", "predict_pixels", "predict_preprocessed"]


def _flatten_state(state):
    """A decoding state (dict of tensors or lists of tensors) as a flat ``{name: tensor}``."""
    flat = {}
    for key in sorted(state):
        value = state[key]
        if isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                flat[f"{key}_{index}"] = item
        else:
            flat[key] = value
    return flat


def _unflatten_state(flat, template):
    state = {}
    for key in sorted(template):
        value = template[key]
        if isinstance(value, (list, tuple)):
            state[key] = [flat[f"{key}_{index}"] for index in range(len(value))]
        else:
            state[key] = flat[key]
    return state


def _state_specs(state):
    import tensorflow as tf

    return {name: tf.TensorSpec((None,) + tuple(value.shape[1:]), value.dtype, name=name)
            for name, value in _flatten_state(state).items()}


def _decoder_endpoints(archive, encode, step, input_spec, sample, *, bos, eos, pad,
                       max_length, greedy_name):
    """``encode``, ``decode_step`` and a greedy decoding loop for an encoder-decoder."""
    import tensorflow as tf

    template = encode(tf.convert_to_tensor(sample))
    specs = _state_specs(template)
    greedy = _make_greedy(step, int(max_length), int(eos), int(pad))

    def encode_fn(inputs):
        return _flatten_state(encode(inputs))

    def step_fn(token_ids, **flat):
        log_probs, state, weights = step(token_ids, _unflatten_state(flat, template))
        out = {"log_probs": log_probs, **{f"next_{k}": v for k, v in
                                          _flatten_state(state).items()}}
        if weights is not None:
            out["attention"] = weights
        return out

    def greedy_fn(inputs):
        state = encode(inputs)
        start = tf.fill(tf.shape(inputs)[:1], tf.constant(int(bos), tf.int32))
        tokens, lengths, scores, finished, _ = greedy(state, start)
        return {"token_ids": tokens, "lengths": lengths, "scores": scores, "finished": finished}

    archive.add_endpoint("encode", encode_fn, [input_spec])
    archive.add_endpoint("decode_step", lambda token_ids, state: step_fn(token_ids, **state),
                         [tf.TensorSpec((None,), tf.int32, name="token_ids"), specs])
    archive.add_endpoint(greedy_name, greedy_fn, [input_spec])
    return ["encode", "decode_step", greedy_name]


def _translator_endpoints(archive, task):
    import tensorflow as tf

    ids = task._source_ids([["a"]])
    vocab = task.target_vocab
    max_length = min(2 * task.max_tokens, decoding.MAX_DECODE_LENGTH)
    return _decoder_endpoints(
        archive, task._encode, task._step, tf.TensorSpec((None, None), tf.int32,
                                                         name="source_ids"),
        ids, bos=vocab.bos_id, eos=vocab.eos_id, pad=vocab.pad_id, max_length=max_length,
        greedy_name="translate_greedy")


def _captioner_endpoints(archive, task):
    import tensorflow as tf

    inference = task.inference()
    vocab = task.vocabulary
    shape = tuple(task.input_shape)
    encoder, decoder = inference.encoder, inference.decoder

    def encode(images):
        return decoder.initial_state(encoder(images, training=False))

    return _decoder_endpoints(
        archive, encode, inference, tf.TensorSpec((None,) + shape, tf.float32, name="images"),
        np.zeros((1,) + shape, np.float32), bos=vocab.bos_id, eos=vocab.eos_id,
        pad=vocab.pad_id, max_length=task.max_caption_length + 1, greedy_name="caption_greedy")


def _char_endpoints(archive, task):
    import tensorflow as tf

    model = task.model
    step_model = build_step_model(model)
    sizes = state_sizes(model)
    archive.add_endpoint("serving_default",
                         lambda ids: {"logits": model(ids, training=False)},
                         [tf.TensorSpec((None, None), tf.int32, name="ids")])

    def step(ids, states):
        logits, *new = step_model([ids, *[states[f"state{i}"] for i in range(len(sizes))]],
                                  training=False)
        return {"logits": logits, **{f"next_state{i}": s for i, s in enumerate(new)}}

    archive.add_endpoint("step", step, [
        tf.TensorSpec((None, None), tf.int32, name="ids"),
        {f"state{i}": tf.TensorSpec((None, n), tf.float32, name=f"state{i}")
         for i, n in enumerate(sizes)}])
    return ["serving_default", "step"]


def _check_saved_model(task, target):
    """Load the SavedModel back and compare it with the Keras model on sample inputs."""
    import tensorflow as tf

    loaded = tf.saved_model.load(str(target))
    kind = task.task
    if kind == "image_classification":
        x = sample_inputs(task)
        got = loaded.predict_preprocessed(tf.constant(x))["probabilities"].numpy()
        want = _keras_output(task, x)
    elif kind == "language_model":
        x = sample_inputs(task)
        got = loaded.serving_default(tf.constant(x))["logits"].numpy()
        want = _keras_output(task, x)
    elif kind == "translation":
        texts = ["a"]
        ids = task._source_ids([task.source_tokens(t) for t in texts])
        got = loaded.translate_greedy(tf.constant(ids))["scores"].numpy()
        want = np.array([task.translate(texts, details=True)[0].score], np.float32)
    elif kind == "captioning":
        x = sample_inputs(task, count=2)
        got = loaded.caption_greedy(tf.constant(x))["scores"].numpy()
        want = np.array([c.score for c in task.caption(x)], np.float32)
    else:
        x = sample_inputs(task)
        got = loaded.serving_default(tf.constant(x))["outputs"].numpy()
        want = _keras_output(task, x)
    return _compare(got, want, "saved_model")


def _compare(got, want, what):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if got.shape != want.shape:
        raise DataError(f"the {what} export gives outputs of shape {got.shape}, the Keras model "
                        f"{want.shape}; this is a bug, please report it")
    diff = float(np.max(np.abs(got - want))) if got.size else 0.0
    if not diff <= TOLERANCE:
        raise DataError(f"the {what} export differs from the Keras model by {diff:.3g} "
                        f"(more than {TOLERANCE:g}); this is a bug, please report it")
    return {"max_abs_diff": diff, "inputs": int(got.shape[0])}


# -- ONNX and LiteRT ----------------------------------------------------------------------


def _flat(task, format, target):
    import contextlib
    import io
    import warnings

    import keras

    model = task.model
    x = sample_inputs(task)
    dtype = "int32" if task.task == "language_model" else "float32"
    shape = (None,) + tuple(None if d is None else int(d) for d in model.input_shape[1:])
    signature = [keras.InputSpec(shape=shape, dtype=dtype)]
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # tf2onnx's np.object probe
            model.export(str(target), format=format, input_signature=signature, verbose=False)
    except ImportError as err:
        extra = "tf2onnx onnx onnxruntime" if format == "onnx" else "ai-edge-litert"
        raise ConfigError(f"the {format} export needs {extra}: pip install 'zoo[export]' "
                          f"({err})") from None
    got = run_onnx(target, x) if format == "onnx" else run_litert(target, x)
    result = {"check": _compare(got, _keras_output(task, x), format),
              "signatures": ["serving_default"], "input": {"shape": list(shape),
                                                           "dtype": dtype}}
    return result


def run_onnx(path, x):
    """Outputs of an ONNX file on ``x`` with onnxruntime (CPU)."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return session.run(None, {name: x})[0]


def litert_interpreter(path):
    """The LiteRT interpreter of a ``.tflite`` file (ai-edge-litert, else TensorFlow's)."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter
    return Interpreter(model_path=str(path))


def run_litert(path, x):
    """Outputs of a ``.tflite`` file on ``x``, resizing its batch axis to ``len(x)``."""
    interpreter = litert_interpreter(path)
    entry = interpreter.get_input_details()[0]
    interpreter.resize_tensor_input(entry["index"], list(x.shape), strict=False)
    interpreter.allocate_tensors()
    interpreter.set_tensor(entry["index"], x.astype(entry["dtype"]))
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


__all__ = ["export", "FORMATS", "tf_preprocess", "run_onnx", "run_litert", "sample_inputs"]
