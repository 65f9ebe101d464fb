/* The mDNS responder (mdns.h). */
#include "mdns.h"

#include <string.h>

#define MDNS_QMAX 8u /* questions echoed in a legacy unicast answer */

void mdns_arduino_config(mdns_config_t *c, const char *hostname, uint32_t ipv4, uint16_t port,
                         const char *board, bool auth)
{
    memset(c, 0, sizeof(*c));
    c->hostname = hostname;
    c->ipv4 = ipv4;
    c->service = "arduino";
    c->proto = "tcp";
    c->port = port;
    /* LEAmDNS.cpp: enableArduino, in this order */
    c->txt[0] = (mdns_txt_t){"tcp_check", "no"};
    c->txt[1] = (mdns_txt_t){"ssh_upload", "no"};
    c->txt[2] = (mdns_txt_t){"board", board};
    c->txt[3] = (mdns_txt_t){"auth_upload", auth ? "yes" : "no"};
    c->ntxt = 4;
}

void mdns_arduino_hostname(uint32_t chip_id, char out[17])
{
    memcpy(out, "esp8266-", 8);
    int digits = 6;
    while (digits < 8 && (chip_id >> (4 * digits)))
        digits++;
    for (int i = 0; i < digits; i++)
        out[8 + i] = "0123456789abcdef"[(chip_id >> (4 * (digits - 1 - i))) & 0xF];
    out[8 + digits] = 0;
}

static bool label_name(dns_name_t *out, const char *label, const dns_name_t *rest)
{
    return label && dns_name_prepend(out, (const uint8_t *)label, strlen(label), rest);
}

bool mdns_init(mdns_t *m, const mdns_config_t *c)
{
    memset(m, 0, sizeof(*m));
    m->ipv4 = c->ipv4;
    m->port = c->port;
    dns_name_t local, proto;
    char sv[DNS_LABEL_MAX + 2], pr[5];
    if (!c->service || !c->proto || strlen(c->service) > DNS_LABEL_MAX - 1 ||
        (strcmp(c->proto, "tcp") && strcmp(c->proto, "udp")))
        return false;
    sv[0] = pr[0] = '_';
    strcpy(sv + 1, c->service);
    strcpy(pr + 1, c->proto);
    if (!dns_name_from_text(&local, "local") || !label_name(&m->host, c->hostname, &local) ||
        !label_name(&proto, pr, &local) || !label_name(&m->service, sv, &proto) ||
        !label_name(&m->instance, c->instance ? c->instance : c->hostname, &m->service) ||
        !dns_name_from_text(&m->enumname, "_services._dns-sd._udp.local"))
        return false;
    if (c->ntxt > MDNS_TXT_MAX)
        return false;
    size_t o = 0;
    for (unsigned i = 0; i < c->ntxt; i++) {
        const char *k = c->txt[i].key, *v = c->txt[i].value ? c->txt[i].value : "";
        if (!k || !*k)
            return false;
        size_t kl = strlen(k), vl = strlen(v), n = kl + 1 + vl;
        if (n > 255 || o + 1 + n > MDNS_TXT_LEN)
            return false;
        m->txt[o] = (uint8_t)n;
        memcpy(m->txt + o + 1, k, kl);
        m->txt[o + 1 + kl] = '=';
        memcpy(m->txt + o + 2 + kl, v, vl);
        o += 1 + n;
    }
    if (o == 0)
        m->txt[o++] = 0; /* RFC 6763 §6.1: an empty TXT record is one empty string */
    m->txtlen = (uint16_t)o;
    return true;
}

static const dns_name_t *rec_name(const mdns_t *m, mdns_rec_t r)
{
    switch (r) {
    case MDNS_REC_A:
        return &m->host;
    case MDNS_REC_PTR:
        return &m->service;
    case MDNS_REC_ENUM:
        return &m->enumname;
    default:
        return &m->instance;
    }
}

static uint16_t rec_type(mdns_rec_t r)
{
    static const uint16_t t[MDNS_NREC] = {DNS_TYPE_A, DNS_TYPE_PTR, DNS_TYPE_PTR, DNS_TYPE_SRV,
                                          DNS_TYPE_TXT};
    return t[r];
}

static uint32_t rec_ttl(mdns_rec_t r)
{
    return (r == MDNS_REC_A || r == MDNS_REC_SRV) ? MDNS_TTL_HOST : MDNS_TTL_OTHER;
}

/* PTR records are shared; the others are unique to this device (cache-flush bit). */
static bool rec_unique(mdns_rec_t r)
{
    return r != MDNS_REC_PTR && r != MDNS_REC_ENUM;
}

static void patch16(dns_writer_t *w, size_t at, uint16_t v)
{
    if (!w->full && at + 2 <= w->len) {
        w->buf[at] = (uint8_t)(v >> 8);
        w->buf[at + 1] = (uint8_t)v;
    }
}

/* One record; false (and nothing written) if it does not fit. */
static bool put_rec(dns_writer_t *w, const mdns_t *m, mdns_rec_t r, uint32_t ttl, bool flush)
{
    dns_writer_t save = *w;
    dns_put_name(w, rec_name(m, r));
    dns_put_u16(w, rec_type(r));
    dns_put_u16(w, (uint16_t)(DNS_CLASS_IN | (flush && rec_unique(r) ? 0x8000u : 0)));
    dns_put_u32(w, ttl);
    size_t rdlen_at = w->len;
    dns_put_u16(w, 0);
    size_t start = w->len;
    switch (r) {
    case MDNS_REC_A:
        dns_put_u32(w, m->ipv4);
        break;
    case MDNS_REC_PTR:
        dns_put_name(w, &m->instance);
        break;
    case MDNS_REC_ENUM:
        dns_put_name(w, &m->service);
        break;
    case MDNS_REC_SRV:
        dns_put_u16(w, 0); /* priority */
        dns_put_u16(w, 0); /* weight */
        dns_put_u16(w, m->port);
        dns_put_name(w, &m->host);
        break;
    default:
        dns_put_bytes(w, m->txt, m->txtlen);
        break;
    }
    if (w->full) {
        *w = save;
        return false;
    }
    patch16(w, rdlen_at, (uint16_t)(w->len - start));
    return true;
}

/* Does the known answer at rr (in msg) hold exactly our record r? */
static bool same_rdata(const mdns_t *m, mdns_rec_t r, const uint8_t *msg, size_t len,
                       const dns_rr_t *rr)
{
    size_t o = rr->rdata, end = rr->rdata + rr->rdlen;
    dns_name_t n;
    switch (r) {
    case MDNS_REC_A:
        return rr->rdlen == 4 && ((uint32_t)msg[o] << 24 | (uint32_t)msg[o + 1] << 16 |
                                  (uint32_t)msg[o + 2] << 8 | msg[o + 3]) == m->ipv4;
    case MDNS_REC_PTR:
    case MDNS_REC_ENUM:
        return dns_read_name(msg, len, &o, &n) && o == end &&
               dns_name_eq(&n, r == MDNS_REC_PTR ? &m->instance : &m->service);
    case MDNS_REC_SRV:
        if (rr->rdlen < 7 || msg[o] || msg[o + 1] || msg[o + 2] || msg[o + 3] ||
            msg[o + 4] != (uint8_t)(m->port >> 8) || msg[o + 5] != (uint8_t)m->port)
            return false;
        o += 6;
        return dns_read_name(msg, len, &o, &n) && o == end && dns_name_eq(&n, &m->host);
    default:
        return rr->rdlen == m->txtlen && !memcmp(msg + o, m->txt, m->txtlen);
    }
}

static unsigned wanted_by(const mdns_t *m, const dns_question_t *q)
{
    unsigned k = q->klass & 0x7FFFu, mask = 0;
    if (k != DNS_CLASS_IN && k != DNS_CLASS_ANY)
        return 0;
    for (unsigned r = 0; r < MDNS_NREC; r++)
        if ((q->type == rec_type(r) || q->type == DNS_TYPE_ANY) &&
            dns_name_eq(&q->name, rec_name(m, r)))
            mask |= 1u << r;
    return mask;
}

size_t mdns_input(mdns_t *m, const uint8_t *pkt, size_t len, uint16_t src_port, bool to_unicast,
                  uint32_t now_ms, uint8_t *out, size_t cap, mdns_dest_t *dest)
{
    *dest = MDNS_TO_MULTICAST;
    dns_header_t h;
    if (!dns_read_header(pkt, len, &h) || (h.flags & DNS_FLAG_QR) || ((h.flags >> 11) & 0xF) ||
        (h.flags & 0xF))
        return 0;
    static dns_question_t qs[MDNS_QMAX]; /* static: ~2 KiB is too much for a device stack */
    unsigned nq = 0, want = 0, known = 0;
    bool any_qm = false;
    size_t off = DNS_HEADER_LEN;
    for (unsigned i = 0; i < h.qdcount; i++) {
        dns_question_t q;
        if (!dns_read_question(pkt, len, &off, &q))
            return 0;
        unsigned w = wanted_by(m, &q);
        if (w && !(q.klass & 0x8000u))
            any_qm = true;
        want |= w;
        if (nq < MDNS_QMAX)
            qs[nq++] = q;
    }
    for (unsigned i = 0; i < h.ancount; i++) {
        dns_rr_t rr;
        if (!dns_read_rr(pkt, len, &off, &rr))
            return 0;
        unsigned k = rr.klass & 0x7FFFu;
        for (unsigned r = 0; r < MDNS_NREC; r++)
            if (k == DNS_CLASS_IN && rr.type == rec_type(r) &&
                dns_name_eq(&rr.name, rec_name(m, r)) && rr.ttl >= rec_ttl(r) / 2 &&
                same_rdata(m, r, pkt, len, &rr))
                known |= 1u << r;
    }
    bool legacy = src_port != MDNS_PORT;
    bool unicast = legacy || to_unicast || (want && !any_qm);
    unsigned extra = 0;
    if (want & (1u << MDNS_REC_PTR))
        extra |= (1u << MDNS_REC_SRV) | (1u << MDNS_REC_TXT) | (1u << MDNS_REC_A);
    if (want & (1u << MDNS_REC_SRV))
        extra |= 1u << MDNS_REC_A;
    want &= ~known;
    extra &= ~(want | known);
    if (!unicast)
        for (unsigned r = 0; r < MDNS_NREC; r++)
            if (m->sent[r] && now_ms - m->last_ms[r] < 1000u) {
                want &= ~(1u << r);
                extra &= ~(1u << r);
            }
    if (!want)
        return 0;

    dns_writer_t w;
    dns_writer_init(&w, out, cap);
    dns_header_t rh = {.id = legacy ? h.id : 0, .flags = DNS_FLAG_QR | DNS_FLAG_AA};
    dns_put_header(&w, &rh);
    unsigned an = 0, ar = 0;
    if (legacy) {
        for (unsigned i = 0; i < nq; i++) {
            dns_put_name(&w, &qs[i].name);
            dns_put_u16(&w, qs[i].type);
            dns_put_u16(&w, qs[i].klass & 0x7FFFu);
        }
        if (w.full)
            return 0;
        patch16(&w, 4, (uint16_t)nq);
    }
    for (int pass = 0; pass < 2; pass++) {
        unsigned set = pass ? extra : want;
        for (unsigned r = 0; r < MDNS_NREC; r++) {
            if (!(set & (1u << r)))
                continue;
            uint32_t ttl = rec_ttl(r);
            if (legacy && ttl > MDNS_TTL_LEGACY)
                ttl = MDNS_TTL_LEGACY;
            if (!put_rec(&w, m, r, ttl, !legacy))
                break;
            *(pass ? &ar : &an) += 1;
            if (!unicast) {
                m->sent[r] = true;
                m->last_ms[r] = now_ms;
            }
        }
    }
    if (!an)
        return 0;
    patch16(&w, 6, (uint16_t)an);
    patch16(&w, 10, (uint16_t)ar);
    *dest = unicast ? MDNS_TO_SENDER : MDNS_TO_MULTICAST;
    return w.len;
}

/* Every record, as an unsolicited response. */
static size_t all_records(mdns_t *m, uint32_t ttl0, uint32_t now_ms, uint8_t *out, size_t cap)
{
    dns_writer_t w;
    dns_writer_init(&w, out, cap);
    dns_header_t rh = {.flags = DNS_FLAG_QR | DNS_FLAG_AA};
    dns_put_header(&w, &rh);
    unsigned an = 0;
    /* PTRs first so the instance and service names are written in full once */
    static const mdns_rec_t order[MDNS_NREC] = {MDNS_REC_ENUM, MDNS_REC_PTR, MDNS_REC_SRV,
                                                MDNS_REC_TXT, MDNS_REC_A};
    for (unsigned i = 0; i < MDNS_NREC; i++) {
        mdns_rec_t r = order[i];
        if (!put_rec(&w, m, r, ttl0 ? rec_ttl(r) : 0, true))
            return 0;
        an++;
        m->sent[r] = true;
        m->last_ms[r] = now_ms;
    }
    patch16(&w, 6, (uint16_t)an);
    return w.len;
}

void mdns_start(mdns_t *m, uint32_t now_ms)
{
    m->announce_left = 2;
    m->announce_at = now_ms;
}

size_t mdns_tick(mdns_t *m, uint32_t now_ms, uint8_t *out, size_t cap)
{
    if (!m->announce_left || (int32_t)(now_ms - m->announce_at) < 0)
        return 0;
    m->announce_left--;
    m->announce_at = now_ms + 1000u;
    return all_records(m, 1, now_ms, out, cap);
}

size_t mdns_goodbye(mdns_t *m, uint8_t *out, size_t cap)
{
    m->announce_left = 0;
    return all_records(m, 0, m->announce_at, out, cap);
}
