#!/bin/sh
# `otasim demo`: exit codes, the --out image, and the same output for the same seed.
set -u
otasim=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$otasim" demo --seed 5 --out "$dir/a.bin" >"$dir/a.txt" || fail "demo --seed 5 exited $?"
"$otasim" demo --seed 5 --out "$dir/b.bin" >"$dir/b.txt" || fail "second run exited $?"
"$otasim" demo --seed 6 --out "$dir/c.bin" >"$dir/c.txt" || fail "demo --seed 6 exited $?"
[ "$(stat -c %s "$dir/a.bin")" = 1048576 ] || fail "image is not the 1 MiB chip"
cmp -s "$dir/a.bin" "$dir/b.bin" || fail "same seed, different images"
cmp -s "$dir/a.bin" "$dir/c.bin" && fail "different seeds, same image"
grep -v 'saved to' "$dir/a.txt" >"$dir/a.cut"
grep -v 'saved to' "$dir/b.txt" >"$dir/b.cut"
cmp -s "$dir/a.cut" "$dir/b.cut" || fail "same seed, different output"
grep -q 'op 1 page 0: cut torn at 0x002000' "$dir/a.txt" || fail "torn program not in the log"
grep -q 'op 2 page 0: cut torn at 0x001000' "$dir/a.txt" || fail "torn erase not in the log"
grep -q '0 plan items never fired' "$dir/a.txt" || fail "unfired plan items"
# The image holds what was printed: the first hexdump line of the torn page at 0x002000.
line=$(grep -A1 'torn program' "$dir/a.txt" | grep '002000' | sed 's/^ *002000  //; s/  |.*//')
dump=$(od -An -tx1 -j $((0x2000)) -N16 "$dir/a.bin" | sed 's/^ //')
[ "$line" = "$dump" ] || fail "hexdump '$line' != image '$dump'"

"$otasim" demo --help >"$dir/help.txt" || fail "--help exited $?"
grep -q '^usage: otasim demo' "$dir/help.txt" || fail "--help prints no usage"
for bad in "--bogus" "--seed" "--seed abc" "--seed -1" "--out"; do
    # shellcheck disable=SC2086
    "$otasim" demo $bad >/dev/null 2>"$dir/err.txt"
    rc=$?
    [ $rc = 2 ] || fail "'demo $bad' exited $rc, want 2"
    grep -q 'usage: otasim demo' "$dir/err.txt" || fail "'demo $bad' prints no usage"
done
"$otasim" demo --out "$dir/no/such/dir/x.bin" >/dev/null 2>&1
rc=$?
[ $rc = 1 ] || fail "unwritable --out exited $rc, want 1"
echo "demo: ok"
