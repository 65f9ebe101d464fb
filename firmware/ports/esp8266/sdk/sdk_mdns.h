/* ArduinoOTA's mDNS advertisement (firmware/ota/mdns) on espconn, for the espota app: the
 * device's name and _arduino._tcp service, so the IDE lists the board as a network port. */
#ifndef OTASIM_SDK_MDNS_H
#define OTASIM_SDK_MDNS_H

#include <stdbool.h>
#include <stdint.h>

/* Once the station has an address: joins 224.0.0.251, listens on UDP 5353, announces. */
void sdk_mdns_start(uint16_t ota_port, bool auth, uint32_t now_ms);
/* Every tick: the announcements when due. */
void sdk_mdns_tick(uint32_t now_ms);

#endif
