"""Start-up time of the `zoo` command: each light command (`zoo --help`, `zoo list`, `zoo
describe`, `zoo weights list`) against `python -c pass` and `python -c "import tensorflow"`,
run alternately in fresh processes; prints the median and the spread of each, and the load
average (the figures mean something only on an idle machine).

    python scripts/bench_startup.py [--runs 7]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time


def timed(argv, env):
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    script = shutil.which("zoo", path=os.path.dirname(sys.executable)) or "zoo"
    env = dict(os.environ, ZOO_OFFLINE="1")
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "zoo --help": [script, "--help"],
        "zoo list": [script, "list"],
        "zoo describe mnist_convnet": [script, "describe", "mnist_convnet"],
        "zoo weights list": [script, "weights", "list"],
        "python -c 'import tensorflow'": [sys.executable, "-c", "import tensorflow"],
    }
    times = {name: [] for name in cases}
    for _ in range(args.runs):  # alternate, so a change in load hits every case alike
        for name, argv in cases.items():
            times[name].append(timed(argv, env))
    print(f"load average before/after: {os.getloadavg()[0]:.2f} (1 min); {os.cpu_count()} CPUs;"
          f" {args.runs} runs each, alternated")
    base = statistics.median(times["python -c pass"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<32} median {median * 1000:7.0f} ms  (min {min(values) * 1000:.0f}, "
              f"max {max(values) * 1000:.0f})  {median / base:5.1f}x python -c pass")


if __name__ == "__main__":
    main()
