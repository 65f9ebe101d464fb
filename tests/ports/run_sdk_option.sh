#!/bin/sh
# -Desp8266_sdk (firmware/ports/esp8266/sdk): configures nested builds of this source tree
# against a stand-in SDK written now (make_fake_sdk.sh) and checks
#   - without the option the summary says the network apps are not built and how to enable;
#   - a tree missing files is refused, each missing file named; a relative path and a build
#     without lx106 are refused with their reason;
#   - with the tree the three apps compile and link against it into ELFs that make valid
#     images (otasim image build/info: descriptor, segment windows, checksums, CRC words),
#     while a bit flipped in such an image is caught (control), and a library lacking a
#     function the glue calls fails the link (control: the glue really links the SDK's libs).
# usage: run_sdk_option.sh MESON SOURCE_ROOT OTASIM IMAGES_DIR
set -u
MESON=$1 SRC=$2 O=$3 IMAGES=$4
T=$(mktemp -d /tmp/otasim-sdk.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
cross="--cross-file $SRC/ci/cross/lx106.ini"
setup() { # DIR OPTS...: meson setup; output in DIR.log, status returned
    d=$1; shift
    nice "$MESON" setup "$d" "$SRC" "$@" >"$d.log" 2>&1
}
expect_log() { grep -q -- "$2" "$1.log" || { fail "$(basename "$1"): no '$2' in the configure output"; tail -5 "$1.log"; }; }

sh "$SRC/tests/ports/make_fake_sdk.sh" "$T/sdk" xtensa-lx106-elf-gcc xtensa-lx106-elf-ar ||
    { echo "FAIL: could not write the stand-in SDK"; exit 1; }

# 1. Absent: configured, and the summary says what is not built and how to enable it.
setup "$T/none" $cross -Dlx106=enabled || fail "configure without the SDK failed"
expect_log "$T/none" "ESP8266 network apps (vendor SDK): not built: no vendor SDK; -Desp8266_sdk=/path/to/ESP8266_NONOS_SDK"

# 2. Incomplete tree: refused, naming every missing file.
cp -r "$T/sdk" "$T/broken"
rm "$T/broken/include/espconn.h" "$T/broken/lib/liblwip.a" "$T/broken/ld/eagle.rom.addr.v6.ld"
if setup "$T/b" $cross -Dlx106=enabled -Desp8266_sdk="$T/broken"; then
    fail "an incomplete SDK tree was accepted"
fi
expect_log "$T/b" "is not an ESP8266 NONOS SDK tree; missing: include/espconn.h, lib/liblwip.a, ld/eagle.rom.addr.v6.ld"
# Relative path, no such directory, no lx106: refused with the reason.
setup "$T/r" $cross -Dlx106=enabled -Desp8266_sdk=sdk && fail "a relative SDK path was accepted"
expect_log "$T/r" "give an absolute path"
setup "$T/n" $cross -Dlx106=enabled -Desp8266_sdk="$T/nothere" && fail "a missing SDK dir was accepted"
expect_log "$T/n" "no such directory"
setup "$T/h" -Dlx106=disabled -Desp8266_sdk="$T/sdk" && fail "the SDK was accepted without lx106"
expect_log "$T/h" "needs the lx106 cross build"

# 3. Present: the summary names the apps; the three ELFs build and link.
if ! setup "$T/full" $cross -Dlx106=enabled -Desp8266_sdk="$T/sdk" -Desp8266_wifi_ssid=lab \
    -Desp8266_update_url=http://192.168.1.2:8266/update.bin; then
    fail "configure with the SDK failed"; tail -20 "$T/full.log"
    exit 1
fi
expect_log "$T/full" "ESP8266 network apps (vendor SDK): espota-sdk, webupdate-sdk, httpupdate-sdk"
apps="espota webupdate httpupdate"
elfs=; for a in $apps; do elfs="$elfs images/$a-sdk-v1.elf"; done
# shellcheck disable=SC2086
nice ninja -C "$T/full" $elfs >"$T/ninja.log" 2>&1 || { fail "the SDK apps did not build:"; grep -E "error|undefined" "$T/ninja.log" | head -20; }
for a in $apps; do
    elf=$T/full/images/$a-sdk-v1.elf
    [ -f "$elf" ] || { fail "$a: no ELF"; continue; }
    "$O" image build --app "$elf" -o "$T/$a.img" >"$T/out" 2>&1 || { fail "$a: image build:"; cat "$T/out"; continue; }
    "$O" image build --boot "$IMAGES/boot-safe-raw.img" --app "$T/$a.img" -o "$T/$a.bin" >"$T/out" 2>&1 ||
        { fail "$a: pair:"; cat "$T/out"; continue; }
    "$O" image info "$T/$a.bin" >"$T/info" 2>&1 || { fail "$a.bin invalid:"; cat "$T/info"; }
    for want in "descriptor: $a@1" "segment 0: 0x40201010 .*irom0" "segment 1: 0x401.*IRAM" \
        "segment 3: 0x3ffe.*DRAM" "checksum: ok (0x" "CRC: .*ok" "boot descriptor: safeboot-raw@1" "valid"; do
        grep -q -- "$want" "$T/info" || { fail "$a.bin: info lacks '$want'"; cat "$T/info"; }
    done
    # The entry is the SDK's call_user_start, in IRAM.
    grep -q "entry 0x401[0-9a-f]*, flash" "$T/info" || fail "$a: entry not in IRAM"
    # Control: one byte of the app's irom0 segment changed is caught.
    cp "$T/$a.bin" "$T/$a.bad"
    printf '\125' | dd of="$T/$a.bad" bs=1 seek=$((0x1000 + 0x200)) conv=notrunc 2>/dev/null
    cmp -s "$T/$a.bin" "$T/$a.bad" && printf '\252' | dd of="$T/$a.bad" bs=1 seek=$((0x1000 + 0x200)) conv=notrunc 2>/dev/null
    "$O" image info "$T/$a.bad" >"$T/info" 2>&1 && fail "$a: a changed byte went unnoticed"
done
# The image targets of the build exist too (built the same way as the basic app's).
for a in $apps; do
    for f in img bin bin.signed; do
        grep -q "images/$a-sdk-v1.$f:" "$T/full/build.ninja" || fail "no target images/$a-sdk-v1.$f"
    done
done

# 4. Control: an SDK whose liblwip lacks espconn_accept fails the web app's link.
WITHOUT=espconn_accept sh "$SRC/tests/ports/make_fake_sdk.sh" "$T/sdk" xtensa-lx106-elf-gcc \
    xtensa-lx106-elf-ar || fail "could not rewrite the stand-in SDK"
rm -f "$T/full/images/webupdate-sdk-v1.elf"
if nice ninja -C "$T/full" images/webupdate-sdk-v1.elf >"$T/ninja.log" 2>&1; then
    fail "the web app linked without espconn_accept in the SDK"
else
    grep -q "undefined reference to .espconn_accept" "$T/ninja.log" || { fail "link failed, not for espconn_accept:"; tail -5 "$T/ninja.log"; }
fi

[ "$fails" = 0 ] && echo "all SDK option checks passed" && exit 0
exit 1
