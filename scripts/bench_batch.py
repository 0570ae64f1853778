"""How fast `zoo predict DIR --output FILE` (``zoo.batch.predict_files``) classifies image files,
against a plain loop over the same files: Pillow decodes each, and the model classifies the
stacked batch.

Usage:
    python scripts/bench_batch.py --data-dir DIR [--count 10000] [--batch-size 128]
                                  [--rounds 2] [--processes 2] [--model mnist_convnet] [--xla]

DIR holds MNIST's IDX files (``python scripts/fetch_data.py mnist --out DIR``). The first
``--count`` test digits are written as PNG files into a temporary directory (zoo's IDX reader
and Pillow). Each pass is timed from file names to answers, decode included; the passes run in
turn (A B C D, A B C D, ...), ``--rounds`` times, and the best time of each is shown:

- plain loop, ``model.predict``: ``np.asarray(Image.open(path))`` for each file, scaled to
  [0, 1], then ``model.predict(batch_size=...)`` (no centring of the digit: less work than zoo);
- plain loop, ``predict_on_batch``: the same decode, then ``model.predict_on_batch`` per batch;
- ``zoo.batch.predict_files``: zoo's own decoding and preprocessing (the digit centred like
  MNIST's), a JSON line per image written as it goes, resumable;
- the model alone on the decoded arrays (``predict_on_batch`` per batch): the upper bound of
  any pass that runs this model.

Then the whole process, ``--processes`` times each in turn: `zoo predict DIR --output FILE`
against a plain script (load the same model, the plain ``model.predict`` loop, write JSON
lines), each a fresh Python.

With ``--xla``, the classifier's forward pass compiled by XLA against the one zoo runs, side by
side in the same rounds: the model alone (the traced forward ``predict_files`` calls, giving the
probabilities and the logits the familiarity score reads, on the decoded arrays) and
``predict_files`` itself, each against the same with ``tf.function(..., jit_compile=True)``
(compiled for the fixed batch size, the last partial batch padded to it so it compiles once).
Prints the per-round ratios (median and range), the first call's compile time, and whether the
answers agree (labels, probabilities).

With ``--captions N``, the captioner's batch path too: ``zoo.batch.caption_files`` over N
caption canvases (``zoo.samples.caption_canvas``, written as PNG files) against a plain loop
(Pillow decode, then ``captioner.caption`` on the arrays, batches of 32), the same captions.

Answers are checked against an independent path: the preprocessor's TensorFlow graph
(``graph_bytes``: TensorFlow's PNG decoder and the graph ops) and the model, on every file.
Prints images per second, the ratios (zoo "is N x as fast as" each other pass: the other's
time over zoo's), the agreement and the load average.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from PIL import Image  # noqa: E402

import zoo  # noqa: E402
from zoo import batch  # noqa: E402
from zoo.data import read_idx  # noqa: E402

PLAIN_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    from PIL import Image
    import zoo
    folder, output, batch_size = sys.argv[1], sys.argv[2], int(sys.argv[3])
    classifier = zoo.load("mnist_convnet")
    import pathlib
    paths = sorted(str(p) for p in pathlib.Path(folder).iterdir())
    x = np.stack([np.asarray(Image.open(p), dtype=np.float32) for p in paths])[..., None] / 255
    probabilities = classifier.model.predict(x, batch_size=batch_size, verbose=0)
    with open(output, "w") as handle:
        for path, row in zip(paths, probabilities):
            i = int(row.argmax())
            handle.write(json.dumps({"path": path, "label": classifier.class_names[i],
                                     "probability": float(row[i])}) + "\\n")
""")


XLA_PAIRS = [("predict_files, XLA forward", "zoo.batch.predict_files"),
             ("zoo's forward, XLA", "zoo's forward (decoded arrays)")]


def write_digits(data_dir, count, out):
    images = read_idx(Path(data_dir) / "t10k-images-idx3-ubyte.gz")[:count]
    labels = read_idx(Path(data_dir) / "t10k-labels-idx1-ubyte.gz")[:count]
    paths = []
    for index, image in enumerate(images):
        path = os.path.join(out, f"{index:05d}.png")
        Image.fromarray(image).save(path)
        paths.append(path)
    return paths, labels


def decode_plain(paths):
    return np.stack([np.asarray(Image.open(p), dtype=np.float32) for p in paths])[..., None] / 255


def graph_answers(classifier, paths, batch_size):
    """Probabilities through the preprocessor's graph (TensorFlow's decoder, graph ops)."""
    pre = classifier.preprocessor
    data = tf.data.Dataset.from_tensor_slices(paths).map(
        lambda p: pre.graph_bytes(tf.io.read_file(p)), num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=True).batch(batch_size)
    return np.concatenate([classifier.model.predict_on_batch(b) for b in data])


def bench_captions(count, rounds):
    captioner = zoo.load("show_attend_tell")
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for seed in range(count):
            path = os.path.join(tmp, f"{seed:05d}.png")
            Image.fromarray(zoo.samples.caption_canvas(seed)[0]).save(path)
            paths.append(path)
        outputs = []

        def plain():
            arrays = [np.asarray(Image.open(p)) for p in paths]
            return [c.text for c in captioner.caption(arrays, batch_size=32)]

        def zoo_batch():
            outputs.append(os.path.join(tmp, f"captions{len(outputs)}.jsonl"))
            batch.caption_files(captioner, paths, outputs[-1], batch_size=32, progress=False)

        passes = {"plain loop, captioner.caption": plain, "zoo.batch.caption_files": zoo_batch}
        for function in passes.values():
            function()
        best = dict.fromkeys(passes, float("inf"))
        for _ in range(rounds):
            for name, function in passes.items():
                start = time.perf_counter()
                function()
                best[name] = min(best[name], time.perf_counter() - start)
        with open(outputs[-1], encoding="utf-8") as handle:
            got = {json.loads(line)["path"]: json.loads(line)["caption"] for line in handle}
        same = sum(got[p] == c for p, c in zip(paths, plain()))
    print(f"Captioner (show_attend_tell, greedy), {count} canvases, best of {rounds}:")
    for name, seconds in best.items():
        print(f"  {name:34s} {count / seconds:8,.0f} images/s ({seconds:.2f} s)")
    print(f"  zoo.batch.caption_files is "
          f"{best['plain loop, captioner.caption'] / best['zoo.batch.caption_files']:.2f} x as "
          f"fast as the plain loop; the "
          f"same caption for {same} of {count}; load average {load_text()}\n")


def xla_forward(classifier, size):
    """``(function, compile seconds)``: the classifier's batch forward (the model of
    ``_forward``, two outputs with a familiarity signal) compiled by XLA for batches of ``size``,
    a smaller batch padded to it."""
    two, _ = classifier._forward()
    needs = classifier.familiarity.needs() if classifier.familiarity is not None else None
    model = classifier._answer_model(needs) if two else classifier.model
    shape = (size,) + tuple(classifier.input_shape)
    compiled = tf.function(lambda batch: model(batch, training=False), jit_compile=True,
                           autograph=False, input_signature=[tf.TensorSpec(shape, tf.float32)])
    compiled = compiled.get_concrete_function()
    start = time.perf_counter()
    compiled(tf.zeros(shape))
    seconds = time.perf_counter() - start

    def function(batch):
        n = int(batch.shape[0])
        if n == size:
            return compiled(batch)
        out = compiled(tf.concat([batch, tf.zeros((size - n,) + shape[1:])], 0))
        return tuple(o[:n] for o in out) if two else out[:n]

    return function, seconds


def load_text():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--model", default="mnist_convnet")
    parser.add_argument("--captions", type=int, default=0)
    parser.add_argument("--xla", action="store_true",
                        help="compare an XLA-compiled forward pass with zoo's own")
    args = parser.parse_args()
    if args.captions:
        bench_captions(args.captions, args.rounds)
    size = args.batch_size

    classifier = zoo.load(args.model)
    model = classifier.model
    loads = [load_text()]
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "digits")
        os.mkdir(folder)
        paths, labels = write_digits(args.data_dir, args.count, folder)
        n = len(paths)
        print(f"{n} MNIST test digits written as PNG files "
              f"({sum(os.path.getsize(p) for p in paths) / 1e6:.1f} MB)")
        arrays = decode_plain(paths)
        outputs = []

        def plain_predict():
            return model.predict(decode_plain(paths), batch_size=size, verbose=0)

        def plain_on_batch():
            x = decode_plain(paths)
            return [model.predict_on_batch(x[i:i + size]) for i in range(0, n, size)]

        def zoo_batch():
            output = os.path.join(tmp, f"results{len(outputs)}.jsonl")
            outputs.append(output)
            return batch.predict_files(classifier, [folder], output, batch_size=size,
                                       progress=False)

        def model_alone():
            return [model.predict_on_batch(arrays[i:i + size]) for i in range(0, n, size)]

        passes = {"plain loop, model.predict": plain_predict,
                  "plain loop, predict_on_batch": plain_on_batch,
                  "zoo.batch.predict_files": zoo_batch,
                  "the model alone (decoded arrays)": model_alone}
        if args.xla:
            xla_classifier = zoo.load(args.model)
            xla_function, compile_seconds = xla_forward(xla_classifier, size)
            xla_classifier._traced = (xla_classifier._traced[0], xla_classifier._traced[1],
                                      xla_function)
            xla_outputs = []
            traced = classifier._forward()[1]

            def zoo_batch_xla():
                output = os.path.join(tmp, f"xla{len(xla_outputs)}.jsonl")
                xla_outputs.append(output)
                return batch.predict_files(xla_classifier, [folder], output, batch_size=size,
                                           progress=False)

            def forward(f):
                return lambda: [f(tf.constant(arrays[i:i + size])) for i in range(0, n, size)]

            # each XLA pass right after its default one: A B A B in every round
            alone = "the model alone (decoded arrays)"
            passes = {**{name: passes[name] for name in list(passes)[:3]},
                      XLA_PAIRS[0][0]: zoo_batch_xla, alone: model_alone,
                      XLA_PAIRS[1][1]: forward(traced), XLA_PAIRS[1][0]: forward(xla_function)}
        for function in passes.values():  # warm-up: traces, caches, file system
            function()
        best = dict.fromkeys(passes, float("inf"))
        times = {name: [] for name in passes}
        for _ in range(args.rounds):
            for name, function in passes.items():
                start = time.perf_counter()
                function()
                times[name].append(time.perf_counter() - start)
                best[name] = min(best[name], times[name][-1])
        loads.append(load_text())

        lines = {}
        with open(outputs[-1], encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                lines[record["path"]] = record
        want = graph_answers(classifier, paths, size)
        got_labels = [lines[p]["label"] for p in paths]
        want_labels = [classifier.class_names[i] for i in want.argmax(axis=1)]
        worst = max(abs(lines[p]["probability"] - float(row.max()))
                    for p, row in zip(paths, want))
        if args.xla:
            with open(xla_outputs[-1], encoding="utf-8") as handle:
                xla_lines = {r["path"]: r for r in map(json.loads, handle)}
            xla_same = sum(xla_lines[p]["label"] == lines[p]["label"] for p in paths)
            xla_worst = max(abs(xla_lines[p]["probability"] - lines[p]["probability"])
                            for p in paths)

        timings = {"zoo predict DIR --output FILE": [], "plain script": []}
        script = os.path.join(tmp, "plain.py")
        Path(script).write_text(PLAIN_SCRIPT)
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
        for round_ in range(args.processes):
            for name in timings:
                output = os.path.join(tmp, f"process{round_}.jsonl")
                if os.path.exists(output):
                    os.remove(output)
                command = ([sys.executable, "-m", "zoo.cli", "predict", folder, "--model",
                            args.model, "--output", output, "--batch-size", str(size),
                            "--no-progress"] if name.startswith("zoo") else
                           [sys.executable, script, folder, output, str(size)])
                start = time.perf_counter()
                subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
                timings[name].append(time.perf_counter() - start)
        loads.append(load_text())

    print(f"\nIn one process, best of {args.rounds} rounds (batches of {size}):")
    for name, seconds in best.items():
        print(f"  {name:34s} {n / seconds:8,.0f} images/s ({seconds:.2f} s)")
    zoo_seconds = best["zoo.batch.predict_files"]
    for name in ("plain loop, model.predict", "plain loop, predict_on_batch",
                 "the model alone (decoded arrays)"):
        print(f"  zoo.batch.predict_files is {best[name] / zoo_seconds:.2f} x as fast as {name}")
    if args.processes:
        print(f"\nWhole processes, best of {args.processes} each (start-up and model load "
              "included):")
        for name, seconds in timings.items():
            print(f"  {name:34s} {min(seconds):6.2f} s  ({n / min(seconds):,.0f} images/s)")
        ratio = min(timings["plain script"]) / min(timings["zoo predict DIR --output FILE"])
        print(f"  zoo predict is {ratio:.2f} x as fast as the plain script")
    if args.xla:
        print(f"\nXLA (jit_compile=True, batches of {size}, the last one padded), per round, "
              f"side by side (first call: {compile_seconds:.2f} s to compile):")
        for xla, default in XLA_PAIRS:
            ratios = sorted(a / b for a, b in zip(times[default], times[xla]))
            print(f"  {xla} is {np.median(ratios):.2f} x as fast as {default} "
                  f"(rounds {ratios[0]:.2f}-{ratios[-1]:.2f})")
        print(f"  predict_files with XLA against without: the same label for {xla_same} of {n}, "
              f"largest probability difference {xla_worst:.1e}")
    truth = [str(int(label)) for label in labels]
    print(f"\nzoo's answers against the preprocessor's graph (TensorFlow's PNG decoder and "
          f"graph ops): the same top label for {sum(a == b for a, b in zip(got_labels, want_labels))}"
          f" of {n}, largest probability difference {worst:.1e}; accuracy "
          f"{np.mean([a == t for a, t in zip(got_labels, truth)]):.2%}")
    print(f"{os.cpu_count()} CPUs; load average (1, 5, 15 min) at the start, after the "
          f"in-process passes, at the end: {' / '.join(loads)}")


if __name__ == "__main__":
    main()
