#include "signed_image.h"

#include <string.h>

#include "byteorder.h"

sig_trailer_status_t sig_trailer_parse(uint32_t total_len, uint32_t length_field,
                                       uint32_t expected_sig_len, sig_trailer_t *out)
{
    memset(out, 0, sizeof(*out));
    if (total_len < SIG_TRAILER_LEN_FIELD) {
        return SIG_TRAILER_ERR_SHORT;
    }
    out->length_field = length_field;
    if (expected_sig_len != 0 ? length_field != expected_sig_len
                              : (length_field == 0 || length_field > RSA_MAX_MODULUS_BYTES)) {
        return SIG_TRAILER_ERR_LENGTH;
    }
    if (length_field > total_len - SIG_TRAILER_LEN_FIELD) {
        return SIG_TRAILER_ERR_OVERSIZE;
    }
    out->sig_len = length_field;
    out->payload_len = total_len - SIG_TRAILER_LEN_FIELD - length_field;
    return SIG_TRAILER_OK;
}

sig_trailer_status_t sig_trailer_read(const reader_t *r, uint32_t base, uint32_t total_len,
                                      uint32_t expected_sig_len, sig_trailer_t *out)
{
    uint8_t field[SIG_TRAILER_LEN_FIELD];
    if (total_len < SIG_TRAILER_LEN_FIELD) {
        memset(out, 0, sizeof(*out));
        return SIG_TRAILER_ERR_SHORT;
    }
    if (!reader_read(r, base + total_len - SIG_TRAILER_LEN_FIELD, field, sizeof(field))) {
        memset(out, 0, sizeof(*out));
        return SIG_TRAILER_ERR_READ;
    }
    return sig_trailer_parse(total_len, le32_load(field), expected_sig_len, out);
}

sig_trailer_status_t sig_trailer_parse_buffer(const uint8_t *buf, size_t len,
                                              uint32_t expected_sig_len, sig_trailer_t *out)
{
    mem_reader_t m = {buf, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len};
    reader_t r = mem_reader(&m);
    return sig_trailer_read(&r, 0, m.len, expected_sig_len, out);
}

const char *sig_trailer_status_str(sig_trailer_status_t st)
{
    switch (st) {
    case SIG_TRAILER_OK:
        return "ok";
    case SIG_TRAILER_ERR_SHORT:
        return "shorter than the length field";
    case SIG_TRAILER_ERR_LENGTH:
        return "signature length field does not match the key";
    case SIG_TRAILER_ERR_OVERSIZE:
        return "signature longer than the file";
    case SIG_TRAILER_ERR_READ:
        return "read error";
    }
    return "unknown";
}

signed_status_t signed_image_verify(const reader_t *r, uint32_t base, uint32_t total_len,
                                    const rsa_public_key_t *key, bool allow_legacy,
                                    uint8_t *scratch, uint32_t scratch_len, signed_result_t *result)
{
    memset(result, 0, sizeof(*result));
    result->rsa = RSA_ERR_KEY;
    if (key == NULL || key->n_len == 0) {
        return SIGNED_ERR_KEY;
    }
    if (scratch_len < key->n_len || scratch_len < 64u) {
        return SIGNED_ERR_SCRATCH;
    }
    result->trailer_status =
        sig_trailer_read(r, base, total_len, (uint32_t)key->n_len, &result->trailer);
    if (result->trailer_status != SIG_TRAILER_OK) {
        return SIGNED_ERR_TRAILER;
    }

    /* Hash the payload as it is stored. */
    sha256_ctx_t sha;
    sha256_init(&sha);
    uint32_t n = result->trailer.payload_len;
    for (uint32_t off = 0; off < n;) {
        uint32_t chunk = n - off < scratch_len ? n - off : scratch_len;
        if (!reader_read(r, base + off, scratch, chunk)) {
            return SIGNED_ERR_READ;
        }
        sha256_update(&sha, scratch, chunk);
        off += chunk;
    }
    sha256_final(&sha, result->hash);

    if (!reader_read(r, base + n, scratch, result->trailer.sig_len)) {
        return SIGNED_ERR_READ;
    }
    result->rsa = rsa_verify_sha256(key, scratch, result->trailer.sig_len, result->hash, true);
    if (result->rsa != RSA_OK && allow_legacy) {
        rsa_status_t legacy =
            rsa_verify_sha256(key, scratch, result->trailer.sig_len, result->hash, false);
        if (legacy == RSA_OK) {
            result->rsa = RSA_OK;
            result->legacy = true;
        }
    }
    return result->rsa == RSA_OK ? SIGNED_OK : SIGNED_ERR_SIGNATURE;
}

signed_status_t signed_image_verify_buffer(const uint8_t *buf, size_t len,
                                           const rsa_public_key_t *key, bool allow_legacy,
                                           signed_result_t *result)
{
    uint8_t scratch[RSA_MAX_MODULUS_BYTES];
    mem_reader_t m = {buf, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len};
    reader_t r = mem_reader(&m);
    return signed_image_verify(&r, 0, m.len, key, allow_legacy, scratch, sizeof(scratch), result);
}

const char *signed_status_str(signed_status_t st)
{
    switch (st) {
    case SIGNED_OK:
        return "signature ok";
    case SIGNED_ERR_KEY:
        return "no public key";
    case SIGNED_ERR_TRAILER:
        return "bad signature trailer";
    case SIGNED_ERR_READ:
        return "read error";
    case SIGNED_ERR_SIGNATURE:
        return "signature verification failed";
    case SIGNED_ERR_SCRATCH:
        return "scratch buffer too small";
    }
    return "unknown";
}
