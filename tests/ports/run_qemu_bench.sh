#!/bin/sh
# Runs the lx106 bench firmware under QEMU (-icount) and checks that every primitive's result
# matched the host's expectation (exit code 3, an "ok" line for each), and that the
# calibration gives a CCOUNT-per-instruction ratio consistent with the icount shift.
# Skips (exit 77) when qemu-system-xtensa is missing.
set -u
qemu=$1 elf=$2
command -v "$qemu" >/dev/null 2>&1 || { echo "SKIP: $qemu missing"; exit 77; }
out=$(timeout 60 "$qemu" -M sim -cpu lx106 -semihosting -nographic -monitor none \
    -icount shift=3 -device loader,file="$elf",cpu-num=0 2>&1)
rc=$?
printf '%s\n' "$out"
[ "$rc" -eq 3 ] || { echo "FAIL: exit code $rc, expected 3" >&2; exit 1; }
for p in md5 sha256 crc32-gzip crc32-mpeg2 inflate rsa2048-verify; do
    printf '%s\n' "$out" | grep -q "^bench $p bytes=[0-9]* ccount=[1-9][0-9]* ok$" ||
        { echo "FAIL: no ok line for $p" >&2; exit 1; }
done
# shift=3: 8 ns per instruction at the sim core's 40 MHz CCOUNT = 0.32 cycles per instruction.
printf '%s\n' "$out" | awk '/^bench calib/ { split($3, a, "="); split($4, b, "=");
    r = b[2] / a[2]; if (r < 0.31 || r > 0.33) { print "FAIL: calibration ratio " r; exit 1 } }' ||
    exit 1
echo "PASS: lx106 bench under QEMU"
