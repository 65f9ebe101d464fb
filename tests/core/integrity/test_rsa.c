/* RSA PKCS#1 v1.5 verification and public-key parsing.
 * - openssl: keys (1024/2048/3072/4096 bits, e = 3, a 64-bit e, a too-small 512-bit key) and
 *   signatures made at build time by the openssl CLI (gen_rsa_vectors.sh): `dgst -sha256 -sign`
 *   and legacy `rsautl -sign`; both PEM forms; every single-bit flip of a signature.
 * - BearSSL: keys generated in-process from a seeded DRBG, >= 1,000 random signatures made by
 *   br_rsa_i31_pkcs1_sign (both formats) and hand-built encodings signed with the raw private
 *   operation, each checked against BearSSL's own verifier.
 * - Malformed keys: truncations, bit flips, and one crafted defect at a time. */
#include <bearssl.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsa_verify.h"
#include "sha256.h"
#include "test_files.h"
#include "test_rng.h"

static const char *vectors_dir(void)
{
    const char *d = getenv("RSA_VECTORS_DIR");
    cr_assert_not_null(d, "RSA_VECTORS_DIR is not set (run through meson test)");
    return d;
}

static uint8_t *vector(const char *key, const char *suffix, size_t *len)
{
    char name[128];
    snprintf(name, sizeof name, "%s.%s", key, suffix);
    return read_test_file(vectors_dir(), name, len);
}

static void sha256_of(const uint8_t *d, size_t n, uint8_t out[32])
{
    br_sha256_context c;
    br_sha256_init(&c);
    br_sha256_update(&c, d, n);
    br_sha256_out(&c, out);
}

static void load_pem_key(const char *name, const char *suffix, rsa_public_key_t *key)
{
    size_t len;
    uint8_t *pem = vector(name, suffix, &len);
    rsa_status_t st = rsa_parse_public_key_pem((const char *)pem, len, key);
    cr_assert_eq(st, RSA_OK, "%s.%s: parse status %d", name, suffix, st);
    free(pem);
}

static const char *const good_keys[] = {"rsa1024", "rsa2048",   "rsa3072",
                                        "rsa4096", "rsa2048e3", "rsa2048ebig"};
#define N_GOOD_KEYS (sizeof good_keys / sizeof good_keys[0])

Test(rsa_openssl, keys_parse_like_openssl)
{
    for (size_t k = 0; k < N_GOOD_KEYS; k++) {
        rsa_public_key_t spki, pkcs1;
        load_pem_key(good_keys[k], "pub.pem", &spki);
        load_pem_key(good_keys[k], "rsapub.pem", &pkcs1);
        cr_assert_eq(spki.n_len, pkcs1.n_len);
        cr_assert_arr_eq(spki.n, pkcs1.n, spki.n_len);
        cr_assert_eq(spki.e_len, pkcs1.e_len);
        cr_assert_arr_eq(spki.e, pkcs1.e, spki.e_len);
        /* Modulus and exponent as openssl prints them. */
        size_t hlen, elen;
        char *hex = (char *)vector(good_keys[k], "modulus", &hlen);
        while (hlen > 0 && (hex[hlen - 1] == '\n' || hex[hlen - 1] == '\r'))
            hlen--;
        cr_assert_eq(hlen, 2 * spki.n_len, "%s: modulus length", good_keys[k]);
        for (size_t i = 0; i < spki.n_len; i++) {
            unsigned byte;
            char two[3] = {hex[2 * i], hex[2 * i + 1], 0};
            cr_assert_eq(sscanf(two, "%x", &byte), 1);
            cr_assert_eq(spki.n[i], byte, "%s: modulus byte %zu", good_keys[k], i);
        }
        char *etext = (char *)vector(good_keys[k], "exponent", &elen);
        char ebuf[32] = {0};
        memcpy(ebuf, etext, elen < 31 ? elen : 31);
        unsigned long long want_e = strtoull(ebuf, NULL, 10), got_e = 0;
        for (size_t i = 0; i < spki.e_len; i++)
            got_e = (got_e << 8) | spki.e[i];
        cr_assert_eq(got_e, want_e, "%s: exponent", good_keys[k]);
        free(hex);
        free(etext);
    }
}

Test(rsa_openssl, small_key_rejected)
{
    size_t len;
    rsa_public_key_t key;
    uint8_t *pem = vector("rsa512", "pub.pem", &len);
    cr_assert_eq(rsa_parse_public_key_pem((const char *)pem, len, &key), RSA_ERR_KEY);
    free(pem);
    pem = vector("rsa512", "rsapub.pem", &len);
    cr_assert_eq(rsa_parse_public_key_pem((const char *)pem, len, &key), RSA_ERR_KEY);
    free(pem);
}

Test(rsa_openssl, signatures_verify_in_their_format_only)
{
    for (size_t k = 0; k < N_GOOD_KEYS; k++) {
        const char *name = good_keys[k];
        rsa_public_key_t key;
        load_pem_key(name, "pub.pem", &key);
        size_t mlen, slen, llen;
        uint8_t *msg = vector(name, "msg", &mlen);
        uint8_t *sig = vector(name, "sig", &slen);
        uint8_t *legacy = vector(name, "legacy.sig", &llen);
        uint8_t hash[32];
        sha256_of(msg, mlen, hash);
        cr_assert_eq(rsa_verify_sha256(&key, sig, slen, hash, true), RSA_OK, "%s dgst", name);
        cr_assert_eq(rsa_verify_sha256(&key, legacy, llen, hash, false), RSA_OK, "%s legacy", name);
        /* Each format is rejected where the other is expected. */
        cr_assert_eq(rsa_verify_sha256(&key, sig, slen, hash, false), RSA_ERR_PADDING);
        cr_assert_eq(rsa_verify_sha256(&key, legacy, llen, hash, true), RSA_ERR_PADDING);
        /* Another message. */
        hash[7] ^= 0x10;
        cr_assert_eq(rsa_verify_sha256(&key, sig, slen, hash, true), RSA_ERR_MISMATCH);
        cr_assert_eq(rsa_verify_sha256(&key, legacy, llen, hash, false), RSA_ERR_MISMATCH);
        /* Our own SHA-256 of the message gives the same answer. */
        sha256_ctx_t c;
        sha256_init(&c);
        sha256_update(&c, msg, mlen);
        sha256_final(&c, hash);
        cr_assert_eq(rsa_verify_sha256(&key, sig, slen, hash, true), RSA_OK);
        free(msg);
        free(sig);
        free(legacy);
    }
}

/* Flip every bit (or, for the slow large keys, `stride`-spaced bits) of both signatures. */
static void flip_all_bits(const char *name, size_t stride)
{
    rsa_public_key_t key;
    load_pem_key(name, "rsapub.pem", &key);
    size_t mlen, slen, llen;
    uint8_t *msg = vector(name, "msg", &mlen);
    uint8_t *sig = vector(name, "sig", &slen);
    uint8_t *legacy = vector(name, "legacy.sig", &llen);
    uint8_t hash[32];
    sha256_of(msg, mlen, hash);
    for (size_t bit = 0; bit < 8 * slen; bit += stride) {
        sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        legacy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        cr_assert_neq(rsa_verify_sha256(&key, sig, slen, hash, true), RSA_OK, "%s bit %zu", name,
                      bit);
        cr_assert_neq(rsa_verify_sha256(&key, legacy, llen, hash, false), RSA_OK,
                      "%s legacy bit %zu", name, bit);
        sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        legacy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    cr_assert_eq(rsa_verify_sha256(&key, sig, slen, hash, true), RSA_OK);
    free(msg);
    free(sig);
    free(legacy);
}

Test(rsa_openssl, every_bit_flip_rejected_1024)
{
    flip_all_bits("rsa1024", 1);
}

Test(rsa_openssl, every_bit_flip_rejected_2048, .timeout = 120)
{
    flip_all_bits("rsa2048", 1);
    flip_all_bits("rsa2048e3", 1);
}

Test(rsa_openssl, bit_flips_rejected_large_keys, .timeout = 120)
{
    flip_all_bits("rsa3072", 13);
    flip_all_bits("rsa4096", 29);
    flip_all_bits("rsa2048ebig", 7);
}

Test(rsa_openssl, signature_length_and_range)
{
    rsa_public_key_t key;
    load_pem_key("rsa2048", "pub.pem", &key);
    size_t slen;
    uint8_t *sig = vector("rsa2048", "sig", &slen);
    uint8_t hash[32] = {0};
    uint8_t *shorter = dup_exact(sig, slen - 1);
    cr_assert_eq(rsa_verify_sha256(&key, shorter, slen - 1, hash, true), RSA_ERR_SIG_LEN);
    uint8_t *longer = malloc(slen + 1);
    longer[0] = 0;
    memcpy(longer + 1, sig, slen);
    cr_assert_eq(rsa_verify_sha256(&key, longer, slen + 1, hash, true), RSA_ERR_SIG_LEN);
    /* sig == n, sig == n + 1 (same length), all-FF: >= n. */
    uint8_t *big = dup_exact(key.n, key.n_len);
    cr_assert_eq(rsa_verify_sha256(&key, big, key.n_len, hash, true), RSA_ERR_SIG_RANGE);
    /* n + 1 with the carry carried: the keys are made per build and n's last byte may be 0xFF
     * (seen: a wrap to 0x00 made n - 255, in range, and the check failed). */
    for (size_t i = key.n_len; i-- > 0;)
        if (++big[i] != 0)
            break;
    cr_assert_eq(rsa_verify_sha256(&key, big, key.n_len, hash, true), RSA_ERR_SIG_RANGE);
    memset(big, 0xFF, key.n_len);
    cr_assert_eq(rsa_verify_sha256(&key, big, key.n_len, hash, true), RSA_ERR_SIG_RANGE);
    /* n - 1 is in range (and a bad signature). */
    memcpy(big, key.n, key.n_len);
    big[key.n_len - 1]--;
    cr_assert_eq(rsa_verify_sha256(&key, big, key.n_len, hash, true), RSA_ERR_PADDING);
    /* 0 and 1 are in range: 0^e = 0, 1^e = 1, both bad padding. */
    memset(big, 0, key.n_len);
    cr_assert_eq(rsa_verify_sha256(&key, big, key.n_len, hash, true), RSA_ERR_PADDING);
    big[key.n_len - 1] = 1;
    cr_assert_eq(rsa_verify_sha256(&key, big, key.n_len, hash, false), RSA_ERR_PADDING);
    free(sig);
    free(shorter);
    free(longer);
    free(big);
}

Test(rsa, unusable_keys_rejected_by_verify)
{
    rsa_public_key_t key;
    load_pem_key("rsa1024", "pub.pem", &key);
    uint8_t sig[128] = {0}, hash[32] = {0};
    rsa_public_key_t bad = key;
    bad.n[bad.n_len - 1] ^= 1; /* even modulus */
    cr_assert_eq(rsa_verify_sha256(&bad, sig, 128, hash, true), RSA_ERR_KEY);
    bad = key;
    bad.e_len = 0;
    cr_assert_eq(rsa_verify_sha256(&bad, sig, 128, hash, true), RSA_ERR_KEY);
    bad = key;
    bad.e_len = 9;
    cr_assert_eq(rsa_verify_sha256(&bad, sig, 128, hash, true), RSA_ERR_KEY);
    bad = key;
    bad.e[0] = 0;
    bad.e[1] = 0;
    bad.e[2] = 1; /* e = 1 */
    cr_assert_eq(rsa_verify_sha256(&bad, sig, 128, hash, true), RSA_ERR_KEY);
    bad = key;
    bad.e[2] = 0x10; /* even e */
    cr_assert_eq(rsa_verify_sha256(&bad, sig, 128, hash, true), RSA_ERR_KEY);
    bad = key;
    bad.n_len = 127;
    cr_assert_eq(rsa_verify_sha256(&bad, sig, 127, hash, true), RSA_ERR_KEY);
    bad = key;
    bad.n_len = 513;
    cr_assert_eq(rsa_verify_sha256(&bad, sig, 128, hash, true), RSA_ERR_KEY);
    bad = key;
    bad.n[0] = 0; /* leading zero byte */
    cr_assert_eq(rsa_verify_sha256(&bad, sig, 128, hash, true), RSA_ERR_KEY);
    cr_assert_eq(rsa_verify_sha256(NULL, sig, 128, hash, true), RSA_ERR_KEY);
    cr_assert_eq(rsa_verify_sha256(&key, NULL, 128, hash, true), RSA_ERR_SIG_LEN);
}

/* ---- BearSSL: seeded keys, >= 1,000 random signatures ---- */

typedef struct {
    br_rsa_private_key sk;
    br_rsa_public_key pk;
    uint8_t kbuf_priv[BR_RSA_KBUF_PRIV_SIZE(2048)];
    uint8_t kbuf_pub[BR_RSA_KBUF_PUB_SIZE(2048)];
    rsa_public_key_t ours;
} test_key_t;

static void bearssl_key(test_key_t *k, unsigned bits, uint32_t pubexp, uint64_t seed)
{
    br_hmac_drbg_context drbg;
    br_hmac_drbg_init(&drbg, &br_sha256_vtable, &seed, sizeof seed);
    cr_assert(br_rsa_keygen_get_default()(&drbg.vtable, &k->sk, k->kbuf_priv, &k->pk, k->kbuf_pub,
                                          bits, pubexp),
              "BearSSL keygen %u bits e=%u", bits, pubexp);
    /* Our key from BearSSL's n and e (BearSSL strips leading zeros too). */
    memset(&k->ours, 0, sizeof k->ours);
    size_t off = 0;
    while (off < k->pk.nlen && k->pk.n[off] == 0)
        off++;
    memcpy(k->ours.n, k->pk.n + off, k->pk.nlen - off);
    k->ours.n_len = k->pk.nlen - off;
    off = 0;
    while (off < k->pk.elen && k->pk.e[off] == 0)
        off++;
    memcpy(k->ours.e, k->pk.e + off, k->pk.elen - off);
    k->ours.e_len = k->pk.elen - off;
}

/* BearSSL's verdict: 1 if sig verifies for hash in the given format. */
static int bearssl_verifies(const test_key_t *k, const uint8_t *sig, const uint8_t hash[32],
                            bool di)
{
    uint8_t out[32];
    if (!br_rsa_i31_pkcs1_vrfy(sig, k->ours.n_len, di ? BR_HASH_OID_SHA256 : NULL, 32, &k->pk, out))
        return 0;
    return memcmp(out, hash, 32) == 0;
}

static void random_signatures(test_key_t *k, int count, uint64_t seed)
{
    test_rng_t rng = {seed};
    size_t klen = k->ours.n_len;
    uint8_t sig[256], hash[32];
    for (int iter = 0; iter < count; iter++) {
        rng_fill(&rng, hash, 32);
        bool di = rng_below(&rng, 2);
        cr_assert(br_rsa_i31_pkcs1_sign(di ? BR_HASH_OID_SHA256 : NULL, hash, 32, &k->sk, sig));
        cr_assert_eq(rsa_verify_sha256(&k->ours, sig, klen, hash, di), RSA_OK, "iter %d", iter);
        cr_assert(bearssl_verifies(k, sig, hash, di));
        cr_assert_eq(rsa_verify_sha256(&k->ours, sig, klen, hash, !di), RSA_ERR_PADDING);
        /* A different hash. */
        uint8_t other[32];
        memcpy(other, hash, 32);
        other[rng_below(&rng, 32)] ^= (uint8_t)(1u << rng_below(&rng, 8));
        cr_assert_eq(rsa_verify_sha256(&k->ours, sig, klen, other, di), RSA_ERR_MISMATCH);
        /* One flipped signature bit: both libraries reject. */
        size_t bit = rng_below(&rng, (uint32_t)(8 * klen));
        sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        rsa_status_t st = rsa_verify_sha256(&k->ours, sig, klen, hash, di);
        cr_assert(st == RSA_ERR_PADDING || st == RSA_ERR_SIG_RANGE || st == RSA_ERR_MISMATCH,
                  "iter %d bit %zu: status %d", iter, bit, st);
        cr_assert_eq(bearssl_verifies(k, sig, hash, di), 0);
        /* A random value below n: both reject (a forgery by chance is 2^-1000-ish). */
        rng_fill(&rng, sig, klen);
        sig[0] &= 0x7F;
        if (memcmp(sig, k->ours.n, klen) < 0) {
            cr_assert_neq(rsa_verify_sha256(&k->ours, sig, klen, hash, di), RSA_OK);
            cr_assert_eq(bearssl_verifies(k, sig, hash, di), 0);
        }
    }
}

Test(rsa_bearssl, random_1024_e65537, .timeout = 120)
{
    test_key_t k;
    bearssl_key(&k, 1024, 65537, 1);
    random_signatures(&k, 400, 101);
    bearssl_key(&k, 1024, 65537, 2);
    random_signatures(&k, 300, 102);
}

Test(rsa_bearssl, random_1024_e3_and_large_e, .timeout = 120)
{
    test_key_t k;
    bearssl_key(&k, 1024, 3, 3);
    random_signatures(&k, 200, 103);
    bearssl_key(&k, 1032, 0xF0000001u, 4); /* a 32-bit e, and a modulus of 33 limbs */
    random_signatures(&k, 200, 104);
}

Test(rsa_bearssl, random_2048_and_odd_sizes, .timeout = 120)
{
    test_key_t k;
    bearssl_key(&k, 2048, 65537, 5);
    random_signatures(&k, 150, 105);
    bearssl_key(&k, 1536, 65537, 6);
    random_signatures(&k, 100, 106);
    bearssl_key(&k, 1100, 65537, 7); /* n_len not a multiple of 4 */
    random_signatures(&k, 100, 107);
}

/* Encodings built by hand, signed with the raw private operation: the valid one verifies, each
 * defect is a padding error for us and a rejection for BearSSL. */
Test(rsa_bearssl, hand_built_encodings)
{
    static const uint8_t di_prefix[19] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                          0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                          0x01, 0x05, 0x00, 0x04, 0x20};
    test_key_t k;
    bearssl_key(&k, 1024, 65537, 8);
    size_t klen = k.ours.n_len;
    test_rng_t rng = {108};
    enum { VALID, TYPE2, SHORT_PS, NO_SEPARATOR, BAD_OID, LONG_PAYLOAD, NONZERO_LEAD, N_KINDS };
    for (int iter = 0; iter < 140; iter++) {
        int kind = iter % N_KINDS;
        bool di = (iter / N_KINDS) % 2;
        uint8_t em[128], hash[32];
        rng_fill(&rng, hash, 32);
        size_t tlen = 32 + (di ? 19 : 0);
        if (kind == LONG_PAYLOAD)
            tlen++; /* one payload byte too many: a shorter FF run */
        memset(em, 0xFF, klen);
        em[0] = 0;
        em[1] = 1;
        em[klen - tlen - 1] = 0;
        if (di)
            memcpy(em + klen - 32 - 19, di_prefix, 19);
        memcpy(em + klen - 32, hash, 32);
        if (kind == LONG_PAYLOAD)
            em[klen - tlen] = 0x00;
        switch (kind) {
        case TYPE2:
            em[1] = 2;
            break;
        case SHORT_PS:
            /* Payload moved up so only 7 FF bytes remain: 00 01 FF*7 00 then junk. */
            em[9] = 0;
            break;
        case NO_SEPARATOR:
            em[klen - tlen - 1] = 0xFF;
            break;
        case BAD_OID:
            if (di)
                em[klen - 32 - 19 + 6 + rng_below(&rng, 9)] ^= 0x01;
            else
                em[klen - 33] = 0x01; /* separator replaced */
            break;
        case NONZERO_LEAD:
            em[0] = 0x01;
            em[1] = 0x00; /* still < n in most cases; skipped otherwise */
            break;
        default:
            break;
        }
        uint8_t sig[128];
        memcpy(sig, em, klen);
        if (memcmp(sig, k.ours.n, klen) >= 0)
            continue;
        cr_assert(br_rsa_i31_private(sig, &k.sk));
        rsa_status_t st = rsa_verify_sha256(&k.ours, sig, klen, hash, di);
        if (kind == VALID) {
            cr_assert_eq(st, RSA_OK);
            cr_assert(bearssl_verifies(&k, sig, hash, di));
        } else {
            cr_assert_eq(st, RSA_ERR_PADDING, "kind %d di %d: status %d", kind, di, st);
            cr_assert_eq(bearssl_verifies(&k, sig, hash, di), 0, "kind %d di %d", kind, di);
        }
    }
}

/* ---- Key parsing: random keys through DER and PEM written by the test and BearSSL ---- */

static size_t der_len(uint8_t *out, size_t len)
{
    if (len < 0x80) {
        out[0] = (uint8_t)len;
        return 1;
    }
    if (len < 0x100) {
        out[0] = 0x81;
        out[1] = (uint8_t)len;
        return 2;
    }
    out[0] = 0x82;
    out[1] = (uint8_t)(len >> 8);
    out[2] = (uint8_t)len;
    return 3;
}

static size_t der_tlv(uint8_t *out, uint8_t tag, const uint8_t *content, size_t len)
{
    out[0] = tag;
    size_t h = 1 + der_len(out + 1, len);
    memmove(out + h, content, len);
    return h + len;
}

static size_t der_uint(uint8_t *out, const uint8_t *be, size_t len)
{
    uint8_t tmp[600];
    size_t n = 0;
    if (be[0] & 0x80)
        tmp[n++] = 0;
    memcpy(tmp + n, be, len);
    return der_tlv(out, 0x02, tmp, n + len);
}

static size_t der_pkcs1(uint8_t *out, const rsa_public_key_t *k)
{
    uint8_t body[1200];
    size_t n = der_uint(body, k->n, k->n_len);
    n += der_uint(body + n, k->e, k->e_len);
    return der_tlv(out, 0x30, body, n);
}

static size_t der_spki(uint8_t *out, const rsa_public_key_t *k)
{
    static const uint8_t alg[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                  0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
    uint8_t pk[1200], bits[1200], body[1300];
    size_t pl = der_pkcs1(pk + 1, k);
    pk[0] = 0; /* unused bits */
    size_t bl = der_tlv(bits, 0x03, pk, pl + 1);
    memcpy(body, alg, sizeof alg);
    memcpy(body + sizeof alg, bits, bl);
    return der_tlv(out, 0x30, body, sizeof alg + bl);
}

static char *pem_of(const uint8_t *der, size_t len, const char *banner, size_t *pem_len)
{
    size_t cap = br_pem_encode(NULL, der, len, banner, BR_PEM_LINE64);
    char *pem = malloc(cap + 1);
    *pem_len = br_pem_encode(pem, der, len, banner, BR_PEM_LINE64);
    return pem;
}

static void random_key_material(test_rng_t *rng, rsa_public_key_t *k)
{
    memset(k, 0, sizeof *k);
    k->n_len = 128 + rng_below(rng, 385);
    rng_fill(rng, k->n, k->n_len);
    k->n[0] |= 0x80; /* exactly n_len * 8 bits: always within 1024..4096 */
    k->n[k->n_len - 1] |= 1;
    k->e_len = 1 + rng_below(rng, 8);
    rng_fill(rng, k->e, k->e_len);
    if (k->e[0] == 0)
        k->e[0] = 1;
    k->e[k->e_len - 1] |= 1;
    if (k->e_len == 1 && k->e[0] < 3)
        k->e[0] = 3;
}

Test(rsa_parse, random_keys_round_trip)
{
    test_rng_t rng = {0xDE4};
    static uint8_t der[1400];
    for (int iter = 0; iter < 1200; iter++) {
        rsa_public_key_t want, got;
        random_key_material(&rng, &want);
        bool spki = rng_below(&rng, 2);
        size_t len = spki ? der_spki(der, &want) : der_pkcs1(der, &want);
        uint8_t *exact = dup_exact(der, len);
        cr_assert_eq(rsa_parse_public_key_der(exact, len, &got), RSA_OK, "iter %d", iter);
        cr_assert_eq(got.n_len, want.n_len);
        cr_assert_arr_eq(got.n, want.n, want.n_len);
        cr_assert_eq(got.e_len, want.e_len);
        cr_assert_arr_eq(got.e, want.e, want.e_len);
        size_t pem_len;
        char *pem = pem_of(exact, len, spki ? "PUBLIC KEY" : "RSA PUBLIC KEY", &pem_len);
        char *pem_exact = (char *)dup_exact(pem, pem_len);
        memset(&got, 0xAA, sizeof got);
        cr_assert_eq(rsa_parse_public_key_pem(pem_exact, pem_len, &got), RSA_OK, "iter %d", iter);
        cr_assert_arr_eq(got.n, want.n, want.n_len);
        cr_assert_arr_eq(got.e, want.e, want.e_len);
        /* The label must match the structure. */
        free(pem);
        pem = pem_of(exact, len, spki ? "RSA PUBLIC KEY" : "PUBLIC KEY", &pem_len);
        cr_assert_eq(rsa_parse_public_key_pem(pem, pem_len, &got), RSA_ERR_KEY);
        /* Truncations and bit flips of the DER: an error or a valid key, never a crash. */
        size_t cut = rng_below(&rng, (uint32_t)len);
        cr_assert_eq(rsa_parse_public_key_der(exact, cut, &got), RSA_ERR_KEY);
        size_t bit = rng_below(&rng, (uint32_t)(8 * len));
        exact[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        rsa_status_t st = rsa_parse_public_key_der(exact, len, &got);
        cr_assert(st == RSA_OK || st == RSA_ERR_KEY);
        free(pem);
        free(pem_exact);
        free(exact);
    }
}

Test(rsa_parse, every_truncation_of_openssl_keys)
{
    const char *suffixes[] = {"pub.pem", "rsapub.pem"};
    for (int s = 0; s < 2; s++) {
        size_t len;
        uint8_t *pem = vector("rsa2048", suffixes[s], &len);
        const char *end = strstr((const char *)pem, "-----END");
        cr_assert_not_null(end);
        size_t end_marker = (size_t)(strchr(end + 8, '\n') - (const char *)pem);
        for (size_t cut = 0; cut <= len; cut++) {
            uint8_t *p = dup_exact(pem, cut);
            rsa_public_key_t key;
            rsa_status_t st = rsa_parse_public_key_pem((const char *)p, cut, &key);
            cr_assert_eq(st, cut >= end_marker ? RSA_OK : RSA_ERR_KEY, "%s cut %zu: %d",
                         suffixes[s], cut, st);
            free(p);
        }
        free(pem);
    }
}

/* One defect at a time in an otherwise valid DER key. */
Test(rsa_parse, crafted_defects)
{
    rsa_public_key_t k, got;
    load_pem_key("rsa2048", "pub.pem", &k);
    uint8_t good[1400], bad[1400];
    size_t len = der_spki(good, &k);
    cr_assert_eq(rsa_parse_public_key_der(good, len, &got), RSA_OK);
    /* Offsets in an SPKI with a 257-byte modulus INTEGER: 30 82 01 22 | 30 0d 06 09 <oid 9>
     * 05 00 | 03 82 01 0f 00 | 30 82 01 0a | 02 82 01 01 00 <256> | 02 03 01 00 01 */
    struct {
        size_t off;
        uint8_t val;
        const char *what;
    } edits[] = {
        {0, 0x31, "outer SET instead of SEQUENCE"},
        {6, 0x05, "OID tag"},
        {15, 0x02, "OID last byte (not rsaEncryption)"},
        {17, 0x04, "parameters not NULL"},
        {18, 0x01, "NULL with content"},
        {24, 0x01, "BIT STRING unused bits"},
        {25, 0x31, "RSAPublicKey as SET"},
        {29, 0x03, "modulus not an INTEGER"},
        {33, 0x01, "modulus with a redundant (non-minimal) leading byte"},
        {1, 0x80, "indefinite length"},
        {1, 0x83, "3-byte length"},
        {2, 0x00, "length with leading zero"},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        memcpy(bad, good, len);
        bad[edits[i].off] = edits[i].val;
        uint8_t *exact = dup_exact(bad, len);
        cr_assert_eq(rsa_parse_public_key_der(exact, len, &got), RSA_ERR_KEY, "%s", edits[i].what);
        free(exact);
    }
    /* Trailing byte after the key. */
    memcpy(bad, good, len);
    bad[len] = 0;
    cr_assert_eq(rsa_parse_public_key_der(bad, len + 1, &got), RSA_ERR_KEY);

    /* Key values out of range. */
    rsa_public_key_t v = k;
    v.n[v.n_len - 1] &= 0xFE; /* even modulus */
    len = der_pkcs1(bad, &v);
    cr_assert_eq(rsa_parse_public_key_der(bad, len, &got), RSA_ERR_KEY, "even modulus");
    v = k;
    v.e_len = 1;
    v.e[0] = 1;
    len = der_pkcs1(bad, &v);
    cr_assert_eq(rsa_parse_public_key_der(bad, len, &got), RSA_ERR_KEY, "e = 1");
    v.e[0] = 4;
    len = der_pkcs1(bad, &v);
    cr_assert_eq(rsa_parse_public_key_der(bad, len, &got), RSA_ERR_KEY, "even e");
    {
        /* A 9-byte exponent. */
        uint8_t e9[9];
        memset(e9, 0x11, sizeof e9);
        uint8_t body[600];
        size_t bl = der_uint(body, k.n, k.n_len);
        bl += der_tlv(body + bl, 0x02, e9, sizeof e9);
        len = der_tlv(bad, 0x30, body, bl);
        cr_assert_eq(rsa_parse_public_key_der(bad, len, &got), RSA_ERR_KEY, "9-byte e");
    }
    {
        /* A 513-byte modulus: build it directly. */
        uint8_t n513[513];
        memset(n513, 0x55, sizeof n513);
        uint8_t body[600];
        size_t bl = der_tlv(body, 0x02, n513, sizeof n513);
        uint8_t e3[] = {0x02, 0x01, 0x03};
        memcpy(body + bl, e3, 3);
        len = der_tlv(bad, 0x30, body, bl + 3);
        cr_assert_eq(rsa_parse_public_key_der(bad, len, &got), RSA_ERR_KEY, "4104-bit modulus");
    }
    /* A negative modulus (top bit set, no leading zero). */
    v = k;
    {
        uint8_t body[600];
        size_t bl = der_tlv(body, 0x02, v.n, v.n_len);
        uint8_t e3[] = {0x02, 0x01, 0x03};
        memcpy(body + bl, e3, 3);
        len = der_tlv(bad, 0x30, body, bl + 3);
        cr_assert_eq(rsa_parse_public_key_der(bad, len, &got), RSA_ERR_KEY, "negative modulus");
    }
    cr_assert_eq(rsa_parse_public_key_der(NULL, 10, &got), RSA_ERR_KEY);
    cr_assert_eq(rsa_parse_public_key_der(good, 10, NULL), RSA_ERR_KEY);
}

Test(rsa_parse, crafted_pem_defects)
{
    size_t len;
    char *pem = (char *)vector("rsa2048", "pub.pem", &len);
    rsa_public_key_t got;
    cr_assert_eq(rsa_parse_public_key_pem(pem, len, &got), RSA_OK);
    /* Text before the BEGIN line is allowed (openssl allows it). */
    char *buf = malloc(len + 64);
    int pre = sprintf(buf, "comment line\n");
    memcpy(buf + pre, pem, len);
    cr_assert_eq(rsa_parse_public_key_pem(buf, len + (size_t)pre, &got), RSA_OK);
    /* One character of the body replaced by something that is not base64. */
    const char *body = strchr(pem, '\n') + 1;
    size_t at = (size_t)(body - pem) + 10;
    const char bad_chars[] = {'*', '-', '.', '\0', (char)0x80};
    for (size_t i = 0; i < sizeof bad_chars; i++) {
        memcpy(buf, pem, len);
        buf[at] = bad_chars[i];
        cr_assert_eq(rsa_parse_public_key_pem(buf, len, &got), RSA_ERR_KEY, "char %zu", i);
    }
    /* Padding in the middle. */
    memcpy(buf, pem, len);
    buf[at] = '=';
    cr_assert_eq(rsa_parse_public_key_pem(buf, len, &got), RSA_ERR_KEY);
    /* Wrong labels. */
    const char *labels[] = {"-----BEGIN PRIVATE KEY-----", "-----BEGIN CERTIFICATE-----",
                            "-----BEGIN PUBLIC KEY----", "-----BEGIN public KEY-----"};
    for (size_t i = 0; i < 4; i++) {
        size_t ll = strlen(labels[i]);
        size_t nl = (size_t)(strchr(pem, '\n') - pem);
        memcpy(buf, labels[i], ll);
        memcpy(buf + ll, pem + nl, len - nl);
        cr_assert_eq(rsa_parse_public_key_pem(buf, ll + len - nl, &got), RSA_ERR_KEY, "%s",
                     labels[i]);
    }
    /* END label of the other kind. */
    memcpy(buf, pem, len);
    char *end = strstr(buf, "-----END PUBLIC KEY-----");
    cr_assert_not_null(end);
    size_t head = (size_t)(end - buf);
    int w = sprintf(buf + head, "-----END RSA PUBLIC KEY-----\n");
    cr_assert_eq(rsa_parse_public_key_pem(buf, head + (size_t)w, &got), RSA_ERR_KEY);
    /* Empty and tiny inputs. */
    cr_assert_eq(rsa_parse_public_key_pem("", 0, &got), RSA_ERR_KEY);
    cr_assert_eq(rsa_parse_public_key_pem("-----BEGIN ", 11, &got), RSA_ERR_KEY);
    cr_assert_eq(rsa_parse_public_key_pem("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n",
                                          51, &got),
                 RSA_ERR_KEY);
    cr_assert_eq(rsa_parse_public_key_pem(NULL, 5, &got), RSA_ERR_KEY);
    free(buf);
    free(pem);
}
