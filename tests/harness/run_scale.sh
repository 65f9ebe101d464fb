#!/bin/sh
# Parallel sweeps, sharding and replay as a user runs them (issue 5):
#  - -j1 and -j2 print the same report (times aside);
#  - the branches of --shard 1/3, 2/3, 3/3 together are exactly the unsharded set, each once;
#  - every failing branch's printed replay line, run as printed, fails with the same outcome;
#  - replay --gdb-print builds the gdb command line; when gdb can trace here, the breakpoint
#    really stops in the recovery boot at the flash op of interest;
#  - misuse (-j 0, --shard 4/3, a bad replay id) prints usage and exits 2.
# Negative controls: two of the three shards must differ from the unsharded set, and a
# passing branch's replay id must pass (replay does not just fail).
# usage: run_scale.sh OTASIM
set -u
O=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

expect2() { "$@" >"$T/o" 2>"$T/e"; rc=$?; [ $rc = 2 ] && grep -q usage "$T/e" || fail "exit $rc, not 2 with usage: $*"; }
expect2 "$O" sweep -j 0 x.scn
expect2 "$O" sweep --shard 4/3 x.scn
expect2 "$O" sweep --shard 1/0 x.scn
expect2 "$O" run --shard 1/2 x.scn
expect2 "$O" replay nonsense
expect2 "$O" replay native:x.scn:notaseed:copy:1:before:zero
expect2 "$O" replay

# A failing sweep (eboot bricks in the copy) with singles and doubles in every phase.
printf '# eboot bricks\ndevice layout=1m64 boot=eboot seed=5\nflash app=basic@1\nupdate sketch image=basic@2\ncut phase=staging,copy at=0..40 mode=before,torn double=20\nexpect outcome in {new, old}\n' >"$T/brick.scn"
norm() { sed 's/([0-9.]* s)//' "$1"; }
"$O" sweep -j1 --max-fail 1000 -v "$T/brick.scn" >"$T/j1" 2>/dev/null
"$O" sweep -j2 --max-fail 1000 -v "$T/brick.scn" >"$T/j2" 2>/dev/null
grep -q 'branches [0-9]' "$T/j1" || fail "no sweep in the -j1 run"
norm "$T/j1" >"$T/n1"; norm "$T/j2" >"$T/n2"
cmp -s "$T/n1" "$T/n2" || { fail "-j1 and -j2 differ"; diff "$T/n1" "$T/n2" | head; }

# A worker that dies (here on purpose, on branch 3, as a crashing resident boot would) is
# replaced and the branch rerun in the caller: the same report as -j1. Control: the caller
# says it reran a branch (so a worker really died).
OTASIM_TEST_WORKER_DIE_AT=3 "$O" sweep -j2 --max-fail 1000 -v "$T/brick.scn" >"$T/jd" 2>"$T/jde"
norm "$T/jd" >"$T/nd"
cmp -s "$T/n1" "$T/nd" || { fail "a dead worker changed the report"; diff "$T/n1" "$T/nd" | head; }
grep -q 'a sweep worker died; 1 branch' "$T/jde" || fail "the worker did not die: $(cat "$T/jde")"

# The branch lines (verbose prints every branch) of the shards vs the unsharded run.
lines() { grep -E '^  (FAIL|ok  ) [a-z]+:' "$1" | awk '{print $2, $3}' | sort; }
lines "$T/j1" >"$T/all"
: >"$T/union"
for k in 1 2 3; do
    "$O" sweep -j2 --shard $k/3 --max-fail 1000 -v "$T/brick.scn" >"$T/s$k" 2>/dev/null
    lines "$T/s$k" >>"$T/union"
done
sort "$T/union" >"$T/u"
[ "$(wc -l <"$T/all")" -gt 20 ] || fail "too few branches to test sharding ($(wc -l <"$T/all"))"
cmp -s "$T/all" "$T/u" || { fail "union of the 3 shards differs from the unsharded set"; diff "$T/all" "$T/u" | head; }
[ "$(sort -u "$T/u" | wc -l)" = "$(wc -l <"$T/u")" ] || fail "a branch ran in two shards"
# Negative control: two of three shards are not the whole set.
{ lines "$T/s1"; lines "$T/s2"; } | sort >"$T/two"
cmp -s "$T/all" "$T/two" && fail "negative control: shards 1+2 of 3 equal the whole set"

# Replay every failure printed (singles and doubles) and compare its outcome.
"$O" sweep -j2 --max-fail 1000 "$T/brick.scn" >"$T/f" 2>/dev/null
grep 'reproduce: otasim replay' "$T/f" | sed 's/.*replay //' >"$T/ids"
grep -E '^  FAIL [a-z]+:' "$T/f" | awk '{print $2, $3}' >"$T/want"
n=$(wc -l <"$T/ids")
[ "$n" -ge 5 ] || fail "only $n failing branches to replay"
: >"$T/got"
while read -r id; do
    "$O" replay "$id" >"$T/r" 2>&1 && fail "replay $id passed"
    grep -E '^  FAIL [a-z]+:' "$T/r" | awk '{print $2, $3}' >>"$T/got"
done <"$T/ids"
cmp -s "$T/want" "$T/got" || { fail "replayed outcomes differ"; diff "$T/want" "$T/got" | head; }
okid=$(grep -E '^  ok   (staging|copy):' "$T/j1" | head -1 | awk '{print $2}')
[ -n "$okid" ] || fail "no passing branch"
"$O" replay "native:$T/brick.scn:5:$okid" >"$T/r" 2>&1 || fail "negative control: passing branch $okid failed on replay"
# The default-cut sweep (native-cut ids) replays too.
"$O" sweep -j2 --cut 'phase=copy at=2..4 mode=before' "$T/brick.scn" >"$T/c" 2>/dev/null
cid=$(grep -m1 'reproduce: otasim replay native-cut:' "$T/c" | sed 's/.*replay //')
[ -n "$cid" ] || fail "no native-cut replay id"
[ -z "$cid" ] || "$O" replay "$cid" >"$T/r" 2>&1 && fail "native-cut replay passed"
grep -q 'branches 1: brick 1' "$T/r" || fail "native-cut replay: not the one bricking branch"

# gdb: the command line; a real stop when gdb can trace here.
id=$(head -1 "$T/ids")
"$O" replay --gdb-print "$id" >"$T/g" || fail "--gdb-print failed"
grep -q "^gdb -q -x SCRIPT --args .*otasim replay --gdb-child $id\$" "$T/g" || { fail "gdb command line"; cat "$T/g"; }
grep -q 'break hdev_gdb_op if (unsigned int)hdev_gdb_last_op == ' "$T/g" || fail "gdb script lacks the op breakpoint"
if command -v gdb >/dev/null 2>&1; then
    sid="native:$T/ok.scn:1:copy:3:before:zero"
    printf '# safe\ndevice layout=1m64 boot=safe seed=1\nflash app=basic@1\nupdate sketch image=basic@2\ncut phase=copy mode=before\nexpect outcome in {new, old}\n' >"$T/ok.scn"
    "$O" replay --gdb-print "$sid" | sed -n '/^-- SCRIPT:/,$p' | tail -n +2 >"$T/x.gdb"
    printf 'print (unsigned int)hdev_gdb_last_op\nkill inferiors 2\nquit\n' >>"$T/x.gdb"
    timeout 60 gdb -q -batch -x "$T/x.gdb" --args "$O" replay --gdb-child "$sid" >"$T/gdb" 2>&1
    if grep -q 'ptrace\|Operation not permitted' "$T/gdb"; then
        echo "gdb cannot trace here: checked the command line only"
    else
        # Breakpoint 2 is the op breakpoint; with or without debug information (release builds
        # have none) the stop names hdev_gdb_op and the op counter reads 0.
        { grep -q 'Breakpoint 2, .*hdev_gdb_op' "$T/gdb" && grep -q '^\$1 = 0$' "$T/gdb"; } ||
            { fail "gdb did not stop at op 0"; tail -20 "$T/gdb"; }
    fi
fi

[ "$fails" -eq 0 ] && echo "scale: all checks passed"
[ "$fails" -eq 0 ]
