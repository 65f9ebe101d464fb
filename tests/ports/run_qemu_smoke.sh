#!/bin/sh
# Runs the lx106 smoke program under QEMU and checks both what it prints and its exit code
# (3 = every check in smoke.c passed; the code comes back through semihosting).
set -u
qemu=$1 elf=$2
out=$(timeout 20 "$qemu" -M sim -cpu lx106 -semihosting -nographic -monitor none \
    -device loader,file="$elf",cpu-num=0 2>&1)
rc=$?
printf '%s\n' "$out"
if [ "$rc" -ne 3 ]; then
    echo "FAIL: expected exit code 3 from the smoke program, got $rc" >&2
    exit 1
fi
case "$out" in
*"otasim lx106 smoke: ok"*) echo "PASS: lx106 smoke under QEMU"; exit 0 ;;
*) echo "FAIL: smoke program did not print its ok line" >&2; exit 1 ;;
esac
