"""How long one input takes through the task API, against the plain way on the same input.

Usage:
    python scripts/bench_one.py [--calls 200] [--rounds 5]

- Classifier (``mnist_convnet``, a digit shipped in ``zoo.samples`` written as a PNG file):
  ``classifier.predict([path])`` against what a user writes by hand for the same answer:
  Pillow's decode of the same file, the zoo's preprocessing of the decoded pixels
  (``classifier.preprocessor.transform``: the digit centred as MNIST's, the same batch
  ``predict`` makes, checked equal) and ``model.predict_on_batch``. Also shown: Pillow's decode
  straight into ``model.predict_on_batch`` (no centring: less work than zoo, and another
  answer on drawn digits), and ``model.predict`` on the decoded array.
- Captioner (``show_attend_tell``, a shipped caption canvas as a PNG file):
  ``captioner.caption([path])`` (greedy).
- Translator (``seq2seq_gru_bahdanau``): ``translator.translate(sentence)`` (greedy), one
  short sentence.

The classifier's three fast calls alternate call by call (A B C A B C ...), ``--calls`` of
each per round, so a change in the machine's load reaches all three alike; ``model.predict``
(about 60 ms a call) runs after them, a tenth as many calls, as do the captioner and the
translator (alternated). Each round gives the median time per call of each and the ratio of
the medians; the summary is the median over the rounds (and their range), with the load
average at the start and the end.
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
ZOO = "classifier.predict([path])"
FAIR = "Pillow + zoo preprocessing + predict_on_batch"
BARE = "Pillow + predict_on_batch (no centring)"
PREDICT = "Pillow + model.predict (no centring)"


def alternated(functions, calls):
    """Median seconds per call of each function, the functions called in turn (A B A B ...)."""
    times = {name: [] for name in functions}
    for _ in range(calls):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(found) for name, found in times.items()}


def spread(values, digits=2):
    """``median (low-high)`` of the per-round values."""
    return (f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-"
            f"{max(values):.{digits}f})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    loads = [" ".join(f"{x:.2f}" for x in os.getloadavg())]

    classifier = zoo.load("mnist_convnet")
    model, preprocessor = classifier.model, classifier.preprocessor
    captioner = zoo.load("show_attend_tell")
    translator = zoo.load("seq2seq_gru_bahdanau")
    with tempfile.TemporaryDirectory() as tmp:
        digit = os.path.join(tmp, "digit.png")
        Image.fromarray(samples.digits()[0][0]).save(digit)
        canvas = os.path.join(tmp, "canvas.png")
        Image.fromarray(samples.caption_canvas(11)[0]).save(canvas)

        def decoded():  # a grey PNG: (28, 28) -> (28, 28, 1)
            return np.asarray(Image.open(digit))[..., None]

        def preprocessed():
            return preprocessor.transform([decoded()])[0]

        def bare():
            return np.asarray(Image.open(digit), dtype=np.float32)[None, ..., None] / 255

        fast = {
            ZOO: lambda: classifier.predict([digit]),
            FAIR: lambda: model.predict_on_batch(preprocessed()),
            BARE: lambda: model.predict_on_batch(bare()),
        }
        slow = {PREDICT: lambda: model.predict(bare(), verbose=0)}
        others = {
            "captioner.caption([path]), greedy": lambda: captioner.caption([canvas]),
            "translator.translate(sentence), greedy": lambda: translator.translate(SENTENCE),
        }
        for function in (*fast.values(), *slow.values(), *others.values()):
            function()  # traces and caches
        # the fair plain side answers from the batch predict makes
        if not np.array_equal(preprocessed(), preprocessor([digit])):
            raise SystemExit("the plain preprocessing differs from predict's")
        answer = classifier.predict([digit])[0]
        plain = model.predict_on_batch(preprocessed())[0]
        rounds = []
        for _ in range(args.rounds):
            found = alternated(fast, args.calls)
            found.update(alternated(slow, max(1, args.calls // 10)))
            found.update(alternated(others, max(1, args.calls // 10)))
            rounds.append(found)
        caption = captioner.caption([canvas])[0].text
    loads.append(" ".join(f"{x:.2f}" for x in os.getloadavg()))

    print(f"{'median ms per call, over the rounds (range)':48s}")
    for name in rounds[0]:
        print(f"{name:48s} {spread([r[name] * 1e3 for r in rounds])}")
    print(f"\n{ZOO} / {FAIR}: {spread([r[ZOO] / r[FAIR] for r in rounds])}x the time")
    print(f"{ZOO} / {BARE}: {spread([r[ZOO] / r[BARE] for r in rounds])}x the time")
    print(f"{PREDICT} / {ZOO}: {spread([r[PREDICT] / r[ZOO] for r in rounds], 0)}x the time")
    print(f"answers: digit {answer.label!r} {answer.probability:.6f} (plain: "
          f"{classifier.class_names[int(np.argmax(plain))]!r} {float(plain.max()):.6f}); "
          f"caption {caption!r}; translation {translator.translate(SENTENCE)[0]!r}")
    print(f"{args.rounds} rounds of {args.calls} calls of each fast call alternated "
          f"({max(1, args.calls // 10)} of the others); load average at the start and the end: "
          f"{' / '.join(loads)}")


if __name__ == "__main__":
    main()
