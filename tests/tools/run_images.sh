#!/bin/sh
# The build's images dir: every file exists and `otasim image info` validates it; versions,
# bootloader names and sizes, segment windows and signatures are what the build promised.
# usage: run_images.sh OTASIM IMAGES_DIR PUBLIC_KEY_OF_SIGNED_FILES
set -u
O=$1 D=$2 PUB=$3
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
info() { "$O" image info ${PUB:+--publickey "$PUB"} "$D/$1" >"$D/.info.out" 2>&1 || { fail "$1 invalid:"; cat "$D/.info.out"; }; }
has() { grep -q -- "$2" "$D/.info.out" || { fail "$1: info lacks '$2'"; cat "$D/.info.out"; }; }

src=$(cat "$D/SOURCE")
[ "$src" = lx106 ] || [ "$src" = synthetic ] || fail "SOURCE is '$src'"
echo "images: $src"
for b in eboot safe safe-raw; do
    f=boot-$b.img
    [ -f "$D/$f" ] || { fail "$f missing"; continue; }
    [ "$(stat -c %s "$D/$f")" -le 4096 ] || fail "$f larger than 4096 bytes"
    info "$f"
    name=$b; [ $b = safe ] && name=safeboot; [ $b = safe-raw ] && name=safeboot-raw
    has "$f" "boot descriptor: $name@1"
    has "$f" "segment 0: 0x4010f"
    has "$f" "checksum: ok"
done
for v in 1 2; do
    s=basic-v$v
    info "$s.img"; has "$s.img" "descriptor: basic@$v"
    has "$s.img" "segment 0: 0x40201010 .*irom0"
    has "$s.img" "segment 1: 0x401.*IRAM"
    has "$s.img" "segment 3: 0x3ffe8.*DRAM"; has "$s.img" "segment 4: 0x3ffe.*DRAM"
    has "$s.img" "checksum: ok"; has "$s.img" "flash DIO (0x02), size 4096K (code 4), freq 40 MHz"
    info "$s.bin"; has "$s.bin" "descriptor: basic@$v"; has "$s.bin" "boot descriptor: safeboot@1"
    has "$s.bin" "CRC: .*ok"; has "$s.bin" "flash DIO"; has "$s.bin" "size 4096K"
    info "$s.bin.gz"; has "$s.bin.gz" "gzip:"; has "$s.bin.gz" "descriptor: basic@$v"
    verified="signature: verified (PKCS#1"; [ -n "$PUB" ] || verified="signature: not checked"
    info "$s.bin.signed"; has "$s.bin.signed" "$verified"
    info "$s.bin.gz.signed"; has "$s.bin.gz.signed" "$verified"
    has "$s.bin.gz.signed" "gzip:"
    gunzip -c "$D/$s.bin.gz" | cmp -s - "$D/$s.bin" || fail "$s.bin.gz is not gzip of $s.bin"
done
cmp -s "$D/basic-v1.bin" "$D/basic-v2.bin" && fail "v1 and v2 are identical"
n=$(stat -c %s "$D/basic-v1.bin")
for lf in 4m2m:4194304 4m1m:4194304 1m64:1048576; do
    f=flash-${lf%%:*}.bin
    [ "$(stat -c %s "$D/$f")" = "${lf#*:}" ] || fail "$f is not ${lf#*:} bytes"
    head -c "$n" "$D/$f" | cmp -s - "$D/basic-v1.bin" || fail "$f does not start with basic-v1.bin"
done
# bootloader.bin: exactly one sector, a bootloader image of the build padded with 0xAA (meson
# picks eboot while the safe one is synthesized: filler would brick a real board).
[ "$(stat -c %s "$D/bootloader.bin")" = 4096 ] || fail "bootloader.bin is not 4096 bytes"
info bootloader.bin; has bootloader.bin "padding: .* 0xAA"
bl=$(grep -o "boot descriptor: [a-z-]*@" "$D/.info.out" | sed 's/.*: //; s/@//')
case $bl in eboot) img=boot-eboot.img ;; safeboot-raw) img=boot-safe-raw.img ;; *) img=; fail "bootloader.bin: not eboot or safeboot-raw ('$bl')" ;; esac
# From the cross build it is the ESP8266 safe bootloader, for real.
[ "$src" != lx106 ] || [ "$bl" = safeboot-raw ] || fail "bootloader.bin is $bl, not safeboot-raw"
[ -z "$img" ] || head -c "$(stat -c %s "$D/$img")" "$D/bootloader.bin" | cmp -s - "$D/$img" \
    || fail "bootloader.bin is not $img padded"
# The vendor-SDK network apps, when the build had -Desp8266_sdk (firmware/ports/esp8266/sdk):
# pairs with bootloader.bin's bootloader, the descriptor, the windows, the CRC words.
for f in "$D"/*-sdk-v1.bin; do
    [ -f "$f" ] || continue
    b=$(basename "$f"); app=${b%-sdk-v1.bin}
    info "$b"; has "$b" "descriptor: $app@1"; has "$b" "boot descriptor: $bl@1"
    has "$b" "segment 0: 0x40201010 .*irom0"; has "$b" "segment 1: 0x401.*IRAM"; has "$b" "CRC: .*ok"
    info "$b.signed"; has "$b.signed" "$verified"
done
# Controls: each check above can fail. A wrong checksum byte, a changed CRC word, a changed
# flash-mode byte are each reported.
n=$(stat -c %s "$D/basic-v1.img")
poke() { cp "$D/$1" "$D/.bad"; printf "$3" | dd of="$D/.bad" bs=1 seek="$2" conv=notrunc 2>/dev/null; }
poke basic-v1.img $((n - 1)) '\377'; cmp -s "$D/.bad" "$D/basic-v1.img" && poke basic-v1.img $((n - 1)) '\000'
"$O" image info "$D/.bad" 2>/dev/null | grep -q "checksum: MISMATCH" || fail "a wrong checksum byte went unreported"
poke basic-v1.bin $((0x1014)) '\001\002'
"$O" image info "$D/.bad" >/dev/null 2>&1 && fail "a changed CRC word went unnoticed"
poke basic-v1.img 2 '\003'
"$O" image info "$D/.bad" 2>/dev/null | grep -q "flash DIO" && fail "a changed flash-mode byte still reads DIO"
rm -f "$D/.info.out" "$D/.bad"
[ "$fails" = 0 ] && echo "all image checks passed" && exit 0
exit 1
