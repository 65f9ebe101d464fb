/* The DNS reader/writer and the mDNS responder (firmware/ota/mdns). Queries are written by
 * hand, byte for byte from RFC 1035 §4 / RFC 6762; some answers are compared with bytes
 * written by hand, the others are decoded by glibc's libresolv (ns_initparse, ns_parserr,
 * dn_expand): a decoder that shares no code with the one under test. */
#include <arpa/nameser.h>
#include <criterion/criterion.h>
#include <resolv.h>
#include <stdio.h>
#include <string.h>

#include "dns.h"
#include "mdns.h"

#define HOST                                                                                       \
    "\x0e"                                                                                         \
    "esp8266-1a2b3c"                                                                               \
    "\x05"                                                                                         \
    "local"                                                                                        \
    "\x00"
#define SVC                                                                                        \
    "\x08"                                                                                         \
    "_arduino"                                                                                     \
    "\x04"                                                                                         \
    "_tcp"                                                                                         \
    "\x05"                                                                                         \
    "local"                                                                                        \
    "\x00"
#define INST                                                                                       \
    "\x0e"                                                                                         \
    "esp8266-1a2b3c" SVC
#define ENUM                                                                                       \
    "\x09"                                                                                         \
    "_services"                                                                                    \
    "\x07"                                                                                         \
    "_dns-sd"                                                                                      \
    "\x04"                                                                                         \
    "_udp"                                                                                         \
    "\x05"                                                                                         \
    "local"                                                                                        \
    "\x00"
#define TXT_NO                                                                                     \
    "\x0c"                                                                                         \
    "tcp_check=no"                                                                                 \
    "\x0d"                                                                                         \
    "ssh_upload=no"                                                                                \
    "\x0d"                                                                                         \
    "board=generic"                                                                                \
    "\x0e"                                                                                         \
    "auth_upload=no"
/* A query header: id, flags 0, qdcount, ancount, 0, 0. */
#define QHDR(id, qd, an)                                                                           \
    "\x00" id "\x00\x00"                                                                           \
    "\x00" qd "\x00" an "\x00\x00\x00\x00"
#define IP 0x0A00020Fu /* 10.0.2.15 */

static mdns_t m;
static uint8_t out[MDNS_PKT_MAX];
static mdns_dest_t dest;

static void setup_arduino(bool auth)
{
    mdns_config_t c;
    mdns_arduino_config(&c, "esp8266-1a2b3c", IP, 8266, "generic", auth);
    cr_assert(mdns_init(&m, &c));
}

static void setup(void)
{
    setup_arduino(false);
}

/* sizeof of a string literal without its own final NUL */
#define Q(lit) (const uint8_t *)(lit), sizeof(lit) - 1

static size_t ask(const uint8_t *q, size_t n, uint16_t sport, uint32_t now)
{
    memset(out, 0xEE, sizeof(out));
    return mdns_input(&m, q, n, sport, false, now, out, sizeof(out), &dest);
}

/* --- the reader --- */

Test(dns, plain_and_compressed_names)
{
    /* 12 bytes of header, "a.local" at 12, then "b" + pointer to "local" (offset 14) */
    static const uint8_t msg[] = {0,   0, 0,   0,   0,   0,   0,   0, 0, 0,   0,    0,  1,
                                  'a', 5, 'l', 'o', 'c', 'a', 'l', 0, 1, 'b', 0xC0, 14, 0x77};
    size_t off = 12;
    dns_name_t n;
    cr_assert(dns_read_name(msg, sizeof(msg), &off, &n));
    cr_expect_eq(off, 21);
    cr_expect_eq(n.len, 9);
    cr_expect_arr_eq(n.b,
                     "\x01"
                     "a"
                     "\x05"
                     "local",
                     9);
    cr_assert(dns_read_name(msg, sizeof(msg), &off, &n));
    cr_expect_eq(off, 25, "the cursor goes past the pointer, not the name");
    cr_expect_arr_eq(n.b,
                     "\x01"
                     "b"
                     "\x05"
                     "local",
                     9);
    dns_name_t t;
    cr_assert(dns_name_from_text(&t, "B.Local."));
    cr_expect(dns_name_eq(&n, &t), "names compare case-insensitively");
    cr_assert(dns_name_from_text(&t, "c.local"));
    cr_expect_not(dns_name_eq(&n, &t));
}

Test(dns, pointer_loops_and_forward_pointers_rejected)
{
    dns_name_t n;
    size_t off;
    /* a pointer to itself */
    uint8_t self[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xC0, 12};
    off = 12;
    cr_expect_not(dns_read_name(self, sizeof(self), &off, &n));
    /* forward: to the zero byte after it */
    uint8_t fwd[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xC0, 14, 0};
    off = 12;
    cr_expect_not(dns_read_name(fwd, sizeof(fwd), &off, &n));
    /* 12: a label spanning 13..16 that contains the name at 14; 17: a pointer back to 12.
     * Reading at 14: pointer 14 -> 12 is backwards, then label 12..16, then 17 -> 12 again:
     * each pointer is before itself, yet the walk loops; it must be refused (by the
     * pointer rule; the 255-byte limit is a second stop for loops through labels). */
    uint8_t loop[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 'x', 0xC0, 12, 'y', 0xC0, 12};
    off = 14;
    cr_expect_not(dns_read_name(loop, sizeof(loop), &off, &n));
    /* negative control: a pointer chain that goes strictly backwards is fine */
    uint8_t chain[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 1, 'b', 0xC0, 12, 0xC0, 15};
    off = 19;
    cr_assert(dns_read_name(chain, sizeof(chain), &off, &n));
    cr_expect_arr_eq(n.b,
                     "\x01"
                     "b"
                     "\x01"
                     "a",
                     5);
    cr_expect_eq(off, 21);
}

Test(dns, reserved_label_types_and_long_names_rejected)
{
    dns_name_t n;
    size_t off = 0;
    uint8_t l64[70] = {64};
    memset(l64 + 1, 'a', 64);
    cr_expect_not(dns_read_name(l64, sizeof(l64), &off, &n), "label of 64 (0x40 prefix)");
    uint8_t l80[3] = {0x80, 'a', 0};
    off = 0;
    cr_expect_not(dns_read_name(l80, sizeof(l80), &off, &n), "0x80 prefix");
    /* 3 labels of 63 + one of 61 + the root: 255 bytes, the limit; one more byte is over */
    uint8_t big[300];
    size_t o = 0;
    for (int i = 0; i < 4; i++) {
        int k = i < 3 ? 63 : 61;
        big[o++] = (uint8_t)k;
        memset(big + o, 'a' + i, (size_t)k);
        o += (size_t)k;
    }
    big[o++] = 0;
    cr_assert_eq(o, 255);
    off = 0;
    cr_expect(dns_read_name(big, o, &off, &n), "255 bytes is allowed");
    cr_expect_eq(n.len, 255);
    big[192] = 62; /* the last label one longer */
    memmove(big + 255, big + 254, 1);
    big[254] = 'z';
    off = 0;
    cr_expect_not(dns_read_name(big, 256, &off, &n), "256 bytes is over");
    char text[300];
    memset(text, 'a', 64);
    text[64] = 0;
    cr_expect_not(dns_name_from_text(&n, text));
    text[63] = 0;
    cr_expect(dns_name_from_text(&n, text));
    cr_expect_not(dns_name_from_text(&n, "a..local"));
    cr_expect_not(dns_name_from_text(&n, ".local"));
}

Test(dns, every_truncation_of_a_question_rejected)
{
    static const char q[] = QHDR("\x01", "\x01", "\x00") INST "\x00\x21\x00\x01";
    dns_header_t h;
    cr_assert(dns_read_header((const uint8_t *)q, sizeof(q) - 1, &h));
    cr_expect_eq(h.id, 1);
    cr_expect_eq(h.qdcount, 1);
    dns_question_t qq;
    size_t off = 12;
    cr_assert(dns_read_question((const uint8_t *)q, sizeof(q) - 1, &off, &qq));
    cr_expect_eq(off, sizeof(q) - 1);
    cr_expect_eq(qq.type, DNS_TYPE_SRV);
    for (size_t n = 12; n < sizeof(q) - 1; n++) {
        off = 12;
        cr_expect_not(dns_read_question((const uint8_t *)q, n, &off, &qq), "length %zu", n);
    }
    cr_expect_not(dns_read_header((const uint8_t *)q, 11, &h));
}

Test(dns, writer_compresses_suffixes)
{
    uint8_t buf[128];
    dns_writer_t w;
    dns_writer_init(&w, buf, sizeof(buf));
    dns_header_t h = {0};
    dns_put_header(&w, &h);
    dns_name_t a, b, c;
    cr_assert(dns_name_from_text(&a, "x._arduino._tcp.local"));
    cr_assert(dns_name_from_text(&b, "_arduino._tcp.LOCAL"));
    cr_assert(dns_name_from_text(&c, "host.local"));
    dns_put_name(&w, &a);
    dns_put_name(&w, &b);
    dns_put_name(&w, &c);
    cr_assert_not(w.full);
    /* a in full at 12 (23 bytes); b: pointer to 14; c: "host" + pointer to "local" (at 28) */
    static const uint8_t want[] = "\x01x\x08_arduino\x04_tcp\x05local\x00"
                                  "\xc0\x0e"
                                  "\x04host\xc0\x1c";
    cr_assert_eq(w.len, 12 + sizeof(want) - 1);
    cr_expect_arr_eq(buf + 12, want, sizeof(want) - 1);
    char s[NS_MAXDNAME];
    cr_assert_eq(dn_expand(buf, buf + w.len, buf + 35, s, sizeof(s)), 2);
    cr_expect_str_eq(s, "_arduino._tcp.local");
    cr_assert_gt(dn_expand(buf, buf + w.len, buf + 37, s, sizeof(s)), 0);
    cr_expect_str_eq(s, "host.local");
    /* overflow: nothing more is written, the flag stays */
    dns_writer_t small;
    dns_writer_init(&small, buf, 10);
    dns_put_name(&small, &a);
    cr_expect(small.full);
    size_t at = small.len;
    cr_expect_leq(at, 10);
    dns_put_u16(&small, 1);
    cr_expect_eq(small.len, at, "written after the overflow");
}

/* --- the responder --- */

Test(mdns, a_record_multicast_bytes, .init = setup)
{
    /* QM question for the host name from port 5353 */
    static const char q[] = QHDR("\x00", "\x01", "\x00") HOST "\x00\x01\x00\x01";
    size_t n = ask(Q(q), 5353, 0);
    static const char want[] = "\x00\x00\x84\x00\x00\x00\x00\x01\x00\x00\x00\x00" HOST
                               "\x00\x01\x80\x01\x00\x00\x00\x78\x00\x04\x0a\x00\x02\x0f";
    cr_assert_eq(n, sizeof(want) - 1);
    cr_expect_arr_eq(out, want, n);
    cr_expect_eq(dest, MDNS_TO_MULTICAST);
}

Test(mdns, legacy_unicast_bytes, .init = setup)
{
    /* a one-shot query (source port 40000, id 0x1234), as dig or a plain resolver sends */
    static const char q[] = QHDR("\x34", "\x01", "\x00") HOST "\x00\x01\x00\x01";
    uint8_t qq[sizeof(q) - 1];
    memcpy(qq, q, sizeof(qq));
    qq[0] = 0x12;
    size_t n = ask(qq, sizeof(qq), 40000, 0);
    /* id echoed, the question repeated, the answer's name a pointer to it, TTL 10, no
     * cache-flush bit (RFC 6762 §6.7, §10.2) */
    static const char want[] =
        "\x12\x34\x84\x00\x00\x01\x00\x01\x00\x00\x00\x00" HOST "\x00\x01\x00\x01"
        "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x0a\x00\x04\x0a\x00\x02\x0f";
    cr_assert_eq(n, sizeof(want) - 1);
    cr_expect_arr_eq(out, want, n);
    cr_expect_eq(dest, MDNS_TO_SENDER);
}

typedef struct rec {
    char name[NS_MAXDNAME];
    int type, klass;
    unsigned ttl, rdlen;
    const uint8_t *rdata;
    char target[NS_MAXDNAME]; /* PTR / SRV target, via dn_expand */
    unsigned port;
} rec_t;

/* Decodes a response with libresolv. Returns the number of records in section s. */
static int decode(const uint8_t *msg, size_t n, ns_sect s, rec_t *recs, int max)
{
    ns_msg h;
    cr_assert_eq(ns_initparse(msg, (int)n, &h), 0, "libresolv cannot parse the answer");
    int cnt = ns_msg_count(h, s);
    for (int i = 0; i < cnt && i < max; i++) {
        ns_rr rr;
        cr_assert_eq(ns_parserr(&h, s, i, &rr), 0);
        rec_t *r = &recs[i];
        memset(r, 0, sizeof(*r));
        snprintf(r->name, sizeof(r->name), "%s", ns_rr_name(rr));
        r->type = ns_rr_type(rr);
        r->klass = ns_rr_class(rr);
        r->ttl = ns_rr_ttl(rr);
        r->rdlen = ns_rr_rdlen(rr);
        r->rdata = ns_rr_rdata(rr);
        if (r->type == ns_t_ptr)
            cr_assert_gt(dn_expand(msg, msg + n, r->rdata, r->target, sizeof(r->target)), 0);
        if (r->type == ns_t_srv) {
            r->port = (unsigned)(r->rdata[4] << 8 | r->rdata[5]);
            cr_assert_gt(dn_expand(msg, msg + n, r->rdata + 6, r->target, sizeof(r->target)), 0);
        }
    }
    return cnt;
}

Test(mdns, ptr_brings_srv_txt_a_decoded_by_libresolv, .init = setup)
{
    static const char q[] = QHDR("\x00", "\x01", "\x00") SVC "\x00\x0c\x00\x01";
    size_t n = ask(Q(q), 5353, 0);
    cr_assert_gt(n, 0);
    rec_t an[4], ar[4];
    cr_assert_eq(decode(out, n, ns_s_qd, an, 0), 0);
    cr_assert_eq(decode(out, n, ns_s_an, an, 4), 1);
    cr_expect_str_eq(an[0].name, "_arduino._tcp.local");
    cr_expect_eq(an[0].type, ns_t_ptr);
    cr_expect_eq(an[0].klass, 1, "PTR is shared: no cache-flush bit");
    cr_expect_eq(an[0].ttl, 4500);
    cr_expect_str_eq(an[0].target, "esp8266-1a2b3c._arduino._tcp.local");
    cr_assert_eq(decode(out, n, ns_s_ar, ar, 4), 3);
    cr_expect_eq(ar[0].type, ns_t_a);
    cr_expect_str_eq(ar[0].name, "esp8266-1a2b3c.local");
    cr_expect_arr_eq(ar[0].rdata, "\x0a\x00\x02\x0f", 4);
    cr_expect_eq(ar[1].type, ns_t_srv);
    cr_expect_str_eq(ar[1].name, "esp8266-1a2b3c._arduino._tcp.local");
    cr_expect_eq(ar[1].klass, 0x8001);
    cr_expect_eq(ar[1].ttl, 120);
    cr_expect_eq(ar[1].port, 8266);
    cr_expect_str_eq(ar[1].target, "esp8266-1a2b3c.local");
    cr_expect_arr_eq(ar[1].rdata, "\0\0\0\0", 4, "priority and weight 0");
    cr_expect_eq(ar[2].type, ns_t_txt);
    cr_expect_eq(ar[2].ttl, 4500);
    cr_assert_eq(ar[2].rdlen, sizeof(TXT_NO) - 1);
    cr_expect_arr_eq(ar[2].rdata, TXT_NO, sizeof(TXT_NO) - 1, "TXT strings in spec order");
}

Test(mdns, txt_auth_yes_and_srv_query)
{
    setup_arduino(true);
    static const char q[] = QHDR("\x00", "\x02", "\x00") INST "\x00\x10\x00\x01"
                                                              "\xc0\x0c\x00\x21\x00\x01";
    size_t n = ask(Q(q), 5353, 0);
    rec_t an[4], ar[4];
    cr_assert_eq(decode(out, n, ns_s_an, an, 4), 2);
    cr_expect_eq(an[0].type, ns_t_srv);
    cr_expect_eq(an[1].type, ns_t_txt);
    static const char txt[] = "\x0c"
                              "tcp_check=no"
                              "\x0d"
                              "ssh_upload=no"
                              "\x0d"
                              "board=generic"
                              "\x0f"
                              "auth_upload=yes";
    cr_assert_eq(an[1].rdlen, sizeof(txt) - 1);
    cr_expect_arr_eq(an[1].rdata, txt, sizeof(txt) - 1);
    cr_assert_eq(decode(out, n, ns_s_ar, ar, 4), 1, "SRV brings the A record");
    cr_expect_eq(ar[0].type, ns_t_a);
}

Test(mdns, service_enumeration_and_any, .init = setup)
{
    static const char q[] = QHDR("\x00", "\x01", "\x00") ENUM "\x00\x0c\x00\x01";
    size_t n = ask(Q(q), 5353, 0);
    rec_t an[4];
    cr_assert_eq(decode(out, n, ns_s_an, an, 4), 1);
    cr_expect_str_eq(an[0].name, "_services._dns-sd._udp.local");
    cr_expect_str_eq(an[0].target, "_arduino._tcp.local");
    cr_expect_eq(decode(out, n, ns_s_ar, an, 4), 0);
    /* ANY on the instance name: SRV and TXT (class ANY too) */
    static const char qa[] = QHDR("\x00", "\x01", "\x00") INST "\x00\xff\x00\xff";
    n = ask(Q(qa), 5353, 0);
    cr_assert_eq(decode(out, n, ns_s_an, an, 4), 2);
    cr_expect_eq(an[0].type, ns_t_srv);
    cr_expect_eq(an[1].type, ns_t_txt);
}

Test(mdns, names_case_insensitive, .init = setup)
{
    static const char q[] = QHDR("\x00", "\x01", "\x00") "\x0e"
                                                         "ESP8266-1A2B3C"
                                                         "\x05"
                                                         "LoCaL"
                                                         "\x00\x00\x01\x00\x01";
    cr_expect_gt(ask(Q(q), 5353, 0), 0);
    static const char other[] = QHDR("\x00", "\x01", "\x00") "\x0e"
                                                             "esp8266-1a2b3d"
                                                             "\x05"
                                                             "local"
                                                             "\x00\x00\x01\x00\x01";
    cr_expect_eq(ask(Q(other), 5353, 0), 0, "another host's name is not ours");
}

Test(mdns, unicast_response_bit, .init = setup)
{
    static const char qu[] = QHDR("\x00", "\x01", "\x00") HOST "\x00\x01\x80\x01";
    size_t n = ask(Q(qu), 5353, 0);
    cr_assert_gt(n, 0);
    cr_expect_eq(dest, MDNS_TO_SENDER, "QU: unicast to the sender's port 5353");
    rec_t an[2];
    cr_assert_eq(decode(out, n, ns_s_an, an, 2), 1);
    cr_expect_eq(an[0].klass, 0x8001);
    cr_expect_eq(an[0].ttl, 120, "not a legacy answer: full TTL");
    /* negative control: the same question without the bit goes to the group */
    static const char qm[] = QHDR("\x00", "\x01", "\x00") HOST "\x00\x01\x00\x01";
    cr_assert_gt(ask(Q(qm), 5353, 0), 0);
    cr_expect_eq(dest, MDNS_TO_MULTICAST);
    /* a query sent to our unicast address is answered by unicast */
    n = mdns_input(&m, Q(qm), 5353, true, 5000, out, sizeof(out), &dest);
    cr_expect_gt(n, 0);
    cr_expect_eq(dest, MDNS_TO_SENDER);
}

Test(mdns, known_answer_suppression, .init = setup)
{
    /* PTR question with our PTR as a known answer (TTL 4500, rdata name compressed against
     * the question): nothing to say */
    static const char q[] =
        QHDR("\x00", "\x01", "\x01") SVC "\x00\x0c\x00\x01"
                                         "\xc0\x0c\x00\x0c\x00\x01\x00\x00\x11\x94"
                                         "\x00\x11\x0e"
                                         "esp8266-1a2b3c\xc0\x0c";
    cr_expect_eq(ask(Q(q), 5353, 0), 0, "our PTR is already known");
    /* the same with TTL 2249 (< half of 4500): answered */
    uint8_t q2[sizeof(q) - 1];
    memcpy(q2, q, sizeof(q2));
    size_t ttl_at = 12 + sizeof(SVC) - 1 + 4 + 2 + 4;
    q2[ttl_at + 2] = 0x08, q2[ttl_at + 3] = 0xC9; /* 0x08C9 = 2249 */
    cr_expect_gt(ask(q2, sizeof(q2), 5353, 2000), 0, "a half-expired known answer");
    /* another instance as the known answer: ours is still sent */
    memcpy(q2, q, sizeof(q2));
    q2[sizeof(q2) - 3] = 'd';
    cr_expect_gt(ask(q2, sizeof(q2), 5353, 4000), 0, "another device's PTR");
    /* A known answer with another address does not suppress ours; with ours it does */
    static const char qa[] =
        QHDR("\x00", "\x01", "\x01") HOST "\x00\x01\x00\x01"
                                          "\xc0\x0c\x00\x01\x80\x01\x00\x00\x00\x78"
                                          "\x00\x04\x0a\x00\x02\x0f";
    cr_expect_eq(ask(Q(qa), 5353, 6000), 0);
    uint8_t qb[sizeof(qa) - 1];
    memcpy(qb, qa, sizeof(qb));
    qb[sizeof(qb) - 1] = 0x10;
    cr_expect_gt(ask(qb, sizeof(qb), 5353, 6000), 0);
}

Test(mdns, multicast_at_most_once_a_second, .init = setup)
{
    static const char q[] = QHDR("\x00", "\x01", "\x00") HOST "\x00\x01\x00\x01";
    cr_expect_gt(ask(Q(q), 5353, 10000), 0);
    cr_expect_eq(ask(Q(q), 5353, 10500), 0, "repeated within 1 s");
    cr_expect_gt(ask(Q(q), 40000, 10600), 0, "legacy unicast is not limited");
    cr_expect_gt(ask(Q(q), 5353, 11000), 0, "1 s later");
}

Test(mdns, ignored_packets, .init = setup)
{
    static const char q[] = QHDR("\x00", "\x01", "\x00") HOST "\x00\x01\x00\x01";
    uint8_t p[sizeof(q) - 1];
    cr_assert_gt(ask(Q(q), 5353, 0), 0, "control: the query itself is answered");
    struct {
        int at;
        uint8_t v;
        const char *what;
    } bad[] = {{2, 0x84, "a response (QR)"},   {2, 0x08, "opcode 1"},
               {3, 0x03, "rcode 3"},           {sizeof(p) - 3, 28, "AAAA"},
               {sizeof(p) - 1, 3, "class CH"}, {5, 2, "qdcount 2, one question"}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memcpy(p, q, sizeof(p));
        p[bad[i].at] = bad[i].v;
        cr_expect_eq(ask(p, sizeof(p), 5353, 5000 + 2000 * (uint32_t)i), 0, "%s", bad[i].what);
    }
    for (size_t n = 0; n < sizeof(p); n++)
        cr_expect_eq(ask((const uint8_t *)q, n, 5353, 30000 + 2000 * (uint32_t)n), 0,
                     "truncated to %zu", n);
    /* a question whose name is a pointer loop */
    static const char loop[] = QHDR("\x00", "\x01", "\x00") "\xc0\x0c\x00\x01\x00\x01";
    cr_expect_eq(ask(Q(loop), 5353, 90000), 0);
}

Test(mdns, announcements_and_goodbye, .init = setup)
{
    uint8_t buf[MDNS_PKT_MAX];
    cr_expect_eq(mdns_tick(&m, 0, buf, sizeof(buf)), 0, "nothing before mdns_start");
    mdns_start(&m, 100);
    size_t n = mdns_tick(&m, 100, buf, sizeof(buf));
    rec_t an[6];
    cr_assert_eq(decode(buf, n, ns_s_an, an, 6), 5);
    unsigned long long types = 0;
    for (int i = 0; i < 5; i++) {
        types |= 1ull << (an[i].type & 63);
        cr_expect_gt(an[i].ttl, 0);
    }
    cr_expect_eq(types, 1ull << ns_t_a | 1ull << ns_t_ptr | 1ull << ns_t_srv | 1ull << ns_t_txt);
    cr_expect_eq(mdns_tick(&m, 600, buf, sizeof(buf)), 0, "the second one is 1 s later");
    cr_expect_gt(mdns_tick(&m, 1100, buf, sizeof(buf)), 0);
    cr_expect_eq(mdns_tick(&m, 5000, buf, sizeof(buf)), 0, "two announcements only");
    n = mdns_goodbye(&m, buf, sizeof(buf));
    cr_assert_eq(decode(buf, n, ns_s_an, an, 6), 5);
    for (int i = 0; i < 5; i++)
        cr_expect_eq(an[i].ttl, 0, "goodbye: TTL 0");
}

Test(mdns, small_buffers_drop_whole_records, .init = setup)
{
    static const char q[] = QHDR("\x00", "\x01", "\x00") SVC "\x00\x0c\x00\x01";
    uint8_t buf[80];
    size_t n = mdns_input(&m, Q(q), 40000, false, 0, buf, sizeof(buf), &dest);
    rec_t an[4];
    cr_assert_gt(n, 0);
    cr_expect_eq(decode(buf, n, ns_s_an, an, 4), 1);
    cr_expect_lt(decode(buf, n, ns_s_ar, an, 4), 3, "not every additional record fits");
    cr_expect_eq(mdns_input(&m, Q(q), 40000, false, 0, buf, 30, &dest), 0);
}

Test(mdns, config_checks)
{
    mdns_config_t c;
    mdns_t mm;
    char h[80];
    memset(h, 'h', 63);
    h[63] = 0;
    mdns_arduino_config(&c, h, IP, 8266, "generic", false);
    cr_expect(mdns_init(&mm, &c));
    h[63] = 'h', h[64] = 0;
    cr_expect_not(mdns_init(&mm, &c), "hostname of 64");
    mdns_arduino_config(&c, "", IP, 8266, "generic", false);
    cr_expect_not(mdns_init(&mm, &c));
    char v[300];
    memset(v, 'v', 250);
    v[250] = 0;
    mdns_arduino_config(&c, "x", IP, 8266, v, false);
    cr_expect_not(mdns_init(&mm, &c), "board=<250 chars> is over 255");
    v[240] = 0;
    cr_expect(mdns_init(&mm, &c));
    c.proto = "sctp";
    cr_expect_not(mdns_init(&mm, &c));
}

Test(mdns, default_hostname_is_printf_06x)
{
    char h[17], want[32];
    static const uint32_t ids[] = {0, 0x1a2b3c, 0xABC, 0xFFFFFF, 0x1000000, 0xDEADBEEF};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        mdns_arduino_hostname(ids[i], h);
        snprintf(want, sizeof(want), "esp8266-%06x", (unsigned)ids[i]);
        cr_expect_str_eq(h, want);
    }
}
