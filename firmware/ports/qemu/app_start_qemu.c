/* Start-up of an otasim app under QEMU: the bootloader has loaded the IRAM/DRAM segments and
 * jumped to lx106_start (lx106/start.c: stack, .bss), which calls lx106_main() here. The
 * ESP8266 maps flash at 0x40200000 through its cache; QEMU's sim machine has RAM there, so
 * this start-up plays the cache: it reads the app's .irom0.text from flash (the app image
 * follows the 4 KiB bootloader sector) over the bridge into that window before any of it runs.
 * The bridge files are the bootloader's (their fds live at QEMU_BRIDGE_FDS). */
#include <stdint.h>

#include "app_port_qemu.h"
#include "bridge_proto.h"
#include "qemu_bridge.h"
#include "semihost.h"

#define IROM_WINDOW 0x40200000u
#define APP_FLASH_OFFSET 0x1000u

extern uint32_t _irom_end[];
void lx106_exit(int code) __attribute__((noreturn));
int lx106_main(void);

int lx106_main(void)
{
    uint32_t from = IROM_WINDOW + APP_FLASH_OFFSET;
    uint32_t len = ((uint32_t)(uintptr_t)_irom_end - from + 3u) & ~3u;
    if (qemu_bridge_call(QB_FLASH_READ, APP_FLASH_OFFSET, len, 0, (void *)(uintptr_t)from, 0))
        semihost_exit(QB_EXIT_BRIDGE_FAIL);
    return qemu_app_main();
}

/* An app that returns is idle (the native device's CHILD_IDLE): end this QEMU run. */
void lx106_exit(int code)
{
    (void)code;
    semihost_exit(QB_EXIT_IDLE);
}
