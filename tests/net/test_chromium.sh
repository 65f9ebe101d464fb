#!/bin/sh
# A real browser uploads: headless Chromium opens the web update form of an `otasim device`,
# chooses basic-v2.bin, submits, and sees the success page; the device reboots into v2.
# Skips (exit 77) without chromium or python3. Args: OTASIM IMAGES_DIR.
set -u
OTASIM=$1
IMAGES=$2
HERE=$(dirname "$0")
command -v chromium >/dev/null || { echo "SKIP: chromium is not installed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
tmp=$(mktemp -d /tmp/otasim-chromium-XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid"
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    echo "--- device output:"
    cat "$tmp/out"
    exit 1
}
wait_for() {
    i=0
    while ! grep -q "$1" "$tmp/out" 2>/dev/null; do
        i=$((i + 1))
        [ $i -gt 300 ] && return 1
        sleep 0.1
    done
}
"$OTASIM" device --app basic --layout 4m2m --flash "$tmp/dev.flash" --images "$IMAGES" \
    --password garden --ports web=0,ota=- >"$tmp/out" 2>&1 &
pid=$!
wait_for "net: web update server" || fail "the device did not come up"
url=$(sed -n 's|.*web:    \(http://[^ ]*\).*|\1|p' "$tmp/out")
python3 "$HERE/chromium_upload.py" "$url" "$IMAGES/basic-v2.bin" admin:garden >"$tmp/page" 2>&1
rc=$?
cat "$tmp/page"
[ $rc -eq 77 ] && exit 77
[ $rc -eq 0 ] || fail "the browser did not see the success page"
wait_for "basic@2: running" || fail "no reboot into v2"
echo "ok: chromium upload -> success page -> basic@2"
