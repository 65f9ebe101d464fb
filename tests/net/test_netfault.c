/* Network faults on hand-built frames (emu/native/netfault.c): the spec parser, loss draws,
 * delays, and the exact drop/stall cut of the data connection, with every emitted frame's IPv4
 * and TCP checksums recomputed here by the RFC 1071 rule. */
#include <criterion/criterion.h>
#include <string.h>

#include "netfault.h"

/* ---- spec strings ---- */

Test(netfault_parse, every_item_and_round_trip)
{
    netfault_cfg_t c;
    char err[200];
    cr_assert(netfault_parse("loss=2.5%,latency=20ms,bw=64k,drop=5000,stall=100,seed=7", &c, err,
                             sizeof err),
              "%s", err);
    cr_expect_eq(c.loss_ppm, 25000);
    cr_expect_eq(c.latency_us, 20000);
    cr_expect_eq(c.bandwidth_bps, 64000);
    cr_expect_eq(c.drop_after, 5000);
    cr_expect_eq(c.stall_after, 100);
    cr_expect_eq(c.seed, 7);
    char back[200];
    netfault_format(&c, back, sizeof back);
    netfault_cfg_t d;
    cr_assert(netfault_parse(back, &d, err, sizeof err), "%s: %s", back, err);
    cr_expect_eq(memcmp(&c, &d, sizeof c), 0, "round trip of '%s'", back);
    cr_assert(netfault_parse("latency=3s,bw=2M,loss=0.0001", &c, err, sizeof err));
    cr_expect_eq(c.latency_us, 3000000);
    cr_expect_eq(c.bandwidth_bps, 2000000);
    cr_expect_eq(c.loss_ppm, 1);
    cr_expect_eq(c.drop_after, -1);
    cr_assert(netfault_parse("", &c, err, sizeof err), "empty spec: no faults");
    cr_expect_eq(c.loss_ppm + c.latency_us, 0);
}

Test(netfault_parse, errors_name_the_item)
{
    static const char *const bad[][2] = {
        {"loss=101%", "loss=101%"},    {"loss=1.23456", "loss=1.23456"},
        {"latency=5m", "latency=5m"},  {"bw=0", "bw=0"},
        {"drop=-1", "drop=-1"},        {"stall=x", "stall=x"},
        {"jitter=5", "unknown fault"}, {"loss", "expected KEY=VALUE"},
        {"drop=5,", "trailing comma"}, {"seed=99999999999999999999", "seed="},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        netfault_cfg_t c;
        char err[200] = "";
        cr_expect_not(netfault_parse(bad[i][0], &c, err, sizeof err), "'%s' accepted", bad[i][0]);
        cr_expect(strstr(err, bad[i][1]), "'%s': message '%s' lacks '%s'", bad[i][0], err,
                  bad[i][1]);
    }
}

/* ---- frames ---- */

typedef struct out {
    uint8_t f[8][1600];
    size_t len[8];
    int64_t at[8];
    int n;
} out_t;

static void collect(void *opaque, const uint8_t *frame, size_t len, int64_t release_us)
{
    out_t *o = opaque;
    cr_assert_lt(o->n, 8);
    memcpy(o->f[o->n], frame, len);
    o->len[o->n] = len;
    o->at[o->n] = release_us;
    o->n++;
}

static uint32_t ref_sum(const uint8_t *p, size_t len, uint32_t s)
{
    for (size_t i = 0; i < len; i++)
        s += (i % 2) ? p[i] : (uint32_t)p[i] << 8;
    return s;
}

static uint16_t ref_fold(uint32_t s)
{
    while (s > 0xFFFF)
        s = (s >> 16) + (s & 0xFFFF);
    return (uint16_t)(~s & 0xFFFF);
}

/* An Ethernet + IPv4 + TCP frame from the host (10.0.2.2:port_src) to the device. */
static size_t mk(uint8_t *f, uint16_t sport, uint32_t seq, uint8_t flags, size_t payload)
{
    memset(f, 0, 1600);
    f[12] = 0x08;
    uint8_t *ip = f + 14, *tcp = ip + 20;
    size_t tot = 20 + 20 + payload;
    ip[0] = 0x45;
    ip[2] = (uint8_t)(tot >> 8);
    ip[3] = (uint8_t)tot;
    ip[8] = 64;
    ip[9] = 6;
    memcpy(ip + 12, (uint8_t[]){10, 0, 2, 2, 10, 0, 2, 15}, 8);
    tcp[0] = (uint8_t)(sport >> 8);
    tcp[1] = (uint8_t)sport;
    tcp[2] = 0x1F;
    tcp[3] = 0x90; /* 8080 */
    for (int i = 0; i < 4; i++)
        tcp[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    tcp[14] = 0x40;
    for (size_t i = 0; i < payload; i++)
        tcp[20 + i] = (uint8_t)(seq + i);
    uint16_t c = ref_fold(ref_sum(ip, 20, 0));
    ip[10] = (uint8_t)(c >> 8);
    ip[11] = (uint8_t)c;
    uint32_t ps = ref_sum(ip + 12, 8, 0) + 6 + (uint32_t)(20 + payload);
    c = ref_fold(ref_sum(tcp, 20 + payload, ps));
    tcp[16] = (uint8_t)(c >> 8);
    tcp[17] = (uint8_t)c;
    return 14 + tot;
}

/* A frame whose checksums are right: both sums over their covered bytes fold to 0. */
static void check_sums(const uint8_t *f, size_t len)
{
    const uint8_t *ip = f + 14;
    size_t tot = (size_t)(ip[2] << 8 | ip[3]);
    cr_assert_eq(14 + tot, len);
    cr_assert_eq(ref_fold(ref_sum(ip, 20, 0)), 0, "IPv4 checksum");
    uint32_t ps = ref_sum(ip + 12, 8, 0) + 6 + (uint32_t)(tot - 20);
    cr_assert_eq(ref_fold(ref_sum(ip + 20, tot - 20, ps)), 0, "TCP checksum");
}

static uint32_t seq_of(const uint8_t *f)
{
    const uint8_t *t = f + 34;
    return (uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7];
}

static size_t payload_of(const uint8_t *f)
{
    return (size_t)(f[16] << 8 | f[17]) - 40;
}

static out_t send(netfault_t *nf, netfault_dir_t dir, uint16_t sport, uint32_t seq, uint8_t flags,
                  size_t payload, int64_t now)
{
    static uint8_t f[1600];
    out_t o = {.n = 0};
    size_t len = mk(f, sport, seq, flags, payload);
    netfault_frame(nf, dir, f, len, now, collect, &o);
    for (int i = 0; i < o.n; i++)
        check_sums(o.f[i], o.len[i]);
    return o;
}

#define ISN 1000u

static netfault_t with(const char *spec)
{
    netfault_cfg_t c;
    char err[200];
    cr_assert(netfault_parse(spec, &c, err, sizeof err), "%s", err);
    netfault_t nf;
    netfault_init(&nf, &c);
    return nf;
}

Test(netfault_frames, drop_delivers_exactly_k_bytes_then_resets)
{
    netfault_t nf = with("drop=250");
    cr_assert_eq(send(&nf, NETFAULT_TO_DEV, 4000, ISN, 0x12, 0, 0).n, 1, "SYN-ACK passes");
    cr_assert_eq(send(&nf, NETFAULT_TO_DEV, 4000, ISN + 1, 0x18, 100, 0).n, 1);
    cr_assert_eq(send(&nf, NETFAULT_TO_DEV, 4000, ISN + 101, 0x18, 100, 0).n, 1);
    out_t o = send(&nf, NETFAULT_TO_DEV, 4000, ISN + 201, 0x18, 100, 0);
    cr_assert_eq(o.n, 2, "the crossing segment: its first 50 bytes, then an RST");
    cr_expect_eq(payload_of(o.f[0]), 50);
    cr_expect_eq(seq_of(o.f[0]), ISN + 201);
    cr_expect_eq(o.f[0][34 + 20 + 49], (uint8_t)(ISN + 201 + 49), "payload bytes kept");
    cr_expect_eq(payload_of(o.f[1]), 0);
    cr_expect_eq(o.f[1][34 + 13], 0x14, "RST|ACK");
    cr_expect_eq(seq_of(o.f[1]), ISN + 1 + 250, "the RST sits exactly at byte 250");
    netfault_stats_t st = nf.st;
    cr_expect(st.reset_sent);
    cr_expect_eq(st.delivered_data, 250);
    /* A retransmission below the cut passes untouched; a later segment becomes an RST. */
    o = send(&nf, NETFAULT_TO_DEV, 4000, ISN + 101, 0x18, 100, 0);
    cr_expect(o.n == 1 && payload_of(o.f[0]) == 100);
    o = send(&nf, NETFAULT_TO_DEV, 4000, ISN + 301, 0x18, 100, 0);
    cr_expect(o.n == 1 && o.f[0][34 + 13] == 0x14 && seq_of(o.f[0]) == ISN + 251);
    /* The device's own frames and another connection are not touched. */
    o = send(&nf, NETFAULT_TO_HOST, 4000, 5, 0x18, 500, 0);
    cr_expect(o.n == 1 && payload_of(o.f[0]) == 500);
    o = send(&nf, NETFAULT_TO_DEV, 4001, 77, 0x18, 400, 0);
    cr_expect(o.n == 1 && payload_of(o.f[0]) == 400);
}

Test(netfault_frames, stall_delivers_k_bytes_then_nothing)
{
    netfault_t nf = with("stall=150");
    send(&nf, NETFAULT_TO_DEV, 4000, ISN, 0x12, 0, 0);
    cr_assert_eq(send(&nf, NETFAULT_TO_DEV, 4000, ISN + 1, 0x18, 100, 0).n, 1);
    out_t o = send(&nf, NETFAULT_TO_DEV, 4000, ISN + 101, 0x19, 100, 0); /* with FIN */
    cr_assert_eq(o.n, 1);
    cr_expect_eq(payload_of(o.f[0]), 50);
    cr_expect_eq(o.f[0][34 + 13] & 0x05, 0, "no FIN, no RST: the connection stays open");
    cr_expect_eq(send(&nf, NETFAULT_TO_DEV, 4000, ISN + 151, 0x18, 100, 0).n, 0);
    cr_expect_eq(send(&nf, NETFAULT_TO_DEV, 4000, ISN + 151, 0x11, 0, 0).n, 0, "FIN swallowed");
    cr_expect_eq(send(&nf, NETFAULT_TO_DEV, 4000, ISN + 151, 0x10, 0, 0).n, 1,
                 "a pure ACK still passes");
    cr_expect(nf.st.stall_active);
    cr_expect_eq(nf.st.stalled, 2);
    cr_expect_eq(nf.st.delivered_data, 150);
}

Test(netfault_frames, without_a_syn_the_offset_counts_from_the_first_data)
{
    netfault_t nf = with("drop=10");
    out_t o = send(&nf, NETFAULT_TO_DEV, 4000, 5000, 0x18, 30, 0);
    cr_assert_eq(o.n, 2);
    cr_expect_eq(payload_of(o.f[0]), 10);
    cr_expect_eq(seq_of(o.f[1]), 5010);
}

Test(netfault_frames, segment_ending_exactly_at_the_cut_passes)
{
    netfault_t nf = with("drop=100");
    send(&nf, NETFAULT_TO_DEV, 4000, ISN, 0x12, 0, 0);
    cr_expect_eq(send(&nf, NETFAULT_TO_DEV, 4000, ISN + 1, 0x18, 100, 0).n, 1);
    out_t o = send(&nf, NETFAULT_TO_DEV, 4000, ISN + 101, 0x18, 100, 0);
    cr_assert_eq(o.n, 1, "nothing of it before the cut: only the RST");
    cr_expect_eq(o.f[0][34 + 13], 0x14);
    cr_expect_eq(seq_of(o.f[0]), ISN + 101);
}

Test(netfault_frames, loss_is_seeded_and_near_its_rate)
{
    netfault_t a = with("loss=10%,seed=3"), b = with("loss=10%,seed=3"),
               c = with("loss=10%,seed=4");
    int lost = 0, differ = 0;
    for (int i = 0; i < 20000; i++) {
        int na = send(&a, i % 2, 4000, (uint32_t)i, 0x18, 10, 0).n;
        int nb = send(&b, i % 2, 4000, (uint32_t)i, 0x18, 10, 0).n;
        int nc = send(&c, i % 2, 4000, (uint32_t)i, 0x18, 10, 0).n;
        cr_assert_eq(na, nb, "same seed, same draw (frame %d)", i);
        lost += na == 0;
        differ += na != nc;
    }
    cr_expect(lost > 1800 && lost < 2200, "lost %d of 20000 at 10%%", lost);
    cr_expect_gt(differ, 1000, "another seed, other draws");
    cr_expect_eq(a.st.lost, (uint64_t)lost);
}

Test(netfault_frames, latency_and_bandwidth_set_release_times)
{
    netfault_t nf = with("latency=20ms");
    out_t o = send(&nf, NETFAULT_TO_HOST, 4000, 1, 0x18, 10, 1000);
    cr_expect_eq(o.at[0], 1000 + 20000);
    /* 1000 bytes/s: a 100-byte payload frame (154 bytes) takes 154 ms on the wire; the next
     * one queues behind it; the other direction has its own wire. */
    nf = with("bw=1000");
    o = send(&nf, NETFAULT_TO_DEV, 4000, 1, 0x18, 100, 0);
    cr_expect_eq(o.at[0], 154000);
    o = send(&nf, NETFAULT_TO_DEV, 4000, 101, 0x18, 100, 0);
    cr_expect_eq(o.at[0], 308000);
    o = send(&nf, NETFAULT_TO_HOST, 4000, 101, 0x18, 100, 0);
    cr_expect_eq(o.at[0], 154000);
}
