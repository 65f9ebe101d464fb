#!/bin/sh
# HTTPS update on a networked device: `otasim device --update-url https://... --ca/--pin`
# against `otasim serve --tls` (certificates from make_tls_certs.sh). The right CA: v1 ->
# v2; a wrong CA or a wrong pin: a clear TLS error on the console, the device stays on v1 and
# its flash file is byte-identical to one a device without an update URL leaves (not one
# write). Bad --ca files and an https URL without trust are usage errors. Args: OTASIM
# IMAGES_DIR MAKE_TLS_CERTS. Also --fingerprint (SHA-1 of the served certificate: v2; of
# another certificate: refused, flash untouched), and otasim serve --tls itself (curl with and
# without the CA; a mismatched key, a port in use and a missing certificate are start-up
# errors); libmicrohttpd's handshake messages go to the access log, not to stderr.
set -u
OTASIM=$1
IMAGES=$2
CERTS=$3
tmp=$(mktemp -d /tmp/otasim-devhttps-XXXXXX)
. "$(dirname "$0")/lib.sh" # cleanup, fail, wait_for FILE TEXT
show='dev* access.log serve.err'
sh "$CERTS" "$tmp/c" || fail "make_tls_certs.sh"
cp "$IMAGES/basic-v2.bin" "$tmp/"
echo '{"5C:CF:7F:01:02:0A": {"file": "basic-v2.bin", "version": "2"}}' >"$tmp/devices.json"
"$OTASIM" serve --db "$tmp/devices.json" --root "$tmp" --port 0 --port-file "$tmp/port" \
    --log "$tmp/access.log" --tls "$tmp/c/good.pem" "$tmp/c/good.key" >/dev/null 2>"$tmp/serve.err" &
spid=$!
i=0
while [ ! -s "$tmp/port" ]; do
    i=$((i + 1))
    [ $i -gt 100 ] && fail "otasim serve --tls did not start"
    sleep 0.1
done
url="https://10.0.2.2:$(cat "$tmp/port")/update"

run_device() { # NAME ARGS...
    name=$1
    shift
    "$OTASIM" device --app basic --layout 4m2m --flash "$tmp/$name.flash" --images "$IMAGES" \
        --ports web=-,ota=- --mac 5c:cf:7f:01:02:0a "$@" >"$tmp/$name" 2>&1 &
    pid=$!
}
stop_device() {
    kill -TERM "$pid"
    wait "$pid" || fail "the device did not stop cleanly"
    pid=
}

# The reference flash: a new device that asks nobody.
run_device devref
wait_for "$tmp/devref" "basic@1: running" || fail "the reference device did not boot"
stop_device

run_device devgood --update-url "$url" --ca "$tmp/c/ca.pem"
wait_for "$tmp/devgood" "basic@2: running" || fail "no update to v2 over HTTPS"
wait_for "$tmp/devgood" "httpupdate: no update" || fail "v2's own HTTPS check is not 304"
stop_device

# SHA-1 fingerprint of the served certificate (setFingerprint): updates too.
fp=$(openssl x509 -noout -fingerprint -sha1 -in "$tmp/c/good.pem" | sed 's/.*=//')
run_device devfp --update-url "$url" --fingerprint "$fp"
wait_for "$tmp/devfp" "basic@2: running" || fail "no update to v2 with --fingerprint"
stop_device
otherfp=$(openssl x509 -noout -fingerprint -sha1 -in "$tmp/c/name.pem" | sed 's/.*=//')

n=0
for bad in "--ca $tmp/c/other-ca.pem|certificate not trusted" \
    "--pin $tmp/c/other.pub|not the pinned key" \
    "--fingerprint $otherfp|certificate not trusted"; do
    opt=${bad%%|*}
    why=${bad#*|}
    n=$((n + 1))
    b=devbad$n # a new console file each time: no stale line from the last round
    run_device $b --update-url "$url" $opt
    wait_for "$tmp/$b" "httpupdate: failed" || fail "$opt: no failure"
    grep "HTTP error: connection failed (TLS: " "$tmp/$b" | grep -q "$why" ||
        fail "$opt: no clear TLS error"
    stop_device
    grep -q "basic@2" "$tmp/$b" && fail "$opt: the device was updated"
    cmp -s "$tmp/$b.flash" "$tmp/devref.flash" || fail "$opt: the flash was written"
    rm -f "$tmp/$b.flash"
done

# Control for the byte comparison: the updated device's flash does differ.
cmp -s "$tmp/devgood.flash" "$tmp/devref.flash" && fail "cmp cannot see an update"

"$OTASIM" device --app basic --layout 4m2m --flash "$tmp/x.flash" --update-url "$url" \
    >"$tmp/use1" 2>&1 && fail "https without --ca/--pin was accepted"
grep -q "needs --ca FILE, --pin FILE or --fingerprint" "$tmp/use1" || fail "no message for https without trust"
"$OTASIM" device --app basic --layout 4m2m --flash "$tmp/x.flash" --update-url "$url" \
    --ca "$tmp/c/good.key" >"$tmp/use2" 2>&1 && fail "a key file as --ca was accepted"
grep -q "no CERTIFICATE block" "$tmp/use2" || fail "no message for a bad --ca file"
# otasim serve --tls itself: a standard client (curl, OpenSSL) gets HTTPS with the CA, and
# refuses the server without it; a key of another certificate and a missing file are clear
# start-up errors.
if command -v curl >/dev/null; then
    p=$(cat "$tmp/port")
    code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$tmp/c/ca.pem" \
        --resolve "10.0.2.2:$p:127.0.0.1" "https://10.0.2.2:$p/update")
    [ "$code" = 403 ] || fail "curl over HTTPS: $code, expected 403 (not the device's User-Agent)"
    curl -s -o /dev/null --cacert "$tmp/c/other-ca.pem" --resolve "10.0.2.2:$p:127.0.0.1" \
        "https://10.0.2.2:$p/update" && fail "curl accepted the server with the wrong CA"
fi
# libmicrohttpd's messages about the refused handshakes above go to the access log with a
# prefix, not to stderr (the control for the empty stderr: the log does hold them).
grep -q "mhd: .*handshake" "$tmp/access.log" || fail "no mhd: line for a refused handshake in the access log"
[ -s "$tmp/serve.err" ] && fail "otasim serve wrote to stderr: $(cat "$tmp/serve.err")"
# Start-up errors stay on stderr, with libmicrohttpd's reason.
"$OTASIM" serve --db "$tmp/devices.json" --root "$tmp" --port "$(cat "$tmp/port")" \
    --tls "$tmp/c/good.pem" "$tmp/c/good.key" >"$tmp/use5.out" 2>"$tmp/use5" && fail "a port in use was accepted"
grep -q "cannot listen on .*: Failed to bind to port .*Address already in use" "$tmp/use5" ||
    fail "no clear message for a port in use: $(cat "$tmp/use5")"
[ -s "$tmp/use5.out" ] && fail "a failed start wrote to standard output (the default log)"
"$OTASIM" serve --db "$tmp/devices.json" --root "$tmp" --port 0 \
    --tls "$tmp/c/good.pem" "$tmp/c/other.key" >"$tmp/use3" 2>&1 && fail "a mismatched key was accepted"
grep -q "bad TLS key/certificate?): .*do not match" "$tmp/use3" || fail "no message for a mismatched key"
"$OTASIM" serve --db "$tmp/devices.json" --root "$tmp" --port 0 \
    --tls "$tmp/c/none.pem" "$tmp/c/good.key" >"$tmp/use4" 2>&1 && fail "a missing cert was accepted"
grep -q "cannot read" "$tmp/use4" || fail "no message for a missing certificate"
echo "ok: right CA -> v2 then 304, fingerprint -> v2; wrong CA / pin / fingerprint: TLS error, flash untouched"
