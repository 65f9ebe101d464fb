/* Network faults on Ethernet frames (netfault.h). */
#include "netfault.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ETH_HLEN 14
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

void netfault_cfg_none(netfault_cfg_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->drop_after = -1;
    cfg->stall_after = -1;
}

/* ---- spec strings ---- */

static bool parse_u64(const char *s, const char *end, uint64_t *v)
{
    if (s == end)
        return false;
    uint64_t x = 0;
    for (; s < end; s++) {
        if (*s < '0' || *s > '9' || x > (UINT64_MAX - 9) / 10)
            return false;
        x = x * 10 + (uint64_t)(*s - '0');
    }
    *v = x;
    return true;
}

static bool ends_with(const char *s, const char *end, const char *suf, const char **cut)
{
    size_t n = strlen(suf);
    if ((size_t)(end - s) < n || memcmp(end - n, suf, n) != 0)
        return false;
    *cut = end - n;
    return true;
}

/* "2", "2.5", "0.0001" percent -> parts per million. */
static bool parse_percent(const char *s, const char *end, uint32_t *ppm)
{
    const char *dot = memchr(s, '.', (size_t)(end - s));
    uint64_t whole, frac = 0;
    if (!parse_u64(s, dot ? dot : end, &whole) || whole > 100)
        return false;
    if (dot) {
        size_t digits = (size_t)(end - dot - 1);
        if (digits == 0 || digits > 4 || !parse_u64(dot + 1, end, &frac))
            return false;
        for (size_t i = digits; i < 4; i++)
            frac *= 10;
    }
    uint64_t v = whole * 10000 + frac;
    if (v > 1000000)
        return false;
    *ppm = (uint32_t)v;
    return true;
}

static bool fail(char *err, size_t errlen, const char *item, size_t len, const char *why)
{
    if (err && errlen)
        snprintf(err, errlen, "network fault '%.*s': %s", (int)len, item, why);
    return false;
}

bool netfault_parse(const char *spec, netfault_cfg_t *cfg, char *err, size_t errlen)
{
    netfault_cfg_t c;
    netfault_cfg_none(&c);
    const char *p = spec;
    while (*p) {
        const char *item = p, *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        size_t ilen = (size_t)(end - item);
        const char *eq = memchr(item, '=', ilen);
        if (!eq)
            return fail(err, errlen, item, ilen, "expected KEY=VALUE");
        size_t klen = (size_t)(eq - item);
        const char *v = eq + 1, *cut;
        uint64_t x;
#define KEY(name) (klen == strlen(name) && memcmp(item, name, klen) == 0)
        if (KEY("loss")) {
            const char *vend = ends_with(v, end, "%", &cut) ? cut : end;
            if (!parse_percent(v, vend, &c.loss_ppm))
                return fail(err, errlen, item, ilen, "expected a percentage 0..100 (e.g. 2.5%)");
        } else if (KEY("latency")) {
            uint64_t mul = 1000;
            const char *vend = end;
            if (ends_with(v, end, "us", &cut))
                mul = 1, vend = cut;
            else if (ends_with(v, end, "ms", &cut))
                vend = cut;
            else if (ends_with(v, end, "s", &cut))
                mul = 1000000, vend = cut;
            if (!parse_u64(v, vend, &x) || x * mul > 60000000u)
                return fail(err, errlen, item, ilen, "expected a delay up to 60s (e.g. 20ms)");
            c.latency_us = (uint32_t)(x * mul);
        } else if (KEY("bw")) {
            uint64_t mul = 1;
            const char *vend = end;
            if (ends_with(v, end, "k", &cut))
                mul = 1000, vend = cut;
            else if (ends_with(v, end, "M", &cut))
                mul = 1000000, vend = cut;
            if (!parse_u64(v, vend, &x) || x == 0 || x > UINT64_MAX / mul)
                return fail(err, errlen, item, ilen, "expected bytes/s > 0 (e.g. 64k)");
            c.bandwidth_bps = x * mul;
        } else if (KEY("drop") || KEY("stall")) {
            if (!parse_u64(v, end, &x) || x > (uint64_t)INT64_MAX)
                return fail(err, errlen, item, ilen, "expected a byte count");
            *(KEY("drop") ? &c.drop_after : &c.stall_after) = (int64_t)x;
        } else if (KEY("seed")) {
            if (!parse_u64(v, end, &x))
                return fail(err, errlen, item, ilen, "expected a number");
            c.seed = x;
        } else {
            return fail(err, errlen, item, ilen,
                        "unknown fault (expected loss, latency, bw, drop, stall or seed)");
        }
#undef KEY
        p = comma ? comma + 1 : end;
        if (comma && !*p)
            return fail(err, errlen, item, ilen, "trailing comma");
    }
    *cfg = c;
    return true;
}

void netfault_format(const netfault_cfg_t *c, char *out, size_t outlen)
{
    size_t n = 0;
    out[0] = 0;
#define ADD(...)                                                                                   \
    do {                                                                                           \
        if (n < outlen)                                                                            \
            n += (size_t)snprintf(out + n, outlen - n, "%s", n ? "," : "");                        \
        if (n < outlen)                                                                            \
            n += (size_t)snprintf(out + n, outlen - n, __VA_ARGS__);                               \
    } while (0)
    if (c->loss_ppm)
        ADD("loss=%u.%04u%%", c->loss_ppm / 10000, c->loss_ppm % 10000);
    if (c->latency_us)
        ADD("latency=%uus", c->latency_us);
    if (c->bandwidth_bps)
        ADD("bw=%" PRIu64, c->bandwidth_bps);
    if (c->drop_after >= 0)
        ADD("drop=%" PRId64, c->drop_after);
    if (c->stall_after >= 0)
        ADD("stall=%" PRId64, c->stall_after);
    ADD("seed=%" PRIu64, c->seed);
#undef ADD
}

/* ---- frames ---- */

void netfault_init(netfault_t *f, const netfault_cfg_t *cfg)
{
    memset(f, 0, sizeof(*f));
    f->cfg = *cfg;
    f->rng = cfg->seed;
}

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static uint32_t sum16(uint32_t s, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        s += get16(p + i);
    if (len & 1)
        s += (uint32_t)p[len - 1] << 8;
    return s;
}

static uint16_t fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xFFFF) + (s >> 16);
    return (uint16_t)~s;
}

/* A parsed IPv4/TCP frame. */
typedef struct tcpf {
    uint8_t *ip, *tcp;
    size_t ihl, thl, payload;
    uint32_t seq;
    uint8_t flags;
} tcpf_t;

static bool parse_tcp(uint8_t *frame, size_t len, tcpf_t *t)
{
    if (len < ETH_HLEN + 20 || get16(frame + 12) != 0x0800)
        return false;
    t->ip = frame + ETH_HLEN;
    t->ihl = (size_t)(t->ip[0] & 15) * 4;
    size_t tot = get16(t->ip + 2);
    if ((t->ip[0] >> 4) != 4 || t->ihl < 20 || tot < t->ihl + 20 || ETH_HLEN + tot > len ||
        t->ip[9] != 6 || (get16(t->ip + 6) & 0x3FFF) != 0) /* TCP, not fragmented */
        return false;
    t->tcp = t->ip + t->ihl;
    t->thl = (size_t)(t->tcp[12] >> 4) * 4;
    if (t->thl < 20 || t->ihl + t->thl > tot)
        return false;
    t->payload = tot - t->ihl - t->thl;
    t->seq = get32(t->tcp + 4);
    t->flags = t->tcp[13];
    return true;
}

/* Rewrites the frame to carry `keep` payload bytes (and `flags`), fixing both checksums;
 * returns the new frame length. */
static size_t rewrite(const tcpf_t *t, size_t keep, uint32_t seq, uint8_t flags)
{
    size_t tot = t->ihl + t->thl + keep;
    put16(t->ip + 2, (uint16_t)tot);
    put16(t->ip + 10, 0);
    put16(t->ip + 10, fold(sum16(0, t->ip, t->ihl)));
    put32(t->tcp + 4, seq);
    t->tcp[13] = flags;
    if (flags & TCP_RST)
        put16(t->tcp + 14, 0); /* window */
    put16(t->tcp + 16, 0);
    uint32_t s = sum16(0, t->ip + 12, 8) + 6 + (uint32_t)(t->thl + keep);
    put16(t->tcp + 16, fold(sum16(s, t->tcp, t->thl + keep)));
    return ETH_HLEN + tot;
}

static void emit_at(netfault_t *f, netfault_dir_t dir, const uint8_t *frame, size_t len,
                    int64_t now_us, netfault_emit_fn emit, void *opaque)
{
    int64_t release = now_us;
    if (f->cfg.bandwidth_bps) {
        int64_t start = f->busy_until_us[dir] > now_us ? f->busy_until_us[dir] : now_us;
        release = start + (int64_t)((uint64_t)len * 1000000u / f->cfg.bandwidth_bps);
        f->busy_until_us[dir] = release;
    }
    emit(opaque, frame, len, release + (int64_t)f->cfg.latency_us);
}

static void flow_key(const tcpf_t *t, uint8_t key[12])
{
    memcpy(key, t->ip + 12, 8); /* src, dst ip */
    memcpy(key + 8, t->tcp, 4); /* src, dst port */
}

void netfault_frame(netfault_t *f, netfault_dir_t dir, uint8_t *frame, size_t len, int64_t now_us,
                    netfault_emit_fn emit, void *opaque)
{
    bool ipv4 = len >= ETH_HLEN + 20 && get16(frame + 12) == 0x0800;
    if (ipv4 && f->cfg.loss_ppm && splitmix64(&f->rng) % 1000000u < f->cfg.loss_ppm) {
        f->st.lost++;
        return;
    }
    tcpf_t t;
    bool data_faults = f->cfg.drop_after >= 0 || f->cfg.stall_after >= 0;
    if (dir != NETFAULT_TO_DEV || !data_faults || !parse_tcp(frame, len, &t)) {
        emit_at(f, dir, frame, len, now_us, emit, opaque);
        return;
    }
    uint8_t key[12];
    flow_key(&t, key);
    if (!f->have_flow) {
        if (t.flags & TCP_SYN) { /* remember the ISN of the newest connection */
            memcpy(f->flow, key, 12);
            f->base_seq = t.seq + 1;
            f->have_base = true;
        } else if (t.payload && !(t.flags & TCP_RST)) {
            if (!f->have_base || memcmp(f->flow, key, 12) != 0)
                f->base_seq = t.seq; /* its SYN was not seen: count from here */
            memcpy(f->flow, key, 12);
            f->have_flow = true;
        }
    }
    if (!f->have_flow || memcmp(f->flow, key, 12) != 0 || (t.flags & (TCP_SYN | TCP_RST))) {
        emit_at(f, dir, frame, len, now_us, emit, opaque);
        return;
    }
    int64_t start = (int64_t)(uint32_t)(t.seq - f->base_seq);
    int64_t end = start + (int64_t)t.payload + ((t.flags & TCP_FIN) ? 1 : 0);
    bool drop = f->cfg.drop_after >= 0;
    int64_t limit = drop ? f->cfg.drop_after : f->cfg.stall_after;
    if (f->cfg.drop_after >= 0 && f->cfg.stall_after >= 0 && f->cfg.stall_after < limit)
        drop = false, limit = f->cfg.stall_after; /* the earlier of the two wins */
    if (end <= limit) {
        if (end > (int64_t)f->st.delivered_data)
            f->st.delivered_data = (uint64_t)end;
        emit_at(f, dir, frame, len, now_us, emit, opaque);
        return;
    }
    /* This segment reaches past the limit: deliver what lies before it, then RST or nothing.
     * Every later segment of the flow gets the same treatment, so holes left by a lost frame
     * are filled and the RST (seq exactly at the limit, as lwIP requires) is resent until it
     * lands. */
    size_t keep = start < limit ? (size_t)(limit - start) : 0;
    uint32_t rst_seq = f->base_seq + (uint32_t)limit;
    if (keep) {
        uint8_t flags = (uint8_t)(t.flags & ~TCP_FIN);
        size_t nlen = rewrite(&t, keep, t.seq, flags);
        if ((int64_t)f->st.delivered_data < limit)
            f->st.delivered_data = (uint64_t)limit;
        emit_at(f, dir, frame, nlen, now_us, emit, opaque);
    }
    if (drop) {
        size_t nlen = rewrite(&t, 0, rst_seq, TCP_RST | TCP_ACK);
        f->st.reset_sent = true;
        emit_at(f, dir, frame, nlen, now_us, emit, opaque);
    } else {
        f->st.stall_active = true;
        if (!keep)
            f->st.stalled++;
    }
}
