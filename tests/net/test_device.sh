#!/bin/sh
# otasim device end to end: start a device (a new flash file gets basic v1), update it with
# `otasim upload` over the simulated network, see it reboot into v2, stop it with SIGTERM
# (exit 0), start it again from the same file and see v2 boot. Args: OTASIM IMAGES_DIR.
set -u
OTASIM=$1
IMAGES=$2
tmp=$(mktemp -d /tmp/otasim-device-XXXXXX)
. "$(dirname "$0")/lib.sh" # cleanup, fail, wait_for FILE TEXT
show='out*'
start() {
    "$OTASIM" device --app basic --layout 4m2m --flash "$tmp/dev.flash" --images "$IMAGES" \
        --password garden --ports web=0,ota=0,mdns=0 --mac 02:00:00:00:00:2a >"$tmp/$1" 2>&1 &
    pid=$!
    wait_for "$tmp/$1" "net: espota on" || fail "$1: the device did not come up"
}
stop() {
    kill -TERM "$pid"
    wait "$pid"
    rc=$?
    pid=
    [ $rc -eq 0 ] || fail "the device exited with $rc on SIGTERM"
    grep -q "flash saved" "$tmp/$1" || fail "$1: no 'flash saved' line"
}

start out1
grep -q "basic@1: running" "$tmp/out1" || fail "a new flash does not boot v1"
port=$(sed -n 's/.*espota: otasim upload .* -p \([0-9]*\).*/\1/p' "$tmp/out1")
[ -n "$port" ] || fail "no espota port printed"
"$OTASIM" upload -i 127.0.0.1 -I 127.0.0.1 -p "$port" -a garden -f "$IMAGES/basic-v2.bin" -t 5 \
    >"$tmp/upload" 2>&1 || { cat "$tmp/upload"; fail "otasim upload failed"; }
wait_for "$tmp/out1" "basic@2: running" || fail "no reboot into v2 after the upload"
stop out1

start out2
grep -q "basic@2: running" "$tmp/out2" || fail "restarted from the file, v2 does not boot"
grep -q "basic@1" "$tmp/out2" && fail "v1 booted after the restart"
# mDNS: a legacy unicast query (from a port other than 5353) for PTR _arduino._tcp.local to the
# forwarded port gets the device's service with its TXT records (auth_upload=yes: a password).
mport=$(sed -n 's/.*net: mDNS .* on 127.0.0.1:\([0-9]*\)\/udp.*/\1/p' "$tmp/out2" | head -n 1)
[ -n "$mport" ] || fail "no mDNS port printed"
python3 - "$mport" >"$tmp/mdns" 2>&1 <<'PY' || { cat "$tmp/mdns"; fail "no mDNS answer"; }
import socket, struct, sys
q = struct.pack(">HHHHHH", 0x1234, 0, 1, 0, 0, 0)
for label in (b"_arduino", b"_tcp", b"local"):
    q += bytes([len(label)]) + label
q += b"\0" + struct.pack(">HH", 12, 1)  # PTR, IN
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(q, ("127.0.0.1", int(sys.argv[1])))
a, _ = s.recvfrom(2048)
ident, flags, qd, an = struct.unpack(">HHHH", a[:8])
assert ident == 0x1234 and flags & 0x8000 and an >= 1, (ident, flags, an)
for want in (b"esp8266-", b"_arduino", b"auth_upload=yes", b"tcp_check=no"):
    assert want in a, want
print("mdns ok", len(a), "bytes")
PY
stop out2

# Bad input: a clear error, no crash.
"$OTASIM" device --app nosuch --layout 4m2m --flash "$tmp/x" >"$tmp/bad" 2>&1
[ $? -eq 2 ] && grep -q "unknown app" "$tmp/bad" || fail "unknown app not refused clearly"
echo "ok: upload -> v2, SIGTERM saves, restart boots v2"
