/* espota on lwIP's raw API (espota_lwip.h). */
#include "espota_lwip.h"

#include <stdlib.h>
#include <string.h>

#include "lwip/tcp.h"
#include "lwip/udp.h"

struct espota_lwip {
    espota_t *ota;
    struct udp_pcb *udp;
    struct tcp_pcb *tcp;
    ip_addr_t peer;
    u16_t peer_port;
    uint32_t now_ms;
    bool ended, ok;
};

static void send_udp(espota_lwip_t *g, const char *r, size_t n)
{
    if (!n)
        return;
    struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)n, PBUF_RAM);
    if (!p)
        return;
    memcpy(p->payload, r, n);
    udp_sendto(g->udp, p, &g->peer, g->peer_port);
    pbuf_free(p);
}

static void udp_in(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
                   u16_t port)
{
    (void)pcb;
    espota_lwip_t *g = arg;
    uint8_t buf[512];
    u16_t n = pbuf_copy_partial(p, buf, sizeof(buf), 0);
    pbuf_free(p);
    char r[ESPOTA_REPLY_MAX];
    size_t rn;
    ota_state_t before = g->ota->state;
    espota_udp(g->ota, buf, n, ip4_addr_get_u32(ip_2_ip4(addr)), port, g->now_ms, r, &rn);
    if (before == OTA_IDLE && g->ota->state != OTA_IDLE) {
        ip_addr_copy(g->peer, *addr); /* replies and the connection go to this sender */
        g->peer_port = port;
    }
    if (rn) {
        ip_addr_t save = g->peer;
        u16_t sport = g->peer_port;
        ip_addr_copy(g->peer, *addr);
        g->peer_port = port;
        send_udp(g, r, rn);
        g->peer = save;
        g->peer_port = sport;
    }
}

static void tcp_final(espota_lwip_t *g, struct tcp_pcb *pcb, const char *fin, size_t fl)
{
    if (!fl)
        return;
    tcp_write(pcb, fin, (u16_t)fl, TCP_WRITE_FLAG_COPY);
    tcp_output(pcb);
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL);
    tcp_err(pcb, NULL);
    tcp_close(pcb);
    g->tcp = NULL;
    g->ended = true;
    g->ok = fl == 2 && !memcmp(fin, "OK", 2);
}

static err_t tcp_in(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    (void)err;
    espota_lwip_t *g = arg;
    char fin[ESPOTA_REPLY_MAX];
    size_t fl = 0;
    if (!p) {
        espota_tcp_closed(g->ota, fin, &fl);
        if (fl)
            tcp_final(g, pcb, fin, fl);
        else {
            tcp_close(pcb);
            g->tcp = NULL;
        }
        return ERR_OK;
    }
    tcp_recved(pcb, p->tot_len);
    for (struct pbuf *q = p; q && !fl; q = q->next) {
        char ack[16];
        size_t al;
        espota_tcp_data(g->ota, q->payload, q->len, g->now_ms, ack, sizeof(ack), &al, fin, &fl);
        if (al)
            tcp_write(pcb, ack, (u16_t)al, TCP_WRITE_FLAG_COPY);
    }
    pbuf_free(p);
    tcp_output(pcb);
    if (fl)
        tcp_final(g, pcb, fin, fl);
    return ERR_OK;
}

static void tcp_error(void *arg, err_t err)
{
    (void)err;
    espota_lwip_t *g = arg;
    g->tcp = NULL; /* lwIP freed the pcb */
    if (g->ota->state != OTA_RECEIVING)
        return;
    char fin[ESPOTA_REPLY_MAX];
    size_t fl;
    espota_tcp_closed(g->ota, fin, &fl);
    g->ended = true;
    g->ok = false;
}

static err_t tcp_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    espota_lwip_t *g = arg;
    espota_connected(g->ota, err == ERR_OK, g->now_ms);
    tcp_nagle_disable(pcb);
    tcp_recv(pcb, tcp_in);
    return ERR_OK;
}

espota_lwip_t *espota_lwip_start(espota_t *ota, uint16_t port)
{
    espota_lwip_t *g = calloc(1, sizeof(*g));
    if (!g)
        return NULL;
    g->ota = ota;
    g->udp = udp_new();
    if (!g->udp || udp_bind(g->udp, IP_ADDR_ANY, port) != ERR_OK) {
        if (g->udp)
            udp_remove(g->udp);
        free(g);
        return NULL;
    }
    udp_recv(g->udp, udp_in, g);
    return g;
}

void espota_lwip_stop(espota_lwip_t *g)
{
    if (!g)
        return;
    if (g->tcp) {
        tcp_arg(g->tcp, NULL);
        tcp_abort(g->tcp);
    }
    udp_remove(g->udp);
    free(g);
}

void espota_lwip_poll(espota_lwip_t *g, uint32_t now_ms)
{
    g->now_ms = now_ms;
    char r[ESPOTA_REPLY_MAX];
    size_t rn;
    if (espota_handle(g->ota, now_ms, r, &rn)) {
        send_udp(g, r, rn);
        g->tcp = tcp_new();
        if (!g->tcp) {
            espota_connected(g->ota, false, now_ms);
            return;
        }
        tcp_arg(g->tcp, g);
        tcp_err(g->tcp, tcp_error);
        if (tcp_connect(g->tcp, &g->peer, (u16_t)g->ota->host_port, tcp_connected) != ERR_OK) {
            tcp_abort(g->tcp);
            g->tcp = NULL;
            espota_connected(g->ota, false, now_ms);
        }
        return;
    }
    send_udp(g, r, rn);
    if (rn && g->ota->state == OTA_IDLE) {
        g->ended = true; /* begin failed: ERR sent */
        g->ok = false;
    }
    char fin[ESPOTA_REPLY_MAX];
    size_t fl;
    espota_tick(g->ota, now_ms, fin, &fl);
    if (fl && g->tcp)
        tcp_final(g, g->tcp, fin, fl);
}

bool espota_lwip_finished(espota_lwip_t *g, bool *ok)
{
    if (!g->ended)
        return false;
    g->ended = false;
    *ok = g->ok;
    return true;
}
