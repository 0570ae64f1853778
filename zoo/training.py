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

``init_from`` warm-starts a run from a published weight or a finished run directory: the
model is built with the source's options and its preprocessing and vocabularies (the weights
only mean something with them), the source's weights are loaded, and training proceeds with
the run's own recipe (a fresh optimizer, the schedule from its start). ``zoo.json`` and
``metrics.json`` then say where the run started (``init_from``, see :func:`describe_source`).
Only a run that starts fresh reads the source: rerunning the same command resumes from the
checkpoint in ``out_dir``.
"""

import os
import pathlib
import shutil
import sys
import time

import keras

from zoo import distribute, preprocessing, registry, runtime, saving, weights
from zoo._hashing import sha256_file
from zoo.checks import check_number
from zoo.errors import ConfigError, DataError, UnknownNameError, WriteError
from zoo.tasks import task_class, task_classes
from zoo.tasks.base import DataRequest, Prepared  # noqa: F401  (the task contract)
from zoo._naming import suggest

OPTIMIZERS = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD,
              "rmsprop": keras.optimizers.RMSprop, "adamw": keras.optimizers.AdamW}
CHECKPOINT_DIR = "checkpoint"
CHECKPOINT_MODEL = "last.keras"
CHECKPOINT_STATE = "state.json"
RUN_FILES = ("run.json", "history.json", "metrics.json", saving.CONFIG_FILE, saving.WEIGHTS_FILE)


SCHEDULES = ("constant", "cosine")
MAX_EPOCHS = 100_000
MAX_SEED = 2**32 - 1

# The recipe settings the trainer reads for every task: (kind, low, high). Kinds: "int",
# "float" (finite), "rate" (finite, above 0), "fraction" (between 0 and 1, both excluded),
# "bool", "str". A value of None keeps the default where the default is None. Each task class
# adds the settings it reads (its ``recipe_settings``: augmentation, sequence length...).
RECIPE_SETTINGS = {
    "epochs": ("int", 1, MAX_EPOCHS), "batch_size": ("int", 1, registry.MAX_SIZE),
    "learning_rate": ("rate", None, 1e3), "clipnorm": ("rate", None, 1e9),
    "optimizer": ("str", None, None), "schedule": ("str", None, None),
}


def recipe_settings(task_cls=None):
    """The settings a recipe may hold: the common ones plus those of ``task_cls`` (a task
    class), or of every task in the task table when ``None``."""
    classes = [task_cls] if task_cls is not None else task_classes().values()
    settings = dict(RECIPE_SETTINGS)
    for cls in classes:
        settings.update(cls.recipe_settings)
    return settings


def check_recipe(recipe, task_cls=None):
    """Refuse a recipe setting that is unknown (to ``task_cls``, else to every task), of the
    wrong type or out of range, before any data is read or anything is built. Returns the
    recipe with numbers as plain numbers."""

    settings = recipe_settings(task_cls)
    checked = {}
    for key, value in recipe.items():
        if key not in settings:
            raise ConfigError(f"unknown recipe setting {key!r}.{suggest(key, settings)} "
                              f"The settings are: {', '.join(sorted(settings))}.")
        kind, low, high = settings[key]
        what = f"recipe setting {key}"
        if value is None and key not in ("epochs", "batch_size", "learning_rate", "optimizer"):
            checked[key] = None
        elif kind == "bool":
            if not isinstance(value, bool):
                raise ConfigError(f"{what} takes true or false, got {value!r}")
            checked[key] = value
        elif kind == "str":
            if not isinstance(value, str):
                raise ConfigError(f"{what} takes a name, got {value!r}")
            checked[key] = value
        elif kind == "int":
            checked[key] = check_number(value, what, whole=True, low=low, high=high)
        elif kind == "rate":
            checked[key] = check_number(value, what, above=0, high=high)
        elif kind == "fraction":
            checked[key] = check_number(value, what, above=0, high=1)
            if checked[key] >= 1:
                raise ConfigError(f"{what} must be between 0 and 1, got {value!r}")
        else:
            checked[key] = check_number(value, what)
    return checked


# Options a warm start may change: they act during training only and leave the weights'
# meaning as it was. Every other option must be the source's (it is its architecture).
TRAINING_ONLY_OPTIONS = ("dropout", "block_dropout", "weight_decay", "attention_penalty")


def find_source(source):
    """The directory, ``zoo.json`` config and published record (``None`` for a run directory)
    of an ``init_from`` source: a published weight name (bundled, cached, or downloaded from
    ``$ZOO_WEIGHTS_URL`` as ``zoo.load`` does) or a finished ``zoo train --out`` directory."""
    text = os.fspath(source) if isinstance(source, os.PathLike) else source
    if not isinstance(text, str) or not text:
        raise ConfigError(f"init_from takes a published weight name or a run directory, got "
                          f"{text!r}")
    directory = pathlib.Path(text).expanduser()
    if directory.is_dir():
        record = None
        if not (directory / saving.CONFIG_FILE).is_file():
            raise DataError(f"--init-from {text}: not a finished run ({saving.CONFIG_FILE} is "
                            "missing); give a `zoo train --out` directory whose run finished, "
                            "or a published weight (`zoo weights list`)")
    elif weights.is_weight_name(text):
        record = weights.get_weight(text)
        directory = weights.weight_dir(text)
    else:
        names = weights.list_weights()
        raise UnknownNameError(f"--init-from {text}: no such run directory nor published "
                               f"weight.{suggest(text, names)} See `zoo weights list`.")
    try:
        config = saving.read_config(directory)
    except DataError as err:
        raise DataError(f"--init-from {text}: {err}") from None
    return directory, config, record


def describe_source(source, directory, config, record):
    """The ``init_from`` entry a warm-started run records: the weight's name (or the run
    directory's), the SHA-256 of the weights it started from, their epochs (``epochs_total``
    counts those of the source's own source), headline figure and command, and the source's
    own ``init_from`` (the chain)."""
    metrics = config.get("metrics") or {}
    task_cls = task_class(config["task"])
    headline = task_cls.headline_for(metrics)
    entry = {"weight": record["name"]} if record else {"run": pathlib.Path(source).name}
    training = (record or {}).get("training") or {}
    entry.update(sha256=sha256_file(directory / saving.WEIGHTS_FILE),
                 epochs=metrics.get("epochs_run", training.get("epochs_run")),
                 wall_time_s=metrics.get("wall_time_s", training.get("wall_time_s")),
                 headline={headline.metric: headline.value_of(metrics)} if headline else None,
                 command=training.get("command"), recipe=config.get("train"))
    earlier = config.get("init_from")
    epochs = entry["epochs"]
    entry["epochs_total"] = None if epochs is None else \
        epochs + ((earlier or {}).get("epochs_total") or 0)
    if earlier:
        entry["init_from"] = earlier
    return entry


def source_options(model_name, config, options, source):
    """The build options of a run warm-started from ``config``: the source's, with the
    :data:`TRAINING_ONLY_OPTIONS` of ``options`` (the user's); another model, or an option
    of the architecture that differs from the source's, is one :class:`ConfigError`."""
    if config.get("model") != model_name:
        raise ConfigError(f"--init-from {source} holds a {config.get('model')} model, not "
                          f"{model_name}; train {config.get('model')}, or start {model_name} "
                          "from one of its own weights or runs")
    merged = dict(config["options"])
    for key, value in (options or {}).items():
        if key in TRAINING_ONLY_OPTIONS:
            merged[key] = value
        elif saving.to_plain(value) != saving.to_plain(merged.get(key)):
            raise ConfigError(f"--option {key}={value!r} changes the architecture of --init-from "
                              f"{source}, which has {key}={merged.get(key)!r}; leave it out (the "
                              f"source's options are used; only "
                              f"{', '.join(TRAINING_ONLY_OPTIONS)} may change)")
    return merged


def _check_source_assets(source, config, assets):
    """Refuse data whose class names or image preprocessing (made from the data, not taken
    from the source) differ from the source's: its weights would mean other things."""
    for key, value in assets.items():
        saved = config.get(key)
        if saved is None or key not in ("class_names", "preprocessor"):
            continue
        if key == "preprocessor":
            if not isinstance(value, dict) or value.get("kind") not in ("image", "patches"):
                continue  # vocabularies come from the source (prepare's assets)
            # both as the preprocessor reads them (a setting an older zoo.json leaves out has
            # its default)
            value, saved = (preprocessing.from_config(x).to_dict() for x in (value, saved))
        if saving.to_plain(value) != saving.to_plain(saved):
            differ = sorted(k for k in set(value) | set(saved)
                            if value.get(k) != saved.get(k)) if key == "preprocessor" else []
            shown = (f"{', '.join(f'{k} {value.get(k)!r} vs {saved.get(k)!r}' for k in differ)}"
                     if differ else f"{len(value)} vs {len(saved)} classes, "
                     f"{value[:3]}... vs {saved[:3]}...")
            raise ConfigError(f"the data's {key} differ from those of --init-from {source} "
                              f"({shown}); warm-start on data of the same classes and image "
                              "format")


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
        wall = self.elapsed + time.perf_counter() - self.started
        state = {"epoch": epoch + 1, "history": self.history, "wall_time_s": wall}
        then = (f"rerun the same command: it resumes from epoch {epoch}, whose checkpoint is "
                "intact") if epoch else "rerun the same command"
        # Both files are written in full under temporary names, then renamed over the old
        # ones, the state last: it only ever names an epoch whose model is on disk, and a
        # failed write (a full disk) leaves the previous checkpoint as it was.
        model_tmp = checkpoint / f".tmp.{CHECKPOINT_MODEL}"
        state_tmp = checkpoint / f".tmp.{CHECKPOINT_STATE}"
        try:
            checkpoint.mkdir(parents=True, exist_ok=True)
            self.model.save(model_tmp)
            saving.write_json(state_tmp, state, then=then)
            os.replace(model_tmp, checkpoint / CHECKPOINT_MODEL)
            os.replace(state_tmp, checkpoint / CHECKPOINT_STATE)
        except (OSError, WriteError) as err:
            raise saving.write_failure(err.error if isinstance(err, WriteError) else err,
                                       checkpoint, then,
                                       what=f"the epoch-{epoch + 1} checkpoint") from None
        finally:
            model_tmp.unlink(missing_ok=True)
            state_tmp.unlink(missing_ok=True)
        saving.write_json(self.out_dir / "history.json", self.history,
                          then=f"rerun the same command: it resumes from epoch {epoch + 1}")


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
        if key == "init_from":  # the source as given; its facts were those of the first start
            a, b = (x.get("source") if isinstance(x, dict) else x for x in (a, b))
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
        if not isinstance(previous, dict):
            raise DataError(f"{saving.shown(out_dir / 'run.json')}: damaged run config (not a "
                            "JSON object); pass --overwrite to start the run over")
        differ = _differences(previous, run)
        if differ and not _holds_a_result(out_dir):
            # The run never finished an epoch (a crash or a kill before the first
            # checkpoint): there is nothing to protect, so a corrected rerun replaces it.
            print(f"{saving.shown(out_dir)}: replacing a run that never finished an epoch "
                  f"(it differed in: {', '.join(differ)})", flush=True)
            _check_out_dir(out_dir, run, True)
            return
        if differ:
            raise ConfigError(
                f"{saving.shown(out_dir)} holds another run ({previous.get('model')} on "
                f"{previous.get('dataset')}; differs in: {', '.join(differ)}); choose a new "
                "--out directory, or pass --overwrite to replace it")
    elif out_dir.exists() and any(out_dir.iterdir()):
        raise ConfigError(f"{saving.shown(out_dir)} is not empty and holds no zoo run; choose a new --out "
                          "directory so nothing there is overwritten")


def _holds_a_result(out_dir):
    """Whether a run directory holds anything worth keeping: a finished epoch or a model."""
    return any((out_dir / name).exists() for name in (
        f"{CHECKPOINT_DIR}/{CHECKPOINT_STATE}", f"{CHECKPOINT_DIR}/{CHECKPOINT_MODEL}",
        saving.CONFIG_FILE, saving.WEIGHTS_FILE, "metrics.json"))


def _finished(out_dir):
    """Whether a run's final files (metrics.json last) were saved from its last checkpoint: a
    save that failed after the last epoch (a full disk) is done again by a rerun."""
    try:
        state = saving.read_json(out_dir / CHECKPOINT_DIR / CHECKPOINT_STATE)
        metrics = saving.read_json(out_dir / "metrics.json")
    except DataError:
        return False
    return isinstance(state, dict) and isinstance(metrics, dict) and \
        metrics.get("epochs_run") == state.get("epoch")


def _read_checkpoint(checkpoint, recipe):
    """The state and model of a checkpoint, or one clear error saying what is damaged."""
    again = "pass --overwrite to start the run over"
    state_path, model_path = checkpoint / CHECKPOINT_STATE, checkpoint / CHECKPOINT_MODEL
    try:
        state = saving.read_json(state_path, what="checkpoint state")
    except DataError as err:
        raise DataError(f"{err}; {again}") from None
    ok = isinstance(state, dict) and isinstance(state.get("history"), dict) and all(
        isinstance(v, list) and all(isinstance(x, (int, float)) and not isinstance(x, bool)
                                    for x in v) for v in state["history"].values())
    try:
        epoch = check_number(state.get("epoch"), "epoch", whole=True, low=0,
                                      high=MAX_EPOCHS) if ok else None
        wall = check_number(state.get("wall_time_s", 0.0), "wall time",
                                     low=0) if ok else None
    except ConfigError:
        ok = False
    if not ok:
        raise DataError(f"{saving.shown(state_path)}: damaged checkpoint state (expected "
                        f"an epoch count and the history per metric); {again}")
    try:
        with open(model_path, "rb") as handle:
            head = handle.read(4)
        if not head.startswith(b"PK"):
            raise ValueError("empty" if not head else "not a .keras zip archive")
        model = keras.saving.load_model(model_path, safe_mode=True)
    except Exception as err:  # noqa: BLE001  (whatever Keras raises, the file is unusable)
        reason = str(err).strip().splitlines()[0][:200] if str(err).strip() else \
            type(err).__name__
        raise DataError(f"{saving.shown(model_path)}: damaged checkpoint ({reason}); "
                        f"{again}") from None
    return model, state["history"], epoch, wall


def train(model_name, *, dataset, out_dir, epochs=None, batch_size=None, learning_rate=None,
          optimizer=None, recipe=None, options=None, data_dir=None, test_data=None, validation_fraction=0.1,
          train_size=None, early_stopping=None, tensorboard=False, seed=0, device="auto", mixed_precision=False,
          overwrite=False, verbose="auto", strategy="none", devices=None, peer_timeout=None,
          init_from=None):
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
        strategy: ``"none"``, ``"mirrored"`` (the local GPUs, or ``devices``) or
            ``"multi-worker"`` (the cluster in ``TF_CONFIG``); see :mod:`zoo.distribute`. The
            recipe's batch size is the global batch size, split across the replicas.
        devices: for ``strategy="mirrored"``, the devices to use (e.g. ``["GPU:0", "GPU:1"]``).
        peer_timeout: for ``strategy="multi-worker"``, seconds to wait for the other workers
            to start (default ``$ZOO_PEER_TIMEOUT``, else 600).
        init_from: warm-start from a published weight name or a finished run directory (see
            the module docstring): the source's options, preprocessing and weights, this
            recipe. Only a run that starts fresh reads it; a rerun resumes from its checkpoint.

    Returns:
        The final metrics (also in ``out_dir/metrics.json``).
    """

    distribute.check_strategy(strategy, devices)
    peer_timeout = distribute.peer_timeout_of(peer_timeout)
    spec = registry.get_spec(model_name)
    task_cls = task_class(spec.task)
    if recipe is not None and not isinstance(recipe, dict):
        raise ConfigError(f"recipe takes a dict of settings, got {recipe!r}")
    recipe = dict(spec.train, **(recipe or {}))
    for key, value in (("epochs", epochs), ("batch_size", batch_size),
                       ("learning_rate", learning_rate), ("optimizer", optimizer)):
        if value is not None:
            recipe[key] = value
    recipe = check_recipe(recipe, task_cls)
    validation_fraction = check_number(validation_fraction, "validation fraction",
                                                above=0, high=1)
    if validation_fraction >= 1:
        raise ConfigError(f"validation fraction must be between 0 and 1, got {validation_fraction}")
    train_size = check_number(train_size, "train size", whole=True, low=1,
                                       high=10**12, none=True)
    early_stopping = check_number(early_stopping, "early-stopping patience",
                                           whole=True, low=1, high=MAX_EPOCHS, none=True)
    seed = check_number(seed, "seed", whole=True, low=0, high=MAX_SEED)
    # The names only: making an optimizer here would start TensorFlow's runtime before the
    # device settings and a multi-worker strategy can be applied.
    if recipe["optimizer"] not in OPTIMIZERS:
        raise ConfigError(f"unknown optimizer {recipe['optimizer']!r}; choose one of "
                          f"{sorted(OPTIMIZERS)}")
    if recipe.get("schedule", "constant") not in SCHEDULES:
        raise ConfigError(f"unknown schedule {recipe['schedule']!r}; choose one of {SCHEDULES}")
    if tensorboard:
        try:
            import tensorboard as _  # noqa: F401  (heavy: --tensorboard only; tf.summary needs it)
        except ImportError:
            raise ConfigError("--tensorboard needs the tensorboard package: "
                              "pip install tensorboard") from None
    resolved = registry.resolve_options(model_name, **(options or {}))
    source = None
    if init_from is not None:
        directory, config, record = find_source(init_from)
        resolved = source_options(model_name, config, options, init_from)
        source = {"given": os.fspath(init_from), "directory": directory, "config": config,
                  "entry": describe_source(init_from, directory, config, record)}
    saving.check_writable_dir(pathlib.Path(out_dir))
    where = runtime.configure(device=device, mixed_precision=mixed_precision, seed=seed)
    # Before any data is read: a multi-worker strategy must start before TensorFlow runs.
    plan = distribute.setup(strategy, devices, peer_timeout=peer_timeout)
    try:
        return _train(plan, model_name, spec, task_cls, recipe, resolved, where, dataset=dataset,
                      out_dir=out_dir, data_dir=data_dir, test_data=test_data,
                      validation_fraction=validation_fraction, train_size=train_size,
                      early_stopping=early_stopping, tensorboard=tensorboard, seed=seed,
                      overwrite=overwrite, verbose=verbose, source=source)
    finally:
        plan.cleanup()


def _train(plan, model_name, spec, task_cls, recipe, resolved, where, *, dataset, out_dir,
           data_dir, test_data, validation_fraction, train_size, early_stopping, tensorboard,
           seed, overwrite, verbose, source=None):
    """The run itself, once the arguments are checked and the strategy is set up; ``source``
    (a warm start): ``{"given", "directory", "config", "entry"}``."""
    plan.check_batch_size(recipe["batch_size"])

    request = DataRequest(dataset=str(dataset), test_data=test_data, data_dir=data_dir,
                          batch_size=int(recipe["batch_size"]),
                          validation_fraction=float(validation_fraction), train_size=train_size,
                          seed=int(seed), recipe=dict(recipe))
    prepared = task_cls.prepare(model_name, resolved, request,
                                assets=source["config"] if source else None)
    if source:
        _check_source_assets(source["given"], source["config"], prepared.assets)
    # Sizes TensorFlow could not allocate are refused here, not by a crash in the first step.
    per_replica = -(-int(recipe["batch_size"]) // plan.num_replicas)
    registry.check_fits(model_name, prepared.options, batch_size=per_replica, training=True)
    for split in ("train", "validation", "test"):
        setattr(prepared, split, plan.shard(getattr(prepared, split)))
    run = saving.to_plain({
        "model": model_name, "task": spec.task, "options": prepared.options, "dataset": dataset,
        "data": {"validation_fraction": validation_fraction, "train_size": train_size,
                 "seed": seed, "test_data": test_data},
        "train": recipe,
    })
    if source:  # a rerun must name the same source to resume (see _differences)
        run["init_from"] = {"source": source["given"], **source["entry"]}
    out_dir = pathlib.Path(out_dir)
    # Only the chief writes into out_dir; other workers write their copy elsewhere (a temporary
    # directory) and resume, like the chief, from the chief's checkpoint in out_dir.
    write_dir = plan.write_dir(out_dir)
    if plan.is_chief:
        _check_out_dir(out_dir, run, overwrite)
    else:
        write_dir.mkdir(parents=True, exist_ok=True)
        _check_out_dir(write_dir, run, True)

    history, initial_epoch, elapsed = {}, 0, 0.0
    checkpoint = out_dir / CHECKPOINT_DIR
    resume = (checkpoint / CHECKPOINT_STATE).is_file() and (plan.is_chief or not overwrite)
    finished = resume and _finished(out_dir)
    if plan.num_workers > 1:  # every worker must start from the same epoch, or all would hang
        state = saving.read_json(checkpoint / CHECKPOINT_STATE) if resume else {}
        epoch = state.get("epoch", 0) if isinstance(state, dict) else 0
        plan.agree([epoch if isinstance(epoch, int) else -1, finished])
    if resume and source:  # the source's facts as they were when the run started
        previous = saving.read_json(out_dir / "run.json", what="run config")
        if isinstance(previous.get("init_from"), dict):
            run["init_from"] = previous["init_from"]
            source["entry"] = {k: v for k, v in run["init_from"].items() if k != "source"}
    if resume:
        with plan.scope():
            model, history, initial_epoch, elapsed = _read_checkpoint(checkpoint, recipe)
        if initial_epoch >= int(recipe["epochs"]) and finished:
            print(f"{saving.shown(out_dir)}: already trained for {initial_epoch} epochs "
                  "(pass more --epochs to continue, or --overwrite to start again)")
            return saving.read_json(out_dir / "metrics.json")
        print(f"Resuming {model_name} from epoch {initial_epoch} of {recipe['epochs']} "
              f"({saving.shown(checkpoint)}" + (f"; --init-from {source['given']} started the "
                                               "run, the checkpoint continues it)" if source
                                               else ")"))
    else:
        steps = _steps_per_epoch(prepared.train)
        with plan.scope():
            model = registry.build(model_name, **prepared.options)
            if source:
                saving.load_weights_from(model, source["directory"], model_name)
                print(f"Starting from the weights of --init-from {source['given']}",
                      flush=True)
            task_cls.compile_model(model, make_optimizer(
                recipe["optimizer"], float(recipe["learning_rate"]), recipe.get("clipnorm"),
                schedule=recipe.get("schedule", "constant"),
                decay_steps=steps * int(recipe["epochs"]) if steps else None))
    plan.adapt(model)
    saving.write_json(write_dir / "run.json", run)

    started = time.perf_counter()
    callbacks = [_EpochCheckpoint(write_dir, history, started, elapsed)]
    if early_stopping:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=int(early_stopping), restore_best_weights=True))
    if tensorboard:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(write_dir / "logs")))
    if verbose == "auto":
        verbose = 1 if sys.stdout.isatty() else 2
    print(f"Training {model_name} ({model.count_params():,} parameters) on the "
          f"{where.upper()}: {saving.shown(prepared.summary)}", flush=True)
    if plan.distributed:
        per_replica = int(recipe["batch_size"]) / plan.num_replicas
        print(f"Strategy: {plan.describe()}; global batch {int(recipe['batch_size'])} "
              f"({per_replica:g} per replica)", flush=True)
    if train_size:
        print(f"--train-size {train_size:,} cuts the training split only: the validation "
              f"figures use the held-out {validation_fraction:g} of the whole training data, "
              "the test figures the whole test split (counts above)", flush=True)
    if initial_epoch < int(recipe["epochs"]):
        try:
            model.fit(prepared.train, validation_data=prepared.validation,
                      epochs=int(recipe["epochs"]), initial_epoch=initial_epoch,
                      callbacks=callbacks, verbose=verbose, shuffle=False)  # data comes shuffled
        except Exception as err:  # noqa: BLE001  (only a lost worker is turned into a message)
            lost = plan.lost_peer(err, saving.shown(checkpoint))
            if lost is None:
                raise
            raise lost from None
    wall = elapsed + time.perf_counter() - started

    task = task_cls(model, {
        "model": model_name, "options": prepared.options, **prepared.assets,
        "dataset": prepared.data_info, "data": run["data"], "train": recipe,
        **({"init_from": source["entry"]} if source else {}),
    })
    metrics = {"epochs_run": len(next(iter(history.values()), [])),
               "wall_time_s": round(wall, 1), "num_params": int(model.count_params()),
               **task.measure(prepared)}
    if plan.distributed:
        metrics.update(strategy=plan.name, replicas=plan.num_replicas, workers=plan.num_workers)
    task.config["metrics"] = dict(metrics)  # (zoo.json has init_from beside its metrics)
    if source:
        metrics["init_from"] = source["entry"]
    # metrics.json is written last: a rerun after a failed save (a full disk) sees a run whose
    # metrics are not those of its last checkpoint, and saves again (see _finished).
    try:
        task.save(write_dir)
        saving.write_json(write_dir / "history.json", history)
        saving.write_json(write_dir / "metrics.json", metrics)
    except WriteError as err:
        raise saving.write_failure(err.error, err.path, "rerun the same command: it saves the "
                                   "model of its last checkpoint again") from None
    figures = ", ".join(f"{k} {v:.4f}" for k, v in metrics.items()
                        if k.startswith(("test_", "validation_")) and isinstance(v, float))
    print(f"Saved to {saving.shown(write_dir)}: {figures}; {wall:.0f} s", flush=True)
    return metrics
