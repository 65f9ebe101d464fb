#!/bin/sh
# otasim bench net, small: every path prints its JSON line with the FS area verified, the
# ESP8266 estimate is there, and the run exits 0; with one byte of the read-back flipped
# (OTASIM_BENCH_NET_FLIP, the control of the check) it exits 1. Bad options: exit 2.
# Args: OTASIM.
set -u
OTASIM=$1
tmp=$(mktemp -d /tmp/otasim-bnet-XXXXXX)
. "$(dirname "$0")/lib.sh" # cleanup, fail
show="out err"
"$OTASIM" bench net --size 64k --repeat 1 --seed 3 >"$tmp/out" 2>"$tmp/err" || fail "exit $?"
for p in loopback-tcp loopback-lockstep-1460; do
    grep -q "^{\"bench\":\"net\",\"path\":\"$p\",\"bytes\":65536," "$tmp/out" || fail "no $p line"
done
for p in espota espota-stream web; do
    grep "\"path\":\"$p\"" "$tmp/out" | grep -q '"fs_verified":true' || fail "no verified $p line"
done
grep -q '"path":"esp8266-estimate".*"wifi_tcp_bytes_per_s":625000' "$tmp/out" || fail "no estimate"
grep -q "seed 3" "$tmp/err" || fail "the seed is not printed"
OTASIM_BENCH_NET_FLIP=1 "$OTASIM" bench net --size 64k --repeat 1 --no-espota >"$tmp/out" \
    2>"$tmp/err"
[ $? -eq 1 ] || fail "a flipped read-back byte did not fail the bench"
grep -q "the FS area differs" "$tmp/err" || fail "no message for the flipped byte"
"$OTASIM" bench net --size 0 >"$tmp/out" 2>"$tmp/err"
[ $? -eq 2 ] || fail "--size 0 is not a usage error"
"$OTASIM" bench net --size 3M --layout 4m2m >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "do not fit" "$tmp/err" || fail "3M into 4m2m: no clear error"
"$OTASIM" bench net --layout nosuch >"$tmp/out" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "unknown layout" "$tmp/err" || fail "an unknown layout: no clear error"
echo ok
