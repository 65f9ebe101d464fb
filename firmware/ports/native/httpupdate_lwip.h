/* The native port's network glue for the HTTP update client (firmware/ota/httpupdate): the
 * session's TCP connection on lwIP's raw API (the netif is emu/native/netsim's; 10.0.2.2 is
 * the host). The URL's host must be an IPv4 address (no DNS on the simulated network yet);
 * https URLs fail with HTTPC_ERROR_CONNECTION_FAILED (no TLS yet). Redirects the session
 * follows get a new connection. Call httpupdate_lwip_poll() from the app loop. */
#ifndef OTASIM_HTTPUPDATE_LWIP_H
#define OTASIM_HTTPUPDATE_LWIP_H

#include <stdbool.h>
#include <stdint.h>

#include "httpupdate.h"

typedef struct httpupdate_lwip httpupdate_lwip_t;

/* Starts the session `s` (httpupdate_begin()ed; not owned). `timeout_ms`: no data for this
 * long is HTTPC_ERROR_READ_TIMEOUT (the client's setTimeout; 0 = 8000). NULL: out of memory. */
httpupdate_lwip_t *httpupdate_lwip_start(httpupdate_t *s, uint32_t now_ms, uint32_t timeout_ms);

/* The app loop's turn; true once the session is finished (httpupdate_result() is final). */
bool httpupdate_lwip_poll(httpupdate_lwip_t *h, uint32_t now_ms);

/* Ends (aborting a connection still open) and frees. */
void httpupdate_lwip_free(httpupdate_lwip_t *h);

#endif
