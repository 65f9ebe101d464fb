/* Shared by httpupdate_lwip.c (the TCP connection) and httpupdate_tls.c (the BearSSL engine
 * between the session and the connection, for https URLs). */
#ifndef OTASIM_HTTPUPDATE_LWIP_INTERNAL_H
#define OTASIM_HTTPUPDATE_LWIP_INTERNAL_H

#include "httpupdate_lwip.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"

struct httpupdate_lwip {
    httpupdate_t *s;
    struct tcp_pcb *pcb;
    httpupdate_step_t step;
    bool connected;
    uint32_t now_ms, last_ms, timeout_ms;
    /* https only */
    const tls_client_config_t *tls_cfg;
    tls_client_t *tls;
    bool handshaken, eof;
    struct pbuf *pending; /* ciphertext received, not yet taken by the engine */
    uint16_t pending_off;
    char req[2048];
    size_t req_len, req_off; /* the request, written into the engine as room comes */
};

/* Drops the connection (abort_it: RST, else close). */
void hul_detach(httpupdate_lwip_t *h, bool abort_it);
/* Ends the session's connection with a transport error (0: orderly close). */
void hul_finish(httpupdate_lwip_t *h, int error);

/* Before connecting: for an https URL a fresh engine for the URL's host (false: the session
 * is finished, e.g. no trust configured); for http, nothing. */
bool httpupdate_tls_open(httpupdate_lwip_t *h);
/* Moves what can move: ciphertext out and in, the request in, plaintext to the session. */
void httpupdate_tls_pump(httpupdate_lwip_t *h);
/* lwIP's receive callback for a TLS connection (p NULL: the server closed). */
void httpupdate_tls_recv(httpupdate_lwip_t *h, struct pbuf *p);
void httpupdate_tls_close(httpupdate_lwip_t *h);

#endif
