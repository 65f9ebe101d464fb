#!/bin/sh
# otasim equiv (issue 8): at least 15 scenarios (scenarios/ and tests/emu/equiv/) agree on both
# targets after every step (flash SHA-256, RTC memory, boot outcome), none differs, none of the
# safe-raw ones is skipped; negative
# control: a "QEMU" that ends every boot at once (exit 0x52, nothing run) must DIFFER, naming
# the step, with both consoles.
# usage: run_equiv.sh OTASIM SCENARIOS-DIR EQUIV-DIR
set -u
O=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
agree=0
for d in "$2" "$3"; do
    "$O" equiv "$d" >"$T/out" 2>&1 || { fail "equiv $d exited $?"; grep -A3 DIFFER "$T/out"; }
    grep "^equiv" "$T/out"
    a=$(sed -n 's/^equiv .*: \([0-9]*\) agree, \([0-9]*\) differ.*/\1/p' "$T/out")
    agree=$((agree + ${a:-0}))
    grep -q "^DIFFER" "$T/out" && fail "$d: a scenario differs"
    # boot=safe-raw (and signing=, atomic_fs=, layouts) run on both targets: never skipped.
    grep "^SKIP .*\(saferaw\|signing\|atomic_fs\|layout\)" "$T/out" && fail "$d: a skip that should run"
done
[ "$agree" -ge 15 ] || fail "only $agree scenarios agree (>= 15 needed)"
printf '#!/bin/sh\nexit 82\n' >"$T/fake-qemu" # 82 = 0x52, QB_EXIT_IDLE
chmod +x "$T/fake-qemu"
OTASIM_QEMU_BIN="$T/fake-qemu" "$O" equiv "$3/gzip_md5_eboot.scn" >"$T/neg" 2>&1; rc=$?
[ $rc = 1 ] || fail "negative control: exit $rc, expected 1"
grep -q "^DIFFER .*after the step at line" "$T/neg" || { fail "negative control: no DIFFER"; cat "$T/neg"; }
grep -q "qemu console:" "$T/neg" || fail "negative control: no consoles"
echo "equiv: $agree scenarios agree"
exit $((fails > 0))
