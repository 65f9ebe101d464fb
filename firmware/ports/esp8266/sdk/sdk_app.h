/* The SDK port's app frame (sdk_main.c) and the one transport each network app links
 * (sdk_espota.c, sdk_webupdate.c, sdk_httpupdate.c). Everything runs from one SDK timer
 * (SDK_TICK_MS) and the espconn callbacks, all in the SDK's single task context. */
#ifndef OTASIM_SDK_APP_H
#define OTASIM_SDK_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "layout.h"
#include "updater.h"

#define SDK_TICK_MS 10u
/* After a successful update: time for the last bytes (espota's "OK", the success page) to
 * leave before the restart. */
#define SDK_RESTART_DELAY_MS 500u

/* Once the station has an address. The Updater is initialised for the flash in use. */
void sdk_transport_start(updater_t *up, const flash_layout_t *layout, uint32_t now_ms);

/* Every tick; true: the update succeeded, restart the device. */
bool sdk_transport_tick(uint32_t now_ms);

void sdk_say(const char *s);

#endif
