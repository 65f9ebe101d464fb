#!/bin/sh
# The HTTP update client on a networked device: `otasim device --update-url` connects out
# through libslirp (10.0.2.2 -> 127.0.0.1) to `otasim serve`; v1 gets 200 with basic-v2.bin,
# reboots through the bootloader into v2, whose own check is 304 (no update). Then a device
# the database does not know gets 404 and stays on v1. Args: OTASIM IMAGES_DIR.
set -u
OTASIM=$1
IMAGES=$2
tmp=$(mktemp -d /tmp/otasim-devhttp-XXXXXX)
. "$(dirname "$0")/lib.sh" # cleanup, fail, wait_for FILE TEXT
show='dev* access.log'
cp "$IMAGES/basic-v2.bin" "$tmp/"
echo '{"5C:CF:7F:01:02:0A": {"file": "basic-v2.bin", "version": "2"}}' >"$tmp/devices.json"
"$OTASIM" serve --db "$tmp/devices.json" --root "$tmp" --port 0 --port-file "$tmp/port" \
    --log "$tmp/access.log" >/dev/null 2>&1 &
spid=$!
i=0
while [ ! -s "$tmp/port" ]; do
    i=$((i + 1))
    [ $i -gt 100 ] && fail "otasim serve did not start"
    sleep 0.1
done
url="http://10.0.2.2:$(cat "$tmp/port")/update"

run_device() { # NAME MAC
    "$OTASIM" device --app basic --layout 4m2m --flash "$tmp/$1.flash" --images "$IMAGES" \
        --ports web=-,ota=- --mac "$2" --update-url "$url" >"$tmp/$1" 2>&1 &
    pid=$!
}
stop_device() {
    kill -TERM "$pid"
    wait "$pid" || fail "the device did not stop cleanly"
    pid=
}

run_device dev1 5c:cf:7f:01:02:0a
wait_for "$tmp/dev1" "basic@2: running" || fail "no update to v2 through the HTTP client"
wait_for "$tmp/dev1" "httpupdate: no update" || fail "v2's own check is not 304"
grep -q "httpupdate: update ok, restarting" "$tmp/dev1" || fail "no 'update ok' line"
stop_device

run_device dev2 5c:cf:7f:0f:0f:0f
wait_for "$tmp/dev2" "httpupdate: failed" || fail "an unknown device did not fail"
grep -q "basic@2" "$tmp/dev2" && fail "an unknown device was updated"
stop_device
grep -q "status=404" "$tmp/access.log" || fail "no 404 in the server's access log"
echo "ok: 200 -> v2, then 304; unknown device 404, stays on v1"
