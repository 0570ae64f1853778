"""The one registry of the zoo: every named model, how to build it and how it trains best.

A registered model is plain data (a :class:`ModelSpec`): the family builder it calls, the keyword
defaults that make the named variant, a description, and the training recipe the CLI uses unless told
otherwise. ``list_models`` lists names with wildcards, ``build`` makes a ``keras.Model`` and
``describe`` shows every option with its value.

Listing and describing are light: they read ``zoo/models/index.json``, the plain-data index of
every family's registered models (written by ``scripts/update_model_index.py``, checked against
the live registry by the tests), so they import neither Keras nor TensorFlow. Building a model
imports its family module, which registers its variants.
"""

import dataclasses
import fnmatch
import importlib
import inspect
import json
import math
import pathlib
import re
import resource
import sys
from typing import Any, Callable

from zoo._naming import suggest
from zoo._io import to_plain
from zoo.checks import check_text
from zoo.errors import ConfigError, UnknownNameError

_REGISTRY: dict[str, "ModelSpec"] = {}
INDEX_FILE = pathlib.Path(__file__).resolve().parent / "models" / "index.json"
_INDEX: dict = {}


def _index():
    """``{name: plain data}`` of the models the zoo ships (read once)."""
    if not _INDEX:
        _INDEX.update(json.loads(INDEX_FILE.read_text(encoding="utf-8"))["models"])
    return _INDEX


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """What the zoo knows about one named model.

    Attributes:
        name: the registered name, e.g. ``"mnist_convnet"``.
        family: the family it belongs to (``"mlp"``, ``"cnn"``, ...).
        task: what the model does, e.g. ``"image_classification"``.
        builder: the family's keyword-only builder function.
        defaults: the keyword arguments that make this variant (applied over the builder's own).
        description: one or two sentences for listings, true to the defaults' sizes.
        template: the description as registered: ``{option}`` fields (see
            :func:`render_description`) that :meth:`describe_options` fills from a model's
            options, so a published weight's record states its own sizes.
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
    module: str = ""  # the module whose import registers it
    template: str = ""

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

    def describe_options(self, options=None) -> str:
        """The description with the sizes of ``options`` (a run's or a weight's build options;
        the defaults where they say nothing): what a published record says.

        Example:
            >>> get_spec("char_gru").describe_options({"units": 512})  # doctest: +SKIP
            'Character language model with two GRU layers of 512 units: ...'
        """
        return render_description(self.template or self.description,
                                  {**self.options(), **(options or {})})


_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                 "ten", "eleven", "twelve")
_FIELD = re.compile(r"\{(\w+)(?::(\w+))?\}")


def _count(value):
    return len(value) if isinstance(value, (list, tuple)) else int(value)


def _sizes(value, how):
    if how == "":
        return ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
    if how in ("words", "Words"):
        n = _count(value)
        word = _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else f"{n:,}"
        return word[:1].upper() + word[1:] if how == "Words" else word
    if how == "s":
        return "" if _count(value) == 1 else "s"
    if how == "dashes":
        return "-".join(map(str, value))
    if how == "hw":
        return "x".join(map(str, list(value)[:2]))
    if how == "dense":  # dense layers after the features: nothing when there are none
        widths = list(value) if isinstance(value, (list, tuple)) else [value]
        if not widths:
            return ""
        return (f", a dense layer of {widths[0]}" if len(widths) == 1
                else f", {_sizes(widths, 'words')} dense layers ({_sizes(widths, 'dashes')})")
    raise ValueError(f"unknown size format {how!r} (one of words, Words, s, dashes, hw, dense)")


def render_description(template, options):
    """A description with its ``{option}`` fields filled from ``options``: ``{units}`` the value
    (a list joined by commas), ``{num_layers:words}`` a count in words (``two``; of a list, its
    length), ``{hidden_units:Words}`` the same capitalised, ``{num_layers:s}`` an ``s`` unless
    the count is 1, ``{hidden_units:dashes}`` ``1024-512-256``, ``{input_shape:hw}`` ``12x12``,
    ``{dense_units:dense}`` ``, a dense layer of 128`` (nothing when the list is empty).
    Braces around anything that is not an option are left as they are.

    Example:
        >>> render_description("{num_layers:words} GRU layer{num_layers:s} of {units} units",
        ...                    {"num_layers": 2, "units": 512})
        'two GRU layers of 512 units'
    """
    def fill(match):
        name, how = match.group(1), match.group(2) or ""
        return _sizes(options[name], how) if name in options else match.group(0)

    return _FIELD.sub(fill, template)


def register_model(name, *, family, task, builder, description, defaults=None, train=None,
                   reference=""):
    """Add a named model to the zoo and return its :class:`ModelSpec`.

    ``description`` may name options in braces (``{units}``, ``{num_layers:words}``: see
    :func:`render_description`): listings show it with the defaults, a published weight's
    record with the options it was trained with."""
    if name in _REGISTRY:
        raise ValueError(f"model {name!r} is registered twice")
    spec = ModelSpec(name=name, family=family, task=task, builder=builder,
                     defaults=dict(defaults or {}), description=description,
                     train=dict(train or {}), reference=reference,
                     module=sys._getframe(1).f_globals.get("__name__", ""),
                     template=description)
    unknown = set(spec.defaults) - set(inspect.signature(builder).parameters)
    if unknown:
        raise ValueError(f"model {name!r}: {builder.__name__} has no option {sorted(unknown)}")
    spec = dataclasses.replace(spec, description=spec.describe_options())
    _REGISTRY[name] = spec
    return spec


def unregister_model(name):
    """Remove a model added by :func:`register_model` outside the zoo's own families (a test's,
    a plug-in's); the models the zoo ships (in its index) stay."""
    if name in _index():
        raise ValueError(f"model {name!r} is one of the zoo's own models")
    _REGISTRY.pop(name, None)
    for key in [k for k in _ESTIMATES if k[0] == name]:
        del _ESTIMATES[key]


def list_models(pattern=None, *, family=None, task=None):
    """Names of the registered models, sorted (:func:`zoo.list_models` adds ``pretrained``).

    Args:
        pattern: a shell-style wildcard (``"*mlp*"``, ``"lenet?"``); ``None`` lists all.
        family: keep only this family (``"mlp"``, ``"cnn"``, ...).
        task: keep only models for this task.

    Example:
        >>> list_models("*mlp")
        ['deep_mlp', 'deep_sigmoid_mlp', 'shallow_mlp']
    """
    pattern = check_text(pattern, "the pattern", none=True, limit=1000)
    family = check_text(family, "family", none=True, limit=1000)
    task = check_text(task, "task", none=True, limit=1000)
    names = sorted(set(_index()) | set(_REGISTRY))
    if pattern:
        names = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
    if family:
        names = [n for n in names if _facts(n)["family"] == family]
    if task:
        names = [n for n in names if _facts(n)["task"] == task]
    return names


def _unknown(name):
    known = sorted(set(_index()) | set(_REGISTRY))
    return UnknownNameError(f"unknown model {name!r}.{suggest(name, known)} "
                            f"Run `zoo list` to see the {len(known)} models.")


def _facts(name) -> dict:
    """A model's plain data (family, task, description, reference, options, train): from its
    live spec once its module is imported, else from the index, without importing anything."""
    if name in _REGISTRY:
        spec = _REGISTRY[name]
        return json.loads(json.dumps(to_plain(
            {"name": spec.name, "family": spec.family, "task": spec.task,
             "description": spec.description, "reference": spec.reference,
             "options": spec.options(), "train": dict(spec.train)}), default=str))
    if isinstance(name, str) and name in _index():
        entry = _index()[name]
        return {key: json.loads(json.dumps(entry[key])) for key in
                ("name", "family", "task", "description", "reference", "options", "train")}
    raise _unknown(name)


def get_spec(name) -> ModelSpec:
    """The :class:`ModelSpec` of a registered name (importing its family module, which needs
    Keras); a clear error for an unknown one."""
    check_text(name, "the model name", limit=1000)
    if name not in _REGISTRY and name in _index():
        importlib.import_module(_index()[name]["module"])
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise _unknown(name) from None


def default_num_params(name):
    """The parameter count of ``build(name)`` with its default options, from the index when the
    zoo ships the model (``None`` when a size comes from the data, e.g. a vocabulary)."""
    if name not in _REGISTRY and name in _index():
        return _index()[name]["num_params"]
    try:
        return build(name).count_params()
    except ConfigError:
        return None


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
    for key, value in overrides.items():
        check_option(name, key, value, spec.options()[key])
    return options


MAX_SIZE = 65_536  # the largest count or size an option may take (units, filters, pixels, tokens)


def check_option(model, key, value, default):
    """Refuse an option value of the wrong type or an absurd size, before anything is built.

    The type is the default's (a number where a number goes, a list where a list goes); counts
    and sizes are whole numbers from 0 to :data:`MAX_SIZE`; other numbers are finite.
    """
    where = f"option {key!r} of {model!r}"
    # counts and sizes by name, for the options whose default gives no number to go by
    counts = key.endswith(("units", "filters", "size", "shape"))

    def number(item, like):
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            raise ConfigError(f"{where} takes a number, got {item!r}")
        if isinstance(like, int) and not isinstance(like, bool) or \
                (like is None and isinstance(item, int)):
            if isinstance(item, float) and not item.is_integer():
                raise ConfigError(f"{where} takes a whole number, got {item!r}")
            if not 0 <= item <= MAX_SIZE:
                raise ConfigError(f"{where} must be between 0 and {MAX_SIZE:,}, got {item!r}")
        elif not math.isfinite(item):
            raise ConfigError(f"{where} must be a finite number, got {item!r}")

    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where} takes true or false, got {value!r}")
    elif isinstance(default, (int, float)) and isinstance(value, (list, tuple)):
        check_option(model, key, value, [default])  # one value per block, say
    elif isinstance(default, (int, float)):
        number(value, default)
    elif isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(f"{where} takes a string, got {value!r}")
    elif isinstance(default, (list, tuple)):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where} takes a list, got {value!r}")
        if len(value) > 64:
            raise ConfigError(f"{where} takes at most 64 items, got {len(value)}")
        like = next((d for d in default if isinstance(d, (int, float))), 0 if counts else None)

        def items(values, depth=0):
            for item in values:
                if isinstance(item, (list, tuple)) and depth < 2:
                    items(item, depth + 1)
                elif isinstance(item, (int, float)) or like is not None:
                    number(item, like if like is not None else item)
        items(value)
    elif default is None and value is not None:
        like = 0 if counts else None  # a count or a size is a whole number, even when unset
        if isinstance(value, (int, float)) or counts and not isinstance(value, (list, tuple,
                                                                                  str)):
            number(value, like)
        elif isinstance(value, (list, tuple)):
            for item in value:
                if isinstance(item, (int, float)) or counts and not isinstance(item, str):
                    number(item, like)


def build(name, /, **overrides):
    """Build a registered model's architecture with random weights (:func:`zoo.build` also
    loads published weights).

    Args:
        name: a name from :func:`list_models`.
        **overrides: any option that :func:`describe` lists, e.g. ``num_classes=5``.

    Returns:
        An uncompiled ``keras.Model``.

    Example:
        >>> build("mnist_convnet").count_params()
        34826
    """
    spec = get_spec(name)
    options = resolve_options(name, **overrides)
    if overrides:  # the defaults fit; other sizes are measured before anything is allocated
        check_fits(name, options)
    try:
        return spec.builder(**options)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"cannot build {name!r} with these options: {err}") from None


# -- what a model needs in memory, from its architecture before it is built ---------------------

BYTES_PER_VALUE = 4  # float32 weights and activations
_ESTIMATES: dict = {}


def estimate(name, /, **overrides) -> dict:
    """The size of ``build(name, **overrides)``, found without allocating it: the model is
    built in a Keras stateless scope, where weights are declared but never initialized and
    every activation is a symbolic shape.

    Returns ``{"params", "largest_weight", "activations"}``, counts of values: all the weights,
    the largest weight tensor, and the activations of one example (every layer's output; a
    dimension the data sets, such as a sequence length, counted as 1).

    Example:
        >>> estimate("mnist_convnet")["params"]
        34826
    """
    import keras  # heavy: zoo list / describe load this module

    spec = get_spec(name)
    options = resolve_options(name, **overrides)
    key = (name, json.dumps(to_plain(options), sort_keys=True, default=str))
    if key in _ESTIMATES:
        return dict(_ESTIMATES[key])
    from keras.src.backend.common import global_state  # heavy: as above

    pending = list(global_state.get_global_attribute("uninitialized_variables") or [])
    try:
        with keras.StatelessScope(initialize_variables=False):
            model = spec.builder(**options)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"cannot build {name!r} with these options: {err}") from None
    finally:  # the declared weights are never to be initialized: forget them
        global_state.set_global_attribute("uninitialized_variables", pending)

    def count(shape):
        return math.prod(int(d) if d is not None else 1 for d in shape)

    sizes = [count(v.shape) for v in model.weights]
    activations = 0
    for layer in model.layers:
        try:
            outputs = keras.tree.flatten(layer.output)
        except (AttributeError, ValueError):  # a layer used more than once, or not in a graph
            continue
        activations += sum(count(tuple(o.shape)[1:]) for o in outputs if hasattr(o, "shape"))
    result = {"params": sum(sizes), "largest_weight": max(sizes, default=0),
              "activations": activations}
    _ESTIMATES[key] = result
    return dict(result)


def available_memory():
    """Bytes this process may still allocate, or ``None`` when the system does not say: the
    least of the memory the system has available, what the cgroup's limit leaves and what the
    address-space limit (``ulimit -v``) leaves."""
    found = []
    facts = {}
    for path in ("/proc/meminfo", "/proc/self/status"):
        try:
            with open(path, encoding="ascii", errors="replace") as handle:
                for line in handle:
                    field, _, value = line.partition(":")
                    if value.strip().endswith("kB"):
                        facts[field] = int(value.split()[0]) * 1024
        except OSError:
            pass
    if "MemAvailable" in facts:
        found.append(facts["MemAvailable"])
    try:
        limit = pathlib.Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = pathlib.Path("/sys/fs/cgroup/memory.current").read_text().strip()
        if limit.isdigit() and used.isdigit():
            found.append(max(0, int(limit) - int(used)))
    except OSError:
        pass
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        found.append(max(0, soft - facts.get("VmSize", 0)))
    return min(found) if found else None


def _gb(size):
    return f"{size / 2**30:,.1f} GiB" if size >= 2**29 else f"{size / 2**20:,.0f} MiB"


def check_fits(name, options, *, batch_size=None, training=False, memory=None):
    """Refuse options that make a model too large for this machine, before it is built.

    What is needed, from :func:`estimate`: the weights (twice: their initial values are made
    before they are stored); when training, the weights, their gradients and two optimizer
    moments, plus each example's activations and their gradients times ``batch_size``. It is
    checked against ``memory`` (default :func:`available_memory`). Raises a
    :class:`ConfigError` saying what to lower; returns the estimate.
    """
    sizes = estimate(name, **{k: v for k, v in options.items() if k != "name"})
    memory = available_memory() if memory is None else memory
    batch = int(batch_size or 0)
    if training:
        need = BYTES_PER_VALUE * (4 * sizes["params"] + 2 * sizes["activations"] * batch)
    else:
        need = BYTES_PER_VALUE * 2 * sizes["params"]
    if memory is None or need <= memory:
        return sizes
    what = (f"{sizes['params']:,} parameters and {sizes['activations']:,} activation values "
            f"per example" if training else f"{sizes['params']:,} parameters, the largest "
            f"weight {sizes['largest_weight']:,}")
    doing = f"to train at batch size {batch:,}" if training else "to build"
    lower = ("lower the batch size or the model's sizes (options such as units, filters)"
             if training else "lower the model's sizes (options such as units, filters)")
    raise ConfigError(f"{name!r} with these options needs about {_gb(need)} {doing} ({what}); "
                      f"{_gb(memory)} of memory is available: {lower}")


def describe(name) -> dict:
    """A plain-data description of a model: family, task, text, every option and the recipe
    (JSON types: lists, not tuples), read without importing Keras.

    Example:
        >>> zoo.describe("mnist_convnet")["family"]
        'cnn'
    """
    return _facts(name)
