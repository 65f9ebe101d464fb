#!/usr/bin/env python3
"""Totals over meson test logs. A Criterion binary counts its test cases (its "Synthesis"
line); any other test counts as one. Prints "N passed, M failed" and exits non-zero on failure
or when a log is missing; --extra NAME=RC adds one check run outside meson (a build that never ran its tests is a failure, not zero tests)."""
import json
import re
import sys

SYNTH = re.compile(r"Synthesis: Tested: (\d+) \| Passing: (\d+) \| Failing: (\d+) \| Crashing: (\d+)")

passed = failed = skipped = 0
args = sys.argv[1:]
# --extra NAME=RC: a check run outside meson (e.g. ci/mutants) counts as one test.
while "--extra" in args:
    i = args.index("--extra")
    name, _, rc = args[i + 1].partition("=")
    del args[i:i + 2]
    if rc == "0":
        passed += 1
    else:
        print(f"summarize: {name} failed", file=sys.stderr)
        failed += 1
for path in args:
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError:
        print(f"summarize: no test log at {path}: its build or test run failed", file=sys.stderr)
        failed += 1
        continue
    for line in lines:
        t = json.loads(line)
        out = (t.get("stdout") or "") + (t.get("stderr") or "")
        m = SYNTH.search(out)
        result = t.get("result")
        if result == "SKIP":
            skipped += 1
        elif m:
            tested, passing = int(m.group(1)), int(m.group(2))
            passed += passing
            failed += tested - passing
            # A crash outside any test case (or a timeout) fails the binary as a whole.
            if result != "OK" and tested == passing:
                failed += 1
        elif result == "OK":
            passed += 1
        else:
            failed += 1
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
sys.exit(1 if failed else 0)
