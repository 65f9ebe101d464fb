#!/bin/sh
# The garden-valve app under --target qemu (issue 8): scenarios/valve_stream_update.scn passes
# with the valve app's QEMU build (its output reported over the bridge, QB_OUTPUT), and each
# broken variant's QEMU build fails it at the check it breaks (the negative controls, as
# tests/harness/test_expect_valve.c on the native target); the valve events and the failure
# lines are the native target's, with the same images on flash (--qemu-images); the power-cut
# sweep of valve_saferaw_sweep.scn gives the native tally; an app with no QEMU build is still
# an explicit SKIP.
# usage: run_qemu_valve.sh OTASIM SCENARIOS-DIR
set -u
O=$1
S=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
scn=$S/valve_stream_update.scn

"$O" run "$scn" --target qemu --no-progress >"$T/good" 2>&1; rc=$?
[ $rc = 0 ] || { fail "valve under qemu: exit $rc, expected 0 (pass)"; cat "$T/good"; }
grep -q "^PASS " "$T/good" || fail "valve under qemu: no PASS line"
# Its valve events (the console's gpio lines: each change and its flash op) are the native
# target's; a last line that cannot hold makes both runs print their console.
{ cat "$scn"; echo "expect app=valve@9"; } >"$T/show.scn"
"$O" run "$T/show.scn" --target qemu --no-progress 2>&1 | grep '^gpio' >"$T/good.q"
"$O" run "$T/show.scn" --qemu-images --no-progress 2>&1 | grep '^gpio' >"$T/good.n"
grep -q "^gpio5: off (flash ops this boot: 0, app erases: 0)" "$T/good.q" ||
    fail "valve under qemu: the valve did not close before the update's first flash op"
if [ -s "$T/good.q" ] && cmp -s "$T/good.n" "$T/good.q"; then
    echo "valve under qemu: passes, $(grep -c . "$T/good.q") valve events as on native"
else
    fail "valve: the valve events differ from the native target's"
    diff "$T/good.n" "$T/good.q"
fi

# variant, the line of valve_stream_update.scn it must fail at, and the message there.
while read -r v line msg; do
    sed "s/valve@/$v@/g" "$scn" >"$T/$v.scn"
    "$O" run "$T/$v.scn" --target qemu --no-progress >"$T/$v.qemu" 2>&1; rc=$?
    [ $rc = 1 ] || { fail "$v under qemu: exit $rc, expected 1 (fail)"; cat "$T/$v.qemu"; }
    grep -q "control: FAIL line $line: $msg" "$T/$v.qemu" ||
        { fail "$v under qemu: no 'FAIL line $line: $msg'"; cat "$T/$v.qemu"; continue; }
    grep -q "^$v@2: running" "$T/$v.qemu" || fail "$v under qemu: the QEMU build of $v@2 did not run"
    # The same events and failure on the native target, from the same image bytes.
    "$O" run "$T/$v.scn" --qemu-images --no-progress >"$T/$v.native" 2>&1
    grep -E '^gpio|FAIL line' "$T/$v.native" >"$T/$v.n"
    grep -E '^gpio|FAIL line' "$T/$v.qemu" >"$T/$v.q"
    if [ -s "$T/$v.q" ] && cmp -s "$T/$v.n" "$T/$v.q"; then
        echo "$v under qemu: fails at line $line as on native ($(grep -c '^gpio' "$T/$v.q") valve events)"
    else
        fail "$v: the valve events differ from the native target's"
        diff "$T/$v.n" "$T/$v.q"
    fi
done <<'LIST'
valve-late 14 expected the valve closed before the first erase, but it was open
valve-never 14 expected the valve closed before the first erase, but it was open
valve-reopen 15 expected the valve closed, but it is open
LIST

# The power-cut sweep of a valve update (boot=safe-raw): under QEMU the native target's tally
# (same image bytes), every branch's firmware waters again; valve-never fails its control.
sw=$S/valve_saferaw_sweep.scn
tally() { grep -o 'branches [0-9]*: [^(]*' "$1"; }
"$O" sweep "$sw" --target qemu -j 2 --no-progress >"$T/sw.q" 2>&1 || { fail "valve sweep under qemu"; cat "$T/sw.q"; }
"$O" run "$sw" --qemu-images --no-progress >"$T/sw.n" 2>&1 || fail "valve sweep on native"
n=$(tally "$T/sw.n"); q=$(tally "$T/sw.q")
[ -n "$q" ] && [ "$n" = "$q" ] || fail "valve sweep tallies differ: native '$n', qemu '$q'"
echo "valve sweep under qemu: $q (as native)"
sed "s/valve@/valve-never@/g" "$sw" >"$T/sw-never.scn"
"$O" sweep "$T/sw-never.scn" --target qemu -j 2 --no-progress >"$T/swn.q" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "control: FAIL line 10: expected the valve closed before the first erase" "$T/swn.q" ||
    { fail "valve-never sweep under qemu: exit $rc, expected the control to fail at line 10"; cat "$T/swn.q"; }

# An app that still has no QEMU build: an explicit SKIP (exit 77) naming it.
sed "s/valve@/thermostat@/g" "$scn" >"$T/thermostat.scn"
"$O" run "$T/thermostat.scn" --target qemu >"$T/skip" 2>&1; rc=$?
[ $rc = 77 ] || fail "thermostat: exit $rc, expected 77 (skip)"
grep -q "^SKIP .*app thermostat has no QEMU build" "$T/skip" || { fail "thermostat: no SKIP line"; cat "$T/skip"; }

[ $fails = 0 ] && echo "valve under qemu: all checks passed"
exit $((fails > 0))
