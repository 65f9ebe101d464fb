/* An HTTP/1.x message head (request line or status line, then headers) for freestanding code:
 * bytes are fed as they arrive into a bounded buffer, parsed in place once the blank line is
 * seen; the bytes after it (the body) are left to the caller. Used by the web update server
 * (requests) and the HTTP update client (responses). No allocation. */
#ifndef OTASIM_HTTP_HEAD_H
#define OTASIM_HTTP_HEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_HEAD_MAX 2048u /* request/status line + headers, like a small web server's */
#define HTTP_HEADERS_MAX 32u

typedef enum {
    HTTP_HEAD_MORE = 0,   /* the head is not complete yet */
    HTTP_HEAD_DONE,       /* parsed; the fields below are valid */
    HTTP_HEAD_TOO_BIG,    /* no blank line within HTTP_HEAD_MAX bytes (answer 431 / give up) */
    HTTP_HEAD_BAD_SYNTAX, /* not an HTTP/1.x head (answer 400 / give up) */
    HTTP_HEAD_TOO_MANY,   /* more than HTTP_HEADERS_MAX header lines */
} http_head_status_t;

typedef struct http_header {
    const char *name;  /* NUL-terminated, inside the head's buffer */
    const char *value; /* leading and trailing blanks removed */
} http_header_t;

typedef struct http_head {
    bool request; /* parse a request line (else a status line) */
    http_head_status_t status;
    size_t len;     /* bytes of buf in use */
    size_t skipped; /* empty lines before the start line */
    char buf[HTTP_HEAD_MAX + 1];
    /* Request: method, target, version. Response: version, code, reason. */
    const char *method, *target, *version, *reason;
    int code;  /* 100..599 for a response */
    int minor; /* HTTP/1.<minor> */
    size_t nheaders;
    http_header_t headers[HTTP_HEADERS_MAX];
} http_head_t;

void http_head_init(http_head_t *h, bool request);

/* Feeds up to `len` bytes; returns how many belong to the head (the rest, after a DONE, is
 * body). h->status tells the state; once it is not MORE, further calls consume nothing. */
size_t http_head_feed(http_head_t *h, const uint8_t *data, size_t len);

/* The first header named `name` (case-insensitive), or NULL. */
const char *http_head_get(const http_head_t *h, const char *name);

/* Every header named `name` joined with "," (as the Arduino HTTPClient collects a repeated
 * header) into `out`; returns the number of headers found (0: `out` is ""). Truncated to
 * `cap`. */
size_t http_head_get_joined(const http_head_t *h, const char *name, char *out, size_t cap);

/* Content-Length: 1 when present and a valid decimal that fits 32 bits (*out set), 0 when
 * absent, -1 when malformed or repeated with different values. */
int http_head_content_length(const http_head_t *h, uint32_t *out);

/* Case-insensitive ASCII comparisons (shared by the OTA transports). */
bool http_streq_nocase(const char *a, const char *b);
bool http_strneq_nocase(const char *a, const char *b, size_t n);

#endif
