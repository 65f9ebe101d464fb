// clang-format off
/* Fuzz target: the DNS reader and the mDNS responder's handling of a datagram.
 * fuzz-sources: firmware/ota/mdns/dns.c firmware/ota/mdns/mdns.c
 * fuzz-cflags: -Ifirmware/ota/mdns
 *
 * Byte 0: bit 0 the datagram comes from port 5353 (else a legacy one-shot query), bit 1 it
 * was sent to the device's unicast address, bit 2 the service has a password, bits 3-7 the
 * size of the output buffer in 64-byte steps (0 or over: MDNS_PKT_MAX). The rest is the datagram,
 * given twice (the second time 2 s later, so the 1 s multicast limit is not what answers).
 * Checked: a name read at any offset is well formed (labels of 1..63 bytes, at most 255 in
 * all, the cursor inside the message); an answer fits its buffer, is a response that our
 * reader parses to its end, holds only our five records' names and types, goes back to the
 * sender when the query was a legacy one, and repeats the query id only then. */
// clang-format on
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "mdns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const dns_name_t *n)
{
    size_t o = 0;
    if (n->len == 0 || n->len > DNS_NAME_MAX)
        abort();
    while (n->b[o] != 0) {
        if (n->b[o] > DNS_LABEL_MAX)
            abort();
        o += 1u + n->b[o];
        if (o >= n->len)
            abort();
    }
    if (o + 1 != n->len)
        abort();
}

static bool ours(const mdns_t *m, const dns_name_t *n, uint16_t type)
{
    switch (type) {
    case DNS_TYPE_A:
        return dns_name_eq(n, &m->host);
    case DNS_TYPE_PTR:
        return dns_name_eq(n, &m->service) || dns_name_eq(n, &m->enumname);
    case DNS_TYPE_SRV:
    case DNS_TYPE_TXT:
        return dns_name_eq(n, &m->instance);
    default:
        return false;
    }
}

static void check_answer(const mdns_t *m, const uint8_t *q, size_t ql, const uint8_t *a, size_t al,
                         bool legacy)
{
    dns_header_t h, qh;
    if (!dns_read_header(a, al, &h) || !dns_read_header(q, ql, &qh))
        abort();
    if (h.flags != (DNS_FLAG_QR | DNS_FLAG_AA) || h.ancount == 0 || h.nscount)
        abort();
    if (legacy ? h.id != qh.id : (h.id != 0 || h.qdcount != 0))
        abort();
    size_t off = DNS_HEADER_LEN;
    for (unsigned i = 0; i < h.qdcount; i++) {
        dns_question_t qq;
        if (!dns_read_question(a, al, &off, &qq))
            abort();
    }
    for (unsigned i = 0; i < (unsigned)h.ancount + h.arcount; i++) {
        dns_rr_t rr;
        if (!dns_read_rr(a, al, &off, &rr) || !ours(m, &rr.name, rr.type))
            abort();
        if (legacy && (rr.ttl > MDNS_TTL_LEGACY || (rr.klass & 0x8000u)))
            abort();
    }
    if (off != al)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *pkt = data + 1;
    size_t len = size - 1;
    for (size_t at = 0; at < len && at < 512; at++) {
        size_t off = at;
        dns_name_t n;
        if (dns_read_name(pkt, len, &off, &n)) {
            check_name(&n);
            if (off <= at || off > len)
                abort();
        }
    }
    static mdns_t m;
    mdns_config_t c;
    mdns_arduino_config(&c, "esp8266-1a2b3c", 0x0A00020Fu, 8266, "generic", data[0] & 4);
    if (!mdns_init(&m, &c))
        abort();
    bool legacy = !(data[0] & 1);
    size_t cap = (size_t)(data[0] >> 3) * 64u;
    if (cap == 0 || cap > MDNS_PKT_MAX)
        cap = MDNS_PKT_MAX;
    static uint8_t out[MDNS_PKT_MAX + 16];
    for (uint32_t now = 1000; now <= 3000; now += 2000) {
        memset(out + cap, 0xA5, 16);
        mdns_dest_t dest;
        size_t n =
            mdns_input(&m, pkt, len, legacy ? 40000 : MDNS_PORT, data[0] & 2, now, out, cap, &dest);
        if (n > cap || out[cap] != 0xA5)
            abort();
        if (n) {
            if (legacy && dest != MDNS_TO_SENDER)
                abort();
            check_answer(&m, pkt, len, out, n, legacy);
        }
    }
    return 0;
}
