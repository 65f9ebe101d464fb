/* What hal_regs_esp8266.c shares with the two flash HALs that link it (hal_esp8266.c over the
 * mask ROM, sdk/hal_sdk.c over the vendor SDK), beyond hal.h. */
#ifndef OTASIM_HAL_REGS_ESP8266_H
#define OTASIM_HAL_REGS_ESP8266_H

#include <stdint.h>

#include "hal.h"

/* The arguments of hal_flash_read/write: word-aligned, within the real flash size (an unknown
 * size passes: see the definition). */
hal_status_t esp8266_check_flash(uint32_t addr, uint32_t len);

#endif
