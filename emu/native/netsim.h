/* The native device's network: an lwIP netif (Debian's liblwip, raw API, one event loop, no
 * tcpip thread) whose Ethernet frames go to an in-process libslirp (user-mode NAT: no root, no
 * TAP). The device is 10.0.2.15/24, the gateway 10.0.2.2 is the host's 127.0.0.1 (outbound
 * connections reach host servers), and host ports can be forwarded to device ports (inbound).
 *
 * Frames are queued in both directions and handed over from netsim_poll(), never from inside
 * the other stack's call, so neither stack is re-entered (lwIP output -> slirp input -> an ARP
 * reply -> lwIP input would otherwise happen inside lwIP's own output path).
 *
 * One netsim per process at a time (lwIP's state is global); DESIGN.md has the pitfalls this
 * follows (lwip_init without tcpip_init, slirp before netif_set_up, slirp's timers). */
#ifndef OTASIM_NETSIM_H
#define OTASIM_NETSIM_H

#include <stdbool.h>
#include <stdint.h>

#include "netfault.h"

typedef struct netsim netsim_t;

/* A network with the device's MAC (NULL: 02:00:00:00:00:01). NULL on failure (message on
 * stderr). */
netsim_t *netsim_new(const uint8_t mac[6]);
void netsim_free(netsim_t *n);

/* Forwards 127.0.0.1:host_port (TCP or UDP) to the device's guest_port; false if the host port
 * cannot be bound. */
bool netsim_forward(netsim_t *n, bool udp, uint16_t host_port, uint16_t guest_port);

/* One turn of the event loop: waits up to timeout_ms for host sockets, runs slirp's and lwIP's
 * timers, and delivers the queued frames both ways. */
void netsim_poll(netsim_t *n, int timeout_ms);

/* Network faults (netfault.h) on every frame from now on; NULL: none. */
void netsim_set_faults(netsim_t *n, const netfault_cfg_t *cfg);
/* What the faults did so far (all zero without faults). */
netfault_stats_t netsim_fault_stats(const netsim_t *n);

/* Frames moved so far (device -> host, host -> device). */
void netsim_counts(const netsim_t *n, uint64_t *out_frames, uint64_t *in_frames);

#endif
