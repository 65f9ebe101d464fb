/* HTTP authentication as the Arduino web server checks it (spec §6.2): Basic (base64 of
 * "user:pass" compared in constant time) and Digest (RFC 2617 MD5, with or without qop=auth).
 * The challenge issued is Basic. */
#ifndef OTASIM_HTTP_AUTH_H
#define OTASIM_HTTP_AUTH_H

#include <stdbool.h>
#include <stddef.h>

typedef struct http_auth {
    const char *user; /* auth applies only when both are non-empty */
    const char *pass;
    const char *realm; /* "Login Required" */
} http_auth_t;

bool http_auth_required(const http_auth_t *a);

/* The request's Authorization header value (NULL: none) for `method`; true if it proves the
 * credentials (or none are required). */
bool http_auth_check(const http_auth_t *a, const char *method, const char *authorization);

/* Equal without an early exit: the time depends only on the lengths. */
bool ota_ct_equal(const char *a, const char *b);

#endif
