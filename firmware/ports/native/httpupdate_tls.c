/* The HTTP update client's TLS path on lwIP (httpupdate_lwip_internal.h): BearSSL's engine
 * sits between the session and the TCP connection. Received pbufs stay queued until the engine
 * takes them, and tcp_recved() is only called then, so TCP's window is the flow control. */
#include <string.h>

#include "httpupdate_lwip_internal.h"

bool httpupdate_tls_open(httpupdate_lwip_t *h)
{
    httpupdate_tls_close(h); /* a redirect's new connection gets a new handshake */
    h->handshaken = h->eof = false;
    h->req_len = h->req_off = 0;
    if (!h->s->url.tls)
        return true;
    if (!h->tls_cfg || !h->tls_cfg->trust) {
        h->step = httpupdate_close_detail(h->s, HTTPC_ERROR_CONNECTION_FAILED, 0,
                                          "https URL without a CA or pinned key");
        return false;
    }
    h->tls = tls_client_new(h->tls_cfg, h->s->url.host);
    if (!h->tls) {
        h->step = httpupdate_close_detail(h->s, HTTPC_ERROR_CONNECTION_FAILED, 0,
                                          "no memory for the record buffers (or below minimum)");
        return false;
    }
    return true;
}

void httpupdate_tls_close(httpupdate_lwip_t *h)
{
    tls_client_free(h->tls);
    h->tls = NULL;
    if (h->pending)
        pbuf_free(h->pending);
    h->pending = NULL;
    h->pending_off = 0;
}

/* The engine closed: after close_notify an orderly end, else BearSSL's error. */
static void closed(httpupdate_lwip_t *h, br_ssl_engine_context *e)
{
    int err = br_ssl_engine_last_error(e);
    hul_detach(h, err != BR_ERR_OK);
    if (err == BR_ERR_OK && h->handshaken) {
        hul_finish(h, 0);
        return;
    }
    int code = h->handshaken ? HTTPC_ERROR_CONNECTION_LOST : HTTPC_ERROR_CONNECTION_FAILED;
    h->step = httpupdate_close_detail(h->s, code, err ? err : BR_ERR_IO, tls_error_text(err));
}

static bool send_records(httpupdate_lwip_t *h, br_ssl_engine_context *e)
{
    size_t len;
    unsigned char *buf = br_ssl_engine_sendrec_buf(e, &len);
    if (!h->pcb)
        return false;
    size_t room = tcp_sndbuf(h->pcb);
    size_t n = len < room ? len : room;
    if (n > 0xffff)
        n = 0xffff;
    if (!n || tcp_write(h->pcb, buf, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK)
        return false;
    br_ssl_engine_sendrec_ack(e, n);
    tcp_output(h->pcb);
    return true;
}

static bool take_records(httpupdate_lwip_t *h, br_ssl_engine_context *e)
{
    if (!h->pending)
        return false;
    size_t len;
    unsigned char *buf = br_ssl_engine_recvrec_buf(e, &len);
    size_t left = h->pending->tot_len - h->pending_off;
    size_t n = len < left ? len : left;
    n = pbuf_copy_partial(h->pending, buf, (u16_t)(n > 0xffff ? 0xffff : n), h->pending_off);
    if (!n)
        return false;
    br_ssl_engine_recvrec_ack(e, n);
    h->pending_off = (uint16_t)(h->pending_off + n);
    if (h->pcb)
        tcp_recved(h->pcb, (u16_t)n);
    if (h->pending_off == h->pending->tot_len) {
        pbuf_free(h->pending);
        h->pending = NULL;
        h->pending_off = 0;
    }
    return true;
}

/* The request goes in once the handshake is done (the first SENDAPP state). */
static bool send_request(httpupdate_lwip_t *h, br_ssl_engine_context *e)
{
    h->handshaken = true;
    if (!h->req_len) {
        h->req_len = httpupdate_request(h->s, h->req, sizeof(h->req));
        if (!h->req_len) {
            hul_detach(h, true);
            hul_finish(h, HTTPC_ERROR_SEND_HEADER_FAILED);
            return false;
        }
    }
    if (h->req_off == h->req_len)
        return false;
    size_t len;
    unsigned char *buf = br_ssl_engine_sendapp_buf(e, &len);
    size_t n = h->req_len - h->req_off < len ? h->req_len - h->req_off : len;
    memcpy(buf, h->req + h->req_off, n);
    br_ssl_engine_sendapp_ack(e, n);
    h->req_off += n;
    br_ssl_engine_flush(e, 0);
    return true;
}

static bool deliver(httpupdate_lwip_t *h, br_ssl_engine_context *e)
{
    size_t len;
    unsigned char *buf = br_ssl_engine_recvapp_buf(e, &len);
    h->last_ms = h->now_ms;
    h->step = httpupdate_feed(h->s, buf, len);
    br_ssl_engine_recvapp_ack(e, len);
    if (h->step != HTTPUPDATE_RUNNING)
        hul_detach(h, true); /* the rest of the answer is not wanted */
    return h->step == HTTPUPDATE_RUNNING;
}

void httpupdate_tls_pump(httpupdate_lwip_t *h)
{
    if (!h->tls || !h->connected)
        return;
    br_ssl_engine_context *e = tls_client_engine(h->tls);
    for (int guard = 0; guard < 10000 && h->step == HTTPUPDATE_RUNNING; guard++) {
        unsigned st = br_ssl_engine_current_state(e);
        if (st & BR_SSL_CLOSED) {
            closed(h, e);
            return;
        }
        bool moved = false;
        if (st & BR_SSL_RECVAPP) {
            if (!deliver(h, e))
                return;
            moved = true;
        }
        if (st & BR_SSL_SENDREC)
            moved |= send_records(h, e);
        if ((st & BR_SSL_SENDAPP) && h->step == HTTPUPDATE_RUNNING)
            moved |= send_request(h, e);
        if (h->step != HTTPUPDATE_RUNNING)
            return;
        if (st & BR_SSL_RECVREC)
            moved |= take_records(h, e);
        if (!moved)
            break;
    }
    if (h->step == HTTPUPDATE_RUNNING && h->eof && !h->pending) {
        /* The server closed the TCP connection without close_notify. */
        hul_detach(h, false);
        if (h->handshaken)
            hul_finish(h, 0); /* the session checks the body against Content-Length */
        else
            h->step = httpupdate_close_detail(h->s, HTTPC_ERROR_CONNECTION_FAILED, BR_ERR_IO,
                                              "the server closed during the handshake");
    }
}

void httpupdate_tls_recv(httpupdate_lwip_t *h, struct pbuf *p)
{
    if (!p) {
        h->eof = true;
    } else {
        h->last_ms = h->now_ms;
        if (h->pending)
            pbuf_cat(h->pending, p);
        else
            h->pending = p;
    }
    httpupdate_tls_pump(h);
}
