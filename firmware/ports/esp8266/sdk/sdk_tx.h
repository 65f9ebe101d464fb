/* Sending on an espconn TCP connection: espconn_send takes one buffer at a time and the next
 * only after the sent callback, so small replies (espota's acks and final text) queue here. */
#ifndef OTASIM_SDK_TX_H
#define OTASIM_SDK_TX_H

#include <stdbool.h>
#include <stddef.h>

#include "sdk_api.h"

#define SDK_TX_MAX 512u

typedef struct sdk_tx {
    struct espconn *conn;
    uint8 queued[SDK_TX_MAX];
    uint16 queued_len;
    uint8 inflight[SDK_TX_MAX]; /* what espconn_send was given, until the sent callback */
    bool busy;
} sdk_tx_t;

void sdk_tx_init(sdk_tx_t *t, struct espconn *conn);
/* Queues n bytes (false: no room; nothing queued) and sends if the line is free. */
bool sdk_tx_put(sdk_tx_t *t, const void *data, size_t n);
/* From the sent callback: the in-flight buffer is free, the queue goes next. */
void sdk_tx_sent(sdk_tx_t *t);
/* Nothing queued or in flight. */
bool sdk_tx_idle(const sdk_tx_t *t);

#endif
