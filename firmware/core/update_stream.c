#include "update_stream.h"

#include "hal.h"

static uint32_t timeout_of(const update_stream_t *s)
{
    return s->timeout_ms != 0 ? s->timeout_ms : UPDATE_STREAM_DEFAULT_TIMEOUT_MS;
}

uint32_t update_stream_read_bytes(const update_stream_t *s, uint8_t *buf, uint32_t len)
{
    uint32_t got = 0;
    uint32_t since = hal_millis();
    while (got < len) {
        uint32_t n = s->read(s->ctx, buf + got, len - got);
        if (n > len - got) {
            n = len - got; /* keep the count sane if a stream reports more than asked */
        }
        if (n > 0) {
            got += n;
            since = hal_millis();
            continue;
        }
        if (hal_millis() - since >= timeout_of(s)) {
            break;
        }
        hal_delay_ms(1);
    }
    return got;
}

int update_stream_timed_peek(const update_stream_t *s)
{
    uint32_t since = hal_millis();
    for (;;) {
        int c = s->peek(s->ctx);
        if (c >= 0) {
            return c;
        }
        if (hal_millis() - since >= timeout_of(s)) {
            return -1;
        }
        hal_delay_ms(1);
    }
}
