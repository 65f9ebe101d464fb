#!/bin/sh
# Makes a set of HTTPS update certificates in DIR for tests, scenarios and trying it by hand
# (openssl, RSA-2048; made when needed so nothing expires in the repository):
#   ca.pem           the CA the device trusts ("otasim test CA")
#   other-ca.pem     an unrelated CA ("otasim other CA")
#   good.pem/.key    server certificate by ca for 10.0.2.2 (SAN DNS and IP), valid 2 days
#   name.pem         by ca, same key, for updates.example only (wrong host name)
#   forged.pem       for 10.0.2.2, issuer name "otasim test CA" but signed by another key
#   otherca.pem      for 10.0.2.2 by other-ca
#   good.pub         good.key's public key (pin); other.pub: an unrelated key (wrong pin)
set -eu
d=$1
mkdir -p "$d"
cd "$d"
key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }
ca() { # KEY PEM CN
    openssl req -x509 -new -key "$1" -out "$2" -days 30 -subj "/CN=$3" \
        -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign
}
leaf() { # OUT CAKEY CAPEM SAN
    openssl req -new -key good.key -subj "/CN=otasim update server" -out leaf.csr
    printf 'subjectAltName=%s\nbasicConstraints=CA:false\nextendedKeyUsage=serverAuth\n' \
        "$4" >leaf.ext
    openssl x509 -req -in leaf.csr -CA "$3" -CAkey "$2" -set_serial "0x$(openssl rand -hex 8)" \
        -days 2 -extfile leaf.ext -out "$1" 2>/dev/null
}
key ca.key
key other-ca.key
key forger.key
key good.key
key other.key
ca ca.key ca.pem "otasim test CA"
ca other-ca.key other-ca.pem "otasim other CA"
ca forger.key forger-ca.pem "otasim test CA"
leaf good.pem ca.key ca.pem "DNS:10.0.2.2,IP:10.0.2.2"
leaf name.pem ca.key ca.pem "DNS:updates.example"
leaf forged.pem forger.key forger-ca.pem "DNS:10.0.2.2,IP:10.0.2.2"
leaf otherca.pem other-ca.key other-ca.pem "DNS:10.0.2.2,IP:10.0.2.2"
openssl pkey -in good.key -pubout -out good.pub
openssl pkey -in other.key -pubout -out other.pub
rm -f leaf.csr leaf.ext
