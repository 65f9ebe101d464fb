/* The HTTP update client on lwIP's raw API (httpupdate_lwip.h). */
#include "httpupdate_lwip.h"
#include "httpupdate_lwip_internal.h"

#include <stdlib.h>
#include <string.h>

#include "lwip/ip4_addr.h"
#include "lwip/tcp.h"

void hul_detach(httpupdate_lwip_t *h, bool abort_it)
{
    struct tcp_pcb *pcb = h->pcb;
    h->pcb = NULL;
    if (!pcb)
        return;
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL);
    tcp_err(pcb, NULL);
    if (abort_it || tcp_close(pcb) != ERR_OK)
        tcp_abort(pcb);
}

void hul_finish(httpupdate_lwip_t *h, int error)
{
    h->step = httpupdate_close(h->s, error);
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    (void)err;
    (void)pcb;
    httpupdate_lwip_t *h = arg;
    if (h->tls) {
        httpupdate_tls_recv(h, p);
        return h->step == HTTPUPDATE_RUNNING || h->pcb ? ERR_OK : ERR_ABRT;
    }
    if (!p) {
        hul_detach(h, false);
        if (h->step == HTTPUPDATE_RUNNING)
            hul_finish(h, 0); /* the server closed: the end of a body without Content-Length */
        return ERR_OK;
    }
    h->last_ms = h->now_ms;
    for (struct pbuf *q = p; q && h->step == HTTPUPDATE_RUNNING; q = q->next)
        h->step = httpupdate_feed(h->s, q->payload, q->len);
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    if (h->step != HTTPUPDATE_RUNNING) {
        hul_detach(h, true); /* the rest of the answer is not wanted */
        return ERR_ABRT;
    }
    return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
    (void)err;
    httpupdate_lwip_t *h = arg;
    if (!h)
        return;
    h->pcb = NULL; /* lwIP freed it */
    if (h->step == HTTPUPDATE_RUNNING)
        hul_finish(h, h->connected ? HTTPC_ERROR_CONNECTION_LOST : HTTPC_ERROR_CONNECTION_FAILED);
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    httpupdate_lwip_t *h = arg;
    if (err != ERR_OK)
        return err;
    h->connected = true;
    h->last_ms = h->now_ms;
    if (h->tls) {
        httpupdate_tls_pump(h);
        return h->pcb ? ERR_OK : ERR_ABRT;
    }
    char req[2048];
    size_t n = httpupdate_request(h->s, req, sizeof(req));
    if (!n || tcp_write(pcb, req, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK) {
        hul_detach(h, true);
        hul_finish(h, HTTPC_ERROR_SEND_HEADER_FAILED);
        return ERR_ABRT;
    }
    tcp_output(pcb);
    return ERR_OK;
}

static void connect_url(httpupdate_lwip_t *h)
{
    h->step = HTTPUPDATE_RUNNING;
    h->connected = false;
    h->last_ms = h->now_ms;
    ip4_addr_t a;
    ip_addr_t ip;
    if (!ip4addr_aton(h->s->url.host, &a)) {
        hul_finish(h, HTTPC_ERROR_CONNECTION_FAILED);
        return;
    }
    if (!httpupdate_tls_open(h))
        return;
    ip_addr_copy_from_ip4(ip, a);
    h->pcb = tcp_new();
    if (!h->pcb) {
        hul_finish(h, HTTPC_ERROR_CONNECTION_FAILED);
        return;
    }
    tcp_arg(h->pcb, h);
    tcp_err(h->pcb, on_err);
    tcp_recv(h->pcb, on_recv);
    tcp_nagle_disable(h->pcb);
    if (tcp_connect(h->pcb, &ip, h->s->url.port, on_connected) != ERR_OK) {
        hul_detach(h, true);
        hul_finish(h, HTTPC_ERROR_CONNECTION_FAILED);
    }
}

httpupdate_lwip_t *httpupdate_lwip_start(httpupdate_t *s, uint32_t now_ms, uint32_t timeout_ms)
{
    return httpupdate_lwip_start_tls(s, now_ms, timeout_ms, NULL);
}

httpupdate_lwip_t *httpupdate_lwip_start_tls(httpupdate_t *s, uint32_t now_ms, uint32_t timeout_ms,
                                             const tls_client_config_t *tls)
{
    httpupdate_lwip_t *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->s = s;
    h->tls_cfg = tls;
    h->now_ms = now_ms;
    h->timeout_ms = timeout_ms ? timeout_ms : 8000u;
    connect_url(h);
    return h;
}

bool httpupdate_lwip_poll(httpupdate_lwip_t *h, uint32_t now_ms)
{
    h->now_ms = now_ms;
    if (h->tls)
        httpupdate_tls_pump(h); /* room in the send buffer may have come back */
    if (h->step == HTTPUPDATE_RUNNING && now_ms - h->last_ms > h->timeout_ms) {
        hul_detach(h, true);
        if (h->tls && h->connected && !h->handshaken) /* connect() of a secure client fails */
            h->step = httpupdate_close_detail(h->s, HTTPC_ERROR_CONNECTION_FAILED, 0,
                                              "no answer to the handshake (timeout)");
        else
            hul_finish(h, h->connected ? HTTPC_ERROR_READ_TIMEOUT : HTTPC_ERROR_CONNECTION_FAILED);
    }
    if (h->step == HTTPUPDATE_REDIRECT) {
        hul_detach(h, true);
        connect_url(h); /* the session already switched to the new URL */
    }
    return h->step == HTTPUPDATE_FINISHED;
}

void httpupdate_lwip_free(httpupdate_lwip_t *h)
{
    if (!h)
        return;
    hul_detach(h, true);
    httpupdate_tls_close(h);
    free(h);
}
