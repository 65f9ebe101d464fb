/* boot_port.h on the ESP8266: the ROM's SPIRead copies a segment straight into its RAM
 * address, and the app starts through lx106_jump_to_app() (firmware/ports/lx106), as eboot's
 * load_app_from_flash_raw() does. Nothing here may use the bootloader's .rodata/.data/.bss
 * once loading has begun: an app's DRAM segments overwrite them. */
#include "app_jump.h"
#include "boot_port.h"
#include "esp8266_regs.h"

hal_status_t boot_port_load_segment(uint32_t load_addr, uint32_t flash_addr, uint32_t len)
{
    return ESP8266_ROM(SPIRead)(flash_addr, (void *)(uintptr_t)load_addr, len) == 0 ? HAL_OK
                                                                                    : HAL_ERR_IO;
}

int boot_port_start_app(uint32_t image_addr, uint32_t entry)
{
    (void)image_addr;
    lx106_jump_to_app(entry);
}
