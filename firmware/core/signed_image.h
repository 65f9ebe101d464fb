/* Signed images (spec §2.7), as tools/signing.py writes them:
 *
 *   payload (N bytes) | signature (L bytes) | L as u32 little-endian
 *
 * The signature is RSA PKCS#1 v1.5 over SHA-256(payload), with the SHA-256 DigestInfo
 * (`openssl dgst -sha256 -sign`), or, in the legacy format of cores <= 2.5.2, over the raw
 * 32-byte digest (`openssl rsautl -sign`). L is the modulus length (256 for RSA-2048).
 * Everything reads through a reader_t, so the Updater verifies what is in flash, not what it
 * received in RAM. */
#ifndef OTASIM_SIGNED_IMAGE_H
#define OTASIM_SIGNED_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reader.h"
#include "rsa_verify.h"
#include "sha256.h"

#define SIG_TRAILER_LEN_FIELD 4u

typedef enum {
    SIG_TRAILER_OK = 0,
    SIG_TRAILER_ERR_SHORT = 1,    /* fewer than 4 bytes: no length field at all */
    SIG_TRAILER_ERR_LENGTH = 2,   /* the length field is not the expected signature length
                                     (an unsigned image: the field is payload bytes, #8707) */
    SIG_TRAILER_ERR_OVERSIZE = 3, /* L + 4 > total: the signature cannot fit */
    SIG_TRAILER_ERR_READ = 4,     /* the reader failed */
} sig_trailer_status_t;

typedef struct sig_trailer {
    uint32_t length_field; /* the last 4 bytes as u32 LE (0 if there are fewer than 4) */
    uint32_t payload_len;  /* N: also the offset of the signature */
    uint32_t sig_len;      /* L */
} sig_trailer_t;

/* Split `total_len` bytes whose last 4 hold `length_field`. `expected_sig_len` is the key's
 * modulus length; 0 accepts any L from 1 to RSA_MAX_MODULUS_BYTES (for tools without a key). */
sig_trailer_status_t sig_trailer_parse(uint32_t total_len, uint32_t length_field,
                                       uint32_t expected_sig_len, sig_trailer_t *out);
/* The same, reading the length field at base + total_len - 4. */
sig_trailer_status_t sig_trailer_read(const reader_t *r, uint32_t base, uint32_t total_len,
                                      uint32_t expected_sig_len, sig_trailer_t *out);
sig_trailer_status_t sig_trailer_parse_buffer(const uint8_t *buf, size_t len,
                                              uint32_t expected_sig_len, sig_trailer_t *out);
const char *sig_trailer_status_str(sig_trailer_status_t st);

typedef enum {
    SIGNED_OK = 0,
    SIGNED_ERR_KEY = 1,       /* no key */
    SIGNED_ERR_TRAILER = 2,   /* see result.trailer_status */
    SIGNED_ERR_READ = 3,      /* the reader failed while hashing or reading the signature */
    SIGNED_ERR_SIGNATURE = 4, /* RSA verification failed: see result.rsa */
    SIGNED_ERR_SCRATCH = 5,   /* scratch buffer smaller than the signature */
} signed_status_t;

typedef struct signed_result {
    sig_trailer_status_t trailer_status;
    sig_trailer_t trailer;
    rsa_status_t rsa;                /* of the last verification tried */
    bool legacy;                     /* accepted in the legacy format */
    uint8_t hash[SHA256_DIGEST_LEN]; /* SHA-256 of the payload as read */
} signed_result_t;

/* Verify the signed image of `total_len` bytes at `base`. The new format is always accepted;
 * the legacy one only when `allow_legacy`. `scratch` (at least the key's modulus length and
 * 64 bytes) holds read chunks and then the signature. On SIGNED_OK the payload is
 * result.trailer.payload_len bytes. */
signed_status_t signed_image_verify(const reader_t *r, uint32_t base, uint32_t total_len,
                                    const rsa_public_key_t *key, bool allow_legacy,
                                    uint8_t *scratch, uint32_t scratch_len,
                                    signed_result_t *result);
signed_status_t signed_image_verify_buffer(const uint8_t *buf, size_t len,
                                           const rsa_public_key_t *key, bool allow_legacy,
                                           signed_result_t *result);
const char *signed_status_str(signed_status_t st);

#endif
