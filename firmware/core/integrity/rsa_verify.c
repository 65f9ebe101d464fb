/* RSA PKCS#1 v1.5 verification with SHA-256, and the public-key parser.
 *
 * Arithmetic: Montgomery multiplication (CIOS) on 32-bit limbs. s^e mod n takes R^2 mod n
 * (doublings from 2^(bits-1) plus a few Montgomery squarings, see mont_r2), one conversion into
 * Montgomery form, left-to-right square-and-multiply over e (for e = 65537: 16 squarings and one
 * multiplication, the usual fast path falls out of the general loop), one conversion out.
 * Everything is public data, so only the final comparison against the expected encoding is
 * constant-time.
 *
 * Stack: four modulus-sized limb buffers (n, accumulator, base, product with two extra limbs).
 * Moduli up to 2048 bits use a 258-limb work area (1,032 bytes), larger ones 514 limbs
 * (2,056 bytes); the rest of the frames add a few hundred bytes (measured with -fstack-usage on
 * lx106 -Os, see BENCHMARKS.md: 4096-bit verify under 2.3 KiB, 2048-bit under 1.3 KiB). */
#include "rsa_verify.h"

#include <string.h>

#define RSA_MIN_BITS 1024u
#define RSA_MAX_BITS 4096u
#define SMALL_LIMBS 64u /* 2048 bits */
#define LARGE_LIMBS (RSA_MAX_MODULUS_BYTES / 4u)

typedef struct {
    uint32_t *n;    /* modulus, little-endian limbs */
    uint32_t *acc;  /* accumulator */
    uint32_t *base; /* s in Montgomery form */
    uint32_t *t;    /* product scratch: limbs + 2 */
    size_t limbs;
    uint32_t n0inv; /* -n^-1 mod 2^32 */
} mont_t;

/* out = a * b / R mod n. out may alias a or b: it is written only at the end. */
static void mont_mul(const mont_t *m, uint32_t *out, const uint32_t *a, const uint32_t *b)
{
    size_t L = m->limbs;
    const uint32_t *n = m->n;
    uint32_t *t = m->t;
    memset(t, 0, (L + 2) * sizeof t[0]);
    for (size_t i = 0; i < L; i++) {
        uint64_t c = 0;
        uint32_t ai = a[i];
        for (size_t j = 0; j < L; j++) {
            c += (uint64_t)ai * b[j] + t[j];
            t[j] = (uint32_t)c;
            c >>= 32;
        }
        c += t[L];
        t[L] = (uint32_t)c;
        t[L + 1] = (uint32_t)(c >> 32);
        /* Add q*n so the lowest limb becomes zero, and shift down one limb. */
        uint32_t q = t[0] * m->n0inv;
        c = ((uint64_t)q * n[0] + t[0]) >> 32;
        for (size_t j = 1; j < L; j++) {
            c += (uint64_t)q * n[j] + t[j];
            t[j - 1] = (uint32_t)c;
            c >>= 32;
        }
        c += t[L];
        t[L - 1] = (uint32_t)c;
        t[L] = t[L + 1] + (uint32_t)(c >> 32);
    }
    /* t < 2n: one conditional subtraction. */
    bool ge = t[L] != 0;
    if (!ge) {
        ge = true; /* equal counts as >= */
        for (size_t j = L; j-- > 0;)
            if (t[j] != n[j]) {
                ge = t[j] > n[j];
                break;
            }
    }
    if (ge) {
        uint32_t borrow = 0;
        for (size_t j = 0; j < L; j++) {
            uint64_t d = (uint64_t)t[j] - n[j] - borrow;
            t[j] = (uint32_t)d;
            borrow = (uint32_t)(d >> 63);
        }
    }
    memcpy(out, t, L * sizeof t[0]);
}

/* x = 2x mod n, for x < n. */
static void mod_double(const mont_t *m, uint32_t *x)
{
    size_t L = m->limbs;
    uint32_t carry = 0;
    for (size_t j = 0; j < L; j++) {
        uint32_t top = x[j] >> 31;
        x[j] = (x[j] << 1) | carry;
        carry = top;
    }
    bool ge = carry != 0;
    if (!ge) {
        ge = true;
        for (size_t j = L; j-- > 0;)
            if (x[j] != m->n[j]) {
                ge = x[j] > m->n[j];
                break;
            }
    }
    if (ge) {
        uint32_t borrow = 0;
        for (size_t j = 0; j < L; j++) {
            uint64_t d = (uint64_t)x[j] - m->n[j] - borrow;
            x[j] = (uint32_t)d;
            borrow = (uint32_t)(d >> 63);
        }
    }
}

/* x = R^2 mod n, R = 2^(32L). Write 32L = k * 2^j with k odd (j = 5 + the twos in L). Doubling
 * 2^(bits-1) (which is < n) up to 2^(32L + k) gives 2^k * R mod n, the Montgomery form of 2^k;
 * j Montgomery squarings then give 2^(k * 2^j) * R = R^2. At most 32 + 127 doublings and 12
 * squarings, instead of the 32L doublings of the plain method. */
static void mont_r2(const mont_t *m, uint32_t *x, unsigned bits)
{
    size_t L = m->limbs;
    unsigned j = 5, k = (unsigned)L;
    while ((k & 1u) == 0) {
        k >>= 1;
        j++;
    }
    memset(x, 0, L * sizeof x[0]);
    x[(bits - 1) / 32] = 1u << ((bits - 1) % 32);
    for (unsigned i = bits - 1; i < 32u * (unsigned)L + k; i++)
        mod_double(m, x);
    while (j--)
        mont_mul(m, x, x, x);
}

static unsigned modulus_bits(const rsa_public_key_t *key)
{
    unsigned bits = (unsigned)key->n_len * 8u;
    for (uint8_t top = key->n[0]; (top & 0x80u) == 0 && bits > 0; top = (uint8_t)(top << 1))
        bits--;
    return bits;
}

static uint64_t exponent_value(const rsa_public_key_t *key)
{
    uint64_t e = 0;
    for (size_t i = 0; i < key->e_len; i++)
        e = (e << 8) | key->e[i];
    return e;
}

/* A key this code can use: 1024..4096-bit odd modulus without a leading zero byte, odd e >= 3
 * of at most 8 bytes. */
static bool key_usable(const rsa_public_key_t *key)
{
    if (key->n_len < RSA_MIN_BITS / 8 || key->n_len > RSA_MAX_MODULUS_BYTES || key->n[0] == 0)
        return false;
    unsigned bits = modulus_bits(key);
    if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS || (key->n[key->n_len - 1] & 1u) == 0)
        return false;
    if (key->e_len < 1 || key->e_len > RSA_MAX_EXPONENT_BYTES)
        return false;
    uint64_t e = exponent_value(key);
    return e >= 3 && (e & 1u) == 1;
}

/* Big-endian bytes -> little-endian limbs (limbs * 4 >= len). */
static void load_limbs(uint32_t *x, size_t limbs, const uint8_t *be, size_t len)
{
    memset(x, 0, limbs * sizeof x[0]);
    for (size_t i = 0; i < len; i++)
        x[i / 4] |= (uint32_t)be[len - 1 - i] << (8 * (i % 4));
}

static const uint8_t sha256_digest_info[19] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                               0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                               0x01, 0x05, 0x00, 0x04, 0x20};

/* m = sig^e mod n, then compare m with 00 01 FF.. 00 [DigestInfo] hash. */
static rsa_status_t verify_with(uint32_t *work, const rsa_public_key_t *key, const uint8_t *sig,
                                const uint8_t hash[32], bool with_digest_info)
{
    size_t k = key->n_len, L = (k + 3) / 4;
    mont_t m = {work, work + L, work + 2 * L, work + 3 * L, L, 0};
    load_limbs(m.n, L, key->n, k);
    /* Newton iteration for n^-1 mod 2^32: n0 is correct to 3 bits, each step doubles that. */
    uint32_t inv = m.n[0];
    for (int i = 0; i < 4; i++)
        inv *= 2u - m.n[0] * inv;
    m.n0inv = 0u - inv;

    mont_r2(&m, m.base, modulus_bits(key));
    load_limbs(m.acc, L, sig, k);
    mont_mul(&m, m.base, m.acc, m.base); /* s * R */
    memcpy(m.acc, m.base, L * sizeof m.acc[0]);
    uint64_t e = exponent_value(key);
    int top = 63;
    while (((e >> top) & 1u) == 0)
        top--;
    for (int b = top - 1; b >= 0; b--) {
        mont_mul(&m, m.acc, m.acc, m.acc);
        if ((e >> b) & 1u)
            mont_mul(&m, m.acc, m.acc, m.base);
    }
    memset(m.base, 0, L * sizeof m.base[0]);
    m.base[0] = 1;
    mont_mul(&m, m.acc, m.acc, m.base); /* out of Montgomery form */

    size_t tlen = 32 + (with_digest_info ? sizeof sha256_digest_info : 0);
    if (k < tlen + 11) /* 00 01, >= 8 x FF, 00: impossible for >= 1024-bit keys */
        return RSA_ERR_PADDING;
    size_t sep = k - tlen - 1; /* index of the 00 before the payload */
    uint32_t pad_diff = 0, hash_diff = 0;
    for (size_t i = 0; i < k; i++) {
        size_t pos = k - 1 - i; /* byte i (big-endian) is limb pos/4, byte pos%4 */
        uint8_t got = (uint8_t)(m.acc[pos / 4] >> (8 * (pos % 4)));
        uint8_t want;
        if (i >= k - 32)
            hash_diff |= (uint32_t)(got ^ hash[i - (k - 32)]);
        else {
            if (i == 0 || i == sep)
                want = 0x00;
            else if (i == 1)
                want = 0x01;
            else if (i < sep)
                want = 0xFF;
            else
                want = sha256_digest_info[i - sep - 1];
            pad_diff |= (uint32_t)(got ^ want);
        }
    }
    if (pad_diff != 0)
        return RSA_ERR_PADDING;
    return hash_diff == 0 ? RSA_OK : RSA_ERR_MISMATCH;
}

/* Separate frames so that a 2048-bit verify does not pay for 4096-bit buffers. */
__attribute__((noinline)) static rsa_status_t
verify_small(const rsa_public_key_t *key, const uint8_t *sig, const uint8_t hash[32], bool di)
{
    uint32_t work[4 * SMALL_LIMBS + 2];
    return verify_with(work, key, sig, hash, di);
}

__attribute__((noinline)) static rsa_status_t
verify_large(const rsa_public_key_t *key, const uint8_t *sig, const uint8_t hash[32], bool di)
{
    uint32_t work[4 * LARGE_LIMBS + 2];
    return verify_with(work, key, sig, hash, di);
}

rsa_status_t rsa_verify_sha256(const rsa_public_key_t *key, const uint8_t *sig, size_t sig_len,
                               const uint8_t hash[32], bool with_digest_info)
{
    if (key == NULL || !key_usable(key))
        return RSA_ERR_KEY;
    if (sig == NULL || sig_len != key->n_len)
        return RSA_ERR_SIG_LEN;
    /* sig < n, big-endian, same length. */
    size_t i = 0;
    while (i < sig_len && sig[i] == key->n[i])
        i++;
    if (i == sig_len || sig[i] > key->n[i])
        return RSA_ERR_SIG_RANGE;
    if (key->n_len <= SMALL_LIMBS * 4)
        return verify_small(key, sig, hash, with_digest_info);
    return verify_large(key, sig, hash, with_digest_info);
}

/* ---- DER ---- */

typedef struct {
    const uint8_t *p;
    size_t len;
} der_t;

/* Take one element with the given tag off the front of d (definite, minimal lengths only). */
static bool der_take(der_t *d, uint8_t tag, der_t *content)
{
    if (d->len < 2 || d->p[0] != tag)
        return false;
    size_t head = 2, clen = d->p[1];
    if (clen & 0x80u) {
        size_t nbytes = clen & 0x7Fu;
        if (nbytes == 0 || nbytes > 2 || d->len < 2 + nbytes || d->p[2] == 0)
            return false;
        clen = 0;
        for (size_t i = 0; i < nbytes; i++)
            clen = (clen << 8) | d->p[2 + i];
        if (clen < 0x80)
            return false;
        head += nbytes;
    }
    if (clen > d->len - head)
        return false;
    content->p = d->p + head;
    content->len = clen;
    d->p += head + clen;
    d->len -= head + clen;
    return true;
}

/* A non-negative, minimally encoded INTEGER, returned without its sign byte. */
static bool der_take_uint(der_t *d, der_t *value)
{
    if (!der_take(d, 0x02, value) || value->len == 0 || (value->p[0] & 0x80u))
        return false;
    if (value->p[0] == 0 && value->len > 1) {
        if ((value->p[1] & 0x80u) == 0)
            return false; /* a redundant leading zero */
        value->p++;
        value->len--;
    }
    return true;
}

/* RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }, exactly. */
static rsa_status_t parse_pkcs1(der_t d, rsa_public_key_t *key)
{
    der_t seq, n, e;
    if (!der_take(&d, 0x30, &seq) || d.len != 0 || !der_take_uint(&seq, &n) ||
        !der_take_uint(&seq, &e) || seq.len != 0)
        return RSA_ERR_KEY;
    if (n.len > RSA_MAX_MODULUS_BYTES || e.len > RSA_MAX_EXPONENT_BYTES)
        return RSA_ERR_KEY;
    memcpy(key->n, n.p, n.len);
    key->n_len = n.len;
    memcpy(key->e, e.p, e.len);
    key->e_len = e.len;
    return key_usable(key) ? RSA_OK : RSA_ERR_KEY;
}

/* SubjectPublicKeyInfo with AlgorithmIdentifier { rsaEncryption, NULL }. */
static rsa_status_t parse_spki(der_t d, rsa_public_key_t *key)
{
    static const uint8_t rsa_oid[9] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
    der_t seq, alg, oid, null, bits;
    if (!der_take(&d, 0x30, &seq) || d.len != 0 || !der_take(&seq, 0x30, &alg) ||
        !der_take(&alg, 0x06, &oid) || oid.len != sizeof rsa_oid ||
        memcmp(oid.p, rsa_oid, sizeof rsa_oid) != 0 || !der_take(&alg, 0x05, &null) ||
        null.len != 0 || alg.len != 0 || !der_take(&seq, 0x03, &bits) || seq.len != 0 ||
        bits.len < 1 || bits.p[0] != 0)
        return RSA_ERR_KEY;
    bits.p++; /* the unused-bits count */
    bits.len--;
    return parse_pkcs1(bits, key);
}

rsa_status_t rsa_parse_public_key_der(const uint8_t *der, size_t len, rsa_public_key_t *key)
{
    if (key == NULL)
        return RSA_ERR_KEY;
    memset(key, 0, sizeof *key);
    if (der == NULL || len < 4 || der[0] != 0x30)
        return RSA_ERR_KEY;
    der_t d = {der, len}, seq;
    if (!der_take(&d, 0x30, &seq) || seq.len == 0)
        return RSA_ERR_KEY;
    /* SPKI starts with the AlgorithmIdentifier SEQUENCE, PKCS#1 with the modulus INTEGER. */
    der_t whole = {der, len};
    rsa_status_t st = seq.p[0] == 0x30 ? parse_spki(whole, key) : parse_pkcs1(whole, key);
    if (st != RSA_OK)
        memset(key, 0, sizeof *key);
    return st;
}

/* ---- PEM ---- */

/* Base64 value of c, 64 for padding, 65 for whitespace, -1 for anything else. */
static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    if (c == '=')
        return 64;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
        return 65;
    return -1;
}

/* Strict base64 with whitespace allowed anywhere: '=' only as the final padding of a complete
 * quantum, no data after it, unused bits zero. Returns the decoded length or -1. */
static long b64_decode(const char *s, size_t len, uint8_t *out, size_t cap)
{
    size_t n = 0, pad = 0;
    uint32_t acc = 0;
    unsigned have = 0; /* sextets in acc */
    for (size_t i = 0; i < len; i++) {
        int v = b64_value(s[i]);
        if (v < 0)
            return -1;
        if (v == 65)
            continue;
        if (v == 64) {
            pad++;
            if (have + pad > 4 || have < 2)
                return -1;
            continue;
        }
        if (pad > 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        if (++have == 4) {
            if (n + 3 > cap)
                return -1;
            out[n++] = (uint8_t)(acc >> 16);
            out[n++] = (uint8_t)(acc >> 8);
            out[n++] = (uint8_t)acc;
            acc = 0;
            have = 0;
        }
    }
    if (have == 0)
        return pad == 0 ? (long)n : -1;
    if (have + pad != 4) /* a partial quantum needs its padding */
        return -1;
    if (n + have - 1 > cap)
        return -1;
    if (have == 2) {
        if (acc & 0xFu)
            return -1;
        out[n++] = (uint8_t)(acc >> 4);
    } else {
        if (acc & 0x3u)
            return -1;
        out[n++] = (uint8_t)(acc >> 10);
        out[n++] = (uint8_t)(acc >> 2);
    }
    return (long)n;
}

/* First occurrence of the NUL-terminated needle in s[0..len), or NULL. */
static const char *find(const char *s, size_t len, const char *needle)
{
    size_t nl = strlen(needle);
    for (size_t i = 0; nl <= len && i <= len - nl; i++)
        if (memcmp(s + i, needle, nl) == 0)
            return s + i;
    return NULL;
}

/* Largest DER this parser accepts: a 4096-bit SPKI with an 8-byte exponent is about 550. */
#define PEM_DER_MAX 640

rsa_status_t rsa_parse_public_key_pem(const char *pem, size_t len, rsa_public_key_t *key)
{
    static const char begin_spki[] = "-----BEGIN PUBLIC KEY-----";
    static const char begin_pkcs1[] = "-----BEGIN RSA PUBLIC KEY-----";
    static const char end_spki[] = "-----END PUBLIC KEY-----";
    static const char end_pkcs1[] = "-----END RSA PUBLIC KEY-----";
    if (key == NULL)
        return RSA_ERR_KEY;
    memset(key, 0, sizeof *key);
    if (pem == NULL)
        return RSA_ERR_KEY;
    const char *b = find(pem, len, "-----BEGIN ");
    if (b == NULL)
        return RSA_ERR_KEY;
    size_t rest = len - (size_t)(b - pem);
    bool spki;
    const char *body, *end;
    if (rest >= sizeof begin_spki - 1 && memcmp(b, begin_spki, sizeof begin_spki - 1) == 0) {
        spki = true;
        body = b + sizeof begin_spki - 1;
    } else if (rest >= sizeof begin_pkcs1 - 1 &&
               memcmp(b, begin_pkcs1, sizeof begin_pkcs1 - 1) == 0) {
        spki = false;
        body = b + sizeof begin_pkcs1 - 1;
    } else {
        return RSA_ERR_KEY;
    }
    size_t body_room = len - (size_t)(body - pem);
    end = find(body, body_room, spki ? end_spki : end_pkcs1);
    if (end == NULL)
        return RSA_ERR_KEY;
    uint8_t der[PEM_DER_MAX];
    long n = b64_decode(body, (size_t)(end - body), der, sizeof der);
    if (n <= 0)
        return RSA_ERR_KEY;
    der_t d = {der, (size_t)n};
    rsa_status_t st = spki ? parse_spki(d, key) : parse_pkcs1(d, key);
    if (st != RSA_OK)
        memset(key, 0, sizeof *key);
    return st;
}
