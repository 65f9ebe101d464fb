/* A byte stream an update arrives on (TCP connection, HTTP body, UART...): the subset of
 * Arduino's Stream the Updater uses, as a small struct of function pointers. Waiting is done
 * with hal_millis()/hal_delay_ms(), so in the simulators it costs virtual time only. */
#ifndef OTASIM_UPDATE_STREAM_H
#define OTASIM_UPDATE_STREAM_H

#include <stdint.h>

#define UPDATE_STREAM_DEFAULT_TIMEOUT_MS 1000u /* Arduino's Stream default */

typedef struct update_stream {
    void *ctx;
    /* Bytes that can be read now without waiting. */
    uint32_t (*available)(void *ctx);
    /* Copy up to `len` of the bytes available now into `buf`; returns the count (0: none). */
    uint32_t (*read)(void *ctx, uint8_t *buf, uint32_t len);
    /* The next byte without consuming it, or -1 if none is available now. */
    int (*peek)(void *ctx);
    /* Stream::setTimeout(): how long read_bytes/timed_peek wait for data (0 = 1000 ms). */
    uint32_t timeout_ms;
} update_stream_t;

/* Stream::readBytes(): read until `len` bytes arrived or no byte came for timeout_ms.
 * Returns the count read. */
uint32_t update_stream_read_bytes(const update_stream_t *s, uint8_t *buf, uint32_t len);

/* Stream::timedPeek(): wait up to timeout_ms for a byte; -1 if none came. */
int update_stream_timed_peek(const update_stream_t *s);

#endif
