/* MD5 and SHA-256: the RFC 1321 suite, the FIPS 180 examples (including one million 'a'), and
 * random inputs hashed in random chunks against BearSSL. */
#include <bearssl.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "md5.h"
#include "sha256.h"
#include "test_rng.h"

static void to_hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static void md5_hex(const char *msg, char out[33])
{
    md5_ctx_t c;
    uint8_t d[16];
    md5_init(&c);
    md5_update(&c, msg, strlen(msg));
    md5_final(&c, d);
    to_hex(d, 16, out);
}

static void sha256_hex(const void *msg, size_t len, char out[65])
{
    sha256_ctx_t c;
    uint8_t d[32];
    sha256_init(&c);
    sha256_update(&c, msg, len);
    sha256_final(&c, d);
    to_hex(d, 32, out);
}

Test(md5, rfc1321_suite)
{
    static const char *const cases[][2] = {
        {"", "d41d8cd98f00b204e9800998ecf8427e"},
        {"a", "0cc175b9c0f1b6a831c399e269772661"},
        {"abc", "900150983cd24fb0d6963f7d28e17f72"},
        {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
        {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
         "d174ab98d277d9f5a5611c2c9f419d9f"},
        {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
         "57edf4a22be3c955ac49da2e2107b67a"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char hex[33];
        md5_hex(cases[i][0], hex);
        cr_assert_str_eq(hex, cases[i][1], "MD5(\"%s\")", cases[i][0]);
    }
}

Test(md5, spec_auth_example)
{
    /* Spec §1.5: passmd5 of "admin" and the nonce of "12345678". */
    char hex[33];
    md5_hex("admin", hex);
    cr_assert_str_eq(hex, "21232f297a57a5a743894a0e4a801fc3");
    md5_hex("12345678", hex);
    cr_assert_str_eq(hex, "25d55ad283aa400af464c76d713c07ad");
}

Test(sha256, fips_examples)
{
    char hex[65];
    sha256_hex("abc", 3, hex);
    cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha256_hex("", 0, hex);
    cr_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *m2 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha256_hex(m2, strlen(m2), hex);
    cr_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *m3 =
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
        "klmnopqrlmnopqrsmnopqrstnopqrstu";
    sha256_hex(m3, strlen(m3), hex);
    cr_assert_str_eq(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

Test(sha256, million_a)
{
    static uint8_t buf[1000];
    memset(buf, 'a', sizeof buf);
    sha256_ctx_t c;
    uint8_t d[32];
    char hex[65];
    sha256_init(&c);
    for (int i = 0; i < 1000; i++)
        sha256_update(&c, buf, sizeof buf);
    sha256_final(&c, d);
    to_hex(d, 32, hex);
    cr_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

Test(md5, million_a)
{
    static uint8_t buf[1000];
    memset(buf, 'a', sizeof buf);
    md5_ctx_t c;
    uint8_t d[16];
    char hex[33];
    md5_init(&c);
    for (int i = 0; i < 1000; i++)
        md5_update(&c, buf, sizeof buf);
    md5_final(&c, d);
    to_hex(d, 16, hex);
    cr_assert_str_eq(hex, "7707d6ae4e027c70eea2a935c2296f21");
}

#define MAX_LEN 4000

Test(md5, random_against_bearssl)
{
    static uint8_t data[MAX_LEN];
    test_rng_t rng = {0x3D5ull};
    for (int iter = 0; iter < 1500; iter++) {
        size_t len = rng_length(&rng, MAX_LEN);
        rng_fill(&rng, data, len);
        md5_ctx_t c;
        md5_init(&c);
        size_t off = 0;
        while (off < len) {
            size_t n = rng_below(&rng, (uint32_t)(len - off) + 1); /* zero-length chunks too */
            md5_update(&c, data + off, n);
            off += n;
        }
        uint8_t got[16], want[16];
        md5_final(&c, got);
        br_md5_context bc;
        br_md5_init(&bc);
        br_md5_update(&bc, data, len);
        br_md5_out(&bc, want);
        cr_assert_arr_eq(got, want, 16, "MD5 iter %d len %zu differs from BearSSL", iter, len);
    }
}

Test(sha256, random_against_bearssl)
{
    static uint8_t data[MAX_LEN];
    test_rng_t rng = {0x5A256ull};
    for (int iter = 0; iter < 1500; iter++) {
        size_t len = rng_length(&rng, MAX_LEN);
        rng_fill(&rng, data, len);
        sha256_ctx_t c;
        sha256_init(&c);
        size_t off = 0;
        while (off < len) {
            size_t n = rng_below(&rng, (uint32_t)(len - off) + 1);
            sha256_update(&c, data + off, n);
            off += n;
        }
        uint8_t got[32], want[32];
        sha256_final(&c, got);
        br_sha256_context bc;
        br_sha256_init(&bc);
        br_sha256_update(&bc, data, len);
        br_sha256_out(&bc, want);
        cr_assert_arr_eq(got, want, 32, "SHA-256 iter %d len %zu differs from BearSSL", iter, len);
    }
}

/* Every length around the padding boundaries (55/56/63/64 bytes and multiples). */
Test(sha256, every_length_to_300)
{
    uint8_t data[300];
    test_rng_t rng = {9};
    rng_fill(&rng, data, sizeof data);
    for (size_t len = 0; len <= sizeof data; len++) {
        uint8_t got[32], want[32], got5[16], want5[16];
        sha256_ctx_t c;
        sha256_init(&c);
        sha256_update(&c, data, len);
        sha256_final(&c, got);
        br_sha256_context bc;
        br_sha256_init(&bc);
        br_sha256_update(&bc, data, len);
        br_sha256_out(&bc, want);
        cr_assert_arr_eq(got, want, 32, "SHA-256 len %zu", len);
        md5_ctx_t m;
        md5_init(&m);
        md5_update(&m, data, len);
        md5_final(&m, got5);
        br_md5_context bm;
        br_md5_init(&bm);
        br_md5_update(&bm, data, len);
        br_md5_out(&bm, want5);
        cr_assert_arr_eq(got5, want5, 16, "MD5 len %zu", len);
    }
}
