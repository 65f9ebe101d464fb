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
#include <stddef.h>
#include <stdint.h>

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

/* Network faults, all seeded (one xorshift stream per netsim_set_faults). They act on the
 * frames as netsim hands them over, so both stacks see a real bad link:
 *   loss        each frame (either direction) is dropped with this probability;
 *   latency_ms  one-way delay of every frame;
 *   rate        bytes per second each way (frames are serialised at it; 0: no cap);
 *   drop_after  after this many TCP payload bytes towards the device (retransmissions
 *               count), the device gets a reset for that connection in place of the next
 *               data (the connection dies mid-transfer); -1: off;
 *   stall_after after this many TCP payload bytes towards the device no more data reaches
 *               it (acknowledgements still do: the connection stays open, silent); -1: off. */
typedef struct netsim_faults {
    uint64_t seed;
    double loss;
    uint32_t latency_ms;
    uint64_t rate;
    int64_t drop_after, stall_after;
} netsim_faults_t;

/* No faults (drop_after and stall_after -1). */
void netsim_no_faults(netsim_faults_t *f);
/* Replaces the faults (the byte counters restart). */
void netsim_set_faults(netsim_t *n, const netsim_faults_t *f);
/* "loss=0.05,latency=20,rate=100000,drop=5000,stall=5000,seed=7" -> f (starting from no
 * faults); false with a message in err on a bad item. */
bool netsim_parse_faults(const char *spec, netsim_faults_t *f, char *err, size_t errlen);

/* Frames moved so far (device -> host, host -> device). */
void netsim_counts(const netsim_t *n, uint64_t *out_frames, uint64_t *in_frames);

#endif
