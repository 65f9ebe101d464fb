/* Signing with BearSSL (spec §2.7, §7.1): payload | RSA PKCS#1 v1.5 signature | u32 LE length. */
#include <bearssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imagekit.h"
#include "imagekit_internal.h"
#include "rsa_verify.h"

struct imagekit_key {
    br_skey_decoder_context dec; /* owns the key bytes rsa points into */
    const br_rsa_private_key *rsa;
};

typedef struct der_buf {
    uint8_t *data;
    size_t len, cap;
    bool oom;
} der_buf_t;

static void der_append(void *ctx, const void *buf, size_t len)
{
    der_buf_t *d = ctx;
    if (d->oom)
        return;
    if (d->len + len > d->cap) {
        size_t cap = (d->cap ? d->cap * 2 : 4096) + len;
        uint8_t *n = realloc(d->data, cap);
        if (!n) {
            d->oom = true;
            return;
        }
        d->data = n;
        d->cap = cap;
    }
    memcpy(d->data + d->len, buf, len);
    d->len += len;
}

/* The first PEM object whose label names a private key; -1 if none. */
static int pem_private_der(const uint8_t *pem, size_t len, der_buf_t *der, char *err, size_t errlen)
{
    br_pem_decoder_context pc;
    br_pem_decoder_init(&pc);
    bool in_key = false, seen = false;
    while (len > 0) {
        size_t used = br_pem_decoder_push(&pc, pem, len);
        pem += used;
        len -= used;
        switch (br_pem_decoder_event(&pc)) {
        case BR_PEM_BEGIN_OBJ: {
            const char *name = br_pem_decoder_name(&pc);
            seen = true;
            /* EC keys are decoded too, to be refused with a precise message. */
            in_key = !strcmp(name, "RSA PRIVATE KEY") || !strcmp(name, "PRIVATE KEY") ||
                     !strcmp(name, "EC PRIVATE KEY");
            br_pem_decoder_setdest(&pc, in_key ? der_append : NULL, der);
            break;
        }
        case BR_PEM_END_OBJ:
            if (in_key)
                return der->oom ? ik_fail(err, errlen, "out of memory") : 0;
            break;
        case BR_PEM_ERROR:
            return ik_fail(err, errlen, "malformed PEM");
        }
    }
    return ik_fail(err, errlen,
                   seen ? "PEM holds no \"RSA PRIVATE KEY\" or \"PRIVATE KEY\" object (a public "
                          "key?)"
                        : "no PEM object (expected -----BEGIN RSA PRIVATE KEY----- or "
                          "-----BEGIN PRIVATE KEY-----)");
}

static bool looks_pem(const uint8_t *buf, size_t len)
{
    static const char tag[] = "-----BEGIN";
    for (size_t i = 0; i + sizeof(tag) - 1 <= len; i++)
        if (!memcmp(buf + i, tag, sizeof(tag) - 1))
            return true;
    return false;
}

imagekit_key_t *imagekit_key_parse(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    imagekit_key_t *k = calloc(1, sizeof(*k));
    if (!k) {
        ik_fail(err, errlen, "out of memory");
        return NULL;
    }
    der_buf_t der = {0};
    const uint8_t *d = buf;
    size_t dlen = len;
    if (looks_pem(buf, len)) {
        if (pem_private_der(buf, len, &der, err, errlen)) {
            free(der.data);
            free(k);
            return NULL;
        }
        d = der.data;
        dlen = der.len;
    }
    br_skey_decoder_init(&k->dec);
    br_skey_decoder_push(&k->dec, d, dlen);
    int e = br_skey_decoder_last_error(&k->dec);
    int type = br_skey_decoder_key_type(&k->dec);
    free(der.data);
    if (e != 0 || type == 0) {
        ik_fail(err, errlen, "not a private key (PKCS#1 or PKCS#8, PEM or DER; BearSSL error %d)",
                e);
        free(k);
        return NULL;
    }
    if (type != BR_KEYTYPE_RSA) {
        ik_fail(err, errlen, "not an RSA key (only RSA signatures interoperate, spec §2.7)");
        free(k);
        return NULL;
    }
    k->rsa = br_skey_decoder_get_rsa(&k->dec);
    size_t n = imagekit_key_modulus_len(k);
    if (n < 128 || n > RSA_MAX_MODULUS_BYTES) {
        ik_fail(err, errlen, "RSA key of %u bits: the firmware verifies 1024 to 4096 bits",
                k->rsa->n_bitlen);
        free(k);
        return NULL;
    }
    return k;
}

imagekit_key_t *imagekit_key_load(const char *path, char *err, size_t errlen)
{
    uint8_t *buf;
    size_t len;
    char msg[256];
    if (imagekit_read_file(path, &buf, &len, err, errlen))
        return NULL;
    imagekit_key_t *k = imagekit_key_parse(buf, len, msg, sizeof(msg));
    free(buf);
    if (!k)
        ik_fail(err, errlen, "%s: %s", path, msg);
    return k;
}

void imagekit_key_free(imagekit_key_t *key)
{
    free(key);
}

size_t imagekit_key_modulus_len(const imagekit_key_t *key)
{
    return (key->rsa->n_bitlen + 7u) / 8u;
}

int imagekit_sign_with(const imagekit_key_t *key, const uint8_t *data, size_t len, bool legacy,
                       uint8_t **out, size_t *out_len, char *err, size_t errlen)
{
    size_t sig_len = imagekit_key_modulus_len(key);
    if (len > UINT32_MAX - sig_len - 4)
        return ik_fail(err, errlen, "payload too large to sign (%zu bytes)", len);
    uint8_t hash[32];
    br_sha256_context c;
    br_sha256_init(&c);
    br_sha256_update(&c, data, len);
    br_sha256_out(&c, hash);
    uint8_t *buf = malloc(len + sig_len + 4);
    if (!buf)
        return ik_fail(err, errlen, "out of memory");
    if (len)
        memcpy(buf, data, len);
    /* A NULL OID makes BearSSL pad the bare digest: the legacy format. */
    br_rsa_pkcs1_sign sign = br_rsa_pkcs1_sign_get_default();
    if (!sign(legacy ? NULL : BR_HASH_OID_SHA256, hash, sizeof(hash), key->rsa, buf + len)) {
        free(buf);
        return ik_fail(err, errlen, "BearSSL: RSA signing failed");
    }
    ik_put32(buf + len + sig_len, (uint32_t)sig_len);
    *out = buf;
    *out_len = len + sig_len + 4;
    return 0;
}

int imagekit_sign(const uint8_t *data, size_t len, const char *key, size_t key_len, bool legacy,
                  uint8_t **out, size_t *out_len, char *err, size_t errlen)
{
    imagekit_key_t *k = key_len ? imagekit_key_parse((const uint8_t *)key, key_len, err, errlen)
                                : imagekit_key_load(key, err, errlen);
    if (!k)
        return -1;
    int rc = imagekit_sign_with(k, data, len, legacy, out, out_len, err, errlen);
    imagekit_key_free(k);
    return rc;
}

int imagekit_signing_header(const uint8_t *pem, size_t pem_len, char **out, char *err,
                            size_t errlen)
{
    rsa_public_key_t *pub = malloc(sizeof(*pub));
    if (!pub)
        return ik_fail(err, errlen, "out of memory");
    rsa_status_t st = rsa_parse_public_key_pem((const char *)pem, pem_len, pub);
    free(pub);
    if (st != RSA_OK)
        return ik_fail(err, errlen,
                       "not an RSA public key (expected PEM \"PUBLIC KEY\" or \"RSA PUBLIC "
                       "KEY\", as `openssl rsa -pubout` writes; 1024 to 4096 bits)");
    static const char head[] = "// Generated by otasim sign --mode header: the public key the\n"
                               "// firmware verifies updates with (NUL-terminated PEM).\n"
                               "#pragma once\n"
                               "#define ARDUINO_SIGNING 1\n"
                               "static const char signing_pubkey[] = {\n";
    static const char tail[] = "};\n";
    size_t cap = sizeof(head) + (pem_len + 1) * 6 + sizeof(tail) + 1;
    char *text = malloc(cap);
    if (!text)
        return ik_fail(err, errlen, "out of memory");
    size_t n = 0;
    memcpy(text, head, sizeof(head) - 1);
    n = sizeof(head) - 1;
    for (size_t i = 0; i <= pem_len; i++) {
        uint8_t b = i < pem_len ? pem[i] : 0;
        static const char hex[] = "0123456789abcdef";
        text[n++] = '0';
        text[n++] = 'x';
        text[n++] = hex[b >> 4];
        text[n++] = hex[b & 15];
        if (i < pem_len)
            text[n++] = ',';
        text[n++] = '\n';
    }
    memcpy(text + n, tail, sizeof(tail));
    *out = text;
    return 0;
}

void imagekit_md5_hex(const void *data, size_t len, char out[33])
{
    br_md5_context c;
    uint8_t d[16];
    br_md5_init(&c);
    br_md5_update(&c, data, len);
    br_md5_out(&c, d);
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}
