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
. "$HERE/lib.sh" # cleanup, fail, wait_for
show=out
"$OTASIM" device --app basic --layout 4m2m --flash "$tmp/dev.flash" --images "$IMAGES" \
    --password garden --ports web=0,ota=- >"$tmp/out" 2>&1 &
pid=$!
wait_for "$tmp/out" "net: web update server" 30 || fail "the device did not come up"
url=$(sed -n 's|.*web:    \(http://[^ ]*\).*|\1|p' "$tmp/out")
python3 "$HERE/chromium_upload.py" "$url" "$IMAGES/basic-v2.bin" admin:garden >"$tmp/page" 2>&1
rc=$?
cat "$tmp/page"
[ $rc -eq 77 ] && exit 77
[ $rc -eq 0 ] || fail "the browser did not see the success page"
wait_for "$tmp/out" "basic@2: running" 30 || fail "no reboot into v2"
echo "ok: chromium upload -> success page -> basic@2"
