/* The vendor NONOS SDK headers the glue uses (-Desp8266_sdk=PATH: PATH/include), in one place.
 * Only the documented API (ESP8266 Non-OS SDK API Reference): timers, system, station, SPI
 * flash, espconn. SDK types (uint8, sint8, ...) stay inside the glue; the portable firmware
 * never sees these headers. */
#ifndef OTASIM_SDK_API_H
#define OTASIM_SDK_API_H

#include "c_types.h"
#include "ets_sys.h"
#include "os_type.h"
#include "osapi.h"
#include "spi_flash.h"
#include "user_interface.h"
#include "espconn.h"

#endif
