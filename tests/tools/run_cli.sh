#!/bin/sh
# otasim sign / otasim image as a user runs them: good inputs work and validate, every broken
# input or misuse gives a clear message and a non-zero exit (2 for misuse, with usage).
# usage: run_cli.sh OTASIM [LX106_APP_ELF]
set -u
O=$1
APP_ELF=${2:-}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# expect CODE 'what' cmd...: exit code and, for failures, a message on stderr.
expect() {
    code=$1; what=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"; rc=$?
    if [ "$rc" != "$code" ]; then
        fail "$what: exit $rc, expected $code ($*)"; cat "$T/err"; return
    fi
    if [ "$code" != 0 ] && [ ! -s "$T/err" ]; then fail "$what: no message on stderr"; fi
    if [ "$code" = 2 ] && ! grep -q usage "$T/err"; then fail "$what: no usage"; fi
}
expect_msg() { grep -q -- "$1" "$T/err" || { fail "message lacks '$1':"; cat "$T/err"; }; }
expect_out() { grep -q -- "$1" "$T/out" || { fail "output lacks '$1':"; cat "$T/out"; }; }

openssl genrsa -out "$T/private.key" 2048 2>/dev/null
openssl rsa -in "$T/private.key" -outform PEM -pubout -out "$T/public.key" 2>/dev/null
openssl genrsa -out "$T/other.key" 2048 2>/dev/null
openssl rsa -in "$T/other.key" -outform PEM -pubout -out "$T/other.pub" 2>/dev/null

# ---- images from synthesized parts ----
expect 0 "synth app" "$O" image synth --app basic --version 1 --size 30000 -o "$T/a.img"
expect 0 "synth boot" "$O" image synth --boot safeboot -o "$T/b.img"
expect 2 "synth bad boot" "$O" image synth --boot grub -o "$T/x.img"
expect 0 "build pair" "$O" image build --boot "$T/b.img" --app "$T/a.img" --flash-mode qio --flash-size 1M --flash-freq 80 -o "$T/p.bin"
expect 0 "info pair" "$O" image info "$T/p.bin"
expect_out "descriptor: basic@1"; expect_out "boot descriptor: safeboot@1"; expect_out "CRC: .*ok"
expect_out "flash QIO"; expect_out "size 1024K"; expect_out "freq 80 MHz"; expect_out "signed: no"
expect 2 "build bad mode" "$O" image build --boot "$T/b.img" --app "$T/a.img" --flash-mode fast -o "$T/x.bin"
expect 2 "build no out" "$O" image build --boot "$T/b.img"
# bootloader.bin: --pad writes sector 0 as the pair carries it; info accepts 0xAA padding only.
expect 0 "build padded boot" "$O" image build --boot "$T/b.img" --pad -o "$T/bl.bin"
[ "$(stat -c %s "$T/bl.bin")" = 4096 ] || fail "padded bootloader is not 4096 bytes"
expect 0 "build default pair" "$O" image build --boot "$T/b.img" --app "$T/a.img" -o "$T/pd.bin"
head -c 4096 "$T/pd.bin" | cmp -s - "$T/bl.bin" || fail "padded bootloader differs from the pair's sector 0"
expect 0 "info padded boot" "$O" image info "$T/bl.bin"
expect_out "padding: .* 0xAA"; expect_out "boot descriptor: safeboot@1"
cp "$T/bl.bin" "$T/bl-bad.bin"; printf '\377' | dd of="$T/bl-bad.bin" bs=1 seek=4095 conv=notrunc 2>/dev/null
expect 1 "info padding not 0xAA" "$O" image info "$T/bl-bad.bin"; expect_msg "bytes after the end"
expect 2 "pad with app" "$O" image build --boot "$T/b.img" --app "$T/a.img" --pad -o "$T/x.bin"
expect 1 "build missing input" "$O" image build --boot "$T/none.img" -o "$T/x.bin"
expect_msg "none.img"
head -c 100 "$T/a.img" >"$T/trunc.img"
expect 1 "build truncated app" "$O" image build --boot "$T/b.img" --app "$T/trunc.img" -o "$T/x.bin"
expect_msg "trunc.img"
# A bootloader image larger than 4 KiB does not pair.
expect 0 "synth big app" "$O" image synth --app big --version 1 --size 8000 -o "$T/big.img"
expect 1 "build big boot" "$O" image build --boot "$T/big.img" --app "$T/a.img" -o "$T/x.bin"
expect_msg "4096"

# ---- info on broken files ----
cp "$T/p.bin" "$T/badsum.bin"
printf '\001' | dd of="$T/badsum.bin" bs=1 seek=5000 conv=notrunc 2>/dev/null
expect 1 "info corrupted app" "$O" image info "$T/badsum.bin"
expect_msg "invalid"
head -c 9000 "$T/p.bin" >"$T/short.bin"
expect 1 "info truncated" "$O" image info "$T/short.bin"
expect_msg "truncated"
printf 'hello world' >"$T/text.bin"
expect 1 "info not an image" "$O" image info "$T/text.bin"
expect_msg "0xE9"
expect 2 "info no file" "$O" image info
expect 1 "info missing file" "$O" image info "$T/none.bin"

# ---- gzip ----
expect 0 "gzip" "$O" image gzip "$T/p.bin" -o "$T/p.bin.gz"
gzip -t "$T/p.bin.gz" || fail "gzip -t rejects our .gz"
gunzip -c "$T/p.bin.gz" | cmp -s - "$T/p.bin" || fail "gunzip does not give the .bin back"
expect 0 "info gz" "$O" image info "$T/p.bin.gz"
expect_out "gzip:"; expect_out "descriptor: basic@1"
head -c 3000 "$T/p.bin.gz" >"$T/cut.gz"
expect 1 "info truncated gz" "$O" image info "$T/cut.gz"
expect_msg "gzip"

# ---- sign ----
expect 0 "sign" "$O" sign --mode sign --privatekey "$T/private.key" --bin "$T/p.bin" --out "$T/p.bin.signed" --legacy "$T/p.bin.legacy_sig"
expect_msg "Signed binary: $T/p.bin.signed"
# Byte-identical with signing.py's openssl pipeline (PKCS#1 v1.5 is deterministic).
openssl dgst -sha256 -sign "$T/private.key" -out "$T/ref.sig" "$T/p.bin"
size=$(stat -c %s "$T/p.bin")
tail -c +$((size + 1)) "$T/p.bin.signed" | head -c 256 | cmp -s - "$T/ref.sig" || fail "signature differs from openssl dgst -sha256 -sign"
[ "$(tail -c 4 "$T/p.bin.signed" | od -An -tu4 | tr -d ' ')" = 256 ] || fail "length field is not 256"
expect 0 "info signed" "$O" image info --publickey "$T/public.key" "$T/p.bin.signed"
expect_out "signature: verified (PKCS#1"
expect 0 "info legacy" "$O" image info --publickey "$T/public.key" "$T/p.bin.legacy_sig"
expect_out "legacy format"
expect 1 "info signed, other key" "$O" image info --publickey "$T/other.pub" "$T/p.bin.signed"
expect_msg "signature"
cp "$T/p.bin.signed" "$T/flip.signed"
printf '\377' | dd of="$T/flip.signed" bs=1 seek=$((size + 10)) conv=notrunc 2>/dev/null
expect 1 "info corrupted signature" "$O" image info --publickey "$T/public.key" "$T/flip.signed"
expect 0 "sign gz" "$O" sign --mode sign --privatekey "$T/private.key" --bin "$T/p.bin.gz" --out "$T/p.bin.gz.signed"
expect 0 "info gz signed" "$O" image info --publickey "$T/public.key" "$T/p.bin.gz.signed"
expect_out "gzip:"; expect_out "signature: verified"
expect 1 "sign missing key" "$O" sign --mode sign --privatekey "$T/none.key" --bin "$T/p.bin" --out "$T/x"
expect_msg "none.key"
[ -e "$T/x" ] && fail "an output was written after a failure"
expect 1 "sign with a public key" "$O" sign --mode sign --privatekey "$T/public.key" --bin "$T/p.bin" --out "$T/x"
expect_msg "public key"
expect 1 "sign missing bin" "$O" sign --mode sign --privatekey "$T/private.key" --bin "$T/none.bin" --out "$T/x"
expect 1 "sign unwritable out" "$O" sign --mode sign --privatekey "$T/private.key" --bin "$T/p.bin" --out "$T/no/dir/x"
expect 2 "sign no mode" "$O" sign --bin "$T/p.bin"
expect 2 "sign bad mode" "$O" sign --mode sing --bin "$T/p.bin"
expect_msg "sing"
expect 2 "sign missing --out" "$O" sign --mode sign --privatekey "$T/private.key" --bin "$T/p.bin"

# ---- header ----
expect 0 "header" "$O" sign --mode header --publickey "$T/public.key" --out "$T/Updater_Signing.h"
expect 0 "header, new dir" "$O" sign --mode header --publickey "$T/public.key" --out "$T/core/gen/Updater_Signing.h"
cmp -s "$T/core/gen/Updater_Signing.h" "$T/Updater_Signing.h" || fail "header in a new directory differs"
touch -d '2000-01-01' "$T/Updater_Signing.h"
expect 0 "header unchanged" "$O" sign --mode header --publickey "$T/public.key" --out "$T/Updater_Signing.h"
[ "$(stat -c %Y "$T/Updater_Signing.h")" = "$(date -d 2000-01-01 +%s)" ] || fail "unchanged header was rewritten"
grep -q '#define ARDUINO_SIGNING 1' "$T/Updater_Signing.h" || fail "header lacks ARDUINO_SIGNING 1"
n=$(grep -c '^0x' "$T/Updater_Signing.h")
[ "$n" = $(($(stat -c %s "$T/public.key") + 1)) ] || fail "header array has $n bytes, expected the PEM + NUL"
tail -2 "$T/Updater_Signing.h" | head -1 | grep -q '^0x00$' || fail "header array does not end with NUL"
# The header compiles as C and holds the PEM text.
printf '#include "%s"\n#include <stdio.h>\nint main(void){fputs(signing_pubkey, stdout);return 0;}\n' "$T/Updater_Signing.h" >"$T/h.c"
if cc -o "$T/h" "$T/h.c" 2>"$T/cc.err"; then
    "$T/h" | cmp -s - "$T/public.key" || fail "embedded key differs from public.key"
else
    fail "header does not compile"; cat "$T/cc.err"
fi
expect 1 "header unreadable key" "$O" sign --mode header --publickey "$T/none.pub" --out "$T/H2.h"
grep -q '#define ARDUINO_SIGNING 0' "$T/H2.h" || fail "unreadable key: header lacks ARDUINO_SIGNING 0"
expect 1 "header private key" "$O" sign --mode header --publickey "$T/private.key" --out "$T/H3.h"
expect_msg "public key"
expect 2 "header extra option" "$O" sign --mode header --publickey "$T/public.key" --bin "$T/p.bin" --out "$T/H4.h"

# ---- merge ----
expect 0 "merge" "$O" image merge --layout 1m64 --bin "$T/p.bin" -o "$T/flash.bin"
[ "$(stat -c %s "$T/flash.bin")" = 1048576 ] || fail "1m64 flash image is not 1 MiB"
head -c "$size" "$T/flash.bin" | cmp -s - "$T/p.bin" || fail "merged flash does not start with the .bin"
[ "$(tail -c +$((size + 1)) "$T/flash.bin" | tr -d '\377' | wc -c)" = 0 ] || fail "flash not 0xFF after the .bin"
head -c 65536 /dev/urandom >"$T/fs.img"
expect 0 "merge with fs" "$O" image merge --layout 1m64 --bin "$T/p.bin" --fs "$T/fs.img" -o "$T/flash2.bin"
tail -c +$((0xEB000 + 1)) "$T/flash2.bin" | head -c 65536 | cmp -s - "$T/fs.img" || fail "FS image not at 0xEB000"
head -c 70000 /dev/zero >"$T/bigfs.img"
expect 1 "merge fs too big" "$O" image merge --layout 1m64 --bin "$T/p.bin" --fs "$T/bigfs.img" -o "$T/x"
expect_msg "FS area"
expect 1 "merge fs without fs" "$O" image merge --layout 1m --bin "$T/p.bin" --fs "$T/fs.img" -o "$T/x"
expect 2 "merge unknown layout" "$O" image merge --layout 3m --bin "$T/p.bin" -o "$T/x"
expect_msg "4m2m"
expect 1 "merge invalid bin" "$O" image merge --layout 4m --bin "$T/badsum.bin" -o "$T/x"
expect 2 "image no subcommand" "$O" image
expect 2 "image bad subcommand" "$O" image frobnicate

# ---- a real lx106 app ELF (when the cross build exists) ----
if [ -n "$APP_ELF" ]; then
    expect 0 "build app from ELF" "$O" image build --app "$APP_ELF" -o "$T/elf.img"
    expect 0 "pair from ELF" "$O" image build --boot "$T/b.img" --app "$APP_ELF" -o "$T/elf.bin"
    expect 0 "info ELF pair" "$O" image info "$T/elf.bin"
    expect_out "segment 0: 0x40201010 .*irom0"; expect_out "segment 1: 0x401.*IRAM"
    expect_out "segment 3: 0x3ffe.*DRAM"; expect_out "segment 4: 0x3ffe.*DRAM"
    expect_out "descriptor: fixture@3"; expect_out "CRC: .*ok"; expect_out "flash DIO"
    expect 1 "app ELF as bootloader" "$O" image build --boot "$APP_ELF" -o "$T/x"
fi

[ "$fails" = 0 ] && echo "all CLI checks passed" && exit 0
echo "$fails CLI check(s) failed"
exit 1
