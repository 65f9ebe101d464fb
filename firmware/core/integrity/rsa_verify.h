/* RSA PKCS#1 v1.5 signature verification (verify only, no allocation) and the public-key
 * parser the firmware uses for its embedded PEM key. Moduli from 1024 to 4096 bits. */
#ifndef OTASIM_RSA_VERIFY_H
#define OTASIM_RSA_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RSA_MAX_MODULUS_BYTES 512 /* 4096 bits */
#define RSA_MAX_EXPONENT_BYTES 8

typedef struct rsa_public_key {
    uint8_t n[RSA_MAX_MODULUS_BYTES]; /* big-endian, no leading zero bytes */
    size_t n_len;                     /* modulus length in bytes: the signature length */
    uint8_t e[RSA_MAX_EXPONENT_BYTES]; /* big-endian */
    size_t e_len;
} rsa_public_key_t;

typedef enum {
    RSA_OK = 0,
    RSA_ERR_KEY = 1,       /* unparseable key, or modulus/exponent size out of range */
    RSA_ERR_SIG_LEN = 2,   /* signature length != modulus length */
    RSA_ERR_SIG_RANGE = 3, /* signature as a number >= modulus */
    RSA_ERR_PADDING = 4,   /* not 00 01 FF..FF 00 (at least 8 FF) + expected payload */
    RSA_ERR_MISMATCH = 5,  /* well-formed, but the hash differs */
} rsa_status_t;

/* Parse a PEM public key: "-----BEGIN PUBLIC KEY-----" (SubjectPublicKeyInfo, as written by
 * `openssl rsa -pubout`) or "-----BEGIN RSA PUBLIC KEY-----" (PKCS#1). `pem` need not be
 * NUL-terminated; `len` bounds every read. */
rsa_status_t rsa_parse_public_key_pem(const char *pem, size_t len, rsa_public_key_t *key);
/* The same from DER bytes (either structure). */
rsa_status_t rsa_parse_public_key_der(const uint8_t *der, size_t len, rsa_public_key_t *key);

/* Verify `sig` over the SHA-256 digest `hash`.
 * with_digest_info = true: EMSA-PKCS1-v1_5 with the SHA-256 DigestInfo (what
 *   `openssl dgst -sha256 -sign` makes; current ESP8266 cores).
 * with_digest_info = false: the legacy format, the raw 32-byte digest with no DigestInfo (what
 *   `openssl rsautl -sign` over the digest makes; cores <= 2.5.2).
 * The final comparison is constant-time. */
rsa_status_t rsa_verify_sha256(const rsa_public_key_t *key, const uint8_t *sig, size_t sig_len,
                               const uint8_t hash[32], bool with_digest_info);

#endif
