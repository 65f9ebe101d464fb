/* DNS message primitives (dns.h). */
#include "dns.h"

#include <string.h>

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

bool dns_read_header(const uint8_t *msg, size_t len, dns_header_t *h)
{
    if (len < DNS_HEADER_LEN)
        return false;
    h->id = get16(msg);
    h->flags = get16(msg + 2);
    h->qdcount = get16(msg + 4);
    h->ancount = get16(msg + 6);
    h->nscount = get16(msg + 8);
    h->arcount = get16(msg + 10);
    return true;
}

bool dns_read_name(const uint8_t *msg, size_t len, size_t *off, dns_name_t *out)
{
    size_t p = *off;
    size_t end = 0; /* where the caller's cursor goes: after the first pointer, or the name */
    bool jumped = false;
    /* Every pointer must point strictly before the start of the name, or of the previous
     * pointer's target: the targets strictly decrease, so the walk ends (a pointer that is
     * merely before itself is not enough: 10: a label spanning 11..29, 30: -> 10 loops). A
     * compressor only points at names written earlier, so real messages pass. */
    size_t limit = p;
    out->len = 0;
    for (;;) {
        if (p >= len)
            return false;
        uint8_t c = msg[p];
        if ((c & 0xC0) == 0xC0) {
            if (p + 1 >= len)
                return false;
            size_t target = ((size_t)(c & 0x3F) << 8) | msg[p + 1];
            if (target >= limit)
                return false;
            if (!jumped)
                end = p + 2;
            jumped = true;
            limit = target;
            p = target;
            continue;
        }
        if (c & 0xC0) /* 0x40, 0x80: reserved (RFC 6891 retired the extended labels) */
            return false;
        if ((size_t)out->len + 1u + c > DNS_NAME_MAX)
            return false;
        if (p + 1u + c > len)
            return false;
        memcpy(out->b + out->len, msg + p, 1u + c);
        out->len = (uint16_t)(out->len + 1u + c);
        p += 1u + c;
        if (c == 0)
            break;
    }
    *off = jumped ? end : p;
    return true;
}

bool dns_read_question(const uint8_t *msg, size_t len, size_t *off, dns_question_t *q)
{
    if (!dns_read_name(msg, len, off, &q->name) || len - *off < 4)
        return false;
    q->type = get16(msg + *off);
    q->klass = get16(msg + *off + 2);
    *off += 4;
    return true;
}

bool dns_read_rr(const uint8_t *msg, size_t len, size_t *off, dns_rr_t *rr)
{
    if (!dns_read_name(msg, len, off, &rr->name) || len - *off < 10)
        return false;
    const uint8_t *p = msg + *off;
    rr->type = get16(p);
    rr->klass = get16(p + 2);
    rr->ttl = (uint32_t)get16(p + 4) << 16 | get16(p + 6);
    rr->rdlen = get16(p + 8);
    *off += 10;
    if (len - *off < rr->rdlen)
        return false;
    rr->rdata = *off;
    *off += rr->rdlen;
    return true;
}

bool dns_name_prepend(dns_name_t *out, const uint8_t *label, size_t n, const dns_name_t *rest)
{
    if (n == 0 || n > DNS_LABEL_MAX || rest->len == 0 || 1u + n + rest->len > DNS_NAME_MAX)
        return false;
    uint8_t tmp[DNS_NAME_MAX];
    tmp[0] = (uint8_t)n;
    memcpy(tmp + 1, label, n);
    memcpy(tmp + 1 + n, rest->b, rest->len);
    out->len = (uint16_t)(1u + n + rest->len);
    memcpy(out->b, tmp, out->len);
    return true;
}

bool dns_name_from_text(dns_name_t *out, const char *text)
{
    size_t tl = strlen(text);
    if (tl && text[tl - 1] == '.')
        tl--;
    size_t o = 0;
    for (size_t i = 0; i < tl;) {
        size_t j = i;
        while (j < tl && text[j] != '.')
            j++;
        size_t n = j - i;
        if (n == 0 || n > DNS_LABEL_MAX || o + 1u + n + 1u > DNS_NAME_MAX)
            return false;
        out->b[o] = (uint8_t)n;
        memcpy(out->b + o + 1, text + i, n);
        o += 1u + n;
        i = j + (j < tl);
        if (j < tl && j + 1 == tl)
            return false; /* "a..": an empty label before the final dot */
    }
    out->b[o++] = 0;
    out->len = (uint16_t)o;
    return true;
}

static uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* Length bytes are <= 63, never in 'A'..'Z', so folding the whole form is safe. */
bool dns_name_eq(const dns_name_t *a, const dns_name_t *b)
{
    if (a->len != b->len)
        return false;
    for (size_t i = 0; i < a->len; i++)
        if (lower(a->b[i]) != lower(b->b[i]))
            return false;
    return true;
}

void dns_writer_init(dns_writer_t *w, uint8_t *buf, size_t cap)
{
    memset(w, 0, sizeof(*w));
    w->buf = buf;
    w->cap = cap;
}

void dns_put_bytes(dns_writer_t *w, const void *p, size_t n)
{
    if (w->full || w->cap - w->len < n) {
        w->full = true;
        return;
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

void dns_put_u16(dns_writer_t *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    dns_put_bytes(w, b, 2);
}

void dns_put_u32(dns_writer_t *w, uint32_t v)
{
    dns_put_u16(w, (uint16_t)(v >> 16));
    dns_put_u16(w, (uint16_t)v);
}

void dns_put_header(dns_writer_t *w, const dns_header_t *h)
{
    w->len = 0;
    w->nnames = 0;
    w->full = false;
    dns_put_u16(w, h->id);
    dns_put_u16(w, h->flags);
    dns_put_u16(w, h->qdcount);
    dns_put_u16(w, h->ancount);
    dns_put_u16(w, h->nscount);
    dns_put_u16(w, h->arcount);
}

/* An earlier name (one of the remembered label starts) equal to the suffix of n at `at`. */
static int find_suffix(const dns_writer_t *w, const dns_name_t *n, size_t at)
{
    dns_name_t suf, prev;
    suf.len = (uint16_t)(n->len - at);
    memcpy(suf.b, n->b + at, suf.len);
    for (unsigned i = 0; i < w->nnames; i++) {
        size_t o = w->names[i];
        if (dns_read_name(w->buf, w->len, &o, &prev) && dns_name_eq(&prev, &suf))
            return w->names[i];
    }
    return -1;
}

void dns_put_name(dns_writer_t *w, const dns_name_t *n)
{
    for (size_t at = 0; at < n->len && n->b[at] != 0; at += 1u + n->b[at]) {
        int prev = find_suffix(w, n, at);
        if (prev >= 0) {
            dns_put_u16(w, (uint16_t)(0xC000u | (unsigned)prev));
            return;
        }
        if (!w->full && w->len < 0x3FFFu && w->nnames < DNS_WRITER_NAMES)
            w->names[w->nnames++] = (uint16_t)w->len;
        dns_put_bytes(w, n->b + at, 1u + n->b[at]);
    }
    dns_put_bytes(w, "", 1);
}
