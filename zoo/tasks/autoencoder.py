"""Autoencoding: images in, their reconstructions and their codes (learned features) out."""

import math
import zlib
from pathlib import Path

import keras
import numpy as np

from zoo.checks import check_array, check_number
from zoo.errors import ConfigError, DataError
from zoo.tasks.base import Headline, Prepared, Task
from zoo.data.unlabeled import load_unlabeled, PatchOptions, read_photos, report_skipped
from zoo.preprocessing import ImagePreprocessor, PatchPreprocessor
from zoo.preprocessing.patches import DEFAULT_IMAGE_SIZE, DEFAULT_PER_IMAGE
from zoo.models.autoencoder import code_size_of, decoder_of, encoder_of

DEFAULT_TEST_FRACTION = 0.1
MAX_IMAGES = 65_536  # codes decoded in one call (images of 28x28: 200 MB)
MAX_PER_IMAGE = 1_000_000  # patches cut from one photo (recipe and measure_photos)


def _predict(model, batch, batch_size=256):
    """``model`` on a NumPy batch in chunks, inference mode (no input noise), as NumPy."""
    outputs = [keras.ops.convert_to_numpy(model.predict_on_batch(batch[i:i + batch_size]))
               for i in range(0, len(batch), batch_size)]
    return np.concatenate(outputs).astype(np.float32)


def _data_settings(request, assets):
    """Patch options and test fraction: from the recipe when training, from the saved model's
    assets when measuring it again (so evaluation sees the very same data)."""

    recipe = dict(request.recipe or {})
    saved = (assets or {}).get("preprocessor")
    data_info = dict((assets or {}).get("dataset") or {})

    def number(key, default, kind):
        value = recipe.get(key, default)
        if value is None or (isinstance(value, str) and value.lower() == "none"):
            return None
        try:
            if isinstance(value, bool) or (kind is int and float(value) != int(float(value))):
                raise ValueError
            return kind(float(value)) if kind is int else kind(value)
        except (TypeError, ValueError):
            raise ConfigError(f"recipe setting {key}={value!r} must be a "
                              f"{'whole ' if kind is int else ''}number") from None

    test_fraction = number("test_fraction",
                           data_info.get("test_fraction", DEFAULT_TEST_FRACTION), float)
    if test_fraction is None:
        test_fraction = DEFAULT_TEST_FRACTION
    if saved and saved.get("kind") == "patches":
        return PatchOptions.of(PatchPreprocessor.from_config(saved)), test_fraction
    if saved:
        return None, test_fraction
    size = number("patch_size", None, int)
    if not size:
        return None, test_fraction
    normalize = recipe.get("normalize_patches", True)
    if not isinstance(normalize, bool):
        raise ConfigError(f"recipe setting normalize_patches={normalize!r} must be true or false")
    patches = PatchOptions(size=size,
                           per_image=number("patches_per_image", DEFAULT_PER_IMAGE, int),
                           normalize=normalize,
                           image_size=number("patch_image_size", DEFAULT_IMAGE_SIZE, int)
                           or None)
    return patches, test_fraction


class Autoencoder(Task):
    """A trained autoencoder that reconstructs and encodes image files, PIL images or arrays.

    Inputs go through the preprocessing saved with the model (the training data's colour mode and
    size, MNIST's inversion and centring for digits, the patch normalisation for patch models), so
    ``encode(["a.png"])`` sees what the training images looked like. An already preprocessed
    float32 batch of the model's input shape is used as it is.

    Args:
        model: a ``keras.Model`` of the autoencoder family (with a ``"code"`` layer).
        config: plain data saved with it: ``model`` (registered name), ``options`` and
            ``preprocessor``: an :class:`~zoo.preprocessing.ImagePreprocessor`'s config, or a
            :class:`~zoo.preprocessing.PatchPreprocessor`'s for patch models.

    Example:
        >>> ae = Autoencoder.from_dir("runs/conv_autoencoder")  # doctest: +SKIP
        >>> ae.encode(["three.png"]).shape  # doctest: +SKIP
        (1, 64)
        >>> ae.reconstruct(["three.png"]).shape  # doctest: +SKIP
        (1, 28, 28, 1)
    """

    noun = "an autoencoder"
    task = "autoencoder"
    headline = Headline("test_mse", "test MSE", "min")
    # a patch model's MSE on photos from other packages (measure_photos) says more than on the
    # few photos its folder held out
    preferred_headlines = (Headline("test_unseen_photos_mse", "MSE on unseen photos", "min"),)
    config_schema = {"preprocessor": "preprocessor"}
    recipe_settings = {
        "normalize_patches": ("bool", None, None), "patch_size": ("int", 1, 1024),
        "patches_per_image": ("int", 1, MAX_PER_IMAGE), "patch_image_size": ("int", 1, 16_384),
        "test_fraction": ("fraction", None, None)}

    def __init__(self, model, config):

        super().__init__(model, config)
        if not isinstance(self.preprocessor, ImagePreprocessor):
            raise ConfigError("an autoencoder needs an image or patch preprocessor (its "
                              "zoo.json was changed: restore it or retrain)")
        self.code_size = code_size_of(model)
        self._encoder = None
        self._decoder = None

    @property
    def input_shape(self):
        return tuple(self.model.input_shape[1:])

    @property
    def encoder(self):
        """The image-to-code half (a ``keras.Model`` sharing the trained layers)."""
        if self._encoder is None:

            self._encoder = encoder_of(self.model)
        return self._encoder

    @property
    def decoder(self):
        """The code-to-image half (a ``keras.Model`` sharing the trained layers)."""
        if self._decoder is None:

            self._decoder = decoder_of(self.model)
        return self._decoder

    def preprocess(self, images):
        """Turn a list of images (paths, bytes, PIL images or arrays) into one float32 batch."""

        return self.preprocessor(images)

    def encode(self, images):
        """The code (features) of each image, shape ``(len(images), code_size)``."""
        return _predict(self.encoder, self.preprocess(images))

    def reconstruct(self, images):
        """The reconstruction of each image, in the model's input space, values in [0, 1]."""
        return _predict(self.model, self.preprocess(images))

    def decode(self, codes):
        """Images from codes of shape ``(n, code_size)``."""
        if isinstance(codes, np.ndarray) and codes.ndim == 1:
            codes = codes[None]
        elif isinstance(codes, (list, tuple)) and codes and not isinstance(codes[0], (
                list, tuple, np.ndarray)):
            codes = [codes]  # one code as a plain list
        codes = check_array(codes, "codes", shape=(None, self.code_size),
                            max_items=MAX_IMAGES * self.code_size,
                            hint="codes are what encode([...]) returns")
        return _predict(self.decoder, codes)

    def reconstruction_error(self, images):
        """Mean squared error per pixel of each image's reconstruction, shape ``(n,)``."""
        batch = self.preprocess(images)
        return ((_predict(self.model, batch) - batch) ** 2).reshape(len(batch), -1).mean(axis=1)

    def evaluate(self, dataset):
        """Reconstruction figures on a batched ``(images, targets)`` dataset.

        Returns:
            ``mse`` (mean squared error per pixel value), ``psnr`` (dB, for a peak value of 1),
            ``variance_explained`` (1 - squared error / the data's squared deviation from its
            per-pixel mean; ``None`` when the examples do not vary, e.g. a single one) and
            ``examples``.
        """
        squared, count, total, total_sq = 0.0, 0, None, None
        for x, target in dataset:
            x = np.asarray(x, dtype=np.float32)
            target = np.asarray(target, dtype=np.float64).reshape(len(x), -1)
            output = _predict(self.model, x).reshape(len(x), -1)
            squared += float(((output - target) ** 2).sum())
            count += len(x)
            total = target.sum(axis=0) + (0 if total is None else total)
            total_sq = (target ** 2).sum(axis=0) + (0 if total_sq is None else total_sq)
        if not count:
            raise DataError("no examples to measure the reconstruction on; give a dataset "
                            "with held-out images")
        values = count * total.size
        mse = squared / values
        spread = float((total_sq - total ** 2 / count).sum())
        return {"mse": mse, "psnr": 10 * math.log10(1.0 / mse) if mse > 0 else float("inf"),
                "variance_explained": 1.0 - squared / spread if spread > 1e-12 else None,
                "examples": count}

    def measure_photos(self, folder, *, per_image=None, seed=0, prefix="test_unseen_photos"):
        """Reconstruction figures of a patch model on a folder of photos it never saw.

        Each photo is read as the training data was (the saved ``image_size`` and colour mode),
        ``per_image`` patches (default: the training's per photo) are cut at random places
        seeded by ``seed`` and the photo's file name (so a photo's patches do not depend on
        the others in the folder), normalised with the saved scale and measured with
        :meth:`evaluate`, photo by photo and pooled.

        Returns:
            ``(metrics, details)``: ``metrics`` are ``{prefix}_mse``, ``_psnr``,
            ``_variance_explained``, ``_examples`` (patches) over all the patches, ``_photos``
            and the spread of the per-photo MSE (``_mse_min``, ``_mse_median``, ``_mse_max``);
            ``details`` has ``files`` (sorted, relative to ``folder``), ``per_photo`` (file ->
            its figures), ``patches_per_photo`` and ``seed``.

        Raises:
            ConfigError: the model is not a patch model, or ``per_image`` (a whole number from
                1 to 1,000,000, or ``None``) or ``seed`` (a whole number from 0) is not one.
            DataError: the folder holds no readable photo of at least one patch.
        """
        if not isinstance(self.preprocessor, PatchPreprocessor):
            raise ConfigError("measure_photos is for patch models (a patch_autoencoder trained "
                              "on a folder of photos); measure whole images with `zoo evaluate`")
        per_image = check_number(per_image, "per_image", whole=True, low=1,
                                 high=MAX_PER_IMAGE, none=True) or self.preprocessor.per_image
        seed = check_number(seed, "seed", whole=True, low=0, high=2**32 - 1)
        folder = Path(folder).expanduser()
        if not folder.is_dir():
            raise DataError(f"{folder}: no such folder of photos")
        photos, skipped = read_photos(folder, self.preprocessor)
        if not photos:
            raise DataError(f"{folder} holds no readable photo of at least one "
                            f"{self.preprocessor.size[0]}-pixel patch ({len(skipped)} skipped)")
        per_photo, batches = {}, []
        for path in sorted(photos):
            name = Path(path).relative_to(folder).as_posix()
            rng = np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])
            patches = self.preprocessor.from_pixels(
                self.preprocessor.cut(photos[path], per_image, rng))
            per_photo[name] = self.evaluate([(patches, patches)])
            batches.append((patches, patches))
        pooled = self.evaluate(batches)
        mses = np.array([figures["mse"] for figures in per_photo.values()])
        metrics = {f"{prefix}_{key}": value for key, value in pooled.items()}
        metrics.update({f"{prefix}_photos": len(per_photo),
                        f"{prefix}_mse_min": float(mses.min()),
                        f"{prefix}_mse_median": float(np.median(mses)),
                        f"{prefix}_mse_max": float(mses.max())})
        details = {"files": sorted(per_photo), "per_photo": per_photo,
                   "patches_per_photo": per_image, "seed": seed}
        return metrics, details

    # -- training hooks (see zoo.training) ------------------------------------------------------

    @classmethod
    def prepare(cls, model_name, options, request, assets=None):
        """Unlabeled ``(x, x)`` data from a dataset name or a folder (see
        :mod:`zoo.data.unlabeled`).

        ``request.dataset`` is ``"mnist"`` (or another dataset name: its labels are dropped) or a
        folder of images. The recipe's ``patch_size`` makes it cut random patches from the
        folder's photos instead (with ``patches_per_image``, ``normalize_patches``,
        ``patch_image_size``); ``test_fraction`` (default 0.1) is the part of a folder's files
        held out for the test figures.
        """

        if request.test_data:
            raise ConfigError("autoencoders are measured on held-out images of --dataset (the "
                              "canonical test split, or test_fraction of a folder's files); "
                              "--test-data is for the text families")
        patches, test_fraction = _data_settings(request, assets)
        splits = load_unlabeled(request.dataset, input_shape=options["input_shape"],
                                batch_size=request.batch_size, data_dir=request.data_dir,
                                validation_fraction=request.validation_fraction,
                                test_fraction=test_fraction, seed=request.seed,
                                train_size=request.train_size, patches=patches)
        info = splits.info
        report_skipped(info)
        counts = info["num_examples"]
        what = "patches" if info["kind"] == "patches" else "images"
        return Prepared(
            train=splits.train, validation=splits.validation,
            test=splits.test if counts["test"] else None,
            options=dict(options), data_info=info,
            assets={"preprocessor": dict(info["preprocessor"])},
            summary=f"{info['name']} [{info['source']}], {counts['train']:,} train / "
                    f"{counts['validation']:,} validation / {counts['test']:,} test {what}, "
                    "no labels")

    @staticmethod
    def compile_model(model, optimizer):
        model.compile(optimizer=optimizer, loss="mse")

    def measure(self, prepared, splits=("validation", "test")):
        """Reconstruction figures on the prepared splits, as ``{split}_{figure}``."""
        metrics = {}
        for split in splits:
            data = getattr(prepared, split)
            if data is not None:
                figures = self.evaluate(data)
                metrics[f"{split}_examples"] = figures.pop("examples")
                metrics.update({f"{split}_{k}": v for k, v in figures.items()})
        return metrics

