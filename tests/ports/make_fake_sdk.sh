#!/bin/sh
# Writes a stand-in for the ESP8266 NONOS SDK into DIR (include/, lib/, ld/): the headers of
# fake_sdk/include (only the declarations the SDK glue in firmware/ports/esp8266/sdk uses,
# written from the SDK's documented API, not copied from the SDK) and libraries of the empty
# stubs in fake_sdk/stub, built with the lx106 cross compiler, so that the glue compiles and
# links. Nothing of it runs. WITHOUT=sym1,sym2 leaves those stub functions out (a control).
# usage: make_fake_sdk.sh DIR CC AR
set -eu
D=$1 CC=$2 AR=$3
HERE=$(dirname "$0")/fake_sdk
mkdir -p "$D/include" "$D/lib" "$D/ld" "$D/stub"
cp "$HERE"/include/*.h "$D/include/"
# ROM addresses: none of the stubs need one; the file must exist and be a linker script.
echo '/* stand-in: no ROM symbols needed by the stubs */' >"$D/ld/eagle.rom.addr.v6.ld"
# libmain: the SDK's entry (calls the app's hooks as the SDK would) and the system calls;
# liblwip: espconn. The other libraries hold one unused symbol each.
for l in main lwip; do
    cp "$HERE/stub/$l.c" "$D/stub/$l.c"
    for sym in $(echo "${WITHOUT:-}" | tr ',' ' '); do
        grep -v "^[a-zA-Z0-9_ *]* $sym(" "$D/stub/$l.c" >"$D/stub/x.c" && mv "$D/stub/x.c" "$D/stub/$l.c"
    done
done
for l in net80211 wpa pp phy crypto; do
    echo "int fake_sdk_$l;" >"$D/stub/$l.c"
done
for l in main lwip net80211 wpa pp phy crypto; do
    $CC -Os -mlongcalls -I"$D/include" -c "$D/stub/$l.c" -o "$D/stub/$l.o"
    rm -f "$D/lib/lib$l.a"
    $AR rcs "$D/lib/lib$l.a" "$D/stub/$l.o"
done
rm -rf "$D/stub"
