/* Start-up of the otasim bootloader on the ESP8266: the mask ROM loads the image in sector 0
 * and calls boot_start (boot.ld). Clears .bss (eboot does not; ours has no use for stale
 * RAM), runs one boot, and resets the chip when no app could be started, as eboot does.
 * Compiled once per mode: -DBOOT_ESP8266_SAFE=0 (descriptor "eboot") or 1 ("safeboot"). */
#include <stdint.h>

#include "app_desc.h"
#include "boot.h"
#include "boot_internal.h"
#include "hal.h"
#include "image.h"

#ifndef BOOT_ESP8266_SAFE
#error "build with -DBOOT_ESP8266_SAFE=0 or 1"
#endif
#if BOOT_ESP8266_SAFE && BOOT_SAFE_GZIP
#define BOOT_ESP8266_NAME BOOT_DESC_NAME_SAFE
#elif BOOT_ESP8266_SAFE
#define BOOT_ESP8266_NAME BOOT_DESC_NAME_SAFE_RAW
#else
#define BOOT_ESP8266_NAME BOOT_DESC_NAME_EBOOT
#endif

/* The bootloader's descriptor (image_find_boot_desc() finds it in the .rodata segment). */
__attribute__((section(".boot_desc"), used, aligned(4))) const app_desc_t boot_desc = {
    APP_DESC_MAGIC,
    1,
    BOOT_ESP8266_NAME,
    "otasim-0.1.0 lx106",
};

extern uint32_t _bss_start[], _bss_end[];
void boot_start(void) __attribute__((noreturn));

void boot_start(void)
{
    for (uint32_t *p = _bss_start; p < _bss_end; p++)
        *p = 0;
    /* boot_main(mode) with the mode fixed at build time, so the other mode is not linked in. */
    int res = BOOT_ESP8266_SAFE ? boot_safe() : boot_eboot();
    if (res != 0)
        hal_restart(HAL_RESTART_SOFT);
    for (;;) {
    }
}
