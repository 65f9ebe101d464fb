/* The native port's network glue for the mDNS responder (firmware/ota/mdns): UDP 5353 on
 * lwIP's raw API, the 224.0.0.251 group joined through lwIP's IGMP, announcements on start and
 * a goodbye on stop. Call mdns_lwip_poll() from the app loop (it is MDNS.update()).
 *
 * On the native device's network (emu/native/netsim) libslirp does not carry multicast to or
 * from the host, so the host reaches the responder by sending a one-shot query to the
 * device's forwarded UDP port (netsim_forward(n, true, host_port, MDNS_PORT)); the answer
 * comes back to the sender as RFC 6762 §6.7 says. Multicast output is optional (see
 * mdns_lwip_start). */
#ifndef OTASIM_MDNS_LWIP_H
#define OTASIM_MDNS_LWIP_H

#include <stdbool.h>
#include <stdint.h>

#include "mdns.h"

typedef struct mdns_lwip mdns_lwip_t;

/* Binds UDP MDNS_PORT, joins the group, arms the announcements. multicast_out: send
 * multicast answers, announcements and the goodbye; pass false on netsim's network, where
 * they reach no one and break slirp: a datagram from the device's port 5353 to the group
 * re-points slirp's forwarded-port socket (same guest port) at 224.0.0.251, after which the
 * host's datagrams arrive with their untranslated 127.0.0.1 source and cannot be answered.
 * NULL if the port cannot be bound. */
mdns_lwip_t *mdns_lwip_start(mdns_t *m, uint32_t now_ms, bool multicast_out);
/* Sends the goodbye (TTL 0), leaves the group, frees. */
void mdns_lwip_stop(mdns_lwip_t *g);
void mdns_lwip_poll(mdns_lwip_t *g, uint32_t now_ms);

#endif
