#!/bin/sh
# Negative controls for the bootloader: build the bootloader tests once per mutant
# (meson option boot_mutant) and check that each mutant makes at least one test fail.
# Usage: tests/boot/run-mutants.sh [BUILD_PREFIX]   (default: build-mutant-)
# Exit 0 when every mutant was caught; prints the failing tests per mutant.
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
prefix=${1:-$src/build-mutant-}
tests="test_boot_eboot test_boot_safe test_boot_sweep test_journal"
status=0
for m in clear-first skip-erase skip-check no-journal; do
    dir=$prefix$m
    if [ ! -d "$dir" ]; then
        meson setup "$dir" "$src" -Dlx106=disabled -Dboot_mutant="$m" >/dev/null || exit 2
    else
        meson configure "$dir" -Dboot_mutant="$m" >/dev/null || exit 2
    fi
    targets=""
    for t in $tests; do targets="$targets tests/boot/$t"; done
    meson compile -C "$dir" -j 2 $targets >/dev/null || { echo "mutant $m: build failed"; exit 2; }
    failed=""
    for t in $tests; do
        out=$("$dir/tests/boot/$t" -j1 2>&1)
        names=$(printf '%s\n' "$out" | sed -n 's/^\[FAIL\] \([^:]*::[^:]*\):.*/\1/p' | tr '\n' ' ')
        failed="$failed$names"
    done
    if [ -n "$failed" ]; then
        echo "mutant $m: caught by $failed"
    else
        echo "mutant $m: NOT caught"
        status=1
    fi
done
exit $status
