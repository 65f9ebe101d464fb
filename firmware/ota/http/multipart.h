/* A streaming multipart/form-data parser (RFC 7578 / RFC 2046 §5.1) for freestanding code:
 * body bytes are pushed in as they arrive, any split; each part's headers are read into a
 * bounded buffer and its content handed on in chunks of at most MULTIPART_CHUNK bytes (the
 * Arduino web server's HTTP_UPLOAD_BUFLEN), so an upload of any size needs no more memory. */
#ifndef OTASIM_MULTIPART_H
#define OTASIM_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MULTIPART_CHUNK 2048u
#define MULTIPART_BOUNDARY_MAX 70u /* RFC 2046 */
#define MULTIPART_PART_HEAD_MAX 512u
#define MULTIPART_NAME_MAX 64u

typedef enum {
    MP_OK = 0,        /* more input welcome (or, after the close delimiter, done) */
    MP_ERR_BOUNDARY,  /* Content-Type is not multipart/form-data with a valid boundary */
    MP_ERR_SYNTAX,    /* malformed delimiter line or part headers */
    MP_ERR_PART_HEAD, /* a part's headers exceed MULTIPART_PART_HEAD_MAX */
    MP_ERR_TRUNCATED, /* the body ended before the close delimiter */
    MP_ERR_STOPPED,   /* a callback returned false */
} mp_status_t;

typedef struct multipart_part {
    char name[MULTIPART_NAME_MAX];     /* Content-Disposition name="" */
    char filename[MULTIPART_NAME_MAX]; /* filename="" (truncated; "" when absent) */
    bool has_filename;
} multipart_part_t;

typedef struct multipart_callbacks {
    void *ctx;
    bool (*part_begin)(void *ctx, const multipart_part_t *part);
    bool (*part_data)(void *ctx, const uint8_t *data, size_t len);
    bool (*part_end)(void *ctx);
} multipart_callbacks_t;

typedef struct multipart {
    multipart_callbacks_t cb;
    char delim[4 + MULTIPART_BOUNDARY_MAX + 1]; /* "\r\n--" boundary */
    size_t delim_len;
    size_t match; /* bytes of delim matched so far */
    int state;
    bool in_part;
    mp_status_t status;
    size_t head_len;
    char head[MULTIPART_PART_HEAD_MAX + 1];
    size_t out_len;
    uint8_t out[MULTIPART_CHUNK];
    multipart_part_t part;
    uint32_t parts;
} multipart_t;

/* From the request's Content-Type value; MP_ERR_BOUNDARY if it is not multipart/form-data
 * with a boundary of 1..70 allowed characters (quoted or not). */
mp_status_t multipart_init(multipart_t *mp, const char *content_type,
                           const multipart_callbacks_t *cb);

/* Pushes body bytes; returns the status (sticky once an error happened). */
mp_status_t multipart_feed(multipart_t *mp, const uint8_t *data, size_t len);

/* The body ended: MP_OK only if the close delimiter was seen. */
mp_status_t multipart_finish(multipart_t *mp);

/* True once the close delimiter was parsed. */
bool multipart_done(const multipart_t *mp);

const char *multipart_status_text(mp_status_t st);

#endif
