/* DNS message primitives (RFC 1035 §4) for the mDNS responder: a bounded reader (header,
 * names with compression, questions, resource records) and a writer into a caller's buffer
 * with name compression. No allocation; every read is checked against the message length.
 *
 * Names are handled in uncompressed wire form (length-prefixed labels ending in a zero byte,
 * at most DNS_NAME_MAX bytes in all) and compared ASCII-case-insensitively (RFC 1035 §2.3.3,
 * RFC 6762 §16). The reader rejects: a label longer than 63 bytes (the reserved 0x40/0x80
 * length prefixes), a name longer than 255 bytes, a compression pointer that does not point
 * strictly before the place it is read from (which also rules out every loop), and anything
 * that runs past the end of the message. */
#ifndef OTASIM_DNS_H
#define OTASIM_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HEADER_LEN 12u
#define DNS_LABEL_MAX 63u
#define DNS_NAME_MAX 255u

#define DNS_TYPE_A 1u
#define DNS_TYPE_PTR 12u
#define DNS_TYPE_TXT 16u
#define DNS_TYPE_AAAA 28u
#define DNS_TYPE_SRV 33u
#define DNS_TYPE_NSEC 47u
#define DNS_TYPE_ANY 255u
#define DNS_CLASS_IN 1u
#define DNS_CLASS_ANY 255u

#define DNS_FLAG_QR 0x8000u
#define DNS_FLAG_AA 0x0400u
#define DNS_FLAG_TC 0x0200u

typedef struct dns_header {
    uint16_t id, flags, qdcount, ancount, nscount, arcount;
} dns_header_t;

/* A name in uncompressed wire form; len counts the final zero byte (1 for the root). */
typedef struct dns_name {
    uint8_t b[DNS_NAME_MAX];
    uint16_t len;
} dns_name_t;

typedef struct dns_question {
    dns_name_t name;
    uint16_t type, klass; /* klass with its top bit (mDNS: unicast-response wanted) */
} dns_question_t;

typedef struct dns_rr {
    dns_name_t name;
    uint16_t type, klass; /* klass with its top bit (mDNS: cache flush) */
    uint32_t ttl;
    uint16_t rdlen;
    size_t rdata; /* offset of the rdata in the message */
} dns_rr_t;

/* Each returns false (and leaves *off unspecified) on a malformed or truncated message. */
bool dns_read_header(const uint8_t *msg, size_t len, dns_header_t *h);
bool dns_read_name(const uint8_t *msg, size_t len, size_t *off, dns_name_t *out);
bool dns_read_question(const uint8_t *msg, size_t len, size_t *off, dns_question_t *q);
bool dns_read_rr(const uint8_t *msg, size_t len, size_t *off, dns_rr_t *rr);

/* Text ("a.b.local", no escapes, an optional final dot) to wire form; false if a label is
 * empty or too long or the name is too long. */
bool dns_name_from_text(dns_name_t *out, const char *text);
/* Prepends one label (any bytes, 1..63 of them) to `rest`. */
bool dns_name_prepend(dns_name_t *out, const uint8_t *label, size_t n, const dns_name_t *rest);
bool dns_name_eq(const dns_name_t *a, const dns_name_t *b);

/* The writer: bytes go to buf[0..cap); on overflow `full` is set and nothing more is
 * written. Names are compressed against the suffixes of earlier names (up to
 * DNS_WRITER_NAMES of them remembered). */
#define DNS_WRITER_NAMES 24u
typedef struct dns_writer {
    uint8_t *buf;
    size_t cap, len;
    bool full;
    uint16_t names[DNS_WRITER_NAMES]; /* offsets of label starts written uncompressed */
    unsigned nnames;
} dns_writer_t;

void dns_writer_init(dns_writer_t *w, uint8_t *buf, size_t cap);
void dns_put_header(dns_writer_t *w, const dns_header_t *h); /* at offset 0 */
void dns_put_u16(dns_writer_t *w, uint16_t v);
void dns_put_u32(dns_writer_t *w, uint32_t v);
void dns_put_bytes(dns_writer_t *w, const void *p, size_t n);
void dns_put_name(dns_writer_t *w, const dns_name_t *n);

#endif
