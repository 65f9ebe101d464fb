/* Fuzz target: the signature trailer parser and signed-image verification
 * (firmware/core/signed_image.c).
 * fuzz-sources: firmware/core/signed_image.c firmware/core/reader.c
 * fuzz-sources: firmware/core/integrity/sha256.c firmware/core/integrity/rsa_verify.c
 *
 * Input: byte 0 (mode), a u16 LE key length K, K bytes of a DER public key, then the signed file.
 * Checked on every input: no out-of-bounds access (ASan, exact-size buffer); the trailer split
 * of every expected length (any, 1024/2048/4096-bit, the key's) is consistent with the last four
 * bytes and the file length (payload + signature + 4 == length, or the documented error); a
 * reader failing on the length field gives SIG_TRAILER_ERR_READ; with a key, the verifier's
 * payload hash equals a one-shot SHA-256 of the payload, the legacy format is only reported when
 * allowed, and an accepted file stops verifying when one payload byte is changed. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hal.h"
#include "reader.h"
#include "rsa_verify.h"
#include "sha256.h"
#include "signed_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

hal_status_t hal_flash_read(uint32_t addr, void *dst, uint32_t len)
{
    (void)addr;
    (void)dst;
    (void)len;
    abort();
}

static bool never_read(void *ctx, uint32_t offset, void *dst, uint32_t len)
{
    (void)ctx;
    (void)offset;
    (void)dst;
    (void)len;
    return false;
}

static void check_trailer(const uint8_t *in, uint32_t len, uint32_t expected)
{
    sig_trailer_t t;
    sig_trailer_status_t st = sig_trailer_parse_buffer(in, len, expected, &t);
    if (sig_trailer_status_str(st) == NULL)
        abort();
    if (len < 4) {
        if (st != SIG_TRAILER_ERR_SHORT)
            abort();
        return;
    }
    uint32_t field = (uint32_t)in[len - 4] | (uint32_t)in[len - 3] << 8 |
                     (uint32_t)in[len - 2] << 16 | (uint32_t)in[len - 1] << 24;
    bool len_ok = expected ? field == expected : (field >= 1 && field <= RSA_MAX_MODULUS_BYTES);
    sig_trailer_status_t want = !len_ok            ? SIG_TRAILER_ERR_LENGTH
                                : field > len - 4u ? SIG_TRAILER_ERR_OVERSIZE
                                                   : SIG_TRAILER_OK;
    if (st != want || t.length_field != field)
        abort();
    if (st == SIG_TRAILER_OK && (t.sig_len != field || t.payload_len + t.sig_len + 4u != len))
        abort();
    sig_trailer_t t2;
    if (sig_trailer_parse(len, field, expected, &t2) != st || memcmp(&t, &t2, sizeof t) != 0)
        abort();
    reader_t bad = {never_read, NULL};
    if (sig_trailer_read(&bad, 0, len, expected, &t2) != SIG_TRAILER_ERR_READ)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    uint8_t mode = data[0];
    size_t klen = (size_t)data[1] | (size_t)data[2] << 8;
    if (klen > size - 3)
        klen = size - 3;
    const uint8_t *kder = data + 3;
    const uint8_t *in = kder + klen;
    uint32_t len = (uint32_t)(size - 3 - klen);

    static const uint32_t expected[] = {0, 128, 256, 512};
    for (unsigned i = 0; i < sizeof expected / sizeof expected[0]; i++)
        check_trailer(in, len, expected[i]);

    rsa_public_key_t key;
    if (rsa_parse_public_key_der(kder, klen, &key) != RSA_OK)
        return 0;
    check_trailer(in, len, (uint32_t)key.n_len);

    bool allow_legacy = (mode & 1) != 0;
    signed_result_t res;
    signed_status_t st = signed_image_verify_buffer(in, len, &key, allow_legacy, &res);
    if (signed_status_str(st) == NULL || st == SIGNED_ERR_KEY || st == SIGNED_ERR_SCRATCH ||
        st == SIGNED_ERR_READ)
        abort();
    if (st == SIGNED_ERR_TRAILER) {
        if (res.trailer_status == SIG_TRAILER_OK)
            abort();
        return 0;
    }
    if (res.trailer_status != SIG_TRAILER_OK || res.trailer.sig_len != key.n_len)
        abort();
    uint8_t h[SHA256_DIGEST_LEN];
    sha256_ctx_t c;
    sha256_init(&c);
    sha256_update(&c, in, res.trailer.payload_len);
    sha256_final(&c, h);
    if (memcmp(h, res.hash, sizeof h) != 0)
        abort();
    if (res.legacy && (!allow_legacy || st != SIGNED_OK))
        abort();
    if ((st == SIGNED_OK) != (res.rsa == RSA_OK))
        abort();
    if (st == SIGNED_OK && res.trailer.payload_len > 0) {
        uint8_t *copy = malloc(len);
        memcpy(copy, in, len);
        copy[(mode * 131u) % res.trailer.payload_len] ^= (uint8_t)(1u << (mode % 8));
        signed_result_t r2;
        if (signed_image_verify_buffer(copy, len, &key, true, &r2) == SIGNED_OK)
            abort(); /* a changed payload still verifies */
        free(copy);
    }
    return 0;
}
