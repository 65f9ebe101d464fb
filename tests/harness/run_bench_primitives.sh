#!/bin/sh
# otasim bench primitives in quick mode: it runs, every result matches the libraries', the
# JSON form parses, the seed is printed, and a perturbed result of each kind (hash, CRC,
# inflate, RSA) is reported as a MISMATCH with exit status 1.
set -u
otasim=$1
fail() { echo "FAIL: $*"; exit 1; }
out=$("$otasim" bench primitives --quick --seed 7) || fail "quick run exited $?: $out"
echo "$out"
echo "$out" | grep -q "seed 7" || fail "seed not printed"
echo "$out" | grep -q "bench primitives: all results match" || fail "no final verdict"
for p in md5 sha256 crc32-gzip crc32-mpeg2 inflate rsa1024-verify rsa2048-verify; do
    echo "$out" | grep -q "^$p .* match$" || fail "$p missing or not matching"
done
json=$("$otasim" bench primitives --quick --json --min-time 1) || fail "json run failed"
echo "$json" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["mismatches"]==0 and len(d["results"])==7' ||
    fail "bad JSON: $json"
for p in md5 sha256 crc32-gzip crc32-mpeg2 inflate rsa2048-verify; do
    bad=$("$otasim" bench primitives --quick --min-time 1 --break "$p")
    rc=$?
    [ $rc -eq 1 ] || fail "--break $p: exit $rc, expected 1"
    echo "$bad" | grep -q "^$p .*MISMATCH" || fail "--break $p: no MISMATCH line"
done
"$otasim" bench primitives --size 0 >/dev/null 2>&1 && fail "--size 0 accepted"
echo "PASS"
