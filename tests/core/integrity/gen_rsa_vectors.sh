#!/bin/sh
# Makes the openssl side of the RSA tests in OUTDIR: for each key NAME, NAME.pub.pem (SPKI,
# `openssl rsa -pubout`), NAME.rsapub.pem (PKCS#1, -RSAPublicKey_out), NAME.msg (random
# payload), NAME.sig (`openssl dgst -sha256 -sign`), NAME.legacy.sig (`openssl rsautl -sign`
# over the SHA-256 digest, the cores <= 2.5.2 format), NAME.modulus (hex, from openssl) and
# NAME.exponent (decimal, from openssl).
# Usage: gen_rsa_vectors.sh OPENSSL OUTDIR
set -eu
openssl=$1 out=$2
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

gen() { # name bits pubexp
    name=$1 bits=$2 e=$3
    "$openssl" genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:"$bits" \
        -pkeyopt rsa_keygen_pubexp:"$e" -out "$tmp/$name.key" 2>/dev/null
    "$openssl" rsa -in "$tmp/$name.key" -pubout -out "$out/$name.pub.pem" 2>/dev/null
    "$openssl" rsa -in "$tmp/$name.key" -RSAPublicKey_out -out "$out/$name.rsapub.pem" 2>/dev/null
    "$openssl" rand -out "$out/$name.msg" $((1000 + bits))
    "$openssl" dgst -sha256 -sign "$tmp/$name.key" -out "$out/$name.sig" "$out/$name.msg"
    "$openssl" dgst -sha256 -binary -out "$tmp/$name.hash" "$out/$name.msg"
    "$openssl" rsautl -sign -inkey "$tmp/$name.key" -in "$tmp/$name.hash" \
        -out "$out/$name.legacy.sig" 2>/dev/null
    "$openssl" rsa -pubin -in "$out/$name.pub.pem" -modulus -noout | sed 's/^Modulus=//' \
        >"$out/$name.modulus"
    "$openssl" rsa -pubin -in "$out/$name.pub.pem" -text -noout |
        sed -n 's/^Exponent: \([0-9]*\) .*/\1/p' >"$out/$name.exponent"
}

gen rsa1024 1024 65537
gen rsa2048 2048 65537
gen rsa3072 3072 65537
gen rsa4096 4096 65537
gen rsa2048e3 2048 3
gen rsa2048ebig 2048 13835058055282163729 # 0xC000000000000011: a 64-bit odd exponent
gen rsa512 512 65537                      # below the 1024-bit minimum: must be rejected
