/* See tls_bearssl.h. */
#include "tls_bearssl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rsa_verify.h"

struct tls_trust {
    bool pin;
    uint8_t fp[32]; /* fingerprint mode: SHA-1 (20) or SHA-256 (32) of the server's DER */
    size_t fp_len;
    br_x509_trust_anchor *ta; /* CA mode */
    size_t n_ta;
    br_x509_pkey key; /* pin mode (points into buffers below) */
    unsigned char *keybuf[2];
};

typedef struct {
    unsigned char *p;
    size_t len, cap;
} bytes_t;

static bool bytes_add(bytes_t *b, const void *src, size_t len)
{
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        while (cap < b->len + len)
            cap *= 2;
        unsigned char *p = realloc(b->p, cap);
        if (!p)
            return false;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, len);
    b->len += len;
    return true;
}

static void bytes_cb(void *ctx, const void *src, size_t len)
{
    bytes_add(ctx, src, len);
}

static unsigned char *dup_bytes(const void *src, size_t len)
{
    unsigned char *p = malloc(len ? len : 1);
    if (p)
        memcpy(p, src, len);
    return p;
}

/* Copies a decoded key (its bytes live in the decoder) into `t->keybuf` / `out`. */
static bool copy_pkey(const br_x509_pkey *in, br_x509_pkey *out, unsigned char *bufs[2])
{
    *out = *in;
    if (in->key_type == BR_KEYTYPE_RSA) {
        bufs[0] = dup_bytes(in->key.rsa.n, in->key.rsa.nlen);
        bufs[1] = dup_bytes(in->key.rsa.e, in->key.rsa.elen);
        out->key.rsa.n = bufs[0];
        out->key.rsa.e = bufs[1];
    } else {
        bufs[0] = dup_bytes(in->key.ec.q, in->key.ec.qlen);
        bufs[1] = NULL;
        out->key.ec.q = bufs[0];
    }
    return bufs[0] && (in->key_type != BR_KEYTYPE_RSA || bufs[1]);
}

/* Decodes one certificate: its subject DN into dn, its key copied. */
static bool decode_cert(const bytes_t *der, bytes_t *dn, br_x509_pkey *key, unsigned char *bufs[2],
                        bool *is_ca)
{
    br_x509_decoder_context dc;
    br_x509_decoder_init(&dc, bytes_cb, dn);
    br_x509_decoder_push(&dc, der->p, der->len);
    const br_x509_pkey *pk = br_x509_decoder_get_pkey(&dc);
    if (!pk || br_x509_decoder_last_error(&dc) != 0)
        return false;
    *is_ca = br_x509_decoder_isCA(&dc);
    return copy_pkey(pk, key, bufs);
}

static void fail(char *err, size_t errlen, const char *msg)
{
    snprintf(err, errlen, "%s", msg);
}

static bool add_anchor(tls_trust_t *t, const bytes_t *der, char *err, size_t errlen)
{
    br_x509_trust_anchor *ta = realloc(t->ta, (t->n_ta + 1) * sizeof(*ta));
    if (!ta)
        return fail(err, errlen, "out of memory"), false;
    t->ta = ta;
    br_x509_trust_anchor *a = &ta[t->n_ta];
    memset(a, 0, sizeof(*a));
    bytes_t dn = {0};
    unsigned char *bufs[2] = {0};
    bool is_ca = false;
    if (!decode_cert(der, &dn, &a->pkey, bufs, &is_ca) || !dn.p) {
        free(dn.p);
        free(bufs[0]);
        free(bufs[1]);
        return fail(err, errlen, "a CERTIFICATE block is not a valid X.509 certificate"), false;
    }
    /* A self-signed server certificate given as its own anchor works too (BR_X509_TA_CA is
     * only needed to sign others; a CA flag on an end-entity anchor is what BearSSL wants
     * for direct trust of an EE certificate: not set). */
    a->flags = is_ca ? BR_X509_TA_CA : 0;
    a->dn.data = dn.p;
    a->dn.len = dn.len;
    t->n_ta++;
    return true;
}

static bool set_pin(tls_trust_t *t, const char *name, const bytes_t *der, char *err, size_t errlen)
{
    if (t->keybuf[0])
        return fail(err, errlen, "more than one key in the pin file"), false;
    if (!strcmp(name, "CERTIFICATE")) {
        bytes_t dn = {0};
        bool is_ca;
        bool ok = decode_cert(der, &dn, &t->key, t->keybuf, &is_ca);
        free(dn.p);
        if (!ok)
            fail(err, errlen, "the CERTIFICATE block is not a valid X.509 certificate");
        return ok;
    }
    rsa_public_key_t k;
    if (rsa_parse_public_key_der(der->p, der->len, &k) != RSA_OK)
        return fail(err, errlen, "the PUBLIC KEY block is not an RSA public key"), false;
    br_x509_pkey pk = {.key_type = BR_KEYTYPE_RSA,
                       .key.rsa = {.n = k.n, .nlen = k.n_len, .e = k.e, .elen = k.e_len}};
    return copy_pkey(&pk, &t->key, t->keybuf) || (fail(err, errlen, "out of memory"), false);
}

tls_trust_t *tls_trust_from_pem(const char *pem, size_t len, bool pin, char *err, size_t errlen)
{
    tls_trust_t *t = calloc(1, sizeof(*t));
    if (!t)
        return fail(err, errlen, "out of memory"), NULL;
    t->pin = pin;
    br_pem_decoder_context pc;
    br_pem_decoder_init(&pc);
    bytes_t der = {0};
    char name[64] = "";
    bool in_obj = false, ok = true;
    static const char nl[] = "\n";
    const char *src = pem;
    size_t avail = len;
    bool tail = false;
    while (ok) {
        if (avail == 0) {
            if (tail)
                break;
            tail = true; /* a final newline lets the decoder see an END line that ends the text */
            src = nl;
            avail = 1;
        }
        size_t used = br_pem_decoder_push(&pc, src, avail);
        src += used;
        avail -= used;
        switch (br_pem_decoder_event(&pc)) {
        case BR_PEM_BEGIN_OBJ:
            snprintf(name, sizeof(name), "%.63s", br_pem_decoder_name(&pc));
            der.len = 0;
            in_obj = !strcmp(name, "CERTIFICATE") || (pin && !strcmp(name, "PUBLIC KEY"));
            br_pem_decoder_setdest(&pc, in_obj ? bytes_cb : NULL, &der);
            break;
        case BR_PEM_END_OBJ:
            if (in_obj)
                ok = pin ? set_pin(t, name, &der, err, errlen) : add_anchor(t, &der, err, errlen);
            in_obj = false;
            break;
        case BR_PEM_ERROR:
            fail(err, errlen, "malformed PEM");
            ok = false;
            break;
        default:
            break;
        }
    }
    free(der.p);
    if (ok && pin && !t->keybuf[0])
        ok = (fail(err, errlen, "no PUBLIC KEY or CERTIFICATE block in the pin file"), false);
    if (ok && !pin && !t->n_ta)
        ok = (fail(err, errlen, "no CERTIFICATE block in the CA file"), false);
    if (!ok) {
        tls_trust_free(t);
        return NULL;
    }
    return t;
}

tls_trust_t *tls_trust_from_file(const char *path, bool pin, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    bytes_t b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && b.len < (1u << 20))
        bytes_add(&b, chunk, n);
    fclose(f);
    char e[160];
    tls_trust_t *t = tls_trust_from_pem((const char *)b.p, b.len, pin, e, sizeof(e));
    if (!t)
        snprintf(err, errlen, "%s: %s", path, e);
    free(b.p);
    return t;
}

void tls_trust_free(tls_trust_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_ta; i++) {
        free(t->ta[i].dn.data);
        if (t->ta[i].pkey.key_type == BR_KEYTYPE_RSA) {
            free(t->ta[i].pkey.key.rsa.n);
            free(t->ta[i].pkey.key.rsa.e);
        } else {
            free(t->ta[i].pkey.key.ec.q);
        }
    }
    free(t->ta);
    free(t->keybuf[0]);
    free(t->keybuf[1]);
    free(t);
}

tls_trust_t *tls_trust_from_fingerprint(const char *hex, char *err, size_t errlen)
{
    tls_trust_t *t = calloc(1, sizeof(*t));
    if (!t)
        return fail(err, errlen, "out of memory"), NULL;
    size_t n = 0;
    for (const char *c = hex; *c;) {
        if (*c == ':' || *c == ' ') {
            c++;
            continue;
        }
        unsigned v;
        if (n == sizeof(t->fp) || sscanf(c, "%2x", &v) != 1 || !c[1] || c[1] == ':') {
            n = 0;
            break;
        }
        t->fp[n++] = (uint8_t)v;
        c += 2;
    }
    if (n != 20 && n != 32) {
        free(t);
        fail(err, errlen, "a fingerprint is 20 (SHA-1) or 32 (SHA-256) hex bytes, e.g. AB:CD:...");
        return NULL;
    }
    t->fp_len = n;
    return t;
}

/* setFingerprint(): only the hash of the server's own certificate counts (no chain, date or
 * name check, as in the core); its key is taken from that certificate. */
typedef struct {
    const br_x509_class *vtable;
    const tls_trust_t *t;
    br_x509_decoder_context dec;
    br_sha1_context sha1;
    br_sha256_context sha256;
    unsigned depth;
    bool ok;
} fp_ctx_t;

static void fp_start_chain(const br_x509_class **ctx, const char *server_name)
{
    (void)server_name;
    fp_ctx_t *c = (fp_ctx_t *)(void *)ctx;
    c->depth = 0;
    c->ok = false;
}

static void fp_start_cert(const br_x509_class **ctx, uint32_t length)
{
    (void)length;
    fp_ctx_t *c = (fp_ctx_t *)(void *)ctx;
    if (c->depth == 0) {
        br_x509_decoder_init(&c->dec, NULL, NULL);
        br_sha1_init(&c->sha1);
        br_sha256_init(&c->sha256);
    }
}

static void fp_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
    fp_ctx_t *c = (fp_ctx_t *)(void *)ctx;
    if (c->depth == 0) {
        br_x509_decoder_push(&c->dec, buf, len);
        br_sha1_update(&c->sha1, buf, len);
        br_sha256_update(&c->sha256, buf, len);
    }
}

static void fp_end_cert(const br_x509_class **ctx)
{
    ((fp_ctx_t *)(void *)ctx)->depth++;
}

static unsigned fp_end_chain(const br_x509_class **ctx)
{
    fp_ctx_t *c = (fp_ctx_t *)(void *)ctx;
    uint8_t h[32];
    if (c->t->fp_len == 20)
        br_sha1_out(&c->sha1, h);
    else
        br_sha256_out(&c->sha256, h);
    unsigned diff = 0;
    for (size_t i = 0; i < c->t->fp_len; i++)
        diff |= (unsigned)(h[i] ^ c->t->fp[i]);
    if (diff)
        return BR_ERR_X509_NOT_TRUSTED;
    if (!br_x509_decoder_get_pkey(&c->dec)) {
        int e = br_x509_decoder_last_error(&c->dec);
        return e ? (unsigned)e : BR_ERR_X509_INVALID_VALUE;
    }
    c->ok = true;
    return 0;
}

static const br_x509_pkey *fp_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
    fp_ctx_t *c = (fp_ctx_t *)(void *)ctx;
    if (usages)
        *usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
    return c->ok ? br_x509_decoder_get_pkey(&c->dec) : NULL;
}

static const br_x509_class fp_class = {sizeof(fp_ctx_t), fp_start_chain, fp_start_cert, fp_append,
                                       fp_end_cert,      fp_end_chain,   fp_get_pkey};

struct tls_client {
    br_ssl_client_context cc;
    br_x509_minimal_context xc;
    br_x509_knownkey_context kc;
    fp_ctx_t fc;
    unsigned char *rx, *tx;
};

tls_client_t *tls_client_new(const tls_client_config_t *cfg, const char *host)
{
    uint32_t rx = cfg->rx_buf ? cfg->rx_buf : BR_SSL_BUFSIZE_INPUT;
    uint32_t tx = cfg->tx_buf ? cfg->tx_buf : BR_SSL_BUFSIZE_OUTPUT;
    const tls_trust_t *t = cfg->trust;
    if (!t || rx < TLS_RX_BUF_MIN || tx < TLS_TX_BUF_MIN)
        return NULL;
    tls_client_t *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->rx = malloc(rx);
    c->tx = malloc(tx);
    if (!c->rx || !c->tx) {
        tls_client_free(c);
        return NULL;
    }
    br_ssl_client_init_full(&c->cc, &c->xc, t->ta, t->n_ta);
    if (t->fp_len) {
        c->fc.vtable = &fp_class;
        c->fc.t = t;
        br_ssl_engine_set_x509(&c->cc.eng, &c->fc.vtable);
    } else if (t->pin) {
        unsigned usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
        if (t->key.key_type == BR_KEYTYPE_RSA)
            br_x509_knownkey_init_rsa(&c->kc, &t->key.key.rsa, usages);
        else
            br_x509_knownkey_init_ec(&c->kc, &t->key.key.ec, usages);
        br_ssl_engine_set_x509(&c->cc.eng, &c->kc.vtable);
    }
    int64_t now = cfg->unix_time ? cfg->unix_time : (int64_t)time(NULL);
    /* BearSSL counts days from 1 January of year 0; 719528 of them precede 1970. */
    br_x509_minimal_set_time(&c->xc, (uint32_t)(now / 86400 + 719528), (uint32_t)(now % 86400));
    br_ssl_engine_set_buffers_bidi(&c->cc.eng, c->rx, rx, c->tx, tx);
    if (!br_ssl_client_reset(&c->cc, host, 0)) {
        tls_client_free(c);
        return NULL;
    }
    return c;
}

br_ssl_engine_context *tls_client_engine(tls_client_t *c)
{
    return &c->cc.eng;
}

void tls_client_free(tls_client_t *c)
{
    if (!c)
        return;
    free(c->rx);
    free(c->tx);
    free(c);
}

const char *tls_error_text(int e)
{
    switch (e) {
    case BR_ERR_OK:
        return "no TLS error";
    case BR_ERR_X509_NOT_TRUSTED:
        return "certificate not trusted (BR_ERR_X509_NOT_TRUSTED)";
    case BR_ERR_X509_BAD_SERVER_NAME:
        return "certificate is for another host name (BR_ERR_X509_BAD_SERVER_NAME)";
    case BR_ERR_X509_EXPIRED:
        return "certificate expired or not yet valid (BR_ERR_X509_EXPIRED)";
    case BR_ERR_X509_BAD_SIGNATURE:
        return "certificate signature invalid (BR_ERR_X509_BAD_SIGNATURE)";
    case BR_ERR_X509_WEAK_PUBLIC_KEY:
        return "server key too weak (BR_ERR_X509_WEAK_PUBLIC_KEY)";
    case BR_ERR_X509_LIMIT_EXCEEDED:
        return "certificate chain too long (BR_ERR_X509_LIMIT_EXCEEDED)";
    case BR_ERR_BAD_SIGNATURE:
        return "the server's handshake signature does not verify: not the pinned key? "
               "(BR_ERR_BAD_SIGNATURE)";
    case BR_ERR_TOO_LARGE:
        return "record larger than the receive buffer: the server ignored MFLN (BR_ERR_TOO_LARGE)";
    case BR_ERR_BAD_MAC:
        return "record MAC check failed (BR_ERR_BAD_MAC)";
    case BR_ERR_IO:
        return "transport failed during TLS (BR_ERR_IO)";
    default:
        break;
    }
    if (e >= BR_ERR_RECV_FATAL_ALERT && e < BR_ERR_RECV_FATAL_ALERT + 256)
        return "the server sent a fatal TLS alert";
    if (e >= BR_ERR_SEND_FATAL_ALERT && e < BR_ERR_SEND_FATAL_ALERT + 256)
        return "the TLS handshake failed (alert sent)";
    if (e >= 32 && e < 64)
        return "certificate rejected (BR_ERR_X509_*)";
    return "TLS protocol error";
}
