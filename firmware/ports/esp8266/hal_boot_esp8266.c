/* The part of hal.h the bootloader uses, for the ESP8266, cut down to fit the 4 KiB image:
 * flash through the ROM's SPIRead/SPIWrite/SPIEraseSector with the cache off (the bootloader
 * never turns it on, so no bracketing), RTC memory words, UART0 output, restart. Differences
 * from hal_esp8266.c (the apps' HAL): flash buffers must be 4-byte aligned (HAL_ERR_ALIGN
 * otherwise; every bootloader buffer is), and erases do not feed the watchdog (eboot disables
 * it for the copy the same way; the ROM's watchdog is not armed this early). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp8266_regs.h"
#include "hal.h"

/* Read and write share one body: the ROM's SPIRead and SPIWrite take the same arguments. */
typedef int rom_rw_fn(uint32_t addr, void *buf, uint32_t len);

static hal_status_t flash_rw(rom_rw_fn *rom, uint32_t addr, void *buf, uint32_t len)
{
    if ((addr | len | (uint32_t)(uintptr_t)buf) & 3u)
        return HAL_ERR_ALIGN;
    uint32_t size = hal_flash_real_size();
    if (addr > size || len > size - addr)
        return HAL_ERR_RANGE;
    return rom(addr, buf, len) ? HAL_ERR_IO : HAL_OK;
}

hal_status_t hal_flash_read(uint32_t addr, void *dst, uint32_t len)
{
    return flash_rw(ESP8266_ROM(SPIRead), addr, dst, len);
}

hal_status_t hal_flash_write(uint32_t addr, const void *src, uint32_t len)
{
    /* SPIWrite only reads the buffer. */
    return flash_rw((rom_rw_fn *)ESP8266_ROM(SPIWrite), addr, (void *)(uintptr_t)src, len);
}

hal_status_t hal_flash_erase_sector(uint32_t sector)
{
    if (sector >= hal_flash_real_size() / HAL_FLASH_SECTOR_SIZE)
        return HAL_ERR_RANGE;
    return ESP8266_ROM(SPIEraseSector)(sector) ? HAL_ERR_IO : HAL_OK;
}

uint32_t hal_flash_real_size(void)
{
    /* 1 << the capacity byte of the JEDEC id (ESP.getFlashChipRealSize()). */
    ESP8266_REG(ESP8266_SPI0_W0) = 0;
    ESP8266_REG(ESP8266_SPI0_CMD) = ESP8266_SPI_CMD_READ_ID;
    while (ESP8266_REG(ESP8266_SPI0_CMD) != 0) {
    }
    uint32_t cap = (ESP8266_REG(ESP8266_SPI0_W0) >> 16) & 0xFFu;
    return cap >= 17u && cap <= 24u ? 1u << cap : 0u;
}

/* RTC memory takes word accesses only; the bootloader's buffers are word-aligned. One body
 * for both directions. */
static hal_status_t rtc_copy(uint32_t offset, uint32_t *buf, uint32_t len, bool write)
{
    if ((offset | len | (uint32_t)(uintptr_t)buf) & 3u || offset + len > HAL_RTC_MEM_SIZE)
        return HAL_ERR_ALIGN;
    for (uint32_t i = 0; i < len; i += 4) {
        volatile uint32_t *reg = &ESP8266_REG(ESP8266_RTC_MEM + offset + i);
        if (write)
            *reg = *buf++;
        else
            *buf++ = *reg;
    }
    return HAL_OK;
}

hal_status_t hal_rtc_read(uint32_t offset, void *dst, uint32_t len)
{
    return rtc_copy(offset, dst, len, false);
}

hal_status_t hal_rtc_write(uint32_t offset, const void *src, uint32_t len)
{
    return rtc_copy(offset, (uint32_t *)(uintptr_t)src, len, true);
}

void hal_console_write(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len--) {
        while (((ESP8266_REG(ESP8266_UART0_STATUS) >> 16) & 0xFFu) >= ESP8266_UART_FIFO_SIZE - 1u) {
        }
        ESP8266_REG(ESP8266_UART0_FIFO) = *p++;
    }
}

/* Software reset, as eboot does it: bit 31 of 0x60000700 (RTC memory kept). */
void hal_restart(hal_restart_t kind)
{
    (void)kind;
    ESP8266_REG(0x60000700u) |= 1u << 31;
    for (;;) {
    }
}
