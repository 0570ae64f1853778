"""Exporting trained models for serving: TensorFlow SavedModel, ONNX and LiteRT (TFLite).

``export(task_or_name, format, out)`` writes one of:

- ``saved_model``: ``OUT/NAME/VERSION/`` (the layout TensorFlow Serving scans), with signatures
  that take raw inputs where the graph can hold the preprocessing. The task class makes them
  (its ``export_endpoints``, checked by its ``export_check``; see :mod:`zoo.tasks.base`):

  * image classifiers: ``serving_default`` takes encoded image files (``image_bytes``, a string
    tensor ``(N,)``: PNG, JPEG, GIF, BMP), ``predict_pixels`` uint8 pixel arrays
    ``(N, H, W, C)`` with C = 1, 2, 3 or 4, ``predict_preprocessed`` the model's float32 input.
    Decoding, then the classifier's own preprocessor graph (:mod:`zoo.preprocessing`: flattening
    transparency onto white, greyscale, inverting a dark-on-light drawing, centring the ink like
    an MNIST digit, resizing and scaling, the very ops its Python path runs); every
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

import contextlib
import io
import os
import pathlib
import re
import shutil
import warnings

import keras
import numpy as np
import tensorflow as tf

from zoo.checks import check_choice, check_number, check_path, check_text
from zoo.errors import ConfigError, DataError
from zoo.saving import write_json
from zoo.tasks import load
from zoo.tasks.base import Task

FORMATS = ("saved_model", "onnx", "litert")
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
    refusal = task.export_refusal(format)
    if refusal:
        raise ConfigError(refusal)
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
                    **task.export_meta())
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


def sample_inputs(task, count=4, seed=0):
    """Deterministic float32 (or int32 ids) inputs of the model's shape, for the checks (the
    task's own :meth:`~zoo.tasks.base.Task.sample_inputs`)."""
    return task.sample_inputs(count, seed)


def _keras_output(task, x):
    return task.keras_output(x)


# -- SavedModel -------------------------------------------------------------------------------


def _saved_model(task, target):
    archive = keras.export.ExportArchive()
    archive.track(task.model)
    signatures = task.export_endpoints(archive)
    _quiet_write(archive, target)
    extra = target / "assets.extra"
    extra.mkdir(parents=True, exist_ok=True)
    for file_name, tokens in task.export_files().items():
        _write_json(extra / file_name, tokens)
    check = _check_saved_model(task, target)
    return {"signatures": signatures, "check": check}


def _quiet_write(archive, target):
    with contextlib.redirect_stdout(io.StringIO()):
        archive.write_out(str(target), verbose=False)


def _check_saved_model(task, target):
    """Load the SavedModel back and compare it with the Keras model on sample inputs."""
    loaded = tf.saved_model.load(str(target))
    got, want = task.export_check(loaded)
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
    model = task.model
    x = sample_inputs(task)
    dtype = task.input_dtype
    shape = (None,) + tuple(None if d is None else int(d) for d in model.input_shape[1:])
    signature = [keras.InputSpec(shape=shape, dtype=dtype)]
    # tf2onnx sets TF_CPP_MIN_LOG_LEVEL=3 in the process environment when first imported, which
    # would silence TensorFlow's native errors in every process started afterwards
    log_level = os.environ.get("TF_CPP_MIN_LOG_LEVEL")
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # tf2onnx's np.object probe
            model.export(str(target), format=format, input_signature=signature, verbose=False)
    except ImportError as err:
        extra = "tf2onnx onnx onnxruntime" if format == "onnx" else "ai-edge-litert"
        raise ConfigError(f"the {format} export needs {extra}: pip install 'zoo[export]' "
                          f"({err})") from None
    finally:
        if log_level is None:
            os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)
        else:
            os.environ["TF_CPP_MIN_LOG_LEVEL"] = log_level
    got = run_onnx(target, x) if format == "onnx" else run_litert(target, x)
    result = {"check": _compare(got, _keras_output(task, x), format),
              "signatures": ["serving_default"], "input": {"shape": list(shape),
                                                           "dtype": dtype}}
    return result


def run_onnx(path, x):
    """Outputs of an ONNX file on ``x`` with onnxruntime (CPU)."""
    import onnxruntime  # optional extra [export]

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return session.run(None, {name: x})[0]


def litert_interpreter(path):
    """The LiteRT interpreter of a ``.tflite`` file (ai-edge-litert, else TensorFlow's)."""
    try:
        from ai_edge_litert.interpreter import Interpreter  # optional extra [export]
    except ImportError:
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


__all__ = ["export", "FORMATS", "run_onnx", "run_litert", "sample_inputs"]
