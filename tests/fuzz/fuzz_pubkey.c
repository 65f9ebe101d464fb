/* Fuzz target: the RSA public-key parsers (PEM and DER) and verification with whatever key
 * they accept.
 * fuzz-sources: firmware/core/integrity/rsa_verify.c
 *
 * Byte 0 picks PEM or DER and the signature format; the rest is the key, and, when a key is
 * accepted, the bytes after it (repeated) form a signature. Checked: no out-of-bounds access
 * (ASan, the input is an exact-size buffer), a parsed key is within the documented ranges, a
 * rejected key leaves the structure zeroed, and verification returns a defined status. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rsa_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    const uint8_t *in = data + 1;
    size_t len = size - 1;
    rsa_public_key_t key;
    memset(&key, 0xA5, sizeof key);
    rsa_status_t st = (mode & 1) ? rsa_parse_public_key_der(in, len, &key)
                                 : rsa_parse_public_key_pem((const char *)in, len, &key);
    if (st != RSA_OK) {
        if (st != RSA_ERR_KEY)
            abort();
        static const rsa_public_key_t zero;
        if (memcmp(&key, &zero, sizeof key) != 0)
            abort(); /* a rejected key is cleared */
        return 0;
    }
    if (key.n_len < 128 || key.n_len > RSA_MAX_MODULUS_BYTES || key.n[0] == 0 ||
        (key.n[key.n_len - 1] & 1) == 0 || key.e_len < 1 || key.e_len > RSA_MAX_EXPONENT_BYTES ||
        (key.e[key.e_len - 1] & 1) == 0)
        abort();
    /* A signature from the input, made to fit the modulus length. */
    uint8_t sig[RSA_MAX_MODULUS_BYTES], hash[32];
    for (size_t i = 0; i < key.n_len; i++)
        sig[i] = len ? in[(i * 7) % len] : 0;
    for (size_t i = 0; i < 32; i++)
        hash[i] = (uint8_t)(i * 13 + mode);
    rsa_status_t v = rsa_verify_sha256(&key, sig, key.n_len, hash, (mode & 2) != 0);
    if (v != RSA_ERR_SIG_RANGE && v != RSA_ERR_PADDING && v != RSA_ERR_MISMATCH && v != RSA_OK)
        abort();
    if (rsa_verify_sha256(&key, sig, key.n_len - 1, hash, true) != RSA_ERR_SIG_LEN)
        abort();
    return 0;
}
