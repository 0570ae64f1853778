"""The headline figure: the one comparable number of a task (a key of its metrics and which
way is better), as records, listings and the demo show it.

A ground module: each task class names its :class:`Headline`, and a weight's record carries it
as plain data, so listing weights needs no task class (and no Keras).
"""

import dataclasses


@dataclasses.dataclass(frozen=True)
class Headline:
    """The one comparable figure of a task: a key of its metrics, which way is better.

    Example:
        >>> Headline("test_accuracy", "test accuracy", "max").value_of({"test_accuracy": 0.99})
        0.99
    """

    metric: str
    label: str
    direction: str  # "max": higher is better; "min": lower is better
    unit: str = ""

    @property
    def split(self):
        return self.metric.split("_", 1)[0]

    def value_of(self, metrics):
        value = (metrics or {}).get(self.metric)
        return None if value is None else float(value)

    def format(self, value):
        """``value`` as the figure is usually written (accuracy as a percentage)."""
        if value is None:
            return "-"
        if self.unit == "%":
            return f"{100 * value:.2f}%"
        return f"{value:.4g}{(' ' + self.unit) if self.unit else ''}"

    @classmethod
    def from_dict(cls, data):
        """The headline a record's ``headline`` entry describes."""
        return cls(data["metric"], data["label"], data["direction"], data.get("unit", ""))

    def to_dict(self, metrics=None):
        out = {"metric": self.metric, "label": self.label, "direction": self.direction,
               "split": self.split, "unit": self.unit}
        if metrics is not None:
            out["value"] = self.value_of(metrics)
        return out
