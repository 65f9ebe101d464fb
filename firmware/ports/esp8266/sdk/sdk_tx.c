/* See sdk_tx.h. */
#include "sdk_tx.h"

#include <string.h>

void sdk_tx_init(sdk_tx_t *t, struct espconn *conn)
{
    memset(t, 0, sizeof(*t));
    t->conn = conn;
}

static void kick(sdk_tx_t *t)
{
    if (t->busy || !t->queued_len)
        return;
    memcpy(t->inflight, t->queued, t->queued_len);
    if (espconn_send(t->conn, t->inflight, t->queued_len) == ESPCONN_OK) {
        t->busy = true;
        t->queued_len = 0;
    }
    /* else: kept queued, tried again at the next put or sent callback */
}

bool sdk_tx_put(sdk_tx_t *t, const void *data, size_t n)
{
    if (n > SDK_TX_MAX - t->queued_len)
        return false;
    memcpy(t->queued + t->queued_len, data, n);
    t->queued_len = (uint16)(t->queued_len + n);
    kick(t);
    return true;
}

void sdk_tx_sent(sdk_tx_t *t)
{
    t->busy = false;
    kick(t);
}

bool sdk_tx_idle(const sdk_tx_t *t)
{
    return !t->busy && !t->queued_len;
}
