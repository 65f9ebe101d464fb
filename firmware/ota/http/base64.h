/* Base64 (RFC 4648, standard alphabet, with padding) for HTTP Basic authentication: the
 * device compares base64(user ":" pass) with the header's token in constant time, as the
 * Arduino web server does, so only an encoder is needed. Differential-tested against GLib. */
#ifndef OTASIM_BASE64_H
#define OTASIM_BASE64_H

#include <stddef.h>

/* Bytes base64_encode() writes for `len` input bytes, without the NUL. */
#define BASE64_ENCODED_LEN(len) ((((len) + 2u) / 3u) * 4u)

/* Writes the encoding and a NUL; returns its length, or 0 when `cap` is too small (out then
 * holds "" if cap > 0). */
size_t base64_encode(const void *data, size_t len, char *out, size_t cap);

#endif
