"""What a network learned without labels: linear probes, top-activating inputs, first-layer filters.

- :func:`linear_probe`: the test accuracy of a softmax (multinomial logistic) regression trained on
  given features with a few labels, written in Keras. Run it on an encoder's codes and on the raw
  pixels with the same labeled examples to see whether the unsupervised features make the classes
  easier to separate.
- :func:`top_activating_inputs`: for each code unit, the inputs that drive it hardest: the "cat
  neuron" analysis of Le et al. 2012. :func:`top_activation_grid` draws them, one row per unit.
- :func:`first_layer_filters`: the first layer's weights as images (a dense layer's weights
  reshaped to the input image, a convolution's kernels); :func:`filter_grid` draws them.
- :func:`analyze`: all of it for a trained autoencoder directory (the ``zoo analyze`` command).

Grids are ``PIL.Image`` objects; save them with ``.save("grid.png")``.
"""

import dataclasses
import math
import os
import pathlib

import keras
import numpy as np
from PIL import Image

from zoo.checks import (check_array, check_kind, check_labels, check_number, check_path,
                        check_text)
from zoo.errors import ConfigError, DataError
from zoo.images import MAX_PIXELS
from zoo.tasks.autoencoder import Autoencoder
from zoo import saving
from zoo.data import list_datasets, load_dataset
import zoo

L2_GRID = (1e-5, 1e-4, 1e-3, 1e-2)
MAX_STEPS = 1_000_000  # optimisation steps of one probe fit
MAX_SEED = 2**32 - 1


# -- features -------------------------------------------------------------------------------------

def features(encoder, images, *, batch_size=256):
    """The codes of a batch of (preprocessed) images as a float32 array ``(n, units)``.

    Args:
        encoder: a ``keras.Model`` (e.g. :func:`zoo.models.autoencoder.encoder_of`), or a task
            object with an ``encode`` method (:class:`zoo.tasks.autoencoder.Autoencoder`).
        images: an array ``(n, height, width, channels)`` as the model takes it.
    """
    encoder = check_kind(encoder, "the encoder", (keras.Model, Autoencoder),
                         "a keras.Model or an autoencoder (zoo.load(...))")
    batch_size = check_number(batch_size, "batch_size", whole=True, low=1, high=65_536)
    shape = tuple(encoder.input_shape if isinstance(encoder, Autoencoder)
                  else encoder.input_shape[1:])
    images = check_array(images, "images", shape=(None,) + shape, min_items=0,
                         hint="an autoencoder's preprocess([...]) makes this array from files")
    if hasattr(encoder, "encode"):
        return np.asarray(encoder.encode(images), dtype=np.float32).reshape(len(images), -1)
    outputs = [keras.ops.convert_to_numpy(encoder.predict_on_batch(images[i:i + batch_size]))
               for i in range(0, len(images), batch_size)]
    return np.concatenate(outputs).astype(np.float32).reshape(len(images), -1)


def pixels(images):
    """Raw pixels as features: each image flattened, shape ``(n, height * width * channels)``."""
    images = check_array(images, "images", min_ndim=2, min_items=0)
    return images.reshape(len(images), -1)


# -- linear probe ---------------------------------------------------------------------------------

@dataclasses.dataclass
class ProbeResult:
    """The outcome of a linear probe.

    Attributes:
        accuracy: accuracy on the test examples.
        train_accuracy: accuracy on the training examples.
        l2: the L2 weight penalty used (chosen on held-out training examples when ``"auto"``).
        num_train, num_test, num_features, num_classes: the sizes involved.
    """

    accuracy: float
    train_accuracy: float
    l2: float
    num_train: int
    num_test: int
    num_features: int
    num_classes: int

    def to_dict(self):
        return dataclasses.asdict(self)


def _standardizer(x):
    """Per-feature mean and scale of the training features. Each scale is floored at a tenth of
    the average one, so a feature that barely varies in training (a corner pixel) cannot blow up
    on a test example."""
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    floor = 0.1 * float(std.mean()) or 1.0
    return mean, np.maximum(std, floor)


def _fit_softmax(x, y, num_classes, *, l2, steps, batch_size, learning_rate, seed):
    """Multinomial logistic regression by Adam on cross-entropy + ``l2 * |W|^2``.

    A plain loop of ``train_on_batch`` over seeded reshuffles of the examples: deterministic, and
    without the per-epoch cost of ``fit`` when there are few examples.
    """
    rng = np.random.default_rng(seed)
    batch_size = min(int(batch_size), len(x))
    inputs = keras.Input(shape=(x.shape[1],))
    regularizer = keras.regularizers.L2(l2) if l2 else None
    outputs = keras.layers.Dense(num_classes, activation="softmax", kernel_initializer="zeros",
                                 kernel_regularizer=regularizer)(inputs)
    model = keras.Model(inputs, outputs)
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, int(steps))
    model.compile(optimizer=keras.optimizers.Adam(schedule),
                  loss="sparse_categorical_crossentropy")
    order, position = rng.permutation(len(x)), 0
    for _ in range(int(steps)):
        if position + batch_size > len(x):
            order, position = rng.permutation(len(x)), 0
        batch = order[position:position + batch_size]
        position += batch_size
        model.train_on_batch(x[batch], y[batch])
    return model


def _accuracy(model, x, y):
    if not len(x):
        return float("nan")
    predicted = np.concatenate([
        np.argmax(keras.ops.convert_to_numpy(model(x[i:i + 4096], training=False)), axis=1)
        for i in range(0, len(x), 4096)])
    return float((predicted == y).mean())


def _check_probe_inputs(features_train, y_train, features_test, y_test):
    x_train = check_array(features_train, "features_train", min_ndim=1)
    x_test = check_array(features_test, "features_test", min_ndim=1)
    y_train = check_labels(y_train, "y_train")
    y_test = check_labels(y_test, "y_test")
    x_train = x_train.reshape(len(x_train), -1)
    x_test = x_test.reshape(len(x_test), -1)
    if len(x_train) != len(y_train) or len(x_test) != len(y_test):
        raise DataError(f"features and labels differ in length: {len(x_train)} vs "
                        f"{len(y_train)} (train), {len(x_test)} vs {len(y_test)} (test)")
    if len(x_train) < 2 or not len(x_test):
        raise DataError("a linear probe needs at least 2 training and 1 test example")
    if x_train.shape[1] != x_test.shape[1]:
        raise DataError(f"train features have {x_train.shape[1]} dimensions, test features "
                        f"{x_test.shape[1]}")
    if min(y_train.min(), y_test.min()) < 0:
        raise DataError("labels must be non-negative class indices")
    if not (np.isfinite(x_train).all() and np.isfinite(x_test).all()):
        raise DataError("features contain NaN or infinite values")
    return x_train, y_train, x_test, y_test


def linear_probe(features_train, y_train, features_test, y_test, *, l2="auto", steps=600,
                 batch_size=256, learning_rate=0.01, seed=0, validation_fraction=0.2,
                 l2_grid=L2_GRID):
    """Test accuracy of a linear softmax classifier trained on given features.

    The features are standardised with the training examples' statistics, then a multinomial
    logistic regression (one Keras ``Dense`` softmax layer, zero-initialised, Adam with a cosine
    decay over ``steps`` minibatch steps) is fitted. The procedure is deterministic for a given
    ``seed``, so two feature sets given the same labels are compared on equal terms.

    Args:
        features_train, y_train: training features ``(n, ...)`` (flattened) and integer labels.
        features_test, y_test: test features and labels.
        l2: the L2 penalty on the weights, or ``"auto"``: the best of ``l2_grid`` on a held-out
            ``validation_fraction`` of the training examples, then refitted on all of them.
        steps: optimisation steps of each fit.
        batch_size, learning_rate: of the Adam fits.
        seed: seeds the order of the examples and the held-out part.

    Returns:
        A :class:`ProbeResult`.

    Example:
        >>> result = linear_probe(codes_train, y_train, codes_test, y_test)  # doctest: +SKIP
        >>> result.accuracy  # doctest: +SKIP
        0.93
    """
    x_train, y_train, x_test, y_test = _check_probe_inputs(features_train, y_train,
                                                           features_test, y_test)
    steps = check_number(steps, "steps", whole=True, low=1, high=MAX_STEPS)
    batch_size = check_number(batch_size, "batch_size", whole=True, low=1, high=65_536)
    learning_rate = check_number(learning_rate, "learning_rate", above=0, high=10)
    seed = check_number(seed, "seed", whole=True, low=0, high=MAX_SEED - 1)
    validation_fraction = check_number(validation_fraction, "validation_fraction", above=0,
                                       high=0.9)
    if isinstance(l2, str) and l2 == "auto":
        grid = check_array(l2_grid, "l2_grid", shape=(None,), dtype=np.float64, finite=True)
        if grid.min() < 0:
            raise ConfigError("l2_grid must hold non-negative numbers")
    else:
        if isinstance(l2, str):
            raise ConfigError(f"l2 must be 'auto' or a non-negative number, got {l2!r}")
        l2 = check_number(l2, "l2 (or 'auto')", low=0, high=1e6)
    num_classes = int(max(y_train.max(), y_test.max())) + 1
    mean, scale = _standardizer(x_train)
    x_train, x_test = (x_train - mean) / scale, (x_test - mean) / scale
    fit = dict(steps=int(steps), batch_size=batch_size, learning_rate=float(learning_rate),
               seed=seed)
    if l2 == "auto":
        order = np.random.default_rng(seed + 1).permutation(len(x_train))
        held = max(1, int(round(len(x_train) * validation_fraction)))
        val, part = order[:held], order[held:]
        scores = []
        for value in grid:
            model = _fit_softmax(x_train[part], y_train[part], num_classes, l2=value, **fit)
            scores.append(_accuracy(model, x_train[val], y_train[val]))
        l2 = float(grid[int(np.argmax(scores))])  # ties go to the weaker penalty
    model = _fit_softmax(x_train, y_train, num_classes, l2=float(l2), **fit)
    return ProbeResult(accuracy=_accuracy(model, x_test, y_test),
                       train_accuracy=_accuracy(model, x_train, y_train), l2=float(l2),
                       num_train=len(x_train), num_test=len(x_test),
                       num_features=int(x_train.shape[1]), num_classes=num_classes)


# -- top-activating inputs ------------------------------------------------------------------------

@dataclasses.dataclass
class TopActivations:
    """For each unit (one row), the inputs that activate it most, strongest first.

    Attributes:
        units: the unit indices, one per row.
        indices: ``(len(units), k)`` indices into the images searched.
        values: ``(len(units), k)`` the units' activations on those inputs.
    """

    units: list
    indices: np.ndarray
    values: np.ndarray


def rank_units(codes, count=None):
    """Units that are ever active (their activation varies over the inputs), most variable
    first; at most ``count`` of them."""
    codes = check_array(codes, "codes", shape=(None, None), min_items=0)
    count = check_number(count, "count", whole=True, low=0, none=True)
    spread = codes.std(axis=0)
    alive = [int(u) for u in np.argsort(-spread, kind="stable") if spread[u] > 0]
    return alive if count is None else alive[:int(count)]


def top_activating_inputs(encoder, images, k=9, *, units=None, codes=None):
    """For each code unit, the ``k`` inputs among ``images`` that activate it most.

    Args:
        encoder: what :func:`features` accepts (an encoder model, or an ``Autoencoder``).
        images: a preprocessed batch ``(n, height, width, channels)``.
        k: inputs kept per unit (at most ``n``).
        units: which units (default: all, in order).
        codes: the images' codes when already computed (skips the encoder).

    Returns:
        A :class:`TopActivations`.
    """
    k = check_number(k, "k", whole=True, low=1)
    if codes is None:
        codes = features(encoder, images)
    codes = check_array(codes, "codes", shape=(None, None))
    k = min(k, len(codes))
    units = list(range(codes.shape[1])) if units is None else [
        int(u) for u in check_labels(units, "units")]
    bad = [u for u in units if not 0 <= u < codes.shape[1]]
    if bad:
        raise ConfigError(f"unit {bad[0]} does not exist: the code has {codes.shape[1]} units")
    order = np.argsort(-codes[:, units], axis=0, kind="stable")[:k].T  # (units, k)
    values = np.take_along_axis(codes[:, units].T, order, axis=1)
    return TopActivations(units=units, indices=order, values=values)


# -- first-layer filters --------------------------------------------------------------------------

def first_layer_filters(model):
    """The first weight layer's filters as images ``(n, height, width, channels)``.

    A ``Dense`` layer reading the flattened image gives one filter per unit, of the image's shape;
    a ``Conv2D`` gives one ``kernel x kernel x channels`` filter per output channel. The values are
    the raw weights (see :func:`filter_grid` to draw them).

    Args:
        model: a ``keras.Model`` (any family whose first weight layer is one of those), or a task
            object holding one in ``.model``.
    """
    model = check_kind(getattr(model, "model", model), "the model", keras.Model,
                       "a keras.Model or a task object (zoo.load(...))")
    shape = tuple(int(d) for d in model.input_shape[1:])
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D) and not isinstance(
                layer, keras.layers.Conv2DTranspose):
            kernel = keras.ops.convert_to_numpy(layer.kernel)  # (kh, kw, in, filters)
            return np.transpose(kernel, (3, 0, 1, 2)).astype(np.float32)
        if isinstance(layer, keras.layers.Dense):
            kernel = keras.ops.convert_to_numpy(layer.kernel)  # (inputs, units)
            if kernel.shape[0] != math.prod(shape):
                raise ConfigError(f"the first dense layer {layer.name!r} reads {kernel.shape[0]} "
                                  f"values, not the {math.prod(shape)} pixels of the input")
            return kernel.T.reshape((kernel.shape[1],) + shape).astype(np.float32)
    raise ConfigError(f"model {model.name!r} has no Dense or Conv2D layer to show")


def _symmetric(filters):
    """Each filter mapped to [0, 1] with zero at mid-grey (0.5) and its largest |weight| at 0 or 1.

    A filter whose weights are all below a tenth of the largest filter's peak (a unit that weight
    decay has switched off) is scaled like one at that tenth, so it shows nearly flat grey
    instead of its tiny weights stretched into noise.
    """
    filters = np.asarray(filters, dtype=np.float32)
    peak = np.abs(filters).reshape(len(filters), -1).max(axis=1)
    peak = np.maximum(peak, 0.1 * float(peak.max()))
    peak = np.where(peak > 0, peak, 1.0).reshape((-1,) + (1,) * (filters.ndim - 1))
    return 0.5 + 0.5 * filters / peak


# -- grids ----------------------------------------------------------------------------------------

def image_grid(images, *, columns=None, scale=1, pad=1, pad_value=0.5, stretch=False):
    """Tile images ``(n, height, width, channels)`` with values in [0, 1] into one PIL image.

    Args:
        columns: tiles per row (default: a near-square grid).
        scale: enlarge each pixel to ``scale x scale`` (nearest neighbour).
        pad: pixels between tiles, of grey level ``pad_value``.
        stretch: stretch each tile's values to the full [0, 1] range (for low-contrast tiles such
            as normalised patches).
    """
    images = check_array(images, "image_grid's images", min_ndim=3, min_items=0)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3) or not images.size:
        raise DataError(f"image_grid needs images (n, height, width, 1 or 3), got {images.shape}")
    columns = check_number(columns, "columns", whole=True, low=1, none=True)
    scale = check_number(scale, "scale", whole=True, low=1, high=1024)
    pad = check_number(pad, "pad", whole=True, low=0, high=1024)
    pad_value = check_number(pad_value, "pad_value", low=0, high=1)
    if stretch:
        low = images.min(axis=(1, 2, 3), keepdims=True)
        high = images.max(axis=(1, 2, 3), keepdims=True)
        images = (images - low) / np.where(high > low, high - low, 1.0)
    count, height, width, channels = images.shape
    columns = int(columns or math.ceil(math.sqrt(count)))
    columns = min(columns, count)
    rows = math.ceil(count / columns)
    size = (rows * (height + pad) + pad, columns * (width + pad) + pad)
    if size[0] * size[1] * scale * scale > MAX_PIXELS:
        raise ConfigError(f"the grid would be {size[1] * scale:,}x{size[0] * scale:,} pixels "
                          f"(limit {MAX_PIXELS:,}); show fewer or smaller tiles, or a lower "
                          "scale")
    canvas = np.full((rows * (height + pad) + pad, columns * (width + pad) + pad, channels),
                     pad_value, dtype=np.float32)
    for index, tile in enumerate(images):
        r, c = divmod(index, columns)
        top, left = pad + r * (height + pad), pad + c * (width + pad)
        canvas[top:top + height, left:left + width] = tile
    canvas = np.clip(np.rint(canvas * 255), 0, 255).astype(np.uint8)
    image = Image.fromarray(canvas[..., 0] if channels == 1 else canvas)
    if scale != 1:
        image = image.resize((image.width * int(scale), image.height * int(scale)),
                             Image.Resampling.NEAREST)
    return image


def filter_grid(model_or_filters, *, columns=None, scale=None, pad=1):
    """The first layer's filters (:func:`first_layer_filters`, or given filters) as one image.

    Each filter is shown with zero weight as mid-grey, positive lighter, negative darker, scaled
    by its own largest weight (at least a tenth of the largest weight of all filters, so a
    switched-off unit stays grey). Small kernels are enlarged to about 24 pixels a side.
    """
    filters = model_or_filters
    if isinstance(filters, (np.ndarray, list, tuple)):
        filters = check_array(filters, "filters", min_ndim=3, finite=True)
    else:
        filters = first_layer_filters(filters)
    if scale is None:
        scale = max(1, 24 // max(filters.shape[1:3]))
    return image_grid(_symmetric(filters), columns=columns, scale=scale, pad=pad)


def top_activation_grid(images, top, *, scale=2, stretch=False):
    """Draw a :class:`TopActivations`: one row per unit, its top inputs left to right."""
    top = check_kind(top, "top", TopActivations, "what top_activating_inputs returns")
    images = check_array(images, "images", min_ndim=3)
    if top.indices.size and int(top.indices.max()) >= len(images):
        raise ConfigError(f"top names image {int(top.indices.max())} of {len(images)}; give "
                          "the images top_activating_inputs searched")
    tiles = images[top.indices.reshape(-1)]
    return image_grid(tiles, columns=top.indices.shape[1], scale=scale, stretch=stretch)


def reconstruction_grid(originals, reconstructions, *, columns=10, scale=2, stretch=False):
    """Originals and their reconstructions in alternating rows of ``columns`` images."""
    originals = check_array(originals, "originals", min_ndim=3)
    reconstructions = check_array(reconstructions, "reconstructions", min_ndim=3)
    if originals.shape != reconstructions.shape:
        raise DataError(f"{originals.shape} originals but {reconstructions.shape} "
                        "reconstructions")
    columns = min(check_number(columns, "columns", whole=True, low=1), len(originals))
    count = (len(originals) // columns) * columns
    rows = []
    for start in range(0, count, columns):
        rows.append(originals[start:start + columns])
        rows.append(reconstructions[start:start + columns])
    return image_grid(np.concatenate(rows), columns=columns, scale=scale, stretch=stretch)


# -- the whole analysis of a trained autoencoder --------------------------------------------------

def _collect(dataset, limit=None, labels=True):
    xs, ys, seen = [], [], 0
    for x, y in dataset:
        xs.append(np.asarray(x, dtype=np.float32))
        ys.append(np.asarray(y))
        seen += len(xs[-1])
        if limit is not None and seen >= limit:
            break
    if not xs:
        raise DataError("the split holds no examples")
    x = np.concatenate(xs)[:limit]
    return (x, np.concatenate(ys)[:limit]) if labels else x


def analyze(model_dir, out_dir, *, dataset=None, data_dir=None, labeled=1000, probe_steps=600,
            top_k=8, num_units=16, max_images=10_000, seed=0, log=print):
    """Write the analysis of a trained autoencoder to ``out_dir`` and return it as plain data.

    Writes ``filters.png`` (first-layer filters), ``reconstructions.png`` (held-out images over
    their reconstructions), ``top_activations.png`` (one row per unit: the held-out images that
    activate it most; the ``num_units`` most variable units) and ``analysis.json``. When the data
    is a labeled dataset (``mnist``) and ``labeled > 0``, it also runs linear probes on the codes
    and on the raw pixels, both trained on the same ``labeled`` training examples and measured on
    the whole test split.

    Args:
        model_dir: a ``zoo train --out`` directory of an autoencoder.
        out_dir: where to write the figures.
        dataset: the data to analyse on (default: what the model was trained on).
        data_dir: where that dataset's files are (default: ``$ZOO_DATA_DIR``, else the folder
            the model's MNIST files were read from in training, when it still exists).
        labeled: labeled training examples for the probes (0: no probes).
        probe_steps: optimisation steps of each probe fit (see :func:`linear_probe`).
        top_k: inputs per unit in the top-activation grid.
        num_units: units shown in the top-activation grid.
        max_images: held-out images searched for the top activations.
    """

    out_dir = check_path(out_dir, "out_dir")
    saving.check_writable_dir(out_dir, "out_dir")
    dataset = check_text(dataset, "dataset", none=True, empty=False)
    if data_dir is not None:
        data_dir = str(check_path(data_dir, "data_dir"))
    labeled = check_number(labeled, "labeled", whole=True, low=0, high=1_000_000)
    probe_steps = check_number(probe_steps, "probe_steps", whole=True, low=1, high=100_000)
    top_k = check_number(top_k, "top_k", whole=True, low=1, high=1000)
    num_units = check_number(num_units, "num_units", whole=True, low=1, high=4096)
    max_images = check_number(max_images, "max_images", whole=True, low=1, high=10_000_000)
    seed = check_number(seed, "seed", whole=True, low=0, high=MAX_SEED - 1)
    task = zoo.load(model_dir)
    if not isinstance(task, Autoencoder):
        raise DataError(f"{model_dir} holds a {task.task!r} model; zoo analyze reads autoencoders")
    config = task.config
    if int(num_units) > task.code_size:  # not clamped silently: the grid would show fewer
        raise ConfigError(f"{int(num_units):,} units asked for (--units), but the code of "
                          f"{config['model']!r} has {task.code_size}; give at most "
                          f"{task.code_size}")
    name = dataset or config.get("dataset", {}).get("name")
    if not name:
        raise DataError(f"{model_dir} does not record its dataset; pass --dataset")
    source = str(config.get("dataset", {}).get("source", ""))
    if data_dir is None and not dataset and source.startswith("idx:") \
            and pathlib.Path(source[4:]).is_dir() and not os.environ.get("ZOO_DATA_DIR"):
        data_dir = source[4:]  # where the model's IDX files were read from in training
    prepared = task.prepare_saved(dataset=name, data_dir=data_dir, batch_size=256)
    data = config.get("data") or {}
    held_out = prepared.test if prepared.test is not None else prepared.validation
    images = _collect(held_out, limit=int(max_images), labels=False)
    stretch = prepared.data_info.get("kind") == "patches"
    scale = max(2, 56 // max(images.shape[1:3]))  # tiles of about 56 pixels
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = {"model_dir": str(model_dir), "model": config["model"], "dataset": name,
              "images_searched": int(len(images)), "code_size": task.code_size}

    filter_grid(task.model).save(out_dir / "filters.png")
    shown = images[:20]
    reconstruction_grid(shown, task.reconstruct(shown), columns=10, scale=scale,
                        stretch=stretch).save(out_dir / "reconstructions.png")
    codes = task.encode(images)
    units = rank_units(codes, num_units)
    report.update(dead_units=int(task.code_size - len(rank_units(codes))),
                  mean_activation=float(codes.mean()),
                  fraction_active=float((codes > 0).mean()),
                  units_shown=units)
    if units:
        top = top_activating_inputs(task, images, top_k, units=units, codes=codes)
        top_activation_grid(images, top, scale=scale,
                            stretch=stretch).save(out_dir / "top_activations.png")
    log(f"{len(images):,} held-out images: {report['dead_units']} of {task.code_size} code "
        f"units never vary; {100 * report['fraction_active']:.1f}% of the activations are "
        f"positive (mean {report['mean_activation']:.3f})")

    if labeled and name in list_datasets():
        splits = load_dataset(name, data_dir=data_dir, batch_size=512, train_size=int(labeled),
                              validation_fraction=float(data.get("validation_fraction") or 0.1),
                              seed=int(data.get("seed") or 0))
        x_train, y_train = _collect(splits.train)
        x_test, y_test = _collect(splits.test)
        probes = {}
        for what, (f_train, f_test) in {
                "pixels": (pixels(x_train), pixels(x_test)),
                "codes": (features(task, x_train), features(task, x_test))}.items():
            probes[what] = linear_probe(f_train, y_train, f_test, y_test, steps=probe_steps,
                                          seed=seed).to_dict()
            log(f"linear probe on {what} ({probes[what]['num_features']} features, "
                f"{len(x_train):,} labeled examples): test accuracy "
                f"{probes[what]['accuracy']:.4f} on {len(x_test):,} test images "
                f"(l2 {probes[what]['l2']:g})")
        report["linear_probe"] = probes
    elif labeled:
        log(f"no linear probe: {name} has no labels (use a labeled dataset such as mnist)")
    report["files"] = sorted(p.name for p in out_dir.glob("*.png"))
    saving.write_json(out_dir / "analysis.json", report)
    log(f"wrote {', '.join(report['files'])} and analysis.json to {out_dir}")
    return report
