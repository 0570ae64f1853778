"""How long one input takes through the task API, against the plain way on the same input.

Usage:
    python scripts/bench_one.py [--calls 200] [--rounds 3]

- Classifier (``mnist_convnet``, a digit shipped in ``zoo.samples`` written as a PNG file):
  ``classifier.predict([path])`` against Pillow's decode of the same file followed by
  ``model.predict_on_batch`` (no centring of the digit: less work than zoo), and against
  ``model.predict`` on the decoded array.
- Captioner (``show_attend_tell``, a shipped caption canvas as a PNG file):
  ``captioner.caption([path])`` (greedy).
- Translator (``seq2seq_gru_bahdanau``): ``translator.translate(sentence)`` (greedy), one
  short sentence.

The calls alternate (A B C, A B C, ...; ``--calls`` of each per round, ``--rounds`` rounds) and
the median time per call is shown, with the ratios and the load average.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import zoo  # noqa: E402
from zoo import samples  # noqa: E402

SENTENCE = "I like to read books ."


def timed(functions, calls, rounds):
    """Median seconds per call of each function, called in turn."""
    times = {name: [] for name in functions}
    for _ in range(rounds):
        for name, function in functions.items():
            for _ in range(calls):
                start = time.perf_counter()
                function()
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(found) for name, found in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    loads = [" ".join(f"{x:.2f}" for x in os.getloadavg())]

    classifier = zoo.load("mnist_convnet")
    model = classifier.model
    captioner = zoo.load("show_attend_tell")
    translator = zoo.load("seq2seq_gru_bahdanau")
    with tempfile.TemporaryDirectory() as tmp:
        digit = os.path.join(tmp, "digit.png")
        Image.fromarray(samples.digits()[0][0]).save(digit)
        canvas = os.path.join(tmp, "canvas.png")
        Image.fromarray(samples.caption_canvas(11)[0]).save(canvas)

        def plain_decode():
            return np.asarray(Image.open(digit), dtype=np.float32)[None, ..., None] / 255

        classify = {
            "classifier.predict([path])": lambda: classifier.predict([digit]),
            "Pillow + model.predict_on_batch": lambda: model.predict_on_batch(plain_decode()),
            "Pillow + model.predict": lambda: model.predict(plain_decode(), verbose=0),
        }
        others = {
            "captioner.caption([path]), greedy": lambda: captioner.caption([canvas]),
            "translator.translate(sentence), greedy": lambda: translator.translate(SENTENCE),
        }
        for function in (*classify.values(), *others.values()):
            function()  # traces and caches
        label = classifier.predict([digit])[0].label
        plain = int(np.argmax(model.predict_on_batch(plain_decode())))
        found = timed(classify, args.calls, args.rounds)
        found.update(timed(others, max(1, args.calls // 10), args.rounds))
        caption = captioner.caption([canvas])[0].text
    loads.append(" ".join(f"{x:.2f}" for x in os.getloadavg()))

    for name, seconds in found.items():
        print(f"{name:42s} {seconds * 1e3:8.2f} ms")
    zoo_time = found["classifier.predict([path])"]
    print(f"\nclassifier.predict([path]) / Pillow + predict_on_batch: "
          f"{zoo_time / found['Pillow + model.predict_on_batch']:.2f}x the time")
    print(f"Pillow + model.predict / classifier.predict([path]): "
          f"{found['Pillow + model.predict'] / zoo_time:.0f}x the time")
    print(f"answers: digit {label!r} (plain loop: {classifier.class_names[plain]!r}); caption "
          f"{caption!r}; translation {translator.translate(SENTENCE)[0]!r}")
    print(f"median of {args.rounds} x {args.calls} calls (captioner and translator: "
          f"{args.rounds} x {max(1, args.calls // 10)}); load average at the start and the "
          f"end: {' / '.join(loads)}")


if __name__ == "__main__":
    main()
