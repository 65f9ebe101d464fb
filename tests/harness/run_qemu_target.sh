#!/bin/sh
# --target qemu (issue 8): a sweep under QEMU gives the native target's tally (eboot and
# safe-raw), every boot is a real qemu-system-xtensa process (a counting wrapper), what QEMU
# cannot run is an explicit SKIP (exit 77) naming why / what to install, and misuse exits 2.
# usage: run_qemu_target.sh OTASIM SCENARIOS-DIR QEMU
set -u
O=$1
S=$2
Q=$3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
tally() { grep -o 'branches [0-9]*: [^(]*' "$1"; }

# 1. The same sweep on both targets, with the same image bytes on flash (--qemu-images: the
# QEMU build's apps differ in size from the ESP8266 build's): the same branches and outcomes.
"$O" run "$S/sketch_raw_eboot_sweep.scn" --qemu-images --no-progress >"$T/native" 2>&1 || fail "native run"
printf '#!/bin/sh\necho x >>"%s/boots"\nexec "%s" "$@"\n' "$T" "$Q" >"$T/qemu"
chmod +x "$T/qemu"
OTASIM_QEMU_BIN="$T/qemu" "$O" sweep "$S/sketch_raw_eboot_sweep.scn" --target qemu -j 2 \
    --no-progress >"$T/qemu.out" 2>&1 || { fail "qemu sweep"; cat "$T/qemu.out"; }
n=$(tally "$T/native"); q=$(tally "$T/qemu.out")
[ -n "$n" ] && [ "$n" = "$q" ] || fail "tallies differ: native '$n', qemu '$q'"
boots=$(wc -l <"$T/boots" 2>/dev/null || echo 0)
# Each branch that ends in an app (at least 50 here) and the control boot QEMU; brick
# loops may be repeats of a read-only boot (emu/README.md; run_qemu_bench.sh checks them).
[ "$boots" -ge 51 ] || fail "only $boots QEMU processes for 50 app-running branches + the control"
echo "sweep under qemu: $q, $boots QEMU boots"
# ... and on the raw-only safe bootloader (boot=safe-raw: the lx106 build under QEMU, its host
# build on the native target), with the sweep's own expectations (brick=0, old and new seen).
"$O" run "$S/sketch_raw_saferaw_sweep.scn" --qemu-images --no-progress >"$T/native-sr" 2>&1 ||
    fail "native safe-raw"
"$O" sweep "$S/sketch_raw_saferaw_sweep.scn" --target qemu -j 2 --no-progress >"$T/qemu-sr" 2>&1 ||
    { fail "qemu safe-raw sweep"; cat "$T/qemu-sr"; }
n=$(tally "$T/native-sr"); q=$(tally "$T/qemu-sr")
[ -n "$n" ] && [ "$n" = "$q" ] || fail "safe-raw tallies differ: native '$n', qemu '$q'"
echo "safe-raw sweep under qemu: $q"

# 2. Explicit skips, exit 77, with the reason.
"$O" run "$S/sketch_raw_safe_sweep.scn" --target qemu >"$T/safe" 2>&1; rc=$?
[ $rc = 77 ] || fail "safe scenario: exit $rc, expected 77 (skip)"
grep -q "^SKIP .*4 KiB.*safe-raw" "$T/safe" || { fail "safe: no SKIP line"; cat "$T/safe"; }
OTASIM_QEMU_BIN=/nonexistent "$O" run "$S/md5_mismatch.scn" --target qemu >"$T/noq" 2>&1; rc=$?
[ $rc = 77 ] || fail "no qemu: exit $rc, expected 77"
grep -q "apt-get install qemu-system-misc" "$T/noq" || { fail "no qemu: no package"; cat "$T/noq"; }
mkdir "$T/img"
"$O" run "$S/md5_mismatch.scn" --target qemu --images "$T/img" >"$T/nox" 2>&1; rc=$?
[ $rc = 77 ] || fail "no cross build: exit $rc, expected 77"
grep -q "gcc-xtensa-lx106" "$T/nox" || { fail "no cross build: no package"; cat "$T/nox"; }
# ... and the native target never skips them.
"$O" run "$S/md5_mismatch.scn" --images "$T/img" >/dev/null 2>&1; rc=$?
[ $rc = 77 ] && fail "native target skipped"

# 3. Misuse.
"$O" run "$S/md5_mismatch.scn" --target arm >/dev/null 2>"$T/err"; rc=$?
[ $rc = 2 ] || fail "--target arm: exit $rc, expected 2"
grep -q usage "$T/err" || fail "--target arm: no usage"

[ $fails = 0 ] && echo "qemu target: all checks passed"
exit $((fails > 0))
