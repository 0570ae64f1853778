"""Data-parallel training: one strategy object the trainer builds, trains and saves under.

:func:`setup` turns ``--strategy`` into a :class:`Plan`, which the trainer (:mod:`zoo.training`)
uses the same way for every family:

- ``"none"``: one process, one device (the default);
- ``"mirrored"``: ``tf.distribute.MirroredStrategy`` over the local GPUs, or the devices given
  (``devices=["CPU:0", "CPU:1"]``); with no GPU, over the CPU logical devices there are. Under
  ``KERAS_BACKEND=jax`` it is ``keras.distribution.DataParallel`` over the JAX devices;
- ``"multi-worker"``: ``tf.distribute.MultiWorkerMirroredStrategy``, one process per machine,
  the cluster read from the standard ``TF_CONFIG`` environment variable. TensorFlow only.

The recipe's ``batch_size`` is the *global* batch size: each step takes one batch of that size
and splits it across all replicas (``batch_size / replicas`` examples each), so the learning rate
and the number of steps per epoch do not change with the number of devices. Under
``multi-worker`` each worker reads the same seeded pipeline and keeps its own part of every
batch (``tf.data`` auto-sharding by data).

Only the chief (the ``chief`` task, else worker 0) writes the run directory. The other workers
run every step with it (the collective all-reduce needs them) and write their copies into a
temporary directory that is removed when they finish, or into ``ZOO_WORKER_DIR`` when that is
set (kept, to compare their weights with the chief's). When a job restarts after a worker died,
every worker resumes from the chief's checkpoint in the run directory, which therefore has to be
on storage they all read (see the README, "Distributed training").

:func:`setup` has to run before TensorFlow executes anything: a multi-worker strategy configures
the runtime for the cluster, which cannot be done once it has started.
"""

import contextlib
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time

import keras
from keras.src.backend.tensorflow import trainer
import tensorflow as tf

from zoo.checks import check_number
from zoo.errors import ConfigError, DataError

STRATEGIES = ("none", "mirrored", "multi-worker")
WORKER_DIR_ENV = "ZOO_WORKER_DIR"
MAX_WORKERS = 4096
_ADDRESS = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.\-]+):([0-9]{1,5})$")
_DEVICE = re.compile(r"^(/?(job:[a-z_]+/(replica:\d+/)?(task:\d+/)?)?(device:)?)?(CPU|GPU):\d+$",
                     re.IGNORECASE)


def check_strategy(strategy, devices=None):
    """The strategy name and device list, checked; refuses what cannot work with one line."""
    if strategy is None:
        strategy = "none"
    if not isinstance(strategy, str) or strategy not in STRATEGIES:
        raise ConfigError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    if devices is not None:
        if isinstance(devices, str):
            devices = [d.strip() for d in devices.split(",") if d.strip()]
        devices = list(devices)
        if strategy != "mirrored":
            raise ConfigError("devices are for --strategy mirrored (multi-worker uses each "
                              "machine's local devices)")
        if not devices:
            raise ConfigError("--devices is empty; give devices like CPU:0,CPU:1 or GPU:0,GPU:1")
        for device in devices:
            if not isinstance(device, str) or not _DEVICE.match(device):
                raise ConfigError(f"device {device!r} is not a device name like GPU:0 or CPU:1")
        if len(set(d.upper().split("DEVICE:")[-1] for d in devices)) != len(devices):
            raise ConfigError(f"devices {','.join(devices)} name a device twice")
    backend = keras.backend.backend()
    if strategy == "multi-worker" and backend != "tensorflow":
        raise ConfigError(f"--strategy multi-worker needs the TensorFlow backend (KERAS_BACKEND "
                          f"is {backend}); on {backend} use --strategy mirrored on one machine, "
                          "or train with KERAS_BACKEND=tensorflow")
    if strategy == "mirrored" and backend not in ("tensorflow", "jax"):
        raise ConfigError(f"--strategy mirrored needs the TensorFlow or JAX backend (KERAS_BACKEND "
                          f"is {backend})")
    return strategy, devices


def local_cluster(workers):
    """``TF_CONFIG`` values for a cluster of ``workers`` processes on this machine: one JSON
    string per worker, in index order, on free 127.0.0.1 ports (to try ``multi-worker`` on one
    machine; a real cluster names its machines instead, see the README)."""
    sockets = [socket.socket() for _ in range(int(workers))]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        addresses = [f"127.0.0.1:{sock.getsockname()[1]}" for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
    return [json.dumps({"cluster": {"worker": addresses},
                        "task": {"type": "worker", "index": index}})
            for index in range(len(addresses))]


def parse_tf_config(text):
    """The cluster and this process's place in it, from the text of ``TF_CONFIG``.

    Returns ``(cluster, task_type, task_index)``, with ``cluster`` as
    ``{"chief": [...], "worker": [...]}`` (``chief`` only when given). Raises a
    :class:`ConfigError` saying what is wrong with the variable.
    """
    where = "TF_CONFIG"
    if text is None or not str(text).strip():
        raise ConfigError("--strategy multi-worker needs the TF_CONFIG environment variable "
                          '(e.g. {"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
                          '"task": {"type": "worker", "index": 0}}); see the README')
    try:
        config = json.loads(text)
    except ValueError as err:
        raise ConfigError(f"{where} is not valid JSON ({err})") from None
    if not isinstance(config, dict):
        raise ConfigError(f"{where} must be a JSON object with \"cluster\" and \"task\"")
    cluster, task = config.get("cluster"), config.get("task")
    if not isinstance(cluster, dict) or not cluster:
        raise ConfigError(f'{where} has no "cluster" object (e.g. "cluster": {{"worker": '
                          '["host1:12345", "host2:12345"]}})')
    unknown = sorted(set(cluster) - {"chief", "worker"})
    if unknown:
        raise ConfigError(f"{where}: cluster job {unknown[0]!r} is not supported; a multi-worker "
                          "cluster has \"worker\" tasks and at most one \"chief\"")
    seen = set()
    for job, addresses in cluster.items():
        if not isinstance(addresses, list) or not addresses:
            raise ConfigError(f'{where}: cluster "{job}" must be a non-empty list of "host:port"')
        if len(addresses) > MAX_WORKERS:
            raise ConfigError(f'{where}: cluster "{job}" has {len(addresses)} tasks; at most '
                              f"{MAX_WORKERS}")
        for address in addresses:
            match = _ADDRESS.match(address) if isinstance(address, str) else None
            if not match or not 0 < int(match.group(2)) < 65536:
                raise ConfigError(f'{where}: {address!r} in cluster "{job}" is not a '
                                  '"host:port" address')
            if address in seen:
                raise ConfigError(f"{where}: address {address} is listed twice")
            seen.add(address)
    if len(cluster.get("chief", [])) > 1:
        raise ConfigError(f'{where}: a cluster has at most one "chief"')
    if "worker" not in cluster and "chief" not in cluster:
        raise ConfigError(f'{where}: the cluster has no "worker" list')
    if not isinstance(task, dict):
        raise ConfigError(f'{where} has no "task" object (e.g. "task": {{"type": "worker", '
                          '"index": 0}}): which of the cluster\'s tasks this process is')
    task_type, index = task.get("type"), task.get("index")
    if task_type not in cluster:
        raise ConfigError(f"{where}: task type {task_type!r} is not a job of the cluster "
                          f"({', '.join(sorted(cluster))})")
    if not isinstance(index, int) or isinstance(index, bool):
        raise ConfigError(f"{where}: task index must be a whole number, got {index!r}")
    if not 0 <= index < len(cluster[task_type]):
        raise ConfigError(f"{where}: task index {index} is out of range: the cluster has "
                          f"{len(cluster[task_type])} {task_type} task(s), indexed from 0")
    return cluster, task_type, index


class Plan:
    """How a run is spread: the strategy, the replicas, and whether this process is the chief.

    ``scope()`` is where models are built and compiled; ``shard(dataset)`` prepares a batched
    ``tf.data.Dataset`` for it; ``write_dir(out_dir)`` is where this process writes its run.
    """

    def __init__(self, name, strategy=None, *, devices=(), num_workers=1, task_type=None,
                 task_index=0, is_chief=True, distribution=None):
        self.name = name
        self.strategy = strategy
        self.distribution = distribution  # keras.distribution under JAX
        self.devices = tuple(devices)
        self.num_workers = int(num_workers)
        self.task_type = task_type
        self.task_index = int(task_index)
        self.is_chief = bool(is_chief)
        self._temp_dir = None
        self._restore = None
        self._signals = {}  # the signal handlers to put back in cleanup()
        self._fix_log_reduction()

    @property
    def num_replicas(self):
        if self.strategy is not None:
            return int(self.strategy.num_replicas_in_sync)
        return max(1, len(self.devices))

    @property
    def distributed(self):
        return self.name != "none"

    def scope(self):
        """The context models are built, loaded and compiled in."""
        if self.strategy is not None:
            return self.strategy.scope()
        return contextlib.nullcontext()

    def describe(self):
        """One line for the log, e.g. ``mirrored over 2 replicas (CPU:0, CPU:1)``."""
        if not self.distributed:
            return ""
        shown = ", ".join(d.split("device:")[-1] for d in self.devices)
        text = f"{self.name} over {self.num_replicas} replicas"
        if self.name == "multi-worker":
            role = "chief" if self.is_chief else "not the chief: writes nothing into --out"
            text += f" on {self.num_workers} workers; this is {self.task_type} " \
                    f"{self.task_index} ({role})"
        elif shown:
            text += f" ({shown})"
        return text

    def check_batch_size(self, batch_size):
        """Refuse a global batch size smaller than the number of replicas."""
        if self.distributed and int(batch_size) < self.num_replicas:
            raise ConfigError(f"batch size {batch_size} is the global batch size, split across "
                              f"{self.num_replicas} replicas; give at least {self.num_replicas}")

    def shard(self, dataset):
        """A batched dataset ready for this plan: under multi-worker, sharded by data (every
        worker runs the same seeded pipeline and keeps its part of each global batch); under
        JAX's data parallelism, each batch cut to a multiple of the device count (JAX cannot
        split 27 examples over 2 devices): at most ``devices - 1`` examples of a split's last
        batch are left out."""
        if dataset is None or not self.distributed:
            return dataset

        if not isinstance(dataset, tf.data.Dataset):
            return dataset
        if self.distribution is not None:
            replicas = self.num_replicas

            def cut(*batch):
                leaves = tf.nest.flatten(batch)
                keep = tf.shape(leaves[0])[0] // replicas * replicas
                cut_batch = tf.nest.map_structure(lambda leaf: leaf[:keep], batch)
                return cut_batch if len(batch) > 1 else cut_batch[0]

            dataset = dataset.map(cut)
            count = int(dataset.cardinality())
            if count <= 0:  # unknown length: drop the empty batches as they come
                return dataset.filter(lambda *batch: tf.shape(tf.nest.flatten(batch)[0])[0] > 0)
            # Only the last batch can be cut to nothing; dropping it with take() keeps the
            # length known (Keras' steps per epoch, the cosine schedule). One look at it.
            last = next(iter(dataset.skip(count - 1).map(
                lambda *batch: tf.shape(tf.nest.flatten(batch)[0])[0])), None)
            return dataset.take(count - 1) if last is not None and int(last) == 0 else dataset
        if self.name != "multi-worker":
            return dataset
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = \
            tf.data.experimental.AutoShardPolicy.DATA
        return dataset.with_options(options)

    def adapt(self, model):
        """Make ``model`` trainable under this plan; returns it.

        Keras 3.15 builds a model under a ``tf.distribute`` strategy from its first batch,
        reduced across the replicas with ``strategy.reduce`` on the whole ``(x, y)`` structure,
        which a multi-worker strategy with more than one worker cannot do (``ValueError: Attempt
        to convert a value (PerReplica...``). The build only needs the batch's shapes and
        types, so under multi-worker the model is built from this replica's own part of it.
        """
        if self.name != "multi-worker" or self.num_workers < 2 or \
                not hasattr(model, "_maybe_symbolic_build"):
            return model

        strategy = self.strategy
        build = model._symbolic_build

        def symbolic_build(iterator=None, data_batch=None):
            if iterator is not None:
                for _, _, it in iterator:
                    data_batch = tf.nest.map_structure(
                        lambda v: strategy.experimental_local_results(v)[0]
                        if isinstance(v, tf.distribute.DistributedValues) else v, next(it))
                    break
            with strategy.scope():
                build(data_batch=data_batch)

        object.__setattr__(model, "_maybe_symbolic_build", symbolic_build)
        return model

    def _fix_log_reduction(self):
        """Under multi-worker, average the per-replica losses and metrics of each step with
        ``strategy.reduce("MEAN", value, axis=None)``.

        Keras 3.15 reduces them with ``axis=0``, which fails on the scalars they are
        (``Invalid reduction dimension 0 for input with 0 dimensions``). The fix is installed
        for this run only; :meth:`cleanup` puts Keras' own function back.
        """
        if self.name != "multi-worker" or self.num_workers < 2:
            return
        original = trainer.reduce_per_replica
        strategy = self.strategy

        def reduce_per_replica(values, on, reduction):
            if on is not strategy or reduction not in ("auto", "mean"):
                return original(values, on, reduction)
            return tf.nest.map_structure(
                lambda v: strategy.reduce("MEAN", v, axis=None)
                if isinstance(v, tf.distribute.DistributedValues) or tf.is_tensor(v) else v,
                values)

        trainer.reduce_per_replica = reduce_per_replica
        self._restore = lambda: setattr(trainer, "reduce_per_replica", original)

    def lost_peer(self, err, checkpoint):
        """A :class:`ZooError` for a collective that failed because another worker stopped
        (killed, preempted, its machine lost), or ``None`` for any other error."""
        if self.name != "multi-worker" or self.num_workers < 2:
            return None

        if not isinstance(err, (tf.errors.UnavailableError, tf.errors.AbortedError,
                                tf.errors.DeadlineExceededError, tf.errors.CancelledError)):
            return None
        reason = next((line.strip() for line in str(err).splitlines()
                       if "unhealthy" in line or "heartbeat" in line),
                      str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__)
        return DataError(f"a worker of the cluster stopped ({reason[:200]}); restart every "
                         "worker with the same command: they resume from the chief's last "
                         f"checkpoint ({checkpoint})")

    def write_dir(self, out_dir):
        """Where this process writes: ``out_dir`` for the chief, else ``ZOO_WORKER_DIR`` or a
        temporary directory (removed by :meth:`cleanup`)."""
        if self.is_chief:
            return pathlib.Path(out_dir)
        kept = os.environ.get(WORKER_DIR_ENV, "").strip()
        if kept:
            path = pathlib.Path(kept)
            if path.resolve() == pathlib.Path(out_dir).resolve():
                raise ConfigError(f"{WORKER_DIR_ENV} must not be the chief's --out directory")
            return path
        if self._temp_dir is None:
            self._temp_dir = pathlib.Path(tempfile.mkdtemp(prefix=f"zoo-worker{self.task_index}-"))
        return self._temp_dir

    def cleanup(self):
        """Remove a non-chief worker's temporary directory; under JAX, drop the distribution."""
        if self.distribution is not None:
            keras.distribution.set_distribution(None)
        if self._restore is not None:
            self._restore()
            self._restore = None
        _restore_signals(self._signals)
        self._signals = {}
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None

    def agree(self, values):
        """Check that every worker holds the same whole numbers (e.g. the epoch it resumes
        from); returns them, or raises a ConfigError on every worker when they differ."""
        values = [int(v) for v in values]
        if self.name != "multi-worker":
            return values

        mine = tf.constant([values], dtype=tf.int64)

        def step():
            return tf.distribute.get_replica_context().all_gather(mine, axis=0)

        gathered = self.strategy.experimental_local_results(self.strategy.run(step))[0].numpy()
        if any(list(row) != values for row in gathered):
            raise ConfigError(
                f"the workers disagree on where the run stands (epoch, finished: "
                f"{', '.join(str(list(row)) for row in gathered)}): every worker resumes from "
                "the chief's checkpoint in --out, so --out must be storage all of them read "
                "(a shared file system), and all must get the same command")
        return values


PEER_TIMEOUT = 600.0  # seconds a multi-worker run waits for the other workers to start
PEER_TIMEOUT_ENV = "ZOO_PEER_TIMEOUT"
_SAY_AFTER = 2.0  # seconds of waiting before the waiting is said


def peer_timeout_of(value=None):
    """The peer timeout in seconds: ``value``, else ``$ZOO_PEER_TIMEOUT``, else
    :data:`PEER_TIMEOUT`; a :class:`ConfigError` for anything but a number from 1 to 86,400."""
    what = "peer timeout"
    if value is None:
        text = os.environ.get(PEER_TIMEOUT_ENV, "").strip()
        if not text:
            return PEER_TIMEOUT
        what = PEER_TIMEOUT_ENV
        try:
            value = float(text)
        except ValueError:
            raise ConfigError(f"{PEER_TIMEOUT_ENV} must be a number of seconds, got "
                              f"{text!r}") from None
    return check_number(value, what, low=1, high=86_400)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _on_stop_signals(handler):
    """Install ``handler`` for SIGTERM and SIGINT (main thread only; elsewhere Python cannot)."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}


def wait_for_peers(cluster, task_type, task_index, *, timeout=None, log=None):
    """Wait until every other task of the cluster accepts connections on its address, saying so
    on stderr when it takes more than a moment; a :class:`DataError` after ``timeout`` seconds
    (see :func:`peer_timeout_of`), and SIGTERM or Ctrl-C stop the wait at once.

    TensorFlow's own wait for the cluster runs inside its runtime, which neither times out nor
    lets Python handle a signal, and never says what it waits for. So the zoo meets the peers
    first: this task listens on its own address (the port TensorFlow takes next) and connects to
    the others' until each accepts, either here or already in TensorFlow.
    """
    timeout = peer_timeout_of(timeout)
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    mine = cluster[task_type][task_index]
    peers = [a for job in cluster.values() for a in job if a != mine]
    if not peers:
        return

    def split(address):
        host, _, port = address.rpartition(":")
        return host.strip("[]"), int(port)

    listener = None
    try:
        family = socket.AF_INET6 if ":" in split(mine)[0] else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("::" if family == socket.AF_INET6 else "", split(mine)[1]))
        listener.listen(len(peers) + 8)  # the kernel completes a peer's connect; never accepted
    except OSError as err:
        if listener is not None:
            listener.close()
        raise ConfigError(f"cannot listen on {mine}, this task's address in TF_CONFIG "
                          f"({err.strerror or err}); free the port or give another one") from None
    previous = _on_stop_signals(_interrupt)
    started = time.monotonic()
    said = False
    waiting = list(peers)
    try:
        while waiting:
            for address in list(waiting):
                try:
                    with socket.create_connection(split(address), timeout=1.0):
                        waiting.remove(address)
                except OSError:
                    pass
            if not waiting:
                break
            spent = time.monotonic() - started
            if spent >= timeout:
                raise DataError(
                    f"gave up after {timeout:g} s waiting for {', '.join(waiting)} (in "
                    "TF_CONFIG) to start: start the same command there, check the addresses, "
                    f"or wait longer (--peer-timeout SECONDS, or {PEER_TIMEOUT_ENV})")
            if not said and spent >= _SAY_AFTER:
                log(f"zoo: waiting for {len(waiting)} other worker(s) of the cluster to start: "
                    f"{', '.join(waiting)} (giving up after {timeout:g} s: --peer-timeout or "
                    f"{PEER_TIMEOUT_ENV}; Ctrl-C or SIGTERM stops)")
                said = True
            time.sleep(0.25)
    finally:
        listener.close()
        _restore_signals(previous)


def _restore_signals(previous):
    """Put back handlers saved by :func:`_on_stop_signals` (one set outside Python: the
    default)."""
    for sig, handler in previous.items():
        signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


def setup(strategy="none", devices=None, *, peer_timeout=None):
    """Build the :class:`Plan` for ``strategy``; call before TensorFlow runs anything.

    Args:
        strategy: ``"none"``, ``"mirrored"`` or ``"multi-worker"`` (see the module docstring).
        devices: for ``mirrored``, the devices to mirror over (names like ``"GPU:0"``, or a
            comma-separated string); default: every local GPU, else every CPU logical device.
        peer_timeout: for ``multi-worker``, seconds to wait for the other workers to start
            (default ``$ZOO_PEER_TIMEOUT``, else :data:`PEER_TIMEOUT`); see
            :func:`wait_for_peers`.
    """
    strategy, devices = check_strategy(strategy, devices)
    if strategy == "none":
        return Plan("none")
    backend = keras.backend.backend()
    if backend == "jax":
        return _jax_mirrored(devices)

    if strategy == "mirrored":
        if devices is None:
            found = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
            devices = [d.name for d in found]
        else:
            known = {d.name.split("device:")[-1].upper(): d.name
                     for kind in ("GPU", "CPU") for d in tf.config.list_logical_devices(kind)}
            missing = [d for d in devices if d.upper().split("DEVICE:")[-1] not in known]
            if missing:
                raise ConfigError(f"device {missing[0]} is not visible; this process has "
                                  f"{', '.join(sorted(known)) or 'no devices'}")
            devices = [known[d.upper().split("DEVICE:")[-1]] for d in devices]
        return Plan("mirrored", tf.distribute.MirroredStrategy(devices), devices=devices)

    cluster, task_type, task_index = parse_tf_config(os.environ.get("TF_CONFIG"))
    num_workers = sum(len(v) for v in cluster.values())
    is_chief = task_type == "chief" or ("chief" not in cluster and task_index == 0)
    wait_for_peers(cluster, task_type, task_index, timeout=peer_timeout)
    try:
        made = tf.distribute.MultiWorkerMirroredStrategy()
    except (RuntimeError, ValueError) as err:
        raise ConfigError(f"could not start the multi-worker strategy ({str(err).strip()[:200]}); "
                          "it must be set up before TensorFlow runs anything") from None
    # TensorFlow's cluster runtime catches SIGTERM for its own preemption notices, which the zoo
    # does not use: a stop request ends the run like Ctrl-C (the checkpoint keeps the epochs).
    previous = _on_stop_signals(_interrupt)
    local = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")[:1]
    plan = Plan("multi-worker", made, devices=[d.name for d in local], num_workers=num_workers,
                task_type=task_type, task_index=task_index, is_chief=is_chief)
    plan._signals = previous
    return plan


def _jax_mirrored(devices):
    """``keras.distribution.DataParallel`` over the JAX devices (GPUs when there are)."""
    import jax  # optional extra [dev]: the JAX backend only

    found = jax.devices()
    if devices is not None:
        by_name = {f"{d.platform.upper()}:{d.id}": d for d in jax.devices()}
        try:
            found = [by_name[d.upper().split("DEVICE:")[-1]] for d in devices]
        except KeyError as err:
            raise ConfigError(f"device {err.args[0]} is not visible to JAX; it has "
                              f"{', '.join(sorted(by_name))}") from None
    names = [f"{d.platform}:{d.id}" for d in found]
    distribution = keras.distribution.DataParallel(devices=names)
    keras.distribution.set_distribution(distribution)
    return Plan("mirrored", devices=[n.upper() for n in names], distribution=distribution)
