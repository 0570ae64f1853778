"""The task contract: what every task object is, what the trainer asks of it, what it hands back.

A task is a trained ``keras.Model`` plus the plain data inference needs (class names,
vocabularies) and its preprocessor (:mod:`zoo.preprocessing`, ``task.preprocessor``). Each task class implements the training hooks the trainer
(:mod:`zoo.training`) calls, in this order:

1. ``prepare(model_name, options, request, assets=None)`` reads the data a :class:`DataRequest`
   names and returns a :class:`Prepared`;
2. ``compile_model(model, optimizer)`` sets the loss and metrics;
3. ``measure(prepared)`` gives the final held-out figures, by default ``evaluate`` on each split.

Each class also names its :class:`Headline`, the one figure that records, listings and the demo
show for a trained model. This module imports neither the trainer nor any task, so the trainer
sits above the tasks with no import circle.

A task class also owns the facts the central modules used to keep in tables by task name; they
ask the class (found in the task table, :mod:`zoo.tasks`) instead:

- saving and loading: ``config_schema`` (the keys of its ``zoo.json``) and ``check_config``;
- training: ``recipe_settings`` (the recipe settings it reads, checked before a run);
- publishing: ``record_summary(config)`` (the preprocessing and vocabulary facts of a record);
- export: ``export_endpoints(archive)``, ``export_check(loaded)``, ``export_meta()``,
  ``export_files()``, ``export_refusal(format)``, ``sample_inputs()``, ``input_dtype``;
- batch inference: ``batch_input`` (``"images"`` or ``"lines"``), ``batch_load(path)``
  (or ``batch_read(paths)``),
  ``batch_answerer(**options)`` and ``answer_json(answer)`` (the JSON form of one answer);
- the CLI: ``command`` (its subcommand) and ``memory_hint`` (what to lower when memory runs
  out).
"""

import dataclasses

import keras
import numpy as np
import tensorflow as tf

from zoo import images, preprocessing, saving
from zoo.familiarity import Familiarity, save_beside
from zoo.headline import Headline  # noqa: F401  (part of the task contract)
from zoo.errors import ConfigError, DataError


@dataclasses.dataclass
class Prepared:
    """What a task's ``prepare`` hands the trainer.

    Attributes:
        train, validation, test: batched datasets the model's ``fit``/``evaluate`` accept
            (``test`` may be ``None`` when the data has no test split).
        options: the model's final build options (data-derived ones such as vocabulary sizes
            filled in).
        assets: plain data inference needs, saved in ``zoo.json`` (class names,
            preprocessing, vocabularies).
        data_info: a plain description of the data and its splits, saved in ``zoo.json``.
        summary: one line saying what is trained on, for the log.
        held_out: raw held-out examples that figures beyond ``evaluate`` need, by split
            (sentence pairs for BLEU, images with reference captions).
    """

    train: object
    validation: object
    test: object
    options: dict
    assets: dict
    data_info: dict
    summary: str = ""
    held_out: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class DataRequest:
    """The data a user asked for: a dataset name or path(s), and how to split it.

    ``test_data`` names held-out data for the final test figures (a text file or TSV for the
    sequence families); image datasets use their canonical test split instead. ``recipe`` is the
    whole training recipe, for the data-side settings a task reads from it (augmentation,
    sequence length).
    """

    dataset: str
    test_data: object = None
    data_dir: object = None
    batch_size: int = 128
    validation_fraction: float = 0.1
    train_size: object = None
    seed: int = 0
    recipe: dict = dataclasses.field(default_factory=dict)

    @classmethod
    def from_config(cls, config, *, dataset=None, data_dir=None, test_data=None,
                    batch_size=None):
        """The request that rebuilds a saved model's data (its dataset, split seed and
        fraction, recipe), with any of ``dataset``, ``data_dir``, ``test_data`` replaced."""
        data = config.get("data") or {}
        recipe = dict(config.get("train") or {})
        name = dataset or (config.get("dataset") or {}).get("name")
        if not name:
            raise DataError("the model does not record the dataset it was trained on; "
                            "pass --dataset")
        return cls(dataset=str(name), test_data=test_data or data.get("test_data"),
                   data_dir=data_dir,
                   batch_size=int(batch_size or recipe.get("batch_size") or 128),
                   validation_fraction=float(data.get("validation_fraction") or 0.1),
                   seed=int(data.get("seed") or 0), recipe=recipe)


def decoding_loop_refusal(task, format):
    """Why an encoder-decoder (a translator, a captioner) cannot go to ``format`` (ONNX,
    LiteRT): its decoding loop; ``None`` for a SavedModel."""
    if format == "saved_model":
        return None
    return (f"{format} cannot hold the {task.noun.split(' ', 1)[-1]}'s decoding loop (each "
            "written token is fed back in); export --format saved_model instead, whose "
            "encode, decode_step and greedy signatures run it, with the vocabulary beside it")


class Task:
    """Base of the task classes: a trained ``keras.Model`` plus the plain data inference needs.

    A subclass sets ``task`` (the name stored in ``zoo.json``), ``noun`` (for messages) and
    ``headline``, implements ``prepare`` and ``compile_model``, and adds its own answers
    (``predict``, ``generate``, ``translate``...).

    Args:
        model: the trained ``keras.Model``.
        config: plain data saved with it in ``zoo.json`` (see :mod:`zoo.saving`); its
            ``"preprocessor"`` becomes :attr:`preprocessor` (a config in the first format, with
            ``"preprocessing"`` and the other old keys, is converted first).

    Attributes:
        preprocessor: the task's :mod:`zoo.preprocessing` object (raw input to model input),
            or ``None`` for a task without one.
    """

    task = None
    noun = "a model"
    headline = None
    # headlines a record shows instead of ``headline`` when its metrics hold them (a figure on
    # data that says more, e.g. a patch autoencoder's photos from other packages); first wins
    preferred_headlines = ()
    # names of Keras metrics -> the names the task reports them under
    metric_names = {}

    # -- facts the central modules ask for -------------------------------------------------------
    # the keys of its zoo.json beyond format, task, model and options: {key: kind}, kinds
    # "names", "vocab", "preprocessor" (see zoo.saving.check_schema)
    config_schema = {}
    # the recipe settings it reads beyond the common ones (epochs, batch size, optimizer...):
    # {name: (kind, low, high)}, kinds "int", "float", "rate", "fraction", "bool", "str"
    recipe_settings = {}
    # the recipe settings that only shape the training split (augmentation, extra training
    # data): a saved model measured again (prepare_saved) leaves them out
    training_only_recipe = ()
    # whether a saved model can be measured on a test file alone, without its training data
    # (its vocabulary is saved with it): prepare_saved(test_only=True)
    test_file_alone = False
    command = None  # the CLI subcommand that answers with it
    memory_hint = "ask for less at a time"  # what to lower when memory runs out answering
    batch_input = None  # what batch inference reads: "images" (files) or "lines" (a text file)
    input_dtype = "float32"  # the model's input, for exports and their checks

    def __init__(self, model, config):
        self.model = model
        config = dict(config, task=self.task)
        if "preprocessor" not in config:  # a config of the first format, given by hand
            config = preprocessing.upgrade(dict(config, format=preprocessing.OLD_FORMATS[0]))
        config.pop("format", None)  # saving writes the current one
        self.config = config
        saved = config.get("preprocessor")
        self.preprocessor = None if saved is None else preprocessing.from_config(saved)
        # the calibrated "is this picture like the training data" signal saved beside the
        # weights (zoo.familiarity), or None: then answers say nothing about familiarity
        self.familiarity = None

    @classmethod
    def headline_for(cls, metrics):
        """The headline of a run with these ``metrics``: the first of
        :attr:`preferred_headlines` they hold, else :attr:`headline`."""
        for headline in cls.preferred_headlines:
            if headline.value_of(metrics) is not None:
                return headline
        return cls.headline

    # -- its saved config ------------------------------------------------------------------------

    @classmethod
    def check_config(cls, config, where=saving.CONFIG_FILE):
        """Check a saved config's task keys (:attr:`config_schema`) before anything is built;
        a subclass adds its own checks. Raises :class:`DataError` naming the key."""
        saving.check_schema(config, cls.config_schema, where)

    @classmethod
    def record_summary(cls, config):
        """The preprocessing and vocabulary facts of a saved config for a weight's record
        (:mod:`zoo.publish`), without the vocabularies: the preprocessing, each vocabulary's
        size, the class names."""
        out = dict(config.get("preprocessor") or {})
        out.pop("kind", None)
        vocabularies = {key: out.pop(key) for key in ("vocabulary", "source_vocab",
                                                       "target_vocab") if key in out}
        vocabularies.update({key: config.get(key) for key, kind in cls.config_schema.items()
                             if kind == "vocab"})
        for key, vocab in vocabularies.items():
            if isinstance(vocab, dict):
                tokens = vocab.get("tokens") or vocab.get("itos") or []
                out[f"{key}_size"] = len(tokens) if tokens else None
        for key, kind in cls.config_schema.items():
            if kind == "names" and key in config:
                out[key] = list(config[key])
        return out

    # -- export (see zoo.export) -----------------------------------------------------------------

    def export_refusal(self, format):
        """Why this model cannot be exported to ``format`` (one line), or ``None``."""
        return None

    def sample_inputs(self, count=4, seed=0):
        """Deterministic inputs of the model's shape (float32), for the export checks."""
        rng = np.random.default_rng(seed)
        return rng.random((count,) + tuple(self.model.input_shape[1:]), dtype=np.float32)

    def keras_output(self, x):
        """The Keras model's output on ``x`` (inference mode), as NumPy."""
        return np.asarray(keras.ops.convert_to_numpy(self.model(x, training=False)))

    def export_endpoints(self, archive):
        """Add the SavedModel signatures to a ``keras.export.ExportArchive``; returns their
        names. By default ``serving_default``: the model's float32 input to ``outputs``."""
        model = self.model
        spec = tf.TensorSpec((None,) + tuple(model.input_shape[1:]), tf.float32, name="images")
        archive.add_endpoint("serving_default",
                             lambda images: {"outputs": model(images, training=False)}, [spec])
        return ["serving_default"]

    def export_check(self, loaded):
        """``(got, want)``: the loaded SavedModel's and the Keras model's answers on the same
        sample inputs, compared by the export."""
        x = self.sample_inputs()
        return loaded.serving_default(tf.constant(x))["outputs"].numpy(), self.keras_output(x)

    def export_meta(self):
        """Plain data a client needs beside the graph (the preprocessor without its
        vocabularies, which are files of their own; labels, special ids)."""
        saved = self.config.get("preprocessor")
        if isinstance(saved, dict):
            saved = {k: v for k, v in saved.items()
                     if k not in ("vocabulary", "source_vocab", "target_vocab")}
        return {"preprocessor": saved}

    def export_files(self):
        """``{file name: token list}`` written beside the graph (``assets.extra/``)."""
        return {}

    # -- batch inference (see zoo.batch) ---------------------------------------------------------

    def batch_load(self, path):
        """One input file as the model's input (an array of :attr:`input_shape`)."""
        raise NotImplementedError

    def batch_read(self, paths):
        """Input files as ``(inputs, errors)``: what ``batch_answerer``'s function takes for
        the files that could be read, in order, and for every path ``""`` or the one-line
        message saying why it could not be. This default reads each with :meth:`batch_load`;
        image tasks decode a batch at once."""
        arrays, errors = images.read_each(
            paths, lambda path: np.asarray(self.batch_load(path), dtype=np.float32))
        shape = (0,) + tuple(int(d) for d in self.input_shape)
        return (np.stack(arrays) if arrays else np.zeros(shape, np.float32)), errors

    def batch_answerer(self, **options):
        """Check the answer options (``top_k``, ``method``...) and return ``answer(batch)``:
        a list of answers, one per input of the batch."""
        raise NotImplementedError

    @staticmethod
    def answer_json(answer):
        """The JSON form of one answer, as batch inference writes it (a dict)."""
        raise NotImplementedError

    # -- training hooks --------------------------------------------------------------------------

    @classmethod
    def prepare(cls, model_name, options, request, assets=None):
        """Read the data ``request`` names for ``model_name`` and return a :class:`Prepared`.

        ``assets`` is a saved model's config: its vocabularies and preprocessing are reused.
        """
        raise NotImplementedError

    @staticmethod
    def compile_model(model, optimizer):
        """Compile ``model`` with the task's loss and metrics."""
        raise NotImplementedError

    def evaluate(self, dataset):
        """The compiled loss and metrics on a batched dataset, as plain floats."""
        if not self.model.compiled:
            self.compile_model(self.model, "adam")
        values = self.model.evaluate(dataset, verbose=0, return_dict=True)
        return {self.metric_names.get(k, k): float(v) for k, v in values.items()}

    def measure(self, prepared, splits=("validation", "test")):
        """The task's ``evaluate`` figures on each prepared split, as ``{split}_{metric}``."""
        metrics = {}
        for split in splits:
            data = getattr(prepared, split)
            if data is not None:
                metrics.update({f"{split}_{k}": v for k, v in self.evaluate(data).items()})
        return metrics

    def prepare_saved(self, *, dataset=None, data_dir=None, test_data=None, batch_size=None,
                      recipe=None, test_only=False):
        """Rebuild the data this model was trained on (or ``dataset``), with its saved split
        settings and its own vocabularies, ready for :meth:`measure`; ``recipe`` replaces
        data-side recipe settings (e.g. a smaller ``num_canvases``). The settings that only
        shape the training split (``training_only_recipe``: augmentation, extra training data
        such as ``printed_digits``, whose folder need not be there) are left out.

        ``test_only=True`` (tasks whose ``test_file_alone`` is true: the character model and
        the translator) reads ``test_data`` alone as the test split, without the training
        data, which a downloaded weight's user need not have."""
        if test_only:
            if not self.test_file_alone:
                raise ConfigError(f"{self.noun} is measured again on the data it was trained "
                                  "on, not on a test file alone; give its dataset")
            if test_data is None or dataset is not None:
                raise ConfigError("test_only reads test_data alone: give test_data and no "
                                  "dataset")
        request = DataRequest.from_config(self.config, dataset=dataset, data_dir=data_dir,
                                          test_data=test_data, batch_size=batch_size)
        if test_only:
            request = dataclasses.replace(request, dataset=None)
        kept = {k: v for k, v in request.recipe.items() if k not in self.training_only_recipe}
        request = dataclasses.replace(request, recipe={**kept, **(recipe or {})})
        return type(self).prepare(self.config["model"], self.config["options"], request,
                                  assets=self.config)

    # -- saving ----------------------------------------------------------------------------------

    @classmethod
    def from_dir(cls, directory):
        """Restore a model saved by :meth:`save` (or by ``zoo train``), refusing other tasks."""
        task = saving.read_config(directory).get("task")
        if task != cls.task:
            raise DataError(f"{directory} holds a {task!r} model, not {cls.noun}; give "
                            f"{cls.noun} (see `zoo weights list` or `zoo list`)")
        model, config = saving.load_artifact(directory, schema=cls.config_schema,
                                             check=cls.check_config)
        task = cls(model, config)
        task.familiarity = Familiarity.load(directory)
        return task

    def save(self, directory):
        """Save the weights and the config to ``directory`` (see :mod:`zoo.saving`), and the
        familiarity calibration when the model has one (bound to the weights just written)."""
        saving.save_artifact(directory, self.model, self.config)
        save_beside(self.familiarity, directory)
