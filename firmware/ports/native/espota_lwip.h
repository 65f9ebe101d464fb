/* The native port's network glue for the espota responder (firmware/ota/espota): its UDP port
 * and the reverse TCP connection on lwIP's raw API (the netif is emu/native/netsim's). Call
 * espota_lwip_poll() from the app loop (it is ArduinoOTA.handle()). */
#ifndef OTASIM_ESPOTA_LWIP_H
#define OTASIM_ESPOTA_LWIP_H

#include <stdbool.h>
#include <stdint.h>

#include "espota.h"

typedef struct espota_lwip espota_lwip_t;

/* Listens on UDP `port` for invitations. NULL if the port cannot be bound. */
espota_lwip_t *espota_lwip_start(espota_t *ota, uint16_t port);
void espota_lwip_stop(espota_lwip_t *g);

/* The app loop's turn: begin a pending update (reply, connect back), the receive timeout. */
void espota_lwip_poll(espota_lwip_t *g, uint32_t now_ms);

/* An update attempt ended since the last call (its final text was sent); *ok: it succeeded. */
bool espota_lwip_finished(espota_lwip_t *g, bool *ok);

#endif
