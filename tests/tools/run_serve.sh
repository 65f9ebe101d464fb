#!/bin/sh
# otasim serve seen from curl: the example server's 403/404/304/200 decisions (spec §5.6),
# its headers, the body bytes, usage errors and a bad database. Usage: run_serve.sh OTASIM
set -u
otasim=$1
T=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$T"' EXIT
fails=0
check() { # name, then a command that must succeed
    name=$1; shift
    if "$@"; then echo "ok - $name"; else echo "not ok - $name"; fails=$((fails + 1)); fi
}
head -c 30000 /dev/urandom > "$T/app.bin"
printf '{"AA:BB:CC:DD:EE:FF": {"file": "app.bin", "version": "7"}}' > "$T/db.json"
"$otasim" serve --db "$T/db.json" --root "$T" --port 0 --port-file "$T/port" --log "$T/log" \
    > "$T/out" 2>&1 &
pid=$!
for i in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
port=$(cat "$T/port")
url="http://127.0.0.1:$port/update"
H="-H User-Agent:ESP8266-http-Update -H x-ESP8266-mode:sketch -H x-ESP8266-STA-MAC:AA:BB:CC:DD:EE:FF
   -H x-ESP8266-AP-MAC:AA:BB:CC:DD:EE:F0 -H x-ESP8266-free-space:1000000 -H x-ESP8266-sketch-size:300000
   -H x-ESP8266-sketch-md5:0123 -H x-ESP8266-chip-size:4194304 -H x-ESP8266-sdk-version:2.2.2"
code() { curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' "$@"; }
check "wrong User-Agent: 403" [ "$(code -H User-Agent:curl "$url")" = 403 ]
check "403 text" grep -q "only for ESP8266 updater!" "$T/body"
# shellcheck disable=SC2086
check "a missing header: 403" [ "$(code $(echo $H | sed 's/-H x-ESP8266-chip-size:4194304//') "$url")" = 403 ]
# shellcheck disable=SC2086
check "no version: 304" [ "$(code $H "$url")" = 304 ]
# shellcheck disable=SC2086
check "same version: 304" [ "$(code $H -H x-ESP8266-version:7 "$url")" = 304 ]
# shellcheck disable=SC2086
check "newer version: 200" [ "$(code $H -H x-ESP8266-version:6 "$url")" = 200 ]
check "body is the file" cmp -s "$T/body" "$T/app.bin"
md5=$(md5sum "$T/app.bin" | cut -d' ' -f1)
check "x-MD5 of the file" grep -qi "^x-MD5: $md5" "$T/hdr"
check "x-version" grep -qi "^x-version: 7" "$T/hdr"
check "Content-Length" grep -qi "^Content-Length: 30000" "$T/hdr"
# shellcheck disable=SC2086
check "unknown MAC: 404" [ "$(code $(echo $H | sed 's/EE:FF/EE:00/') -H x-ESP8266-version:6 "$url")" = 404 ]
# shellcheck disable=SC2086
check "spiffs without an fs entry: 404" [ "$(code $(echo $H | sed 's/mode:sketch/mode:spiffs/') -H x-ESP8266-version:6 "$url")" = 404 ]
# shellcheck disable=SC2086
check "version mode: 200, no body" [ "$(code $(echo $H | sed 's/mode:sketch/mode:version/') "$url")" = 200 ] && [ ! -s "$T/body" ]
check "access log: one line per request" [ "$(wc -l < "$T/log")" -eq 8 ]
kill $pid; wait $pid; rc=$?; pid=
check "stops cleanly on SIGTERM" [ $rc -eq 0 ]
"$otasim" serve --db "$T/db.json" > /dev/null 2> "$T/err"; rc=$?
check "missing --root: usage, exit 2" [ $rc -eq 2 ] && grep -q "usage: otasim serve" "$T/err"
"$otasim" serve --db "$T/db.json" --root "$T" --fault bogus > /dev/null 2> "$T/err"; rc=$?
check "unknown fault: exit 2" [ $rc -eq 2 ]
printf '{"AA": {"file": 3}}' > "$T/bad.json"
"$otasim" serve --db "$T/bad.json" --root "$T" --port 0 > /dev/null 2> "$T/err"; rc=$?
check "bad database entry: exit 1 with the entry named" [ $rc -eq 1 ] && grep -q 'entry "AA"' "$T/err"
printf '{"AA": ' > "$T/bad.json"
"$otasim" serve --db "$T/bad.json" --root "$T" --port 0 > /dev/null 2> "$T/err"; rc=$?
check "truncated JSON: exit 1" [ $rc -eq 1 ] && grep -q "bad.json" "$T/err"
[ $fails -eq 0 ]
