"""Print the README's tables of the shipped full-run experiments, read from their results.

    python scripts/experiments_table.py            # markdown, from zoo/experiments/results
    python scripts/experiments_table.py --dir OUT  # from another folder of results
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pct(value):
    return f"{100 * value:.2f}%"


def vanishing(r):
    epochs = r["settings"]["epochs"]
    rows = ["| hidden units (8 layers of 128, SGD 0.1) | first / output layer gradient norm "
            f"before training | test accuracy after {epochs} epochs |", "|---|---|---|"]
    for label in r["series"]:
        rows.append(f"| {label} | {r['figures'][f'{label}: first/last gradient norm at init']:.2g}"
                    f" | {pct(r['figures'][f'{label}: test accuracy after {epochs} epochs'])} |")
    return rows


def dropout(r):
    f, s = r["figures"], r["settings"]
    rows = [f"{f['training digits']:,} training digits, MLP {'-'.join(map(str, s['hidden_units']))}"
            f" ({f['parameters']:,} parameters), {s['epochs']} epochs; figures averaged over the "
            f"last {f['epochs averaged']} epochs:", "",
            "| | training accuracy | held-out accuracy | gap | held-out loss | best epoch |",
            "|---|---|---|---|---|---|"]
    for label in r["series"]:
        rows.append(f"| {label} | {pct(f[f'{label}: train accuracy'])} | "
                    f"{pct(f[f'{label}: test accuracy'])} | "
                    f"{100 * f[f'{label}: accuracy gap']:.2f} points | "
                    f"{f[f'{label}: test loss']:.3f} | {pct(f[f'{label}: best test accuracy'])} |")
    return rows


def depth(r):
    rows = ["| budget | model | shape | parameters | test accuracy |", "|---|---|---|---|---|"]
    for key, s in r["series"].items():
        shape = ", ".join(f"{k} {v}" for k, v in s["shape"].items())
        rows.append(f"| {s['budget'] // 1000}k | {s['kind']} | {shape} | {s['parameters']:,} | "
                    f"{pct(s['test_accuracy'][-1])} |")
    return rows


def scaling(r):
    series = r["series"]
    sizes = next(iter(series.values()))["sizes"]
    rows = ["| training digits | " + " | ".join(f"{n:,}" for n in sizes) + " |",
            "|---|" + "---|" * len(sizes)]
    for kind, s in series.items():
        rows.append(f"| {kind} | " + " | ".join(pct(a) for a in s["test_accuracy"]) + " |")
    return rows


def incremental(r):
    s = r["series"]
    rows = [f"Base: an MLP trained on the digits 0-3 ({pct(s['base']['old_accuracy'])} on their "
            "test digits), then given the class 4:", "",
            "| way | old classes 0-3 | new class 4 | examples processed | training time |",
            "|---|---|---|---|---|"]
    for way, v in s.items():
        if way != "base":
            rows.append(f"| {way} | {pct(v['old_accuracy'])} | {pct(v['new_accuracy'])} | "
                        f"{v['examples']:,} | {v['seconds']:.1f} s |")
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default=str(ROOT / "zoo" / "experiments" / "results"))
    args = parser.parse_args(argv)
    for name, table in (("vanishing", vanishing), ("dropout", dropout), ("depth", depth),
                        ("scaling", scaling), ("incremental", incremental)):
        path = Path(args.dir) / f"{name}.json"
        if not path.is_file():
            print(f"(no {path.name})\n")
            continue
        r = json.loads(path.read_text())
        print(f"### {r['title']}\n\n{r['claim']}\n")
        print("\n".join(table(r)))
        checks = "; ".join(("" if ok else "NOT SEEN: ") + check for check, ok in r["holds"].items())
        print(f"\nChecks: {checks}. Wall time {r['wall_seconds']:,.0f} s (load average "
              f"{r['load_average'][0]}).\n\n![{r['title']}](zoo/experiments/results/{name}.png)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
