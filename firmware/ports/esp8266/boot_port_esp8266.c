/* boot_port.h on the ESP8266: the ROM's SPIRead copies a segment straight into its RAM
 * address, and the app starts with the stack pointer at 0x3FFFFFF0, as eboot's
 * load_app_from_flash_raw() does. Nothing here may use the bootloader's .rodata/.data/.bss
 * once loading has begun: an app's DRAM segments overwrite them. */
#include "boot_port.h"
#include "esp8266_regs.h"

hal_status_t boot_port_load_segment(uint32_t load_addr, uint32_t flash_addr, uint32_t len)
{
    return SPIRead(flash_addr, (void *)(uintptr_t)load_addr, len) == 0 ? HAL_OK : HAL_ERR_IO;
}

int boot_port_start_app(uint32_t image_addr, uint32_t entry)
{
    (void)image_addr;
    __asm__ volatile("mov a1, %0\n"
                     "jx %1\n"
                     :
                     : "r"(0x3FFFFFF0u), "r"(entry)
                     : "memory");
    __builtin_unreachable();
}
