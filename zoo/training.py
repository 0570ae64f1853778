"""Training a registered model on a named dataset, resumable after a crash or a kill.

``train`` writes into one output directory:

- ``run.json``: what was asked (model, options, data, recipe) so a rerun can check it fits;
- ``checkpoint/``: the model with its optimizer state and the history, saved after every epoch;
  rerunning the same command resumes from there, losing at most the epoch in progress;
- ``history.json``: loss and metrics per epoch;
- ``zoo.json`` + ``model.weights.h5``: the trained model, restorable with ``zoo.load``;
- ``metrics.json``: the final validation and test figures and the wall time;
- ``logs/``: TensorBoard logs, when asked for.
"""

import math
import pathlib
import shutil
import sys
import time

import keras

from zoo import registry, saving
from zoo.errors import ConfigError

OPTIMIZERS = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD,
              "rmsprop": keras.optimizers.RMSprop, "adamw": keras.optimizers.AdamW}
CHECKPOINT_DIR = "checkpoint"
CHECKPOINT_MODEL = "last.keras"
CHECKPOINT_STATE = "state.json"


def make_optimizer(name, learning_rate):
    """A Keras optimizer by name (``adam``, ``sgd`` with Nesterov momentum, ``rmsprop``...)."""
    if name not in OPTIMIZERS:
        raise ConfigError(f"unknown optimizer {name!r}; choose one of {sorted(OPTIMIZERS)}")
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate, momentum=0.9, nesterov=True)
    return OPTIMIZERS[name](learning_rate)


def check_fits(model_name, options, info):
    """Refuse a model whose input or output does not fit the dataset, saying how to fix it."""
    shape = tuple(int(d) for d in options["input_shape"])
    if shape != tuple(info.input_shape):
        wanted = ",".join(str(d) for d in info.input_shape)
        raise ConfigError(
            f"{model_name} takes inputs of shape {shape} but {info.name} images are "
            f"{tuple(info.input_shape)}; add `--option input_shape={wanted}` to build it for "
            "this dataset, or choose another model")
    if int(options["num_classes"]) != int(info.num_classes):
        raise ConfigError(
            f"{model_name} has {options['num_classes']} outputs but {info.name} has "
            f"{info.num_classes} classes; add `--option num_classes={info.num_classes}`")


class _EpochCheckpoint(keras.callbacks.Callback):
    """After each epoch: save model + optimizer, then the state that says which epoch it is."""

    def __init__(self, out_dir, history, started, elapsed):
        super().__init__()
        self.out_dir = pathlib.Path(out_dir)
        self.history = history
        self.started = started
        self.elapsed = elapsed

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        checkpoint = self.out_dir / CHECKPOINT_DIR
        checkpoint.mkdir(parents=True, exist_ok=True)
        tmp = checkpoint / f".tmp.{CHECKPOINT_MODEL}"
        self.model.save(tmp)
        tmp.replace(checkpoint / CHECKPOINT_MODEL)
        # The state is written last: it only ever names an epoch whose model is on disk.
        wall = self.elapsed + time.perf_counter() - self.started
        saving.write_json(checkpoint / CHECKPOINT_STATE,
                          {"epoch": epoch + 1, "history": self.history, "wall_time_s": wall})
        saving.write_json(self.out_dir / "history.json", self.history)


def _same_run(previous, current):
    """Keys that differ between two run configs, ignoring the number of epochs."""
    keys = set(previous) | set(current)
    differ = []
    for key in sorted(keys):
        a, b = previous.get(key), current.get(key)
        if key == "train":
            a = {k: v for k, v in (a or {}).items() if k != "epochs"}
            b = {k: v for k, v in (b or {}).items() if k != "epochs"}
        if saving.to_plain(a) != saving.to_plain(b):
            differ.append(key)
    return differ


def train(model_name, *, dataset, out_dir, epochs=None, batch_size=None, learning_rate=None,
          optimizer=None, options=None, data_dir=None, validation_fraction=0.1, train_size=None,
          early_stopping=None, tensorboard=False, seed=0, device="auto", mixed_precision=False,
          overwrite=False, verbose="auto"):
    """Train a registered image classifier and save it, resuming an interrupted run.

    Args:
        model_name: a name from ``zoo.list_models()``.
        dataset: a name from ``zoo.data.list_datasets()``.
        out_dir: where the run is written (see the module docstring).
        epochs, batch_size, learning_rate, optimizer: override the model's training recipe.
        options: build options for the model (see ``zoo.describe``).
        data_dir: where the dataset's files are (else ``ZOO_DATA_DIR``, else tensorflow-datasets).
        validation_fraction: part of the training split held out for validation.
        train_size: train on only this many examples (to study how accuracy grows with data).
        early_stopping: stop after this many epochs without a better validation loss, and keep
            the best weights (``None``: train every epoch).
        tensorboard: write TensorBoard logs to ``out_dir/logs``.
        seed: seeds weights initialisation, shuffling and the validation split.
        device, mixed_precision: see :func:`zoo.runtime.configure`.
        overwrite: discard whatever run ``out_dir`` holds and start again.
        verbose: ``"auto"`` (a progress bar), 1, 2 (a line per epoch) or 0.

    Returns:
        The final metrics (also in ``out_dir/metrics.json``).
    """
    from zoo import data as zoo_data
    from zoo import runtime
    from zoo.tasks import ImageClassifier

    spec = registry.get_spec(model_name)
    if spec.task != ImageClassifier.task:
        raise ConfigError(f"{model_name} is a {spec.task} model; train it with its own command")
    recipe = dict(spec.train)
    for key, value in (("epochs", epochs), ("batch_size", batch_size),
                       ("learning_rate", learning_rate), ("optimizer", optimizer)):
        if value is not None:
            recipe[key] = value
    if int(recipe["epochs"]) < 1 or int(recipe["batch_size"]) < 1:
        raise ConfigError("epochs and batch size must be at least 1")
    if recipe["optimizer"] not in OPTIMIZERS:
        raise ConfigError(f"unknown optimizer {recipe['optimizer']!r}; "
                          f"choose one of {sorted(OPTIMIZERS)}")
    resolved = registry.resolve_options(model_name, **(options or {}))
    where = runtime.configure(device=device, mixed_precision=mixed_precision, seed=seed)

    out_dir = pathlib.Path(out_dir)
    run = saving.to_plain({
        "model": model_name, "options": resolved, "dataset": dataset,
        "data": {"validation_fraction": validation_fraction, "train_size": train_size,
                 "seed": seed},
        "train": recipe,
    })
    checkpoint = out_dir / CHECKPOINT_DIR
    if overwrite and out_dir.exists():
        for name in (CHECKPOINT_DIR, "logs"):
            shutil.rmtree(out_dir / name, ignore_errors=True)
        for name in ("run.json", "history.json", "metrics.json", saving.CONFIG_FILE,
                     saving.WEIGHTS_FILE):
            (out_dir / name).unlink(missing_ok=True)
    if (out_dir / "run.json").is_file():
        previous = saving.read_json(out_dir / "run.json", what="run config")
        differ = _same_run(previous, run)
        if differ:
            raise ConfigError(
                f"{out_dir} holds another run ({previous.get('model')} on "
                f"{previous.get('dataset')}; differs in: {', '.join(differ)}); choose a new "
                "--out directory, or pass --overwrite to replace it")
    elif out_dir.exists() and any(out_dir.iterdir()):
        raise ConfigError(f"{out_dir} is not empty and holds no zoo run; choose a new --out "
                          "directory so nothing there is overwritten")

    splits = zoo_data.load_dataset(dataset, batch_size=int(recipe["batch_size"]),
                                   data_dir=data_dir, validation_fraction=validation_fraction,
                                   seed=seed, train_size=train_size)
    check_fits(model_name, resolved, splits.info)

    history, initial_epoch, elapsed = {}, 0, 0.0
    state_path = checkpoint / CHECKPOINT_STATE
    if state_path.is_file() and (checkpoint / CHECKPOINT_MODEL).is_file():
        state = saving.read_json(state_path, what="checkpoint state")
        model = keras.saving.load_model(checkpoint / CHECKPOINT_MODEL, safe_mode=True)
        history, initial_epoch = state["history"], int(state["epoch"])
        elapsed = float(state.get("wall_time_s", 0.0))
        if initial_epoch >= int(recipe["epochs"]) and (out_dir / "metrics.json").is_file():
            print(f"{out_dir}: already trained for {initial_epoch} epochs "
                  "(pass more --epochs to continue, or --overwrite to start again)")
            return saving.read_json(out_dir / "metrics.json")
        print(f"Resuming {model_name} from epoch {initial_epoch} of {recipe['epochs']} "
              f"({out_dir / CHECKPOINT_DIR})")
    else:
        model = registry.build(model_name, **resolved)
        model.compile(optimizer=make_optimizer(recipe["optimizer"], float(recipe["learning_rate"])),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    saving.write_json(out_dir / "run.json", run)

    started = time.perf_counter()
    callbacks = [_EpochCheckpoint(out_dir, history, started, elapsed)]
    if early_stopping:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=int(early_stopping), restore_best_weights=True))
    if tensorboard:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(out_dir / "logs")))
    if verbose == "auto":
        verbose = 1 if sys.stdout.isatty() else 2
    print(f"Training {model_name} ({model.count_params():,} parameters) on {dataset} "
          f"[{splits.info.source}] on the {where.upper()}: "
          f"{splits.info.num_examples['train']:,} train / "
          f"{splits.info.num_examples['validation']:,} validation examples")
    if initial_epoch < int(recipe["epochs"]):
        model.fit(splits.train, validation_data=splits.validation, epochs=int(recipe["epochs"]),
                  initial_epoch=initial_epoch, callbacks=callbacks, verbose=verbose)
    wall = elapsed + time.perf_counter() - started

    classifier = ImageClassifier(model, {
        "model": model_name, "options": resolved, "class_names": splits.info.class_names,
        "preprocessing": splits.info.preprocessing, "dataset": splits.info.to_dict(),
        "data": run["data"], "train": recipe,
    })
    metrics = {"epochs_run": len(next(iter(history.values()), [])), "wall_time_s": round(wall, 1),
               "num_params": int(model.count_params())}
    for split_name, split in (("validation", splits.validation), ("test", splits.test)):
        values = classifier.evaluate(split)
        metrics.update({f"{split_name}_{key}": value for key, value in values.items()})
    classifier.config["metrics"] = metrics
    classifier.save(out_dir)
    saving.write_json(out_dir / "metrics.json", metrics)
    saving.write_json(out_dir / "history.json", history)
    print(f"Saved to {out_dir}: test accuracy {metrics.get('test_accuracy', math.nan):.4f}, "
          f"validation accuracy {metrics.get('validation_accuracy', math.nan):.4f}, "
          f"{wall:.0f} s")
    return metrics


