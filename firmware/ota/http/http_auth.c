/* See http_auth.h. */
#include "http_auth.h"

#include <stdint.h>
#include <string.h>

#include "base64.h"
#include "http_head.h"
#include "md5.h"
#include "strbuf.h"

#define CRED_MAX 128u

bool ota_ct_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t n = la > lb ? la : lb;
    uint8_t diff = (uint8_t)(la != lb);
    for (size_t i = 0; i < n; i++) {
        uint8_t x = i < la ? (uint8_t)a[i] : 0, y = i < lb ? (uint8_t)b[i] : 0;
        diff |= (uint8_t)(x ^ y);
    }
    return diff == 0;
}

bool http_auth_required(const http_auth_t *a)
{
    return a->user && a->user[0] && a->pass && a->pass[0];
}

static bool check_basic(const http_auth_t *a, const char *token)
{
    char plain[2 * CRED_MAX + 2];
    strbuf_t sb;
    sb_init(&sb, plain, sizeof(plain));
    sb_puts(&sb, a->user);
    sb_putc(&sb, ':');
    sb_puts(&sb, a->pass);
    if (sb.len >= sizeof(plain))
        return false;
    char want[BASE64_ENCODED_LEN(sizeof(plain)) + 1];
    if (!base64_encode(plain, sb.len, want, sizeof(want)))
        return false;
    while (*token == ' ')
        token++;
    return ota_ct_equal(token, want);
}

/* The value of `key` in a Digest parameter list (key="v" or key=v), or false. */
static bool digest_param(const char *p, const char *key, char *out, size_t cap)
{
    size_t klen = strlen(key);
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *k = p;
        while (*p && *p != '=' && *p != ',')
            p++;
        if (*p != '=')
            return false;
        bool match = (size_t)(p - k) == klen && http_strneq_nocase(k, key, klen);
        p++;
        size_t n = 0;
        bool quoted = *p == '"';
        if (quoted)
            p++;
        while (*p && (quoted ? *p != '"' : *p != ',')) {
            if (match && n + 1 >= cap)
                return false;
            if (match)
                out[n++] = *p;
            p++;
        }
        if (quoted && *p != '"')
            return false;
        if (quoted)
            p++;
        if (match) {
            out[n] = '\0';
            return true;
        }
    }
    return false;
}

static void md5_hex_of(const char *s, char out[33])
{
    md5_ctx_t c;
    uint8_t d[MD5_DIGEST_LEN];
    md5_init(&c);
    md5_update(&c, s, strlen(s));
    md5_final(&c, d);
    strbuf_t sb;
    sb_init(&sb, out, 33);
    sb_put_hex(&sb, d, sizeof(d));
}

/* "a:b:c..." of up to 6 parts into buf; false if it does not fit. */
static bool join(char *buf, size_t cap, const char *const *parts, size_t n)
{
    strbuf_t sb;
    sb_init(&sb, buf, cap);
    for (size_t i = 0; i < n; i++) {
        if (i)
            sb_putc(&sb, ':');
        sb_puts(&sb, parts[i]);
    }
    return sb.len < cap;
}

static bool check_digest(const http_auth_t *a, const char *method, const char *params)
{
    char user[CRED_MAX], realm[CRED_MAX], nonce[CRED_MAX], uri[CRED_MAX], response[40],
        qop[16] = "", nc[16] = "", cnonce[CRED_MAX] = "";
    if (!digest_param(params, "username", user, sizeof(user)) ||
        !digest_param(params, "realm", realm, sizeof(realm)) ||
        !digest_param(params, "nonce", nonce, sizeof(nonce)) ||
        !digest_param(params, "uri", uri, sizeof(uri)) ||
        !digest_param(params, "response", response, sizeof(response)))
        return false;
    bool has_qop = digest_param(params, "qop", qop, sizeof(qop));
    if (has_qop && (strcmp(qop, "auth") != 0 || !digest_param(params, "nc", nc, sizeof(nc)) ||
                    !digest_param(params, "cnonce", cnonce, sizeof(cnonce))))
        return false;
    if (strcmp(user, a->user) != 0)
        return false;
    char buf[4 * CRED_MAX + 64], ha1[33], ha2[33], want[33];
    const char *a1[] = {user, realm, a->pass};
    const char *a2[] = {method, uri};
    if (!join(buf, sizeof(buf), a1, 3))
        return false;
    md5_hex_of(buf, ha1);
    if (!join(buf, sizeof(buf), a2, 2))
        return false;
    md5_hex_of(buf, ha2);
    const char *r6[] = {ha1, nonce, nc, cnonce, qop, ha2};
    const char *r3[] = {ha1, nonce, ha2};
    if (!(has_qop ? join(buf, sizeof(buf), r6, 6) : join(buf, sizeof(buf), r3, 3)))
        return false;
    md5_hex_of(buf, want);
    return ota_ct_equal(response, want);
}

bool http_auth_check(const http_auth_t *a, const char *method, const char *auth)
{
    if (!http_auth_required(a))
        return true;
    if (!auth)
        return false;
    if (http_strneq_nocase(auth, "Basic ", 6))
        return check_basic(a, auth + 6);
    if (http_strneq_nocase(auth, "Digest ", 7))
        return check_digest(a, method, auth + 7);
    return false;
}
