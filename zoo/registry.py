"""The one registry of the zoo: every named model, how to build it and how it trains best.

A registered model is plain data (a :class:`ModelSpec`): the family builder it calls, the keyword
defaults that make the named variant, a description, and the training recipe the CLI uses unless told
otherwise. ``list_models`` lists names with wildcards, ``build`` makes a ``keras.Model`` and
``describe`` shows every option with its value.
"""

import dataclasses
import fnmatch
import inspect
from typing import Any, Callable

from zoo._naming import suggest
from zoo.errors import ConfigError, UnknownNameError

_REGISTRY: dict[str, "ModelSpec"] = {}


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """What the zoo knows about one named model.

    Attributes:
        name: the registered name, e.g. ``"mnist_convnet"``.
        family: the family it belongs to (``"mlp"``, ``"cnn"``, ...).
        task: what the model does, e.g. ``"image_classification"``.
        builder: the family's keyword-only builder function.
        defaults: the keyword arguments that make this variant (applied over the builder's own).
        description: one or two sentences for listings.
        train: the training recipe (optimizer, learning rate, epochs, batch size, ...).
        reference: where the architecture comes from.
    """

    name: str
    family: str
    task: str
    builder: Callable[..., Any]
    defaults: dict
    description: str
    train: dict
    reference: str = ""

    def options(self) -> dict:
        """Every keyword option of this model with the value it takes unless overridden."""
        params = inspect.signature(self.builder).parameters
        values = {
            key: p.default
            for key, p in params.items()
            if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is not inspect.Parameter.empty
        }
        values.update(self.defaults)
        values.setdefault("name", self.name)
        return values


def register_model(name, *, family, task, builder, description, defaults=None, train=None,
                   reference=""):
    """Add a named model to the zoo and return its :class:`ModelSpec`."""
    if name in _REGISTRY:
        raise ValueError(f"model {name!r} is registered twice")
    spec = ModelSpec(name=name, family=family, task=task, builder=builder,
                     defaults=dict(defaults or {}), description=description,
                     train=dict(train or {}), reference=reference)
    unknown = set(spec.defaults) - set(inspect.signature(builder).parameters)
    if unknown:
        raise ValueError(f"model {name!r}: {builder.__name__} has no option {sorted(unknown)}")
    _REGISTRY[name] = spec
    return spec


def list_models(pattern=None, *, family=None, task=None):
    """Names of the registered models, sorted.

    Args:
        pattern: a shell-style wildcard (``"*mlp*"``, ``"lenet?"``); ``None`` lists all.
        family: keep only this family (``"mlp"``, ``"cnn"``, ...).
        task: keep only models for this task.

    Example:
        >>> zoo.list_models("*mlp")
        ['deep_mlp', 'shallow_mlp']
    """
    names = sorted(_REGISTRY)
    if pattern:
        names = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
    if family:
        names = [n for n in names if _REGISTRY[n].family == family]
    if task:
        names = [n for n in names if _REGISTRY[n].task == task]
    return names


def get_spec(name) -> ModelSpec:
    """The :class:`ModelSpec` of a registered name; a clear error for an unknown one."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown model {name!r}.{suggest(name, _REGISTRY)} "
            f"Run `zoo list` to see the {len(_REGISTRY)} models."
        ) from None


def resolve_options(name, /, **overrides) -> dict:
    """The full keyword arguments that ``build(name, **overrides)`` passes to the builder."""
    spec = get_spec(name)
    options = spec.options()
    unknown = [key for key in overrides if key not in options]
    if unknown:
        raise ConfigError(
            f"model {name!r} has no option {unknown[0]!r}.{suggest(unknown[0], options)} "
            f"Its options are: {', '.join(sorted(options))}."
        )
    options.update(overrides)
    return options


def build(name, /, **overrides):
    """Build a registered model.

    Args:
        name: a name from :func:`list_models`.
        **overrides: any option that :func:`describe` lists, e.g. ``num_classes=5``.

    Returns:
        An uncompiled ``keras.Model``.

    Example:
        >>> model = zoo.build("mnist_convnet")
        >>> model.count_params()
        34826
    """
    spec = get_spec(name)
    options = resolve_options(name, **overrides)
    try:
        return spec.builder(**options)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"cannot build {name!r} with these options: {err}") from None


def describe(name) -> dict:
    """A plain-data description of a model: family, task, text, every option and the recipe."""
    spec = get_spec(name)
    return {
        "name": spec.name,
        "family": spec.family,
        "task": spec.task,
        "description": spec.description,
        "reference": spec.reference,
        "options": spec.options(),
        "train": dict(spec.train),
    }
