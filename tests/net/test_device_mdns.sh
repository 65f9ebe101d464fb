#!/bin/sh
# otasim device --mdns (harness/host_mdns.c): the announcement through avahi-publish. A fake
# avahi-publish (AVAHI_PUBLISH) plays the two cases deterministically: no daemon (a clear
# message, and the device still takes an upload), and a daemon (the service with the device's
# hostname, its espota port and auth TXT record; withdrawn when the device stops). A missing
# program is a message too. The real avahi-publish is tried last when no daemon runs here.
# Args: OTASIM IMAGES_DIR.
set -u
OTASIM=$1
IMAGES=$2
tmp=$(mktemp -d /tmp/otasim-mdns-XXXXXX)
. "$(dirname "$0")/lib.sh" # cleanup, fail, wait_for FILE TEXT
show='out*'
start() { # OUT [extra device args]
    out=$1
    shift
    "$OTASIM" device --app basic --layout 4m2m --flash "$tmp/dev.flash" --images "$IMAGES" \
        --ports web=-,ota=0 --mdns "$@" >"$tmp/$out" 2>&1 &
    pid=$!
    wait_for "$tmp/$out" "net: espota on" || fail "$out: the device did not come up"
}
stop() {
    kill -TERM "$pid"
    wait "$pid"
    rc=$?
    pid=
    [ $rc -eq 0 ] || fail "the device exited with $rc on SIGTERM"
}

# 1. No daemon: avahi-publish's own error, the device runs and takes an update.
cat >"$tmp/nodaemon" <<'SH'
#!/bin/sh
echo "Failed to create client object: Daemon not running"
exit 1
SH
chmod +x "$tmp/nodaemon"
AVAHI_PUBLISH="$tmp/nodaemon" start out1
grep -q "not announced: no Avahi daemon is running" "$tmp/out1" || fail "no clear no-daemon message"
port=$(sed -n 's/.*espota: otasim upload .* -p \([0-9]*\).*/\1/p' "$tmp/out1")
"$OTASIM" upload -i 127.0.0.1 -I 127.0.0.1 -p "$port" -f "$IMAGES/basic-v2.bin" -t 5 \
    >"$tmp/upload" 2>&1 || { cat "$tmp/upload"; fail "no update without Avahi"; }
wait_for "$tmp/out1" "basic@2: running" || fail "no reboot into v2 without Avahi"
stop

# 2. A daemon: the fake records its arguments and lives until it is ended.
cat >"$tmp/daemon" <<SH
#!/bin/sh
echo "\$@" >"$tmp/args"
echo \$\$ >"$tmp/fakepid"
echo "Established under name '\$2'"
exec sleep 60
SH
chmod +x "$tmp/daemon"
AVAHI_PUBLISH="$tmp/daemon" start out2 --password garden
grep -q "mDNS on the host: esp8266-[0-9a-f]*, _arduino._tcp port [0-9]* (Avahi)" "$tmp/out2" ||
    fail "no announcement line"
port=$(sed -n 's/.*espota: otasim upload .* -p \([0-9]*\).*/\1/p' "$tmp/out2")
host=$(sed -n 's/.*mDNS on the host: \(esp8266-[0-9a-f]*\),.*/\1/p' "$tmp/out2")
grep -q -- "-s $host _arduino._tcp $port " "$tmp/args" || fail "wrong service: $(cat "$tmp/args")"
grep -q "auth_upload=yes" "$tmp/args" || fail "no auth_upload=yes: $(cat "$tmp/args")"
grep -q "tcp_check=no" "$tmp/args" || fail "no tcp_check TXT: $(cat "$tmp/args")"
fake=$(cat "$tmp/fakepid")
kill -0 "$fake" 2>/dev/null || fail "the announcement is not running"
stop
sleep 0.2
kill -0 "$fake" 2>/dev/null && fail "the announcement outlived the device"

# 3. No such program: a message, the device runs.
AVAHI_PUBLISH="$tmp/nosuch" start out3
grep -q "not announced: cannot run $tmp/nosuch" "$tmp/out3" || fail "no message for a missing program"
stop

# 4. The real avahi-publish without a daemon (skipped where one runs or it is not installed).
if command -v avahi-publish >/dev/null && ! pgrep -x avahi-daemon >/dev/null; then
    start out4
    grep -q "not announced: no Avahi daemon is running" "$tmp/out4" ||
        fail "the real avahi-publish: no clear message"
    stop
fi
echo "ok"
