/* The native port's network glue for the web update server (firmware/ota/webupdate): a TCP
 * listener on lwIP's raw API (the netif is emu/native/netsim's), one webupdate_conn_t per
 * connection. After a response the sending side is shut down and the rest of the request is
 * read and dropped (a lingering close), so a client still sending a refused body gets the
 * response instead of a reset. Call webupdate_lwip_poll() from the app loop. */
#ifndef OTASIM_WEBUPDATE_LWIP_H
#define OTASIM_WEBUPDATE_LWIP_H

#include <stdbool.h>
#include <stdint.h>

#include "webupdate.h"

typedef struct webupdate_lwip webupdate_lwip_t;

/* Listens on TCP `port` (the config is not copied). NULL if the port cannot be bound. */
webupdate_lwip_t *webupdate_lwip_start(const webupdate_config_t *cfg, uint16_t port);
void webupdate_lwip_stop(webupdate_lwip_t *w);

/* The app loop's turn: idle connections time out (an upload in progress is aborted). */
void webupdate_lwip_poll(webupdate_lwip_t *w, uint32_t now_ms);

/* A successful upload's response was delivered (or given up on): restart now. */
bool webupdate_lwip_reboot_due(const webupdate_lwip_t *w);

#endif
