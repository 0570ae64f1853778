"""Training a registered model, resumable after a crash or a kill.

``train`` is the same for every task; what differs (reading the data, the loss, the final
figures, what inference needs saved) comes from the task class of the model (see
:mod:`zoo.tasks`). It writes into one output directory:

- ``run.json``: what was asked (model, options, data, recipe), so a rerun can check it fits;
- ``checkpoint/``: the model with its optimizer state and the history, saved after every epoch;
  rerunning the same command resumes from there, losing at most the epoch in progress;
- ``history.json``: loss and metrics per epoch;
- ``zoo.json`` + ``model.weights.h5``: the trained model, restorable with ``zoo.load``;
- ``metrics.json``: the final validation and test figures and the wall time;
- ``logs/``: TensorBoard logs, when asked for.
"""

import pathlib
import shutil
import sys
import time

import keras

from zoo import registry, saving
from zoo.errors import ConfigError
from zoo.tasks import task_class
from zoo.tasks.base import DataRequest, Prepared  # noqa: F401  (the task contract)

OPTIMIZERS = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD,
              "rmsprop": keras.optimizers.RMSprop, "adamw": keras.optimizers.AdamW}
CHECKPOINT_DIR = "checkpoint"
CHECKPOINT_MODEL = "last.keras"
CHECKPOINT_STATE = "state.json"
RUN_FILES = ("run.json", "history.json", "metrics.json", saving.CONFIG_FILE, saving.WEIGHTS_FILE)


SCHEDULES = ("constant", "cosine")


def make_optimizer(name, learning_rate, clipnorm=None, *, schedule="constant", decay_steps=None):
    """A Keras optimizer by name (``adam``, ``sgd`` with Nesterov momentum, ``rmsprop``...).

    ``schedule="cosine"`` decays the learning rate to zero over ``decay_steps`` along a cosine.
    """
    if name not in OPTIMIZERS:
        raise ConfigError(f"unknown optimizer {name!r}; choose one of {sorted(OPTIMIZERS)}")
    if schedule not in SCHEDULES:
        raise ConfigError(f"unknown schedule {schedule!r}; choose one of {SCHEDULES}")
    if schedule == "cosine" and decay_steps:
        learning_rate = keras.optimizers.schedules.CosineDecay(learning_rate, int(decay_steps))
    extra = {"clipnorm": float(clipnorm)} if clipnorm else {}
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate, momentum=0.9, nesterov=True, **extra)
    return OPTIMIZERS[name](learning_rate, **extra)


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


def _steps_per_epoch(dataset):
    """Batches in one pass over a dataset, or None when it cannot be told without reading it."""
    try:
        count = int(dataset.cardinality())
    except (AttributeError, TypeError):
        try:
            count = len(dataset)
        except TypeError:
            return None
    return count if count > 0 else None


def _differences(previous, current):
    """Keys that differ between two run configs, ignoring the number of epochs."""
    differ = []
    for key in sorted(set(previous) | set(current)):
        a, b = previous.get(key), current.get(key)
        if key == "train":
            a = {k: v for k, v in (a or {}).items() if k != "epochs"}
            b = {k: v for k, v in (b or {}).items() if k != "epochs"}
        if saving.to_plain(a) != saving.to_plain(b):
            differ.append(key)
    return differ


def _check_out_dir(out_dir, run, overwrite):
    """Make sure writing the run into ``out_dir`` loses nothing the user did not mean to lose."""
    if overwrite and out_dir.exists():
        for name in (CHECKPOINT_DIR, "logs"):
            shutil.rmtree(out_dir / name, ignore_errors=True)
        for name in RUN_FILES:
            (out_dir / name).unlink(missing_ok=True)
    if (out_dir / "run.json").is_file():
        previous = saving.read_json(out_dir / "run.json", what="run config")
        differ = _differences(previous, run)
        if differ:
            raise ConfigError(
                f"{out_dir} holds another run ({previous.get('model')} on "
                f"{previous.get('dataset')}; differs in: {', '.join(differ)}); choose a new "
                "--out directory, or pass --overwrite to replace it")
    elif out_dir.exists() and any(out_dir.iterdir()):
        raise ConfigError(f"{out_dir} is not empty and holds no zoo run; choose a new --out "
                          "directory so nothing there is overwritten")


def train(model_name, *, dataset, out_dir, epochs=None, batch_size=None, learning_rate=None,
          optimizer=None, recipe=None, options=None, data_dir=None, test_data=None, validation_fraction=0.1,
          train_size=None, early_stopping=None, tensorboard=False, seed=0, device="auto", mixed_precision=False,
          overwrite=False, verbose="auto"):
    """Train a registered model and save it; rerun with the same arguments to resume.

    Args:
        model_name: a name from ``zoo.list_models()``.
        dataset: a dataset name (``zoo.data.list_datasets()``) or, for the text families,
            the path of a text or TSV file.
        out_dir: where the run is written (see the module docstring).
        epochs, batch_size, learning_rate, optimizer: override the model's training recipe.
        recipe: other recipe overrides, e.g. ``{"schedule": "cosine", "augment_shift": 2}``.
        options: build options for the model (see ``zoo.describe``).
        data_dir: where the dataset's files are (else ``ZOO_DATA_DIR``, else tensorflow-datasets).
        test_data: held-out data for the test figures, for the text families (a path).
        validation_fraction: part of the training data held out for validation.
        train_size: train on only this many examples (to study how accuracy grows with data).
        early_stopping: stop after this many epochs without a better validation loss, and keep
            the best weights (``None``: train every epoch).
        tensorboard: write TensorBoard logs to ``out_dir/logs``.
        seed: seeds weight initialisation, shuffling and the validation split.
        device, mixed_precision: see :func:`zoo.runtime.configure`.
        overwrite: discard whatever run ``out_dir`` holds and start again.
        verbose: ``"auto"`` (a progress bar on a terminal, a line per epoch otherwise), 0, 1, 2.

    Returns:
        The final metrics (also in ``out_dir/metrics.json``).
    """
    from zoo import runtime

    spec = registry.get_spec(model_name)
    task_cls = task_class(spec.task)
    recipe = dict(spec.train, **(recipe or {}))
    for key, value in (("epochs", epochs), ("batch_size", batch_size),
                       ("learning_rate", learning_rate), ("optimizer", optimizer)):
        if value is not None:
            recipe[key] = value
    if int(recipe["epochs"]) < 1 or int(recipe["batch_size"]) < 1:
        raise ConfigError("epochs and batch size must be at least 1")
    if not 0.0 < float(validation_fraction) < 1.0:
        raise ConfigError(f"validation fraction must be between 0 and 1, got {validation_fraction}")
    make_optimizer(recipe["optimizer"], float(recipe["learning_rate"]),
                   schedule=recipe.get("schedule", "constant"))  # validates the names
    if tensorboard:
        try:
            import tensorboard as _  # noqa: F401  (tf.summary needs it at the first write)
        except ImportError:
            raise ConfigError("--tensorboard needs the tensorboard package: "
                              "pip install tensorboard") from None
    resolved = registry.resolve_options(model_name, **(options or {}))
    where = runtime.configure(device=device, mixed_precision=mixed_precision, seed=seed)

    request = DataRequest(dataset=str(dataset), test_data=test_data, data_dir=data_dir,
                          batch_size=int(recipe["batch_size"]),
                          validation_fraction=float(validation_fraction), train_size=train_size,
                          seed=int(seed), recipe=dict(recipe))
    prepared = task_cls.prepare(model_name, resolved, request)
    run = saving.to_plain({
        "model": model_name, "task": spec.task, "options": prepared.options, "dataset": dataset,
        "data": {"validation_fraction": validation_fraction, "train_size": train_size,
                 "seed": seed, "test_data": test_data},
        "train": recipe,
    })
    out_dir = pathlib.Path(out_dir)
    _check_out_dir(out_dir, run, overwrite)

    history, initial_epoch, elapsed = {}, 0, 0.0
    checkpoint = out_dir / CHECKPOINT_DIR
    if (checkpoint / CHECKPOINT_STATE).is_file() and (checkpoint / CHECKPOINT_MODEL).is_file():
        state = saving.read_json(checkpoint / CHECKPOINT_STATE, what="checkpoint state")
        model = keras.saving.load_model(checkpoint / CHECKPOINT_MODEL, safe_mode=True)
        history, initial_epoch = state["history"], int(state["epoch"])
        elapsed = float(state.get("wall_time_s", 0.0))
        if initial_epoch >= int(recipe["epochs"]) and (out_dir / "metrics.json").is_file():
            print(f"{out_dir}: already trained for {initial_epoch} epochs "
                  "(pass more --epochs to continue, or --overwrite to start again)")
            return saving.read_json(out_dir / "metrics.json")
        print(f"Resuming {model_name} from epoch {initial_epoch} of {recipe['epochs']} "
              f"({checkpoint})")
    else:
        model = registry.build(model_name, **prepared.options)
        steps = _steps_per_epoch(prepared.train)
        task_cls.compile_model(model, make_optimizer(
            recipe["optimizer"], float(recipe["learning_rate"]), recipe.get("clipnorm"),
            schedule=recipe.get("schedule", "constant"),
            decay_steps=steps * int(recipe["epochs"]) if steps else None))
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
    print(f"Training {model_name} ({model.count_params():,} parameters) on the "
          f"{where.upper()}: {prepared.summary}", flush=True)
    if initial_epoch < int(recipe["epochs"]):
        model.fit(prepared.train, validation_data=prepared.validation,
                  epochs=int(recipe["epochs"]), initial_epoch=initial_epoch,
                  callbacks=callbacks, verbose=verbose, shuffle=False)  # data comes shuffled
    wall = elapsed + time.perf_counter() - started

    task = task_cls(model, {
        "model": model_name, "options": prepared.options, **prepared.assets,
        "dataset": prepared.data_info, "data": run["data"], "train": recipe,
    })
    metrics = {"epochs_run": len(next(iter(history.values()), [])),
               "wall_time_s": round(wall, 1), "num_params": int(model.count_params()),
               **task.measure(prepared)}
    task.config["metrics"] = metrics
    task.save(out_dir)
    saving.write_json(out_dir / "metrics.json", metrics)
    saving.write_json(out_dir / "history.json", history)
    figures = ", ".join(f"{k} {v:.4f}" for k, v in metrics.items()
                        if k.startswith(("test_", "validation_")) and isinstance(v, float))
    print(f"Saved to {out_dir}: {figures}; {wall:.0f} s", flush=True)
    return metrics
