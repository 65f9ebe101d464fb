/* mDNS on lwIP's raw API (mdns_lwip.h). */
#include "mdns_lwip.h"

#include <stdlib.h>
#include <string.h>

#include "lwip/igmp.h"
#include "lwip/ip.h"
#include "lwip/netif.h"
#include "lwip/udp.h"

struct mdns_lwip {
    mdns_t *m;
    struct udp_pcb *udp;
    uint32_t now_ms;
    bool multicast_out;
};

static ip_addr_t group(void)
{
    ip_addr_t a;
    IP_ADDR4(&a, 224, 0, 0, 251);
    return a;
}

static void send_to(mdns_lwip_t *g, const uint8_t *b, size_t n, const ip_addr_t *to, u16_t port)
{
    /* lwIP sends to a loopback address through its loop netif, which needs the tcpip thread
     * this single-loop build does not run (it aborts): such a sender cannot be answered. */
    if (!n || ip4_addr_isloopback(ip_2_ip4(to)))
        return;
    if (ip4_addr_ismulticast(ip_2_ip4(to)) && !g->multicast_out)
        return;
    struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)n, PBUF_RAM);
    if (!p)
        return;
    memcpy(p->payload, b, n);
    udp_sendto(g->udp, p, to, port);
    pbuf_free(p);
}

static void udp_in(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
                   u16_t port)
{
    (void)pcb;
    mdns_lwip_t *g = arg;
    static uint8_t in[9000], out[MDNS_PKT_MAX]; /* RFC 6762 §17: up to 9000 bytes */
    u16_t n = pbuf_copy_partial(p, in, sizeof(in), 0);
    pbuf_free(p);
    bool to_unicast = !ip4_addr_ismulticast(ip4_current_dest_addr());
    mdns_dest_t dest;
    size_t rn = mdns_input(g->m, in, n, port, to_unicast, g->now_ms, out, sizeof(out), &dest);
    if (dest == MDNS_TO_SENDER) {
        /* addr points into lwIP's current-packet state, which sending rewrites (seen: the
         * answer looped back to the device, into the tcpip thread this build has not) */
        ip_addr_t to;
        ip_addr_copy(to, *addr);
        send_to(g, out, rn, &to, port);
    } else {
        ip_addr_t grp = group();
        send_to(g, out, rn, &grp, MDNS_PORT);
    }
}

mdns_lwip_t *mdns_lwip_start(mdns_t *m, uint32_t now_ms, bool multicast_out)
{
    mdns_lwip_t *g = calloc(1, sizeof(*g));
    if (!g)
        return NULL;
    g->m = m;
    g->now_ms = now_ms;
    g->multicast_out = multicast_out;
    g->udp = udp_new();
    if (!g->udp || udp_bind(g->udp, IP_ADDR_ANY, MDNS_PORT) != ERR_OK) {
        if (g->udp)
            udp_remove(g->udp);
        free(g);
        return NULL;
    }
    udp_set_multicast_ttl(g->udp, 255); /* RFC 6762 §11 */
    udp_recv(g->udp, udp_in, g);
    /* The netif is emu/native/netsim's and does not ask for IGMP; turn it on here rather than
     * there so that only a device running mDNS takes multicast (ip4_input drops datagrams to
     * a group no pcb joined through IGMP). */
    struct netif *nif;
    NETIF_FOREACH(nif)
    {
        if (!(nif->flags & NETIF_FLAG_IGMP)) {
            nif->flags |= NETIF_FLAG_IGMP;
            igmp_start(nif);
        }
    }
    ip4_addr_t grp4;
    IP4_ADDR(&grp4, 224, 0, 0, 251);
    igmp_joingroup(IP4_ADDR_ANY4, &grp4);
    mdns_start(m, now_ms);
    mdns_lwip_poll(g, now_ms);
    return g;
}

void mdns_lwip_poll(mdns_lwip_t *g, uint32_t now_ms)
{
    g->now_ms = now_ms;
    static uint8_t out[MDNS_PKT_MAX];
    size_t n = mdns_tick(g->m, now_ms, out, sizeof(out));
    ip_addr_t grp = group();
    send_to(g, out, n, &grp, MDNS_PORT);
}

void mdns_lwip_stop(mdns_lwip_t *g)
{
    if (!g)
        return;
    static uint8_t out[MDNS_PKT_MAX];
    size_t n = mdns_goodbye(g->m, out, sizeof(out));
    ip_addr_t grp = group();
    send_to(g, out, n, &grp, MDNS_PORT);
    ip4_addr_t grp4;
    IP4_ADDR(&grp4, 224, 0, 0, 251);
    igmp_leavegroup(IP4_ADDR_ANY4, &grp4);
    udp_remove(g->udp);
    free(g);
}
