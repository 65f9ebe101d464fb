/* Network fault injection for the native device's network (netsim.c): a filter on the Ethernet
 * frames between lwIP and libslirp. Faults, each optional, all seeded:
 *   loss     drop each IPv4 frame, either direction, with this probability
 *   latency  one-way delay of every frame
 *   bw       bandwidth cap per direction (bytes/s): frames are serialised at that rate
 *   drop K   the TCP connection that carries data to the device is reset after exactly K of
 *            its bytes: the device gets those K bytes, then an RST (the host side learns of it
 *            from the device's RSTs, as after a real cable pull and reconnect)
 *   stall K  the same connection delivers exactly K bytes and then nothing (no data, no FIN):
 *            open but silent, so only a receive timeout can end it
 * "The connection" is the first TCP flow that carries payload towards the device (the espota
 * data connection, a web upload, an HTTP download). Offsets count stream bytes from the SYN,
 * so retransmissions do not advance them.
 *
 * Determinism: the loss draws come from the seed in frame order; the frame order itself
 * depends on lwIP's and slirp's timers, which run on the wall clock, so a lossy run is
 * reproducible in its draws, not in every retransmission. drop and stall are exact. */
#ifndef OTASIM_NETFAULT_H
#define OTASIM_NETFAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct netfault_cfg {
    uint64_t seed;
    uint32_t loss_ppm;      /* frames dropped per million (0: none) */
    uint32_t latency_us;    /* one way */
    uint64_t bandwidth_bps; /* bytes per second per direction (0: unlimited) */
    int64_t drop_after;     /* bytes; -1: off */
    int64_t stall_after;    /* bytes; -1: off */
} netfault_cfg_t;

/* No faults: every field off. */
void netfault_cfg_none(netfault_cfg_t *cfg);

/* Parses "loss=2%,latency=20ms,bw=64k,drop=5000,stall=100,seed=7" (any subset, any order;
 * loss in % with up to 4 decimals, latency in ms or with a us/ms/s suffix, bw in bytes/s with
 * an optional k/M suffix (powers of 1000)). false with a message naming the bad item. */
bool netfault_parse(const char *spec, netfault_cfg_t *cfg, char *err, size_t errlen);

/* The spec back in the parse format (so a failure can print a reproducing command). */
void netfault_format(const netfault_cfg_t *cfg, char *out, size_t outlen);

typedef enum { NETFAULT_TO_DEV = 0, NETFAULT_TO_HOST = 1 } netfault_dir_t;

typedef struct netfault_stats {
    uint64_t lost;           /* frames dropped by loss */
    uint64_t stalled;        /* frames swallowed by the stall */
    uint64_t delivered_data; /* the connection's stream offset reached (bytes) */
    bool reset_sent, stall_active;
} netfault_stats_t;

typedef struct netfault {
    netfault_cfg_t cfg;
    uint64_t rng;
    int64_t busy_until_us[2];
    bool have_flow, have_base, reset_done, stalling;
    uint8_t flow[12]; /* src ip, dst ip, src port, dst port of the data flow (to the device) */
    uint32_t base_seq;
    netfault_stats_t st;
} netfault_t;

void netfault_init(netfault_t *f, const netfault_cfg_t *cfg);

/* Emits a frame (possibly rewritten) to be delivered at release_us. */
typedef void (*netfault_emit_fn)(void *opaque, const uint8_t *frame, size_t len,
                                 int64_t release_us);

/* Filters one frame travelling in dir at now_us: emits it 0, 1 or 2 times (dropped; passed,
 * delayed or truncated; truncated data followed by an RST). frame is modified in place. */
void netfault_frame(netfault_t *f, netfault_dir_t dir, uint8_t *frame, size_t len, int64_t now_us,
                    netfault_emit_fn emit, void *opaque);

#endif
