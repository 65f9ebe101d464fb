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
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

#define QUEUE_MAX 4096
#define MAX_TIMERS 16
#define MAX_POLL 256

typedef struct frame {
    uint16_t len;
    uint8_t *data;
    int64_t release_us; /* not delivered before (latency, bandwidth faults) */
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
    bool faulty;
    netfault_t faults;
};

static bool lwip_ready;

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static bool enqueue_at(queue_t *q, const void *data, size_t len, int64_t release_us)
{
    if (q->count == QUEUE_MAX || len > 0xFFFF)
        return false; /* dropped: TCP retransmits, as on a congested link */
    frame_t *f = &q->f[(q->head + q->count) % QUEUE_MAX];
    f->data = malloc(len);
    if (!f->data)
        return false;
    memcpy(f->data, data, len);
    f->len = (uint16_t)len;
    f->release_us = release_us;
    q->count++;
    return true;
}

static void fault_emit(void *queue, const uint8_t *frame, size_t len, int64_t release_us)
{
    enqueue_at(queue, frame, len, release_us);
}

/* Queues a frame, through the fault filter when faults are set (it may copy, delay, rewrite or
 * drop it). */
static void enqueue(netsim_t *n, netfault_dir_t dir, const void *data, size_t len)
{
    queue_t *q = dir == NETFAULT_TO_DEV ? &n->to_dev : &n->to_host;
    if (!n->faulty) {
        enqueue_at(q, data, len, 0);
        return;
    }
    uint8_t buf[2048];
    if (len > sizeof(buf))
        return; /* larger than any frame of a 1500-byte MTU */
    memcpy(buf, data, len);
    netfault_frame(&n->faults, dir, buf, len, now_ns() / 1000, fault_emit, q);
}

/* ---- slirp side ---- */

static ssize_t slirp_send(const void *buf, size_t len, void *opaque)
{
    netsim_t *n = opaque;
    enqueue(n, NETFAULT_TO_DEV, buf, len);
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
    enqueue(n, NETFAULT_TO_HOST, buf, p->tot_len);
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

static bool due(const queue_t *q, int64_t now_us)
{
    return q->count && q->f[q->head].release_us <= now_us;
}

/* Hands the queued frames that are due over; returns how many moved. */
static size_t deliver(netsim_t *n)
{
    size_t moved = 0;
    int64_t now_us = now_ns() / 1000;
    while (due(&n->to_host, now_us)) {
        frame_t f = n->to_host.f[n->to_host.head];
        n->to_host.head = (n->to_host.head + 1) % QUEUE_MAX;
        n->to_host.count--;
        slirp_input(n->slirp, f.data, f.len);
        free(f.data);
        n->out_frames++;
        moved++;
    }
    while (due(&n->to_dev, now_us)) {
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

/* When the link to the device has gone quiet, lwIP's delayed ACKs go out now instead of at its
 * next 250 ms fast timer. libslirp starts every connection with a one-segment congestion
 * window (BSD slow start), and a delayed-ACK receiver then stalls each round of it for up to
 * 250 ms (measured: a 255 ms stall at the start of every web upload). Linux senders open with
 * ten segments, so a real ESP8266 receiving from a PC does not see that stall; acking at once
 * when nothing else is arriving (what Linux's quick-ack mode does) removes only the artifact:
 * segments arriving back to back are still acknowledged together. */
static void flush_delayed_acks(void)
{
    for (struct tcp_pcb *p = tcp_active_pcbs; p; p = p->next)
        if (p->flags & TF_ACK_DELAY) {
            tcp_ack_now(p);
            tcp_output(p);
        }
}

void netsim_poll(netsim_t *n, int timeout_ms)
{
    /* Frames waiting means work to do now: do not sleep. */
    if (deliver(n))
        timeout_ms = 0;
    uint32_t t = timeout_ms < 0 ? UINT32_MAX : (uint32_t)timeout_ms;
    int64_t now_ms = now_ns() / 1000000;
    /* Delayed frames: wake up when the first one is due. */
    for (int d = 0; d < 2; d++) {
        const queue_t *q = d ? &n->to_host : &n->to_dev;
        if (q->count) {
            int64_t w = (q->f[q->head].release_us + 999) / 1000 - now_ms;
            if (w < (int64_t)t)
                t = w < 0 ? 0 : (uint32_t)w;
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
    if (!n->to_dev.count)
        flush_delayed_acks();
}

void netsim_counts(const netsim_t *n, uint64_t *out_frames, uint64_t *in_frames)
{
    *out_frames = n->out_frames;
    *in_frames = n->in_frames;
}

void netsim_set_faults(netsim_t *n, const netfault_cfg_t *cfg)
{
    n->faulty = cfg != NULL;
    if (cfg)
        netfault_init(&n->faults, cfg);
}

netfault_stats_t netsim_fault_stats(const netsim_t *n)
{
    netfault_stats_t none = {0};
    return n->faulty ? n->faults.st : none;
}
