/* The device's mDNS responder (RFC 6762, DNS-SD RFC 6763), transport-free: the port feeds it
 * the datagrams that reach UDP 5353 and sends what it produces, to 224.0.0.251:5353 or back
 * to the sender. It is what LEAmDNS does for ArduinoOTA (spec §1.2): the host name
 * `<hostname>.local` (A), and one service, by default `_arduino._tcp` with instance name =
 * hostname, the OTA port and the TXT records tcp_check, ssh_upload, board, auth_upload in
 * that order (mdns_arduino_config).
 *
 * Records: A <host>.local; PTR _arduino._tcp.local -> <instance>._arduino._tcp.local; PTR
 * _services._dns-sd._udp.local -> _arduino._tcp.local; SRV and TXT of the instance. Answers
 * to questions of class IN or ANY with the record's type or ANY; a PTR answer brings SRV, TXT
 * and A as additional records, an SRV answer brings A.
 *
 * Where the answer goes (RFC 6762 §5.4, §6.7):
 * - a query from a source port other than 5353 is a legacy one-shot query (what `dig -p`, a
 *   plain resolver and a query through slirp's forwarded port are): the answer goes back to
 *   the sender, with the query's id and questions, TTLs capped at 10 s, no cache-flush bits;
 * - a question with the unicast-response (QU) bit, or a query sent to the device's unicast
 *   address: back to the sender's port 5353;
 * - otherwise multicast, and a record is not multicast again within 1 s of the last time
 *   (§6), the QM answer that would repeat it is dropped instead.
 * Known-answer suppression (§7.1): a record the query already lists with at least half our
 * TTL left is not sent (any of the five records, PTR included).
 * Ignored without an answer: responses (QR set), opcodes other than 0, non-zero rcodes,
 * anything malformed (dns.h's checks) — before any output is produced.
 * mdns_start schedules two announcements 1 s apart (§8.3) from mdns_tick; mdns_goodbye builds
 * the TTL 0 announcement for stopping (§10.1).
 * Not done (the device is alone on slirp's network): probing and conflict resolution (§8.1,
 * §9), the 20-120 ms delay of shared answers (§6), NSEC for the missing AAAA, TC
 * continuation of known answers. */
#ifndef OTASIM_MDNS_H
#define OTASIM_MDNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns.h"

#define MDNS_PORT 5353u
#define MDNS_GROUP 0xE00000FBu /* 224.0.0.251 */
#define MDNS_TXT_MAX 8u
#define MDNS_TXT_LEN 400u  /* the TXT rdata, all strings */
#define MDNS_PKT_MAX 1460u /* our packets fit one Ethernet frame */
#define MDNS_TTL_HOST 120u /* RFC 6762 §10: records with a host name */
#define MDNS_TTL_OTHER 4500u
#define MDNS_TTL_LEGACY 10u /* §6.7 */

typedef struct mdns_txt {
    const char *key, *value;
} mdns_txt_t;

typedef struct mdns_config {
    const char *hostname; /* one label: "esp8266-1a2b3c" */
    uint32_t ipv4;        /* host order: 10.0.2.15 = 0x0A00020F */
    const char *service;  /* "arduino" (the underscores are added) */
    const char *proto;    /* "tcp" or "udp" */
    const char *instance; /* NULL: the hostname */
    uint16_t port;
    mdns_txt_t txt[MDNS_TXT_MAX];
    unsigned ntxt;
} mdns_config_t;

/* ArduinoOTA's enableArduino(port, auth): service _arduino._tcp on `port`, TXT tcp_check=no,
 * ssh_upload=no, board=<board>, auth_upload=yes|no. The strings must outlive the config. */
void mdns_arduino_config(mdns_config_t *c, const char *hostname, uint32_t ipv4, uint16_t port,
                         const char *board, bool auth);
/* The Arduino core's default hostname: "esp8266-" and the chip id in lower-case hex, at least
 * six digits (printf "esp8266-%06x"); out holds up to 16 characters and the NUL. */
void mdns_arduino_hostname(uint32_t chip_id, char out[17]);

typedef enum {
    MDNS_REC_A,
    MDNS_REC_PTR,
    MDNS_REC_ENUM,
    MDNS_REC_SRV,
    MDNS_REC_TXT,
    MDNS_NREC
} mdns_rec_t;

typedef enum { MDNS_TO_MULTICAST = 0, MDNS_TO_SENDER = 1 } mdns_dest_t;

typedef struct mdns {
    uint32_t ipv4;
    uint16_t port;
    dns_name_t host;     /* <hostname>.local */
    dns_name_t service;  /* _arduino._tcp.local */
    dns_name_t instance; /* <instance>._arduino._tcp.local */
    dns_name_t enumname; /* _services._dns-sd._udp.local */
    uint8_t txt[MDNS_TXT_LEN];
    uint16_t txtlen;
    bool sent[MDNS_NREC]; /* multicast at least once, at last_ms */
    uint32_t last_ms[MDNS_NREC];
    unsigned announce_left;
    uint32_t announce_at;
} mdns_t;

/* false if a name does not fit (hostname or instance over 63 bytes, an empty one), a TXT
 * string is over 255 bytes or they add up to more than MDNS_TXT_LEN, or the proto is not
 * tcp/udp. */
bool mdns_init(mdns_t *m, const mdns_config_t *c);

/* One datagram that reached UDP 5353. to_unicast: its destination was the device's own
 * address (not the group). Returns the length of the reply written to out (0: none); *dest
 * says where it goes (the sender's address and port, or 224.0.0.251:5353). */
size_t mdns_input(mdns_t *m, const uint8_t *pkt, size_t len, uint16_t src_port, bool to_unicast,
                  uint32_t now_ms, uint8_t *out, size_t cap, mdns_dest_t *dest);

/* Announcements: mdns_start arms them, mdns_tick returns one (to multicast) when due. */
void mdns_start(mdns_t *m, uint32_t now_ms);
size_t mdns_tick(mdns_t *m, uint32_t now_ms, uint8_t *out, size_t cap);
/* Every record with TTL 0 (to multicast); stops the announcements. */
size_t mdns_goodbye(mdns_t *m, uint8_t *out, size_t cap);

#endif
