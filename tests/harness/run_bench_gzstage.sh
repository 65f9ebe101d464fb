#!/bin/sh
# otasim bench gzstage: the three cases run and each ends on v2 with flash holding exactly the
# v2 .bin; the seed is printed; an update that cannot fit (two 600 KB apps on 1m64) is reported
# FAILED with exit status 1 (the verdict can fail); bad options are refused.
set -u
otasim=$1
fail() { echo "FAIL: $*"; exit 1; }
out=$("$otasim" bench gzstage --size 65536 --seed 5) || fail "run exited $?: $out"
echo "$out"
echo "$out" | grep -q "seed 5" || fail "seed not printed"
[ "$(echo "$out" | grep -c ' v2$')" -eq 3 ] || fail "expected 3 cases ending on v2"
bad=$("$otasim" bench gzstage --size 600000 --layout 1m64 2>&1)
rc=$?
[ $rc -eq 1 ] || fail "too big: exit $rc, expected 1: $bad"
echo "$bad" | grep -q "FAILED" || fail "too big: no FAILED row"
"$otasim" bench gzstage --size 0 >/dev/null 2>&1 && fail "--size 0 accepted"
"$otasim" bench gzstage --layout nope >/dev/null 2>&1 && fail "unknown layout accepted"
echo "PASS"
