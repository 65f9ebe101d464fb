#!/bin/sh
# The reports (issue 5) as a user makes them:
#  - suite --json/--junit/--html on a small directory with a passing and a failing scenario:
#    the JSON has the schema and the totals the console printed; the JUnit XML parses, has one
#    test case per scenario and one per failing branch, each failure carrying its replay line;
#  - --shard 1/3..3/3 merged with `otasim report merge` equals the unsharded JSON (times
#    aside), and the merged HTML renders;
#  - `otasim report diff`: a report against itself has no regression (exit 0); against the
#    failing run's report a passing base regresses (exit 1, REGRESSION lines with replay ids);
#  - the HTML loads in headless Chromium: the script runs without an error (it marks the body
#    data-ready) and the strips are drawn;
#  - bad input: a truncated JSON names file and line, a wrong schema says what was expected,
#    misuse prints usage and exits 2, shards of different runs are refused.
# Negative controls: the failing scenario must show up as a failure in JUnit, HTML and diff;
# a merge of only two of three shards must not equal the unsharded report.
# usage: run_reports.sh OTASIM SCENARIO_DIR [CHROMIUM]
set -u
O=$1
S=$2
CHROME=${3:-}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

mkdir -p "$T/ok" "$T/bad"
for f in sketch_raw_safe_sweep fs_atomic_safe_sweep md5_mismatch; do cp "$S/$f.scn" "$T/ok/"; done
cp "$T/ok/"*.scn "$T/bad/"
# The failing one: eboot with the safe scenario's expectation (it bricks in the copy).
printf '# eboot bricks in the copy\ndevice layout=1m64 boot=eboot seed=5\nflash app=basic@1\nupdate sketch image=basic@2\ncut phase=copy mode=before,torn\nexpect outcome in {new, old}\n' >"$T/bad/eboot_bricks.scn"

cd "$T" || exit 1
"$O" suite ok --no-progress --json ok.json --junit ok.xml --html ok.html >ok.log 2>&1 ||
    fail "the passing suite failed: $(tail -3 ok.log)"
"$O" suite bad --no-progress --json bad.json --junit bad.xml --html bad.html >bad.log 2>&1 &&
    fail "the failing suite passed"
for f in ok.json ok.xml ok.html bad.json bad.xml bad.html; do [ -s "$f" ] || fail "$f not written"; done

python3 - ok.json ok.xml bad.json bad.xml bad.log <<'E' || fail "JSON/JUnit content (above)"
import json, sys, re, xml.etree.ElementTree as ET
okj, okx, badj, badx, badlog = sys.argv[1:]
bad = 0
def check(c, msg):
    global bad
    if not c:
        print("  " + msg); bad += 1
for jf, xf in ((okj, okx), (badj, badx)):
    d = json.load(open(jf))
    check(d["schema"] == "otasim-report/1", jf + ": schema")
    scns = d["scenarios"]
    check(d["totals"]["scenarios"] == len(scns), jf + ": totals.scenarios")
    check(d["totals"]["passed"] + d["totals"]["failed"] == len(scns), jf + ": passed+failed")
    nfail = sum(1 for s in scns for r in s.get("sweep", {}).get("results", []) if r["failed"])
    for s in scns:
        sw = s.get("sweep")
        if sw:
            check(sw["branches"] == len(sw["results"]), s["path"] + ": branches = results")
            check(len(sw["ops"]) > 0, s["path"] + ": ops recorded")
            check(sum(sw["tally"].values()) == sw["branches"], s["path"] + ": tally sums")
        check(len(s["wear"]) * 4096 == s["device"]["flash_size"], s["path"] + ": wear per sector")
    x = ET.parse(xf).getroot()
    cases = x.findall(".//testcase")
    check(len(cases) == len(scns) + nfail, "%s: %d test cases, expected %d" % (xf, len(cases), len(scns) + nfail))
    failures = x.findall(".//failure")
    check(len(failures) == d["totals"]["failed"] + nfail, xf + ": failures")
    for f in failures:
        if f.get("type"):
            check("otasim replay " in f.get("message"), xf + ": branch failure without replay line")
d = json.load(open(badj))
check(d["totals"]["failed"] == 1, "bad.json: exactly the eboot scenario fails")
m = re.search(r"(\d+) passed, (\d+) failed", open(badlog).read().split("suite ")[-1])
check(m and int(m.group(1)) == d["totals"]["passed"], "bad.json totals = console totals")
sys.exit(1 if bad else 0)
E
grep -q 'otasim replay native:bad/eboot_bricks.scn' bad.html || fail "bad.html lacks the replay lines"
grep -q 'otasim replay' ok.html && fail "ok.html shows failures"

# Shards + merge = unsharded.
for k in 1 2 3; do "$O" suite bad --no-progress --shard $k/3 --json s$k.json >/dev/null 2>&1; done
"$O" report merge -o m.json --html m.html --junit m.xml s1.json s2.json s3.json >merge.log 2>&1 ||
    fail "merge: $(cat merge.log)"
norm='import json,sys
def n(p):
    d=json.load(open(p)); d.pop("seconds",None)
    for s in d["scenarios"]: s.pop("seconds",None)
    return d
sys.exit(0 if n(sys.argv[1])==n(sys.argv[2]) else 1)'
python3 -c "$norm" bad.json m.json || fail "merged shards differ from the unsharded report"
# Negative control: two shards of three are refused (the set would be incomplete).
"$O" report merge -o m2.json s1.json s2.json >m2.log 2>&1 && fail "merge of 2 of 3 shards accepted"
"$O" report merge -o m3.json s1.json s1.json s2.json >m3.log 2>&1 && fail "merge with a shard twice accepted"
"$O" report merge -o m4.json ok.json s1.json >m4.log 2>&1 && fail "merge of different runs accepted"

# Diff.
"$O" report diff bad.json bad.json >d0.log 2>&1 || fail "a report regresses against itself: $(tail -2 d0.log)"
"$O" report diff ok.json ok.json >d1.log 2>&1 || fail "diff ok ok"
# The passing base against the failing run: the new scenario fails (a regression), with its
# branches' replay ids.
"$O" report diff ok.json bad.json >d2.log 2>&1
rc=$?
[ $rc = 1 ] || fail "diff ok -> bad exit $rc, expected 1"
grep -q 'new scenario bad/eboot_bricks.scn: FAIL' d2.log || fail "diff does not name the failing scenario: $(cat d2.log)"
# A branch that newly fails in a scenario both reports have: flip one result of ok.json.
python3 - ok.json flip.json <<'E'
import json, sys
d = json.load(open(sys.argv[1]))
for s in d["scenarios"]:
    if s.get("sweep"):
        r = s["sweep"]["results"][0]; r["failed"] = True; r["outcome"] = "brick"
        s["sweep"]["tally"]["brick"] = s["sweep"]["tally"].get("brick", 0) + 1
        s["passed"] = False
        break
json.dump(d, open(sys.argv[2], "w"))
E
"$O" report diff ok.json flip.json >d3.log 2>&1
[ $? = 1 ] || fail "diff of a newly failing branch exit 0"
grep -q 'REGRESSION .* reproduce\|reproduce: otasim replay' d3.log || fail "diff lacks the replay line: $(cat d3.log)"
"$O" report diff flip.json ok.json >d4.log 2>&1 || fail "fixed branches counted as regressions"
grep -q 'fixed' d4.log || fail "diff does not report the fix"

# Rendering from JSON = the run's own files.
"$O" report html bad.json -o r.html && cmp -s r.html bad.html || fail "report html differs from suite --html"
"$O" report junit bad.json -o r.xml && cmp -s r.xml bad.xml || fail "report junit differs from suite --junit"

# Bad input.
head -c 300 bad.json >trunc.json
"$O" report html trunc.json -o x.html 2>e1; [ $? = 1 ] && grep -q 'trunc.json:1: not a JSON report' e1 ||
    fail "truncated JSON: $(cat e1)"
printf '{"schema":"other/2","scenarios":[]}\n' >schema.json
"$O" report html schema.json -o x.html 2>e2; grep -q 'expected "schema": "otasim-report/1"' e2 || fail "wrong schema: $(cat e2)"
expect2() { "$@" >o 2>e; rc=$?; [ $rc = 2 ] && grep -q usage e || fail "exit $rc, not 2 with usage: $*"; }
expect2 "$O" report
expect2 "$O" report frobnicate
expect2 "$O" report diff bad.json
expect2 "$O" report html bad.json
expect2 "$O" report merge s1.json
expect2 "$O" report merge -o
expect2 "$O" report html --bogus bad.json -o x

# Chromium.
if [ -z "$CHROME" ]; then
    fail "chromium not found (apt-get install chromium): the HTML report test cannot run"
else
    for h in bad.html m.html; do
        timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
            --user-data-dir="$T/chrome" --enable-logging=stderr --v=0 --dump-dom "file://$T/$h" \
            >"$h.dom" 2>"$h.err"
        grep -q 'data-ready="1"' "$h.dom" || fail "$h: the script did not finish (JS error?): $(grep -i console "$h.err" | head -3)"
        grep -qi 'Uncaught' "$h.err" && fail "$h: JS error: $(grep -i uncaught "$h.err" | head -2)"
        n=$(grep -o 'class="cell"' "$h.dom" | wc -l)
        [ "$n" -gt 10 ] || fail "$h: only $n strip cells"
        grep -q 'sweeps, [0-9]* strip cells rendered' "$h.dom" || fail "$h: status line missing"
    done
fi

[ $fails = 0 ] && echo "reports: all checks passed"
exit $((fails > 0))
