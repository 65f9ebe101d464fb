/* The native port's network glue for the HTTP update client (firmware/ota/httpupdate): the
 * session's TCP connection on lwIP's raw API (the netif is emu/native/netsim's; 10.0.2.2 is
 * the host). The URL's host must be an IPv4 address (no DNS on the simulated network yet).
 * https URLs run over TLS (BearSSL, tls_bearssl.h) when started with a TLS config: the URL's
 * host is the SNI and the name the certificate must carry. A rejected certificate, a failed
 * handshake, or an https URL without a TLS config end the session with
 * HTTPC_ERROR_CONNECTION_FAILED (as the core's WiFiClientSecure::connect() failing does),
 * httpupdate_tls_error() = BearSSL's error number and the reason in the error string — before
 * the request is sent, so nothing reaches the Updater. Redirects the session follows get a
 * new connection (and a new handshake). Call httpupdate_lwip_poll() from the app loop. */
#ifndef OTASIM_HTTPUPDATE_LWIP_H
#define OTASIM_HTTPUPDATE_LWIP_H

#include <stdbool.h>
#include <stdint.h>

#include "httpupdate.h"
#include "tls_bearssl.h"

typedef struct httpupdate_lwip httpupdate_lwip_t;

/* Starts the session `s` (httpupdate_begin()ed; not owned). `timeout_ms`: no data for this
 * long is HTTPC_ERROR_READ_TIMEOUT (the client's setTimeout; 0 = 8000). NULL: out of memory. */
httpupdate_lwip_t *httpupdate_lwip_start(httpupdate_t *s, uint32_t now_ms, uint32_t timeout_ms);

/* The same with TLS for https URLs (`tls` not owned, kept until free; NULL: no TLS). */
httpupdate_lwip_t *httpupdate_lwip_start_tls(httpupdate_t *s, uint32_t now_ms, uint32_t timeout_ms,
                                             const tls_client_config_t *tls);

/* The app loop's turn; true once the session is finished (httpupdate_result() is final). */
bool httpupdate_lwip_poll(httpupdate_lwip_t *h, uint32_t now_ms);

/* Ends (aborting a connection still open) and frees. */
void httpupdate_lwip_free(httpupdate_lwip_t *h);

#endif
