/* The web update server on lwIP's raw API (webupdate_lwip.h). */
#include "webupdate_lwip.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lwip/tcp.h"

#define MAX_CONNS 4
#define IDLE_MS 10000u  /* no data for this long before the response: abort */
#define LINGER_MS 2000u /* after the response: drop what the client still sends, then close */
#define REBOOT_MS 1000u /* a success response not acknowledged by then: restart anyway */

typedef struct wconn {
    webupdate_lwip_t *srv;
    struct tcp_pcb *pcb;
    webupdate_conn_t conn;
    bool used, responded, continued, reboot;
    uint32_t last_ms, responded_ms;
} wconn_t;

struct webupdate_lwip {
    const webupdate_config_t *cfg;
    struct tcp_pcb *listen;
    wconn_t conns[MAX_CONNS];
    uint32_t now_ms;
    bool reboot_due;
};

static void release(wconn_t *c)
{
    if (c->pcb) {
        tcp_arg(c->pcb, NULL);
        tcp_recv(c->pcb, NULL);
        tcp_sent(c->pcb, NULL);
        tcp_err(c->pcb, NULL);
    }
    if (!c->responded)
        webupdate_conn_abort(&c->conn); /* an upload cut short commits nothing */
    if (c->reboot)
        c->srv->reboot_due = true; /* the response went as far as it could */
    c->pcb = NULL;
    c->used = false;
}

/* Sends what the connection has to say now: the interim 100 Continue a client asking for it
 * waits for before the body, then the response (and the sending side is shut). */
static void respond(wconn_t *c)
{
    webupdate_conn_t *w = &c->conn;
    if (!c->continued && w->state == WEBUPDATE_BODY) {
        const char *e = http_head_get(&w->head, "Expect");
        c->continued = true;
        if (e && !strcasecmp(e, "100-continue")) {
            static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
            tcp_write(c->pcb, cont, sizeof(cont) - 1, TCP_WRITE_FLAG_COPY);
        }
    }
    size_t len;
    const char *r = webupdate_conn_response(w, &len);
    if (r && !c->responded) {
        c->responded = true;
        c->responded_ms = c->srv->now_ms;
        c->reboot = webupdate_conn_reboot(w);
        tcp_write(c->pcb, r, (u16_t)len, TCP_WRITE_FLAG_COPY); /* < TCP_SND_BUF */
        tcp_output(c->pcb);
        tcp_shutdown(c->pcb, 0, 1);
        return;
    }
    tcp_output(c->pcb);
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    (void)err;
    wconn_t *c = arg;
    if (!p) { /* the client closed */
        release(c);
        tcp_close(pcb);
        return ERR_OK;
    }
    c->last_ms = c->srv->now_ms;
    for (struct pbuf *q = p; q && !c->responded; q = q->next)
        webupdate_conn_feed(&c->conn, q->payload, q->len);
    tcp_recved(pcb, p->tot_len); /* after a response: read and dropped */
    pbuf_free(p);
    respond(c);
    return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    (void)len;
    wconn_t *c = arg;
    if (c->responded && c->reboot && !pcb->unacked && !pcb->unsent) {
        c->reboot = false;
        c->srv->reboot_due = true; /* the success page was delivered */
    }
    return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
    (void)err;
    wconn_t *c = arg;
    if (!c)
        return;
    c->pcb = NULL; /* lwIP freed it */
    release(c);
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    webupdate_lwip_t *w = arg;
    if (err != ERR_OK || !pcb)
        return ERR_VAL;
    wconn_t *c = NULL;
    for (int i = 0; i < MAX_CONNS && !c; i++)
        if (!w->conns[i].used)
            c = &w->conns[i];
    if (!c) {
        tcp_abort(pcb); /* busy: as the original's single-client server would not answer */
        return ERR_ABRT;
    }
    memset(c, 0, sizeof(*c));
    c->used = true;
    c->srv = w;
    c->pcb = pcb;
    c->last_ms = w->now_ms;
    webupdate_conn_init(&c->conn, w->cfg);
    tcp_arg(pcb, c);
    tcp_recv(pcb, on_recv);
    tcp_sent(pcb, on_sent);
    tcp_err(pcb, on_err);
    tcp_nagle_disable(pcb);
    return ERR_OK;
}

webupdate_lwip_t *webupdate_lwip_start(const webupdate_config_t *cfg, uint16_t port)
{
    webupdate_lwip_t *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->cfg = cfg;
    struct tcp_pcb *pcb = tcp_new();
    if (!pcb || tcp_bind(pcb, IP_ADDR_ANY, port) != ERR_OK) {
        if (pcb)
            tcp_abort(pcb);
        free(w);
        return NULL;
    }
    w->listen = tcp_listen(pcb);
    if (!w->listen) {
        tcp_abort(pcb);
        free(w);
        return NULL;
    }
    tcp_arg(w->listen, w);
    tcp_accept(w->listen, on_accept);
    return w;
}

void webupdate_lwip_stop(webupdate_lwip_t *w)
{
    if (!w)
        return;
    for (int i = 0; i < MAX_CONNS; i++) {
        wconn_t *c = &w->conns[i];
        if (!c->used)
            continue;
        struct tcp_pcb *pcb = c->pcb;
        release(c);
        if (pcb)
            tcp_abort(pcb);
    }
    tcp_close(w->listen);
    free(w);
}

void webupdate_lwip_poll(webupdate_lwip_t *w, uint32_t now_ms)
{
    w->now_ms = now_ms;
    for (int i = 0; i < MAX_CONNS; i++) {
        wconn_t *c = &w->conns[i];
        if (!c->used || !c->pcb)
            continue;
        bool idle = !c->responded && now_ms - c->last_ms > IDLE_MS;
        bool linger = c->responded && now_ms - c->responded_ms > LINGER_MS;
        if (c->responded && c->reboot && now_ms - c->responded_ms > REBOOT_MS) {
            c->reboot = false;
            w->reboot_due = true;
        }
        if (idle || linger) {
            struct tcp_pcb *pcb = c->pcb;
            release(c);
            tcp_abort(pcb);
        }
    }
}

bool webupdate_lwip_reboot_due(const webupdate_lwip_t *w)
{
    return w->reboot_due;
}
