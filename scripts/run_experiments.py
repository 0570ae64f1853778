"""Run the explainer's experiments in full and write the results that ship with the package.

    python scripts/run_experiments.py --data-dir DIR                 # every experiment
    python scripts/run_experiments.py --data-dir DIR dropout depth   # some of them

DIR holds MNIST's IDX files (``python scripts/fetch_data.py mnist --out DIR``). Each result goes to
``zoo/experiments/results/NAME.json`` and ``NAME.png`` (``--out`` for elsewhere), the same files
that ``zoo experiment NAME --out OUT`` writes. Run one at a time on an idle machine: the results
record their wall time and the load average when they started.
"""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from zoo import experiments  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help="default: all of them")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(experiments.RESULTS))
    args = parser.parse_args(argv)
    for name in args.names or experiments.list_experiments():
        start = time.perf_counter()
        result = experiments.run(name, data_dir=args.data_dir, seed=args.seed)
        json_path, png_path = experiments.save(result, args.out)
        print(f"{name}: {time.perf_counter() - start:.0f} s, holds: {result['holds']}",
              flush=True)
        for key, value in result["figures"].items():
            print(f"  {key}: {value:.4g}" if isinstance(value, float) else f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
