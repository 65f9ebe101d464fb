/* Start-up of the otasim bootloader under QEMU. The runner plays the mask ROM: it loads the
 * bootloader image's segments from flash offset 0 and starts the CPU at the image entry
 * (boot_start, boot_entry_qemu.S: an assembler file, since a top-level asm block does not survive
 * the link-time optimiser). Unlike the ROM, it provides no stack: boot_start sets a1 to 0x3FFFFFF0
 * (where eboot starts apps too; apps' DRAM segments end below it), opens the bridge, clears .bss
 * and runs one boot; no bootable app restarts, as eboot does. Compiled once per mode:
 * -DBOOT_QEMU_SAFE=0 (descriptor "eboot") or 1 ("safeboot"; with -DBOOT_SAFE_GZIP=0, no
 * inflater: "safeboot-raw"). */
#include <stdint.h>

#include "app_desc.h"
#include "boot.h"
#include "boot_internal.h"
#include "hal.h"
#include "image.h"
#include "qemu_bridge.h"

#ifndef BOOT_QEMU_SAFE
#error "build with -DBOOT_QEMU_SAFE=0 or 1"
#endif
#ifndef BOOT_SAFE_GZIP
#define BOOT_SAFE_GZIP 1
#endif
#if BOOT_QEMU_SAFE && BOOT_SAFE_GZIP
#define BOOT_QEMU_NAME BOOT_DESC_NAME_SAFE
#elif BOOT_QEMU_SAFE
#define BOOT_QEMU_NAME BOOT_DESC_NAME_SAFE_RAW
#else
#define BOOT_QEMU_NAME BOOT_DESC_NAME_EBOOT
#endif

__attribute__((section(".boot_desc"), used, aligned(4))) const app_desc_t boot_desc = {
    APP_DESC_MAGIC,
    1,
    BOOT_QEMU_NAME,
    "otasim-0.1.0 qemu",
};

extern uint32_t _bss_start[], _bss_end[];
void boot_cstart(void) __attribute__((noreturn));

/* Called by boot_start (boot_entry_qemu.S) once the stack is set. */
void boot_cstart(void)
{
    for (uint32_t *p = _bss_start; p < _bss_end; p++)
        *p = 0;
    qemu_bridge_open();
    int res = BOOT_QEMU_SAFE ? boot_safe() : boot_eboot();
    (void)res;
    hal_restart(HAL_RESTART_SOFT);
    for (;;) {
    }
}
