"""What every task object shares: a model, its plain-data config, saving and restoring."""

from zoo import saving
from zoo.errors import DataError


class Task:
    """Base of the task classes: a trained ``keras.Model`` plus the plain data inference needs.

    A subclass sets ``task`` (the name stored in ``zoo.json``) and ``noun`` (for messages), and
    adds the training hooks ``prepare``, ``compile_model`` and ``measure`` (see
    :mod:`zoo.training`) and its own answers (``predict``, ``generate``, ``translate``...).

    Args:
        model: the trained ``keras.Model``.
        config: plain data saved with it in ``zoo.json`` (see :mod:`zoo.saving`).
    """

    task = None
    noun = "a model"

    def __init__(self, model, config):
        self.model = model
        self.config = dict(config, task=self.task)

    @classmethod
    def from_dir(cls, directory):
        """Restore a model saved by :meth:`save` (or by ``zoo train``), refusing other tasks."""
        task = saving.read_config(directory).get("task")
        if task != cls.task:
            raise DataError(f"{directory} holds a {task!r} model, not {cls.noun}")
        model, config = saving.load_artifact(directory)
        return cls(model, config)

    def measure(self, prepared, splits=("validation", "test")):
        """The task's ``evaluate`` figures on each prepared split, as ``{split}_{metric}``."""
        metrics = {}
        for split in splits:
            data = getattr(prepared, split)
            if data is not None:
                metrics.update({f"{split}_{k}": v for k, v in self.evaluate(data).items()})
        return metrics

    def save(self, directory):
        """Save the weights and the config to ``directory`` (see :mod:`zoo.saving`)."""
        saving.save_artifact(directory, self.model, self.config)
