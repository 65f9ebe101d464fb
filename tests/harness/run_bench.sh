#!/bin/sh
# otasim bench sweep as a user runs it: --quick runs, prints its figures and passes the
# naive-vs-record-and-branch outcome check; with the naive cuts deliberately misplaced
# (OTASIM_BENCH_NAIVE_SKEW, the negative control) the check fails with exit 1; misuse prints
# usage and exits 2.
# usage: run_bench.sh OTASIM
set -u
O=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect() {
    code=$1; what=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"; rc=$?
    [ "$rc" = "$code" ] || { fail "$what: exit $rc, expected $code ($*)"; cat "$T/out" "$T/err"; }
    if [ "$code" = 2 ] && ! grep -q usage "$T/err"; then fail "$what: no usage on stderr"; fi
}
has() { grep -q -- "$2" "$T/$1" || { fail "$1 lacks '$2'"; cat "$T/$1"; }; }

expect 0 "bench sweep --quick" "$O" bench sweep --quick --seed 3
has out "seed 3"
has out "naive vs record-and-branch outcomes: 0 of 6 sampled branches differ"
has out "EXTRAPOLATED from 6 samples"
has out "recovery boots: [1-9]"
has out "double cuts: 40 pairs"
has out "peak RSS"
has out "bench sweep: PASS"

# Every flash-op cut rerun the naive way: measured, not extrapolated; and the chip-work bound
# (naive rerun's flash time vs its part after the cut) is printed and above 1.
expect 0 "bench sweep --naive-sample all" "$O" bench sweep --quick --pairs 0 --naive-sample all
has out "all naive samples"
has out "MEASURED over all [1-9][0-9]* flash-op cuts"
has out "naive vs record-and-branch outcomes: 0 of [1-9][0-9]* sampled branches differ"
has out "chip work of the naive reruns"
bound=$(sed -n 's/.*can save at most \([0-9.]*\)x.*/\1/p' "$T/out")
awk -v b="${bound:-0}" 'BEGIN { exit !(b > 1.0) }' || fail "chip-work bound '$bound' not above 1"

# One phase alone: the staging cuts leave the recovery little to do (the old app boots), the
# copy cuts leave it the rest of the copy, so the chip-work bound of staging is far above
# copy's (the timing model's figures, not wall time); eboot bricks on a copy cut (its RTC
# command does not survive the power cut), so --boot reaches the scenario.
expect 0 "--phase staging" "$O" bench sweep --quick --pairs 0 --naive-sample all --phase staging
has out "branches 68: old 68 "
bs=$(sed -n 's/.*can save at most \([0-9.]*\)x.*/\1/p' "$T/out")
expect 0 "--phase copy" "$O" bench sweep --quick --pairs 0 --naive-sample all --phase copy
has out "branches 64: new 64 "
bc=$(sed -n 's/.*can save at most \([0-9.]*\)x.*/\1/p' "$T/out")
awk -v s="${bs:-0}" -v c="${bc:-0}" 'BEGIN { exit !(s > 10 * c && c > 1.0) }' ||
    fail "staging bound '$bs' not > 10 x copy bound '$bc'"
expect 1 "--boot eboot --phase copy" "$O" bench sweep --quick --pairs 0 --boot eboot --phase copy
has out "got brick"
has out "bench sweep: FAIL"

# Negative control: naive cuts 40 ops late land elsewhere in the update (or past it).
OTASIM_BENCH_NAIVE_SKEW=40 expect 1 "skewed naive cuts" "$O" bench sweep --quick --seed 3
has out "sampled branches differ: first"
has out "bench sweep: FAIL"

expect 2 "bench without a name" "$O" bench
expect 2 "unknown benchmark" "$O" bench nope
expect 2 "unknown option" "$O" bench sweep --bogus
expect 2 "--size not a size" "$O" bench sweep --size 12x
expect 2 "--size too large" "$O" bench sweep --size 2M
expect 2 "-j 0" "$O" bench sweep -j 0
expect 2 "--naive-sample 0" "$O" bench sweep --naive-sample 0
expect 2 "--naive-sample not a number" "$O" bench sweep --naive-sample al
expect 2 "--pairs negative" "$O" bench sweep --pairs -1
expect 2 "--phase unknown" "$O" bench sweep --phase stage
expect 2 "--phase twice" "$O" bench sweep --phase copy,copy
expect 2 "--boot unknown" "$O" bench sweep --boot mcuboot
expect 2 "extra argument" "$O" bench sweep extra
expect 0 "bench sweep --help" "$O" bench sweep --help
has out "usage: otasim bench sweep"

[ "$fails" = 0 ] && echo "bench: all checks passed"
[ "$fails" = 0 ]
