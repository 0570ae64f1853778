"""One process against a two-worker MultiWorkerMirroredStrategy cluster on this machine.

Trains the same model on the same data for the same epochs twice with ``zoo train``: once as one
process (``--strategy none``), once as two local worker processes talking over 127.0.0.1
(``--strategy multi-worker``, one ``TF_CONFIG`` each, the global batch split between them), and
prints the wall times (the whole command, and the trainer's own training time), the test
accuracy of each, and the load average before and after::

    python scripts/bench_distribute.py --data-dir DIR_WITH_MNIST [--epochs 2] [--model shallow_mlp]

On one machine the two workers share its cores and add an all-reduce per step, so this measures
the cost of the machinery, not a speed-up; the speed-up needs one worker per machine.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from zoo import distribute  # noqa: E402


def _load():
    return os.getloadavg()


def _command(args, out, strategy):
    return [sys.executable, "-m", "zoo.cli", "train", args.model, "--dataset", "mnist",
            "--data-dir", args.data_dir, "--out", str(out), "--epochs", str(args.epochs),
            "--verbose", "2", "--strategy", strategy]


def _env(**extra):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("TF_CONFIG", None)
    env.update(extra)
    return env


def _result(out, started):
    metrics = json.loads((pathlib.Path(out) / "metrics.json").read_text())
    return {"wall_s": time.perf_counter() - started, "train_s": metrics["wall_time_s"],
            "test_accuracy": metrics["test_accuracy"]}


def one_process(args, work):
    out = work / "one"
    started = time.perf_counter()
    subprocess.run(_command(args, out, "none"), env=_env(), check=True,
                   stdout=subprocess.DEVNULL)
    return _result(out, started)


def two_workers(args, work):
    out = work / "two"
    configs = distribute.local_cluster(2)
    started = time.perf_counter()
    processes = [subprocess.Popen(
        _command(args, out, "multi-worker"), stdout=subprocess.DEVNULL,
        env=_env(TF_CONFIG=config)) for config in configs]
    codes = [process.wait() for process in processes]
    if codes != [0, 0]:
        raise SystemExit(f"a worker failed: exit codes {codes}")
    return _result(out, started)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="directory with the MNIST IDX files")
    parser.add_argument("--model", default="shallow_mlp")
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    print(f"{args.model}, MNIST from --data-dir, {args.epochs} epochs, recipe batch size "
          f"(global); {os.cpu_count()} CPU cores", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-distribute-") as work:
        work = pathlib.Path(work)
        before = _load()
        one = one_process(args, work)
        middle = _load()
        two = two_workers(args, work)
        after = _load()
    print(f"load average (1, 5, 15 min): before {before[0]:.2f} {before[1]:.2f} "
          f"{before[2]:.2f}; between {middle[0]:.2f}; after {after[0]:.2f} {after[1]:.2f} "
          f"{after[2]:.2f}")
    for name, result in (("one process", one), ("two workers", two)):
        print(f"{name:12s}: {result['wall_s']:6.1f} s wall (command), {result['train_s']:6.1f} s "
              f"training (trainer), test accuracy {100 * result['test_accuracy']:.2f}%")
    print(f"two workers / one process: {two['wall_s'] / one['wall_s']:.2f}x wall, "
          f"{two['train_s'] / one['train_s']:.2f}x training")


if __name__ == "__main__":
    main()
