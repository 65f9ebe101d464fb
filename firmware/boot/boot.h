/* The bootloader's entry. Each port's start-up calls boot_main() once per boot; it reads the
 * boot command (and, in safe mode, the flash journal), copies a staged image if asked, and
 * starts the app through boot_port_start_app(), which does not return when an app starts. */
#ifndef OTASIM_BOOT_H
#define OTASIM_BOOT_H

#include <stdint.h>

typedef enum {
    BOOT_MODE_EBOOT = 0, /* behaves like the Arduino core's eboot, weaknesses included */
    BOOT_MODE_SAFE = 1,  /* power-fail-safe: flash journal, resumable verified copy */
    /* safe mode built without the inflater (descriptor "safeboot-raw", BOOT_SAFE_GZIP=0): a
     * gzip stage is refused. Host builds only (the lx106 ports build one mode per image). */
    BOOT_MODE_SAFE_RAW = 2,
} boot_mode_t;

/* Runs one boot. Returns only when no app could be started; the value is eboot's result code
 * (printed as "e:<code>"), after which the port restarts the chip as eboot does. */
int boot_main(boot_mode_t mode);

#endif
