"""Whether two runs of a benchmark gave the same numbers: every cell of two CSVs written
by ``accuracy.py``, ``accuracy_vector.py`` or ``big_n.py`` compared as text (so to the
last bit, NaN included), but the time columns, whose totals and medians it prints.

For a change that must not move a number (a refactoring), run the same benchmark command
in a worktree of the code before (``git worktree add /tmp/base <commit>``, with its
kernels compiled: ``gmmmi compile`` run there) and in this one, with ``--out`` naming each
run, then:

    .venv/bin/python benchmarks/same_numbers.py /tmp/base/benchmarks/measured/RUN-base.csv \
        benchmarks/measured/RUN-head.csv

It exits 1 when a cell differs, listing each.
"""

import argparse
import csv
import statistics
import sys

TIMES = ("seconds", "gmmmi_seconds", "ksg_seconds", "gao_seconds")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("before")
    parser.add_argument("after")
    args = parser.parse_args()
    with open(args.before, newline="") as a, open(args.after, newline="") as b:
        before, after = list(csv.DictReader(a)), list(csv.DictReader(b))
    if len(before) != len(after) or (before and before[0].keys() != after[0].keys()):
        sys.exit(f"the runs differ in shape: {len(before)} and {len(after)} rows")
    differing = [(i, name, x[name], y[name]) for i, (x, y) in enumerate(zip(before, after))
                 for name in x if name not in TIMES and x[name] != y[name]]
    for row, name, x, y in differing:
        print(f"row {row + 2}, {name}: {x} -> {y}")
    print(f"{len(before)} rows, {len(differing)} cells differ")
    for name in TIMES:
        if before and name in before[0]:
            x = [float(r[name]) for r in before if r[name]]
            y = [float(r[name]) for r in after if r[name]]
            print(f"{name}: total {sum(x):.1f} -> {sum(y):.1f}, median "
                  f"{statistics.median(x):.3f} -> {statistics.median(y):.3f}")
    sys.exit(1 if differing else 0)


if __name__ == "__main__":
    main()
