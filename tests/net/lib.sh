# Shared by the tests/net shell tests: sourced, not run. Source it right after
# `tmp=$(mktemp -d ...)`: it installs the EXIT trap that stops the test's processes and
# removes $tmp, and defines fail and wait_for.

# The processes cleanup stops, when set: a device (pid) and an update server (spid). A script
# that stops one itself clears the variable.
pid=
spid=
# What fail shows after its message: file names or globs under $tmp, e.g. show='out*'. The
# flash files a glob matches are left out (binary). Set it, and change it, as the test goes.
show=

# shellcheck disable=SC2154 # tmp is the sourcing script's
cleanup() {
    for p in $pid $spid; do
        kill "$p" 2>/dev/null && wait "$p"
    done
    rm -rf "$tmp"
}
trap cleanup EXIT

# fail MESSAGE: "FAIL: MESSAGE", then each existing file of $show under a "--- NAME:" line;
# exit 1 (the EXIT trap cleans up).
fail() {
    echo "FAIL: $*"
    set -f # split $show into words here, expand each glob only below, under $tmp
    # shellcheck disable=SC2086
    set -- $show
    set +f
    for g; do
        for f in "$tmp"/$g; do
            case $f in *.flash) continue ;; esac
            [ -f "$f" ] || continue
            echo "--- ${f#"$tmp"/}:"
            cat "$f"
        done
    done
    exit 1
}

# wait_for FILE TEXT [SECONDS]: until TEXT appears in FILE (a device's console, a log), at most
# SECONDS (default 20); status 1 on the timeout.
wait_for() {
    i=0
    while ! grep -q "$2" "$1" 2>/dev/null; do
        i=$((i + 1))
        [ $i -gt $((${3:-20} * 10)) ] && return 1
        sleep 0.1
    done
}
