#!/bin/sh
# Issue 8, the QEMU benchmarks and hang limit: sized images boot under QEMU, replay ids of a
# --target qemu sweep rerun under QEMU, a hanging app ends as a hang by its instruction budget
# (and a normal boot is not one), the repeat of read-only boots changes no outcome, and the
# two benchmarks pass in their quick form. Every QEMU process is counted by a wrapper.
# usage: run_qemu_bench.sh OTASIM SCENARIOS-DIR QEMU
set -u
O=$1
S=$2
Q=$3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
printf '#!/bin/sh\necho x >>"%s/boots"\nexec "%s" "$@"\n' "$T" "$Q" >"$T/qemu"
chmod +x "$T/qemu"
boots() { if [ -f "$T/boots" ]; then wc -l <"$T/boots"; else echo 0; fi; }
qrun() { rm -f "$T/boots"; OTASIM_QEMU_BIN="$T/qemu" "$O" "$@"; }

# 1. Sized images: a 1 MiB update boots under QEMU, and the size is real (ERROR[4] when it
#    does not fit: not_enough_space.scn, which QEMU used to skip).
cat >"$T/sized.scn" <<'SCN'
device layout=auto-4m boot=eboot seed=1
flash app=basic@1:300k
update sketch image=basic@2:1M
expect app=basic@2
expect console contains "basic@2: running"
SCN
qrun run "$T/sized.scn" --target qemu --no-progress >"$T/sized" 2>&1 || { fail "sized run"; cat "$T/sized"; }
[ "$(boots)" -ge 2 ] || fail "sized: $(boots) QEMU processes"
qrun run "$S/not_enough_space.scn" --target qemu --no-progress >"$T/nes" 2>&1 || { fail "not_enough_space"; cat "$T/nes"; }
grep -q '^PASS' "$T/nes" || fail "not_enough_space did not pass under QEMU"
sed 's/basic@2:1M/basic@2:2M/' "$T/sized.scn" >"$T/big.scn"
"$O" run "$T/big.scn" --target qemu >"$T/big" 2>&1 && fail "a 2M image was accepted"

# 2. Replay ids: the failing branch of a qemu sweep prints a qemu: id; replaying it starts QEMU
#    and fails the same way; the native id of the same branch starts none.
cat >"$T/fail.scn" <<'SCN'
device layout=1m64 boot=eboot seed=1
flash app=basic@1
update sketch image=basic@2
cut phase=copy at=3 mode=before
expect outcome in {new, old}
SCN
qrun sweep "$T/fail.scn" --target qemu --no-progress >"$T/sw" 2>&1 && fail "the failing sweep passed"
id=$(sed -n 's/.*reproduce: otasim replay \(qemu:[^ ]*\).*/\1/p' "$T/sw" | head -n 1)
[ -n "$id" ] || { fail "no qemu: replay id"; cat "$T/sw"; }
qrun replay "$id" >"$T/rp" 2>&1 && fail "replay passed"
grep -q 'copy:3:before:zero *brick' "$T/rp" || { fail "replay: not the same brick"; cat "$T/rp"; }
[ "$(boots)" -ge 1 ] || fail "replay of a qemu id started no QEMU"
nid=$(echo "$id" | sed 's/^qemu:/native:/')
qrun replay "$nid" >"$T/rpn" 2>&1
[ "$(boots)" = 0 ] || fail "a native id started QEMU"
"$O" replay "$id" --gdb >/dev/null 2>&1; [ $? = 2 ] || fail "--gdb on a qemu id: not refused"

# 3. Hang: spin@2 ends as a hang by the instruction budget with the reason; the control: a
#    normal update is not a hang (expect outcome=hang fails on it).
qrun run "$S/hang_new_app_eboot.scn" --target qemu -v --no-progress >"$T/hang" 2>&1 || { fail "hang scenario"; cat "$T/hang"; }
grep -q 'hang: QEMU watchdog, 50 M instructions without a bridge call' "$T/hang" || fail "no budget reason"
#    spin@3 polls with delays (bridge calls feed the watchdog): the virtual-time limit ends it.
sed 's/spin@2/spin@3/g' "$S/hang_new_app_eboot.scn" >"$T/poll.scn"
qrun run "$T/poll.scn" --target qemu -v --no-progress >"$T/poll" 2>&1 || { fail "poll hang"; cat "$T/poll"; }
grep -q 'hang: virtual watchdog, no end after 600' "$T/poll" || fail "poll: no virtual-time reason"
grep -q 'QEMU watchdog' "$T/poll" && fail "poll: ended by the instruction budget"
sed 's/image=spin@2/image=basic@2/' "$S/hang_new_app_eboot.scn" >"$T/nohang.scn"
"$O" run "$T/nohang.scn" --target qemu >"$T/nohang" 2>&1 && fail "a normal boot was a hang"
grep -q 'expected outcome in {hang}, got new' "$T/nohang" || { fail "nohang: why"; cat "$T/nohang"; }

# 4. Repeated read-only boots: the same tally with the repeat off, with fewer QEMU processes
#    (a third of the branches of the eboot sweep: the repeat-off run is the slow part).
SW="$S/sketch_raw_eboot_sweep.scn"
qrun sweep "$SW" --target qemu -j 2 --shard 1/3 --no-progress >"$T/r1" 2>&1; with=$(boots)
rm -f "$T/boots"
OTASIM_QEMU_NO_REPEAT=1 OTASIM_QEMU_BIN="$T/qemu" "$O" sweep "$SW" --target qemu -j 2 \
    --shard 1/3 --no-progress >"$T/r2" 2>&1; without=$(boots)
t1=$(grep -o 'branches [0-9]*: [^(]*' "$T/r1"); t2=$(grep -o 'branches [0-9]*: [^(]*' "$T/r2")
[ -n "$t1" ] && [ "$t1" = "$t2" ] || fail "repeat changes the tally: '$t1' vs '$t2'"
[ "$with" -lt "$without" ] || fail "repeat: $with QEMU processes, $without without"
echo "repeat: $t1 with $with QEMU processes, $without without"

# 5. The benchmarks, quick.
"$O" bench sweep --target qemu --quick -j 2 >"$T/b1" 2>&1 || { fail "bench sweep --target qemu"; cat "$T/b1"; }
grep -q 'tallies: .*: equal' "$T/b1" || fail "bench sweep: tallies"
"$O" bench boot-insns --quick >"$T/b2" 2>&1 || { fail "bench boot-insns"; cat "$T/b2"; }
grep -q '^gzip .*agree' "$T/b2" || fail "bench boot-insns: gzip line"

[ $fails = 0 ] && echo "qemu bench/hang/replay: all checks passed"
exit $((fails > 0))
