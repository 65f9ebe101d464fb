#!/bin/sh
# otasim run / sweep / suite as a user runs them: misuse prints usage and exits 2, a missing or
# malformed scenario exits 1 naming file:line:column, a failing scenario exits 1 with a
# reproduction line that, run as printed, reproduces the failure; --help exits 0.
# usage: run_cli.sh OTASIM
set -u
O=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect() {
    code=$1; what=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"; rc=$?
    [ "$rc" = "$code" ] || { fail "$what: exit $rc, expected $code ($*)"; cat "$T/out" "$T/err"; }
    if [ "$code" = 2 ] && ! grep -q usage "$T/err"; then fail "$what: no usage on stderr"; fi
}
has() { grep -q -- "$2" "$T/$1" || { fail "$1 lacks '$2'"; cat "$T/$1"; }; }

for c in run sweep suite; do
    expect 2 "$c without arguments" "$O" $c
    expect 2 "$c with an unknown option" "$O" $c --bogus x.scn
    expect 0 "$c --help" "$O" $c --help
    has out "usage: otasim $c"
done
expect 2 "--seed not a number" "$O" run --seed 12x x.scn
expect 2 "--branch on suite" "$O" suite --branch a "$T"
expect 2 "bad --cut" "$O" sweep --cut 'phase=nowhere' x.scn
has err "--cut:1:7: expected"
expect 1 "missing file" "$O" run "$T/none.scn"
has out "cannot"
expect 1 "empty suite dir" "$O" suite "$T"

printf 'device layout=1m64 boot=safe\nflash app=basic@1\nupdate sketch image=basic@2 gzp\n' >"$T/bad.scn"
expect 1 "malformed scenario" "$O" run "$T/bad.scn"
has out "$T/bad.scn:3:29: expected"

printf '# eboot bricks\ndevice layout=1m64 boot=eboot seed=5\nflash app=basic@1\nupdate sketch image=basic@2\ncut phase=copy mode=before\nexpect outcome in {new, old}\n' >"$T/brick.scn"
expect 1 "failing sweep" "$O" run "$T/brick.scn"
has out "seed 5"
repro=$(grep -m1 'reproduce: ' "$T/out" | sed 's/.*reproduce: otasim //')
[ -n "$repro" ] || fail "no reproduce line"
# shellcheck disable=SC2086
expect 1 "the printed reproduction" "$O" $repro
has out "branches 1:"
has out "brick"

# The same scenario passes with the weakness allowed; sweep --cut overrides its cut line.
sed 's/{new, old}/{new, old, brick}/' "$T/brick.scn" >"$T/ok.scn"
expect 0 "passing sweep" "$O" run "$T/ok.scn"
expect 0 "sweep --cut" "$O" sweep --cut 'phase=staging mode=torn' "$T/ok.scn"
has out "branches"
mkdir "$T/suite" && cp "$T/ok.scn" "$T/brick.scn" "$T/suite/"
expect 1 "suite with one failing scenario" "$O" suite "$T/suite"
has out "2 scenarios, 1 passed, 1 failed"

[ "$fails" -eq 0 ] && echo "cli: all checks passed"
[ "$fails" -eq 0 ]
