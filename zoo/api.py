"""The public way from a name to a model: list, describe and build, with published weights.

Three hops downwards, each a module of its own: a name (:mod:`zoo.registry`, plain data), a
published weight (:mod:`zoo.weights`, verified files) and the files read without running code
(:mod:`zoo.saving`). ``zoo.list_models``, ``zoo.describe`` and ``zoo.build`` are these.

Example:
    >>> import zoo
    >>> zoo.list_models("*mlp")
    ['deep_mlp', 'deep_sigmoid_mlp', 'shallow_mlp']
    >>> zoo.build("mnist_convnet").count_params()
    34826
"""

from zoo import registry, saving
from zoo import weights as published
from zoo.errors import ConfigError


def describe(name, /, *, num_params=False):
    """A plain-data description of a model: family, task, text, every option and the recipe
    (JSON types: lists, not tuples), read without importing Keras.

    With ``num_params=True`` it also holds ``num_params``: the parameter count of ``build(name)``
    with its default options (from the model index for the models the zoo ships, so still
    without Keras; ``None`` when a size comes from the data, e.g. a vocabulary).

    Example:
        >>> describe("mnist_convnet")["family"]
        'cnn'
        >>> describe("mnist_convnet", num_params=True)["num_params"]
        34826
    """
    info = registry.describe(name)
    if num_params:
        info["num_params"] = registry.default_num_params(name)
    return info


def list_models(pattern=None, *, family=None, task=None, pretrained=False):
    """Names of the registered models, sorted.

    Args:
        pattern: a shell-style wildcard (``"*mlp*"``, ``"lenet?"``); ``None`` lists all.
        family: keep only this family (``"mlp"``, ``"cnn"``, ...).
        task: keep only models for this task.
        pretrained: keep only models with published weights (``zoo.weights.list_weights()``).

    Example:
        >>> list_models(family="cnn", pretrained=True)
        ['lenet5', 'mnist_convnet']
    """
    names = registry.list_models(pattern, family=family, task=task)
    if pretrained:
        models = {published.get_weight(w)["model"] for w in published.list_weights()}
        names = [n for n in names if n in models]
    return names


def build(name, /, *, weights=None, **overrides):
    """Build a registered model.

    Args:
        name: a name from :func:`list_models`.
        weights: a published weight of this model (``"mnist_convnet.mnist"``, see
            ``zoo.weights.list_weights()``), or ``True`` for its default one: the model is built
            with that weight's options and its weights are loaded. ``None``: random weights.
        **overrides: any option that :func:`describe` lists, e.g. ``num_classes=5``.

    Returns:
        An uncompiled ``keras.Model``.

    Example:
        >>> build("mnist_convnet").count_params()
        34826
        >>> trained = build("mnist_convnet", weights="mnist_convnet.mnist")
    """
    if weights is None or weights is False:
        return registry.build(name, **overrides)
    registry.get_spec(name)  # an unknown name fails first, with its suggestion
    weight = published.default_weight(name) if weights is True else str(weights)
    if weight is None:
        raise ConfigError(f"{name!r} has no published weights; see `zoo weights list`")
    record = published.get_weight(weight)
    if record["model"] != name:
        raise ConfigError(f"weight {weight!r} is for {record['model']!r}, not {name!r}")
    differ = {k: v for k, v in overrides.items() if record["options"].get(k) != v}
    if differ:
        raise ConfigError(f"weight {weight!r} was trained with other options than "
                          f"{sorted(differ)}; build without weights to change them")
    model, _ = saving.load_artifact(published.weight_dir(weight))
    return model
