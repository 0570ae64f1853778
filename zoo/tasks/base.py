"""The task contract: what every task object is, what the trainer asks of it, what it hands back.

A task is a trained ``keras.Model`` plus the plain data inference needs (class names,
vocabularies, preprocessing). Each task class implements the training hooks the trainer
(:mod:`zoo.training`) calls, in this order:

1. ``prepare(model_name, options, request, assets=None)`` reads the data a :class:`DataRequest`
   names and returns a :class:`Prepared`;
2. ``compile_model(model, optimizer)`` sets the loss and metrics;
3. ``measure(prepared)`` gives the final held-out figures, by default ``evaluate`` on each split.

Each class also names its :class:`Headline`, the one figure that records, listings and the demo
show for a trained model. This module imports neither the trainer nor any task, so the trainer
sits above the tasks with no import circle.
"""

import dataclasses

from zoo import saving
from zoo.headline import Headline  # noqa: F401  (part of the task contract)
from zoo.errors import DataError


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


class Task:
    """Base of the task classes: a trained ``keras.Model`` plus the plain data inference needs.

    A subclass sets ``task`` (the name stored in ``zoo.json``), ``noun`` (for messages) and
    ``headline``, implements ``prepare`` and ``compile_model``, and adds its own answers
    (``predict``, ``generate``, ``translate``...).

    Args:
        model: the trained ``keras.Model``.
        config: plain data saved with it in ``zoo.json`` (see :mod:`zoo.saving`).
    """

    task = None
    noun = "a model"
    headline = None
    # names of Keras metrics -> the names the task reports them under
    metric_names = {}

    def __init__(self, model, config):
        self.model = model
        self.config = dict(config, task=self.task)

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
                      recipe=None):
        """Rebuild the data this model was trained on (or ``dataset``), with its saved split
        settings and its own vocabularies, ready for :meth:`measure`; ``recipe`` replaces
        data-side recipe settings (e.g. a smaller ``num_canvases``)."""
        request = DataRequest.from_config(self.config, dataset=dataset, data_dir=data_dir,
                                          test_data=test_data, batch_size=batch_size)
        if recipe:
            request = dataclasses.replace(request, recipe={**request.recipe, **recipe})
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
        model, config = saving.load_artifact(directory)
        return cls(model, config)

    def save(self, directory):
        """Save the weights and the config to ``directory`` (see :mod:`zoo.saving`)."""
        saving.save_artifact(directory, self.model, self.config)
