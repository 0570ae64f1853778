"""The demo's models: published weights by name, each loaded once per process and shared.

Every page asks this module for a weight by its published name (``"mnist_convnet.mnist"``) and
gets the task object :func:`zoo.load` restores (an ``ImageClassifier``, ``Translator``...). It is
loaded once per process (``st.cache_resource``) and the same object serves every session::

    with models.use("mnist_convnet.mnist") as classifier:
        prediction = classifier.predict([image])[0]

Calls into a model go one at a time through its lock. The classifiers, the character model and
the translator are warmed up once when they load (each compiled path the pages use is built
then), after which a call only reads the model; for them a request a page marks long (a
translation of several sentences, a continuation of more than :data:`LONG_GENERATION`
characters) goes through a second lock of its own, so a visitor's 2,000-character translation or
1,000-character continuation runs beside the others' short requests instead of holding the lock
they wait on, and long requests queue among themselves. ``scripts/load_demo.py`` measured both
alternatives with 20 visitors: behind one lock every Text answer waited out a whole long
generation; with no lock at all, many generations at once thrashed the interpreter lock on the
two cores and Text pages took over two minutes to open. The other tasks keep the one lock.

``ZOO_DEMO_RUNS=DIR`` loads ``DIR/<name>/`` (a ``zoo train --out`` directory) instead of the
bundled weight, to try freshly trained runs in the demo.
"""

import contextlib
import gc
import os
import sys
import threading
from pathlib import Path

import numpy as np
import streamlit as st
from streamlit.runtime.scriptrunner import script_runner

import zoo

# The weights each page shows, first the default.
DIGITS = ("perceptron.mnist", "deep_mlp.mnist", "mnist_convnet.mnist")
CNNS = ("mnist_convnet.mnist", "lenet5.mnist")
# the Text page lists every published character language model: the first of these that is
# published is its default
TEXT_PREFERRED = ("char_gru.english_broad", "char_lstm.english")
TRANSLATE = ("seq2seq_gru_bahdanau.software_es_spm", "seq2seq_gru_bahdanau.software_es")
# the Caption page lists every published captioner in this order (any other after them, by
# name): the first published is its default, the captioner of real pictures
CAPTION = ("show_attend_tell.emoji_en", "show_attend_tell.emoji_es",
           "show_attend_tell.mnist_captions")
AUTOENCODER = ("conv_autoencoder.mnist", "sparse_autoencoder.mnist", "patch_autoencoder.photos")
LEARN = "mnist_convnet.mnist"  # the classifier the Teach page copies and grows
LONG_TRANSLATION = 400  # characters (a few sentences): longer texts are long requests
LONG_GENERATION = 300  # characters of a continuation: more is a long request


def _runs():
    runs = os.environ.get("ZOO_DEMO_RUNS")
    return Path(runs) if runs else None


def source(name):
    """What :func:`zoo.load` is given for a weight name: the name itself (the bundled weight), or
    under ``ZOO_DEMO_RUNS`` its run directory."""
    return name if _runs() is None else str(_runs() / name)


@st.cache_resource(show_spinner=False)
def setup():
    """Configure the runtime once per process: a GPU when there is one (its memory allocated as
    needed, not all at once), else the CPU; TensorFlow's known native notices filtered from the
    server's stderr (as for the CLI); Keras' session kept between script runs
    (:func:`keep_keras_session`). Returns ``"gpu"`` or ``"cpu"``."""
    zoo.filter_native_stderr()  # does nothing where stderr is not the real fd 2 (tests)
    keep_keras_session()
    return zoo.runtime.configure(device="auto")


def _clean_after_run():
    """What Streamlit does after every script run, but Keras' session is kept (see
    :func:`keep_keras_session`): only Matplotlib's figures are closed."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")


# Streamlit's own clean-up, as it was before keep_keras_session replaced it
STREAMLIT_CLEAN_UP = getattr(script_runner, "_clean_problem_modules", None)


def keep_keras_session():
    """Stop Streamlit from clearing Keras' session after every script run.

    Streamlit calls ``keras.backend.clear_session()`` whenever a script run ends (for apps that
    build a new model on each run). The demo builds its models once and shares them, so that
    call only threw away TensorFlow's kernel cache and traced functions, and ran a full garbage
    collection of a heap of half a million objects: measured on the 2-core machine, about
    0.8 s of the interpreter lock per run of any page, and the next call into a model 6 to 23
    times slower than without it (a 200-character generation 0.92 s against 0.16 s, a sentence's
    translation 0.80 s against 0.03 s); with the collection Streamlit runs next (see
    :func:`settle_heap`), 60% of the server's samples under ``scripts/load_demo.py`` (py-spy).
    Streamlit has no setting for it: this replaces its private clean-up function, and does
    nothing on a Streamlit without one (``False``)."""
    if not callable(getattr(script_runner, "_clean_problem_modules", None)):
        return False
    script_runner._clean_problem_modules = _clean_after_run
    return True


class Loaded:
    """A task object and the locks that serialise the calls into it: ``lock`` for requests of
    ordinary size, ``long_lock`` for long ones (the same lock unless the task may serve two
    sessions at once)."""

    def __init__(self, name, task, two_lanes=False):
        self.name = name
        self.task = task
        self.lock = threading.Lock()
        self.long_lock = threading.Lock() if two_lanes else self.lock


def _warm_up(task):
    """Run each compiled path the pages use once, so later calls build nothing; whether the task
    may then serve two sessions at the same time (``False``: one call at a time)."""
    from zoo.tasks import ImageClassifier, TextGenerator, Translator

    if isinstance(task, ImageClassifier):
        height, width, channels = task.input_shape
        task.predict([np.zeros((height, width), np.uint8) if channels == 1
                      else np.zeros((height, width, channels), np.uint8)])  # what pages call
        return True
    if isinstance(task, TextGenerator):
        task.next_char_probabilities("a", top_k=20)
        task.next_char_probabilities("a file", top_k=20)  # a second length: any length traced
        task.generate("a", length=2, temperature=0.8, seed=1)
        task.generate("a", length=2, temperature=0.8, top_k=5, seed=1)
        task.generate("a", length=2, temperature=0, seed=1)  # the greedy loop
        task.generate("a", length=2, top_p=0.9, seed=1)  # the nucleus loop
        task.generate("a", length=200, method="beam", beam_width=4)  # the page's default beam
        return True
    if isinstance(task, Translator):
        for texts in (["a file"], ["the new file", "a red folder was opened"],
                      ["open it", "save the file", "the name of the new red folder is long"]):
            # batch sizes and lengths until the traces are general: a long text's pieces (a
            # batch of 19) are then translated with no new trace (1.7 s more otherwise)
            task.translate(texts, method="greedy", details=True)
            task.translate(texts, method="beam", beam_width=4, details=True)
        return True
    return False


@st.cache_resource(show_spinner="Loading the model...", max_entries=32)
def _load(name):
    setup()
    task = zoo.load(source(name))
    loaded = Loaded(name, task, two_lanes=_warm_up(task))
    settle_heap()
    return loaded


def settle_heap():
    """Collect the garbage once, then leave every object alive now (TensorFlow, Keras, the
    loaded models: about half a million) out of later collections (``gc.freeze``).

    Streamlit runs a full collection after every script run (``runner.postScriptGC``), which
    traversed that whole heap each time: 0.6 to 0.7 s holding the interpreter lock, measured on
    the 2-core machine, against well under a millisecond once frozen. What is frozen lives as
    long as the process anyway (modules, models kept by ``st.cache_resource``); it happens once
    per model load, so what else it keeps is bounded."""
    gc.collect()
    gc.freeze()


def get(name):
    """The task object of a weight (loaded on first use, then shared by every session).

    Raises:
        zoo.ZooError: the weight is unknown or its files are missing or damaged.
    """
    return _load(name).task


@contextlib.contextmanager
def use(name, long=False):
    """``with use(name) as task:``: the shared task object, held for this session alone; with
    ``long=True``, in the lane of long requests (see the module's docstring)."""
    loaded = _load(name)
    with loaded.long_lock if long else loaded.lock:
        yield loaded.task


ANSWERS_KEPT = 512  # answers of each kind kept for repeated requests (a page opened as it is)


@st.cache_data(show_spinner=False, max_entries=ANSWERS_KEPT)
def continuation(name, prefix, *, length, method="sample", temperature=None, top_k=None,
                 top_p=None, beam_width=None, seed=None):
    """The Text page's answer, kept for the same request (every visitor opens the page on the
    same beginning and seed): ``(unknown characters, next-character distribution, text)``.
    The settings are :meth:`zoo.tasks.TextGenerator.generate`'s (sampling ones for
    ``method="sample"``, ``beam_width`` for ``"beam"``)."""
    # beam search writes as many characters a second as sampling (scripts/bench_generation.py
    # --methods): the same length makes a long request
    with use(name, long=length > LONG_GENERATION) as model:
        unknown = model.unknown_characters(prefix)
        distribution = model.next_char_probabilities(prefix, top_k=20)
        text = model.generate(prefix, length=length, method=method, temperature=temperature,
                              top_k=top_k, top_p=top_p, beam_width=beam_width, seed=seed)
    return unknown, distribution, text


def text_weights():
    """The published character language models (task ``language_model``), the page's default
    first: the first of :data:`TEXT_PREFERRED` that is published, else the first by name. A
    weight published later shows up with no change here."""
    names = [name for name in available() if record(name).get("task") == "language_model"]
    default = next((name for name in TEXT_PREFERRED if name in names), None)
    return sorted(names, key=lambda name: name != default)


def caption_weights():
    """The published captioners (task ``captioning``) in the order of :data:`CAPTION`, the
    others after them by name: the page's default first. A weight published later shows up
    with no change here, and a listed one not (yet) published is left out."""
    names = [name for name in available() if record(name).get("task") == "captioning"]
    return sorted(names, key=lambda name: (CAPTION.index(name) if name in CAPTION
                                           else len(CAPTION), name))


def caption_pictures(name):
    """What a captioner learned from, for the Caption page's examples: ``("emoji", language)``
    (``"en"``, ``"es"``: the caption column it was trained on), ``("mnist_captions", "en")``,
    or ``(None, None)`` for other pictures. Reads the loaded model's config."""
    config = get(name).config
    dataset = (config.get("dataset") or {}).get("name")
    column = (config.get("train") or {}).get("caption_column") or "caption_en"
    if dataset in ("emoji", "mnist_captions"):
        return dataset, column.removeprefix("caption_")
    return None, None


@st.cache_data(show_spinner=False, max_entries=ANSWERS_KEPT)
def translation(name, text, *, method, beam_width):
    """The Translate page's answer (a ``Translation``), kept for the same request (the example
    sentences)."""
    with use(name, long=len(text) > LONG_TRANSLATION) as translator:
        return translator.translate([text], method=method, beam_width=beam_width,
                                    details=True)[0]


@st.cache_data(show_spinner=False)
def record(name):
    """The published record of a weight (``zoo.weights.get_weight``): a plain dict with
    ``name``, ``model``, ``family``, ``description``, ``headline``, ``dataset``, ``metrics``...

    Under ``ZOO_DEMO_RUNS``, the same keys for the run directory (``zoo.publish.run_record``).
    """
    if _runs() is None:
        return zoo.weights.get_weight(name)
    return zoo.publish.run_record(source(name), name=name)


def available():
    """The names of the published weights (``zoo.weights.list_weights``); under
    ``ZOO_DEMO_RUNS``, the finished runs in that folder."""
    if _runs() is None:
        return zoo.weights.list_weights()
    return sorted(p.parent.name for p in _runs().glob("*/zoo.json"))


def runtime_info():
    """Where the models run: Keras backend, TensorFlow version, device, CPU threads."""
    import keras

    where = setup()
    info = {"Keras backend": keras.backend.backend(), "Keras": keras.__version__}
    try:
        import tensorflow as tf

        info["TensorFlow"] = tf.__version__
        intra = tf.config.threading.get_intra_op_parallelism_threads()
        inter = tf.config.threading.get_inter_op_parallelism_threads()
    except ImportError:
        intra = inter = 0
    device = "CPU"
    if where == "gpu":
        names = []
        for gpu in zoo.runtime.gpus():
            try:
                import tensorflow as tf

                names.append(tf.config.experimental.get_device_details(gpu).get(
                    "device_name", gpu.name))
            except Exception:  # another backend: its own device description
                names.append(str(gpu))
        device = ", ".join(names) or "GPU"
    info["Device"] = device
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    info["Threads"] = (f"{intra or cores} per operation, {inter or cores} operations at once "
                       f"({cores} CPU cores)")
    return info


_TEACHING = threading.Lock()  # one visitor's fine-tuning at a time: each uses the cores fully


def teach(name, examples, held_out, *, class_name, methods, seed=0):
    """The Teach page's answer: ``{method: LearnedClass}``, the shared classifier ``name``
    taught ``class_name`` each way of ``methods`` (``ImageClassifier.learn_class``). Each
    answer holds a copy of its own (one output more) that the session keeps; the shared weights
    are only read (classifiers may serve two sessions at once, see :func:`_warm_up`), and
    teachings queue."""
    task = get(name)
    with _TEACHING:
        return {method: task.learn_class(examples, name=class_name, method=method,
                                         held_out=held_out or None, seed=seed)
                for method in methods}


def feature_maps(name, batch):
    """``{layer name: (n, h, w, channels)}`` of a CNN weight for a preprocessed batch
    (``zoo.feature_maps``)."""
    loaded = _load(name)
    with loaded.lock:
        return zoo.feature_maps(loaded.task.model, batch)


def is_patch_model(task):
    """Whether an autoencoder reads normalised photo patches (not whole images)."""
    return task.preprocessor.kind == "patches"


@st.cache_resource(show_spinner="Encoding the test inputs...", max_entries=4)
def code_pool(name):
    """Held-out inputs an autoencoder weight is searched on for each unit's favourite inputs, and
    their codes: ``(float32 images (n, h, w, c) as the model takes them, codes (n, units))``.

    MNIST models: the MNIST test digits; patch models: random patches of the sample photos.
    """
    from demo_app import samples

    task = get(name)
    height, width, channels = task.input_shape
    if is_patch_model(task):  # read, cut and normalised as the task's preprocessor does it
        pre = task.preprocessor
        images = pre.from_pixels(samples.photo_patches(height, channels,
                                                       image_size=pre.image_size))
    else:
        images = (samples.mnist_test()[0].astype(np.float32) / 255.0)[..., None]
    with _load(name).lock:
        codes = task.encode(images)
    images.setflags(write=False)
    codes.setflags(write=False)
    return images, codes
