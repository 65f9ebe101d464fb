/* Signed-image trailer and verification on files signed by BearSSL with openssl-made keys. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "signed_image.h"
#include "testlib.h"

Test(sig_trailer, split_of_a_signed_file)
{
    uint8_t file[300] = {0};
    /* payload 40 | signature 256 | 00 01 00 00 */
    file[296] = 0x00;
    file[297] = 0x01;
    sig_trailer_t t;
    cr_assert_eq(sig_trailer_parse_buffer(file, sizeof(file), 256, &t), SIG_TRAILER_OK);
    cr_expect_eq(t.length_field, 256u);
    cr_expect_eq(t.sig_len, 256u);
    cr_expect_eq(t.payload_len, 40u);
    /* Without a key: any plausible length. */
    cr_expect_eq(sig_trailer_parse_buffer(file, sizeof(file), 0, &t), SIG_TRAILER_OK);
    /* A 128-byte key expects another length. */
    cr_expect_eq(sig_trailer_parse_buffer(file, sizeof(file), 128, &t), SIG_TRAILER_ERR_LENGTH);
    cr_expect_eq(t.length_field, 256u);
    /* The signature exactly fills the file: empty payload. */
    cr_expect_eq(sig_trailer_parse_buffer(file + 40, 260, 256, &t), SIG_TRAILER_OK);
    cr_expect_eq(t.payload_len, 0u);
    /* One byte short. */
    cr_expect_eq(sig_trailer_parse_buffer(file + 41, 259, 256, &t), SIG_TRAILER_ERR_OVERSIZE);
    for (size_t n = 0; n < 4; n++) {
        cr_expect_eq(sig_trailer_parse_buffer(file, n, 256, &t), SIG_TRAILER_ERR_SHORT);
    }
}

Test(sig_trailer, unsigned_image_reads_payload_bytes_as_the_length)
{
    /* #8707: an unsigned .bin to a signing device; the "length" is the image's last word. */
    tb_pair_opts_t o;
    tb_pair_defaults(&o);
    o.irom_len = 200;
    o.ram_len = 64;
    size_t len;
    uint8_t *bin = tb_build_pair(&o, &len);
    sig_trailer_t t;
    cr_expect_eq(sig_trailer_parse_buffer(bin, len, 256, &t), SIG_TRAILER_ERR_LENGTH);
    uint32_t last = bin[len - 4] | bin[len - 3] << 8 | bin[len - 2] << 16 |
                    (uint32_t)bin[len - 1] << 24;
    cr_expect_eq(t.length_field, last);
    /* The value of the log, 587202560 = 0x23000000: zero padding, checksum 0x23. */
    uint8_t tail[4] = {0, 0, 0, 0x23};
    cr_expect_eq(sig_trailer_parse(4, tail[0] | tail[1] << 8 | tail[2] << 16 |
                                          (uint32_t)tail[3] << 24,
                                   256, &t),
                 SIG_TRAILER_ERR_LENGTH);
    cr_expect_eq(t.length_field, 587202560u);
    free(bin);
}

static void verify_roundtrip(const char *key_name)
{
    tb_key_t *k = tb_key_load(key_name);
    uint8_t payload[3000];
    for (size_t i = 0; i < sizeof(payload); i++) {
        payload[i] = (uint8_t)(i * 7 + 3);
    }
    size_t len;
    uint8_t *signed_file = tb_sign(k, payload, sizeof(payload), false, &len);
    cr_assert_eq(len, sizeof(payload) + tb_key_modulus_len(k) + 4);
    signed_result_t res;
    cr_expect_eq(signed_image_verify_buffer(signed_file, len, tb_key_public(k), false, &res),
                 SIGNED_OK, "%s", key_name);
    cr_expect_eq(res.trailer.payload_len, sizeof(payload));
    cr_expect_not(res.legacy);
    uint8_t hash[32];
    ref_sha256(payload, sizeof(payload), hash);
    cr_expect_arr_eq(res.hash, hash, 32);
    free(signed_file);
    tb_key_free(k);
}

Test(signed_image, rsa_1024_2048_4096)
{
    verify_roundtrip("rsa1024");
    verify_roundtrip("rsa2048");
    verify_roundtrip("rsa4096");
}

Test(signed_image, legacy_format_only_when_enabled)
{
    tb_key_t *k = tb_key_load("rsa2048");
    uint8_t payload[500];
    memset(payload, 0x5A, sizeof(payload));
    size_t len;
    uint8_t *legacy = tb_sign(k, payload, sizeof(payload), true, &len);
    signed_result_t res;
    cr_expect_eq(signed_image_verify_buffer(legacy, len, tb_key_public(k), false, &res),
                 SIGNED_ERR_SIGNATURE);
    cr_expect_eq(signed_image_verify_buffer(legacy, len, tb_key_public(k), true, &res),
                 SIGNED_OK);
    cr_expect(res.legacy);
    free(legacy);
    /* A new-format signature passes with legacy enabled, and is not reported as legacy. */
    uint8_t *modern = tb_sign(k, payload, sizeof(payload), false, &len);
    cr_expect_eq(signed_image_verify_buffer(modern, len, tb_key_public(k), true, &res), SIGNED_OK);
    cr_expect_not(res.legacy);
    free(modern);
    tb_key_free(k);
}

Test(signed_image, wrong_key_and_no_key)
{
    tb_key_t *k = tb_key_load("rsa2048");
    tb_key_t *other = tb_key_load("other2048");
    uint8_t payload[100] = {1, 2, 3};
    size_t len;
    uint8_t *f = tb_sign(k, payload, sizeof(payload), false, &len);
    signed_result_t res;
    cr_expect_eq(signed_image_verify_buffer(f, len, tb_key_public(other), true, &res),
                 SIGNED_ERR_SIGNATURE);
    cr_expect_eq(signed_image_verify_buffer(f, len, NULL, true, &res), SIGNED_ERR_KEY);
    /* A 4096-bit key expects a 512-byte signature: the trailer is refused. */
    tb_key_t *big = tb_key_load("rsa4096");
    cr_expect_eq(signed_image_verify_buffer(f, len, tb_key_public(big), false, &res),
                 SIGNED_ERR_TRAILER);
    cr_expect_eq(res.trailer_status, SIG_TRAILER_ERR_LENGTH);
    free(f);
    tb_key_free(k);
    tb_key_free(other);
    tb_key_free(big);
}

Test(signed_image, every_single_bit_flip_is_rejected)
{
    /* Each bit of payload, signature and length field of a small signed file. */
    tb_key_t *k = tb_key_load("rsa1024");
    uint8_t payload[64];
    for (size_t i = 0; i < sizeof(payload); i++) {
        payload[i] = (uint8_t)(255 - i);
    }
    size_t len;
    uint8_t *f = tb_sign(k, payload, sizeof(payload), false, &len);
    for (size_t bit = 0; bit < len * 8; bit++) {
        f[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        signed_result_t res;
        cr_expect_neq(signed_image_verify_buffer(f, len, tb_key_public(k), true, &res), SIGNED_OK,
                      "bit %zu", bit);
        f[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    signed_result_t res;
    cr_expect_eq(signed_image_verify_buffer(f, len, tb_key_public(k), false, &res), SIGNED_OK);
    free(f);
    tb_key_free(k);
}

Test(signed_image, scratch_too_small)
{
    tb_key_t *k = tb_key_load("rsa2048");
    uint8_t payload[10] = {0};
    size_t len;
    uint8_t *f = tb_sign(k, payload, sizeof(payload), false, &len);
    mem_reader_t m = {f, (uint32_t)len};
    reader_t r = mem_reader(&m);
    uint8_t scratch[128];
    signed_result_t res;
    cr_expect_eq(signed_image_verify(&r, 0, (uint32_t)len, tb_key_public(k), false, scratch,
                                     sizeof(scratch), &res),
                 SIGNED_ERR_SCRATCH);
    free(f);
    tb_key_free(k);
}

Test(signed_image, status_strings)
{
    for (int s = SIGNED_OK; s <= SIGNED_ERR_SCRATCH; s++) {
        cr_expect_str_neq(signed_status_str((signed_status_t)s), "unknown");
    }
    for (int s = SIG_TRAILER_OK; s <= SIG_TRAILER_ERR_READ; s++) {
        cr_expect_str_neq(sig_trailer_status_str((sig_trailer_status_t)s), "unknown");
    }
}
