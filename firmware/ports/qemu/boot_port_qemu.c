/* boot_port.h under QEMU: a segment is read over the bridge straight into its RAM address
 * (the bridge keeps no state in RAM, so the app's DRAM segments may overwrite the
 * bootloader's); the app starts through lx106_jump_to_app(), as on the ESP8266. */
#include "app_jump.h"
#include "boot_port.h"
#include "bridge_proto.h"
#include "qemu_bridge.h"

hal_status_t boot_port_load_segment(uint32_t load_addr, uint32_t flash_addr, uint32_t len)
{
    return (hal_status_t)qemu_bridge_call(QB_FLASH_READ, flash_addr, len, NULL,
                                          (void *)(uintptr_t)load_addr, NULL);
}

/* The host checks the image as the native boot port does (headers, checksum, descriptor, the
 * entry) and notes which app starts; a refusal (20: the native PORT_BAD_IMAGE) returns to the
 * bootloader instead of jumping into garbage, so both targets see the same boot outcome. */
int boot_port_start_app(uint32_t image_addr, uint32_t entry)
{
    uint32_t cc;
    __asm__ volatile("rsr %0, ccount" : "=a"(cc));
    qemu_bridge_call(QB_CCOUNT, cc, 0, 0, 0, 0); /* the bootloader's own work, for -icount */
    if (qemu_bridge_call(QB_APP_START, image_addr, entry, 0, 0, 0) != 0)
        return 20;
    lx106_jump_to_app(entry);
}
