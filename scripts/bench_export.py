"""Sizes, output agreement and speed of `zoo export`'s formats for an image classifier.

Usage:
    python scripts/bench_export.py --data-dir DIR [--count 10000] [--png 2000]
                                   [--model mnist_convnet]

DIR holds MNIST's IDX files. The model is exported as a SavedModel, ONNX and LiteRT file into
a temporary directory; each is run by its own runtime (``tf.saved_model.load``, onnxruntime,
the LiteRT interpreter) on the first ``--count`` real test digits and compared with the Keras
model: the largest difference of a class probability, and how many top labels agree. The
SavedModel's ``serving_default`` signature (PNG bytes in, preprocessing inside the graph) is
compared on ``--png`` of them, written as PNG files, with zoo's Pillow preprocessing.
Throughput is on the model's input in batches of 128 (decode excluded, except for the PNG row).
"""

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import zoo  # noqa: E402
from zoo.data import read_idx  # noqa: E402
from zoo.export import export, litert_interpreter  # noqa: E402

BATCH = 128


def batches(x):
    return [x[i:i + BATCH] for i in range(0, len(x), BATCH)]


def timed(fn, x):
    fn(x[:BATCH])  # warm up (tracing, allocation)
    start = time.perf_counter()
    out = np.concatenate([np.asarray(fn(b)) for b in batches(x)])
    return out, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--png", type=int, default=2000)
    parser.add_argument("--model", default="mnist_convnet")
    args = parser.parse_args()

    import onnxruntime
    import tensorflow as tf

    classifier = zoo.load(args.model)
    digits = read_idx(Path(args.data_dir) / "t10k-images-idx3-ubyte.gz")[:args.count]
    x = (digits[..., None] / 255.0).astype(np.float32)
    want, keras_seconds = timed(lambda b: classifier.model.predict_on_batch(b), x)
    rows = [("keras (predict_on_batch)", None, want, keras_seconds)]
    with tempfile.TemporaryDirectory() as tmp:
        made = {f: export(classifier, f, tmp) for f in ("saved_model", "onnx", "litert")}
        loaded = tf.saved_model.load(made["saved_model"]["path"])
        signature = loaded.signatures["predict_preprocessed"]
        out, seconds = timed(lambda b: signature(images=tf.constant(b))["probabilities"], x)
        rows.append(("saved_model", made["saved_model"]["bytes"], out, seconds))

        session = onnxruntime.InferenceSession(made["onnx"]["path"],
                                               providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        out, seconds = timed(lambda b: session.run(None, {name: b})[0], x)
        rows.append(("onnx (onnxruntime)", made["onnx"]["bytes"], out, seconds))

        interpreter = litert_interpreter(made["litert"]["path"])
        entry = interpreter.get_input_details()[0]
        result = interpreter.get_output_details()[0]["index"]

        def lite(b):
            interpreter.resize_tensor_input(entry["index"], list(b.shape))
            interpreter.allocate_tensors()
            interpreter.set_tensor(entry["index"], b)
            interpreter.invoke()
            return interpreter.get_tensor(result)

        out, seconds = timed(lite, x)
        rows.append(("litert (ai-edge-litert)", made["litert"]["bytes"], out, seconds))

        # PNG bytes through the graph's own decode and preprocessing, against Pillow's
        pngs = []
        for image in digits[:args.png]:
            buffer = io.BytesIO()
            Image.fromarray(image).save(buffer, "PNG")
            pngs.append(buffer.getvalue())
        serving = loaded.signatures["serving_default"]
        start = time.perf_counter()
        graph = np.concatenate([serving(image_bytes=tf.constant(b))["probabilities"].numpy()
                                for b in batches(pngs)])
        graph_seconds = time.perf_counter() - start
        pil = classifier.predict_proba(pngs)

    print(f"{args.model}: {len(x)} MNIST test digits, batches of {BATCH}")
    print(f"{'format':<26} {'size':>9} {'max |dp|':>10} {'same top':>9} {'images/s':>9}")
    for label, size, out, seconds in rows:
        shown = f"{size / 1e6:.2f} MB" if size else "-"
        diff = float(np.max(np.abs(out - want)))
        same = int(np.sum(out.argmax(1) == want.argmax(1)))
        print(f"{label:<26} {shown:>9} {diff:10.2g} {same:>9} {len(x) / seconds:9.0f}")
    print(f"saved_model serving_default on {len(pngs)} PNG files (decode, centring, scaling in "
          f"the graph) vs zoo's Pillow preprocessing: max |dp| "
          f"{float(np.max(np.abs(graph - pil))):.2g}, same top label "
          f"{int(np.sum(graph.argmax(1) == pil.argmax(1)))}/{len(pngs)}, "
          f"{len(pngs) / graph_seconds:.0f} images/s")
    print(f"{os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
