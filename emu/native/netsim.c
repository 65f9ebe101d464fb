/* lwIP + libslirp in one process (netsim.h). */
#include "netsim.h"

#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libslirp.h>

#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

#define QUEUE_MAX 4096
#define MAX_TIMERS 16
#define MAX_POLL 256

typedef struct frame {
    uint16_t len;
    uint8_t *data;
    int64_t due_ns; /* not handed over before (latency, rate cap) */
} frame_t;

typedef struct queue {
    frame_t f[QUEUE_MAX];
    size_t head, count;
} queue_t;

typedef struct ns_timer {
    bool used, armed;
    int64_t expire_ms;
    SlirpTimerCb cb;
    void *cb_opaque;
} ns_timer_t;

struct netsim {
    Slirp *slirp;
    struct netif nif;
    queue_t to_host, to_dev; /* lwIP -> slirp, slirp -> lwIP */
    ns_timer_t timers[MAX_TIMERS];
    struct pollfd pfd[MAX_POLL];
    int npfd;
    uint64_t out_frames, in_frames;
    netsim_faults_t faults;
    uint64_t rng;
    uint64_t tcp_to_dev; /* TCP payload bytes towards the device since the faults were set */
    bool dropped;        /* drop_after has fired */
    int64_t link_free_ns[2];
};

static bool lwip_ready;

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static uint64_t rng_next(netsim_t *n)
{
    uint64_t x = n->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return n->rng = x;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xFFFF) + (sum >> 16);
    return (uint16_t)~sum;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    return sum;
}

/* An IPv4 TCP frame: its header offsets and payload length; false for anything else. */
static bool tcp_frame(const uint8_t *f, size_t len, size_t *ip, size_t *tcp, size_t *payload)
{
    if (len < 14 + 20 + 20 || f[12] != 0x08 || f[13] != 0x00 || (f[14] >> 4) != 4 || f[23] != 6)
        return false;
    size_t ihl = (size_t)(f[14] & 15) * 4, tot = (size_t)f[16] << 8 | f[17];
    if (ihl < 20 || 14 + tot > len || tot < ihl + 20)
        return false;
    size_t doff = (size_t)(f[14 + ihl + 12] >> 4) * 4;
    if (doff < 20 || tot < ihl + doff)
        return false;
    *ip = 14;
    *tcp = 14 + ihl;
    *payload = tot - ihl - doff;
    return true;
}

/* Turns a data segment into a bare RST|ACK with the same sequence number (in the device's
 * window: it is the data it waits for); returns the new frame length. */
static size_t forge_reset(uint8_t *f, size_t ip, size_t tcp)
{
    size_t ihl = tcp - ip, doff = (size_t)(f[tcp + 12] >> 4) * 4, tot = ihl + doff;
    f[ip + 2] = (uint8_t)(tot >> 8);
    f[ip + 3] = (uint8_t)tot;
    f[ip + 10] = f[ip + 11] = 0;
    uint16_t c = csum_fold(csum_add(0, f + ip, ihl));
    f[ip + 10] = (uint8_t)(c >> 8);
    f[ip + 11] = (uint8_t)c;
    f[tcp + 13] = 0x14; /* RST, ACK */
    f[tcp + 16] = f[tcp + 17] = 0;
    uint32_t sum = csum_add(0, f + ip + 12, 8); /* pseudo header: addresses */
    sum += 6 + (uint32_t)doff;
    c = csum_fold(csum_add(sum, f + tcp, doff));
    f[tcp + 16] = (uint8_t)(c >> 8);
    f[tcp + 17] = (uint8_t)c;
    return ip + tot;
}

static bool enqueue(netsim_t *n, queue_t *q, const void *data, size_t len)
{
    if (q->count == QUEUE_MAX || len > 0xFFFF)
        return false; /* dropped: TCP retransmits, as on a congested link */
    const netsim_faults_t *ft = &n->faults;
    if (ft->loss > 0 && (double)(rng_next(n) >> 11) / 9007199254740992.0 < ft->loss)
        return false;
    frame_t *f = &q->f[(q->head + q->count) % QUEUE_MAX];
    f->data = malloc(len);
    if (!f->data)
        return false;
    memcpy(f->data, data, len);
    size_t ip, tcp, pl;
    if (q == &n->to_dev && (ft->drop_after >= 0 || ft->stall_after >= 0) &&
        tcp_frame(f->data, len, &ip, &tcp, &pl) && pl) {
        if (ft->stall_after >= 0 && n->tcp_to_dev >= (uint64_t)ft->stall_after) {
            free(f->data);
            return false; /* silence: the data never arrives */
        }
        if (ft->drop_after >= 0 && !n->dropped && n->tcp_to_dev + pl > (uint64_t)ft->drop_after) {
            n->dropped = true;
            len = forge_reset(f->data, ip, tcp);
        } else {
            n->tcp_to_dev += pl;
        }
    }
    f->len = (uint16_t)len;
    int64_t now = now_ns(), *free_at = &n->link_free_ns[q == &n->to_dev];
    int64_t start = *free_at > now ? *free_at : now;
    *free_at = ft->rate ? start + (int64_t)((uint64_t)len * 1000000000u / ft->rate) : now;
    f->due_ns = (ft->rate ? *free_at : now) + (int64_t)ft->latency_ms * 1000000;
    q->count++;
    return true;
}

void netsim_no_faults(netsim_faults_t *f)
{
    memset(f, 0, sizeof(*f));
    f->drop_after = f->stall_after = -1;
}

void netsim_set_faults(netsim_t *n, const netsim_faults_t *f)
{
    n->faults = *f;
    n->rng = f->seed * 0x9E3779B97F4A7C15ull + 1;
    n->tcp_to_dev = 0;
    n->dropped = false;
}

bool netsim_parse_faults(const char *spec, netsim_faults_t *f, char *err, size_t errlen)
{
    netsim_no_faults(f);
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", spec);
    for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '='), *end;
        if (!eq) {
            snprintf(err, errlen, "fault '%s' needs a value (NAME=V)", tok);
            return false;
        }
        *eq++ = 0;
        double v = strtod(eq, &end);
        if (*end || v < 0) {
            snprintf(err, errlen, "bad value '%s' for fault %s", eq, tok);
            return false;
        }
        if (!strcmp(tok, "loss") && v <= 1)
            f->loss = v;
        else if (!strcmp(tok, "latency"))
            f->latency_ms = (uint32_t)v;
        else if (!strcmp(tok, "rate"))
            f->rate = (uint64_t)v;
        else if (!strcmp(tok, "drop"))
            f->drop_after = (int64_t)v;
        else if (!strcmp(tok, "stall"))
            f->stall_after = (int64_t)v;
        else if (!strcmp(tok, "seed"))
            f->seed = (uint64_t)v;
        else {
            snprintf(err, errlen,
                     "unknown fault '%s' (loss=P (0..1), latency=MS, rate=B/s, drop=K, "
                     "stall=K, seed=S)",
                     tok);
            return false;
        }
    }
    return true;
}

/* ---- slirp side ---- */

static ssize_t slirp_send(const void *buf, size_t len, void *opaque)
{
    netsim_t *n = opaque;
    enqueue(n, &n->to_dev, buf, len);
    return (ssize_t)len;
}

static void slirp_guest_error(const char *msg, void *opaque)
{
    (void)opaque;
    fprintf(stderr, "netsim: slirp: %s\n", msg);
}

static int64_t slirp_clock(void *opaque)
{
    (void)opaque;
    return now_ns();
}

static void *slirp_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
    netsim_t *n = opaque;
    for (int i = 0; i < MAX_TIMERS; i++)
        if (!n->timers[i].used) {
            n->timers[i] = (ns_timer_t){.used = true, .cb = cb, .cb_opaque = cb_opaque};
            return &n->timers[i];
        }
    fprintf(stderr, "netsim: out of slirp timers\n");
    abort();
}

static void slirp_timer_free(void *timer, void *opaque)
{
    (void)opaque;
    ((ns_timer_t *)timer)->used = false;
}

static void slirp_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    (void)opaque;
    ns_timer_t *t = timer;
    t->armed = true;
    t->expire_ms = expire_ms;
}

static void slirp_poll_noop(int fd, void *opaque)
{
    (void)fd;
    (void)opaque;
}

static void slirp_notify(void *opaque)
{
    (void)opaque;
}

static const SlirpCb callbacks = {
    .send_packet = slirp_send,
    .guest_error = slirp_guest_error,
    .clock_get_ns = slirp_clock,
    .timer_new = slirp_timer_new,
    .timer_free = slirp_timer_free,
    .timer_mod = slirp_timer_mod,
    .register_poll_fd = slirp_poll_noop,
    .unregister_poll_fd = slirp_poll_noop,
    .notify = slirp_notify,
};

static int add_poll(int fd, int events, void *opaque)
{
    netsim_t *n = opaque;
    if (n->npfd == MAX_POLL)
        return -1;
    short ev = 0;
    if (events & SLIRP_POLL_IN)
        ev |= POLLIN;
    if (events & SLIRP_POLL_OUT)
        ev |= POLLOUT;
    if (events & SLIRP_POLL_PRI)
        ev |= POLLPRI;
    n->pfd[n->npfd] = (struct pollfd){.fd = fd, .events = ev};
    return n->npfd++;
}

static int get_revents(int idx, void *opaque)
{
    netsim_t *n = opaque;
    if (idx < 0 || idx >= n->npfd)
        return 0;
    short r = n->pfd[idx].revents;
    int out = 0;
    if (r & POLLIN)
        out |= SLIRP_POLL_IN;
    if (r & POLLOUT)
        out |= SLIRP_POLL_OUT;
    if (r & POLLPRI)
        out |= SLIRP_POLL_PRI;
    if (r & POLLERR)
        out |= SLIRP_POLL_ERR;
    if (r & POLLHUP)
        out |= SLIRP_POLL_HUP;
    return out;
}

/* ---- lwIP side ---- */

static err_t link_output(struct netif *nif, struct pbuf *p)
{
    netsim_t *n = nif->state;
    uint8_t buf[2048];
    if (p->tot_len > sizeof(buf))
        return ERR_BUF;
    pbuf_copy_partial(p, buf, p->tot_len, 0);
    enqueue(n, &n->to_host, buf, p->tot_len);
    return ERR_OK;
}

static err_t nif_init(struct netif *nif)
{
    nif->name[0] = 's';
    nif->name[1] = 'l';
    nif->mtu = 1500;
    nif->hwaddr_len = 6;
    nif->flags =
        NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
    nif->output = etharp_output;
    nif->linkoutput = link_output;
    return ERR_OK;
}

netsim_t *netsim_new(const uint8_t mac[6])
{
    if (!lwip_ready) {
        lwip_init(); /* no tcpip_init(): the raw API from this one loop */
        lwip_ready = true;
    }
    netsim_t *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    SlirpConfig cfg = {.version = 1, .in_enabled = true};
    inet_pton(AF_INET, "10.0.2.0", &cfg.vnetwork);
    inet_pton(AF_INET, "255.255.255.0", &cfg.vnetmask);
    inet_pton(AF_INET, "10.0.2.2", &cfg.vhost);
    inet_pton(AF_INET, "10.0.2.15", &cfg.vdhcp_start);
    inet_pton(AF_INET, "10.0.2.3", &cfg.vnameserver);
    netsim_no_faults(&n->faults);
    n->slirp = slirp_new(&cfg, &callbacks, n);
    if (!n->slirp) {
        fprintf(stderr, "netsim: slirp_new failed\n");
        free(n);
        return NULL;
    }
    ip4_addr_t ip, mask, gw;
    IP4_ADDR(&ip, 10, 0, 2, 15);
    IP4_ADDR(&mask, 255, 255, 255, 0);
    IP4_ADDR(&gw, 10, 0, 2, 2);
    if (!netif_add(&n->nif, &ip, &mask, &gw, n, nif_init, ethernet_input)) {
        fprintf(stderr, "netsim: netif_add failed\n");
        slirp_cleanup(n->slirp);
        free(n);
        return NULL;
    }
    static const uint8_t dflt[6] = {0x02, 0, 0, 0, 0, 0x01};
    memcpy(n->nif.hwaddr, mac ? mac : dflt, 6);
    netif_set_default(&n->nif);
    netif_set_up(&n->nif); /* slirp exists already: the gratuitous ARP goes somewhere */
    return n;
}

static void drain(queue_t *q)
{
    while (q->count) {
        free(q->f[q->head].data);
        q->head = (q->head + 1) % QUEUE_MAX;
        q->count--;
    }
}

void netsim_free(netsim_t *n)
{
    if (!n)
        return;
    netif_remove(&n->nif);
    slirp_cleanup(n->slirp);
    drain(&n->to_host);
    drain(&n->to_dev);
    free(n);
}

bool netsim_forward(netsim_t *n, bool udp, uint16_t host_port, uint16_t guest_port)
{
    struct in_addr host, guest;
    inet_pton(AF_INET, "127.0.0.1", &host);
    inet_pton(AF_INET, "10.0.2.15", &guest);
    return slirp_add_hostfwd(n->slirp, udp, host, host_port, guest, guest_port) == 0;
}

/* Hands the queued frames over; returns how many moved. */
static size_t deliver(netsim_t *n)
{
    size_t moved = 0;
    int64_t now = now_ns();
    while (n->to_host.count && n->to_host.f[n->to_host.head].due_ns <= now) {
        frame_t f = n->to_host.f[n->to_host.head];
        n->to_host.head = (n->to_host.head + 1) % QUEUE_MAX;
        n->to_host.count--;
        slirp_input(n->slirp, f.data, f.len);
        free(f.data);
        n->out_frames++;
        moved++;
    }
    while (n->to_dev.count && n->to_dev.f[n->to_dev.head].due_ns <= now) {
        frame_t f = n->to_dev.f[n->to_dev.head];
        n->to_dev.head = (n->to_dev.head + 1) % QUEUE_MAX;
        n->to_dev.count--;
        struct pbuf *p = pbuf_alloc(PBUF_RAW, f.len, PBUF_RAM);
        if (p) {
            memcpy(p->payload, f.data, f.len);
            if (n->nif.input(p, &n->nif) != ERR_OK)
                pbuf_free(p);
        }
        free(f.data);
        n->in_frames++;
        moved++;
    }
    return moved;
}

void netsim_poll(netsim_t *n, int timeout_ms)
{
    /* Frames waiting means work to do now: do not sleep. */
    if (deliver(n))
        timeout_ms = 0;
    uint32_t t = timeout_ms < 0 ? UINT32_MAX : (uint32_t)timeout_ms;
    int64_t now_ms = now_ns() / 1000000;
    for (int q = 0; q < 2; q++) { /* a frame held back by latency or the rate cap */
        const queue_t *qu = q ? &n->to_dev : &n->to_host;
        if (qu->count) {
            int64_t d = qu->f[qu->head].due_ns / 1000000 - now_ms;
            if (d < (int64_t)t)
                t = d < 0 ? 0 : (uint32_t)d;
        }
    }
    for (int i = 0; i < MAX_TIMERS; i++)
        if (n->timers[i].used && n->timers[i].armed) {
            int64_t d = n->timers[i].expire_ms - now_ms;
            if (d < (int64_t)t)
                t = d < 0 ? 0 : (uint32_t)d;
        }
    n->npfd = 0;
    slirp_pollfds_fill(n->slirp, &t, add_poll, n);
    int r = poll(n->pfd, (nfds_t)n->npfd, (int)(t > 1000 ? 1000 : t));
    slirp_pollfds_poll(n->slirp, r < 0, get_revents, n);
    now_ms = now_ns() / 1000000;
    for (int i = 0; i < MAX_TIMERS; i++) {
        ns_timer_t *tm = &n->timers[i];
        if (tm->used && tm->armed && tm->expire_ms <= now_ms) {
            tm->armed = false;
            tm->cb(tm->cb_opaque);
        }
    }
    sys_check_timeouts();
    deliver(n);
}

void netsim_counts(const netsim_t *n, uint64_t *out_frames, uint64_t *in_frames)
{
    *out_frames = n->out_frames;
    *in_frames = n->in_frames;
}
