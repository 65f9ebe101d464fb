/* The part of hal.h the bootloader uses, for the ESP8266, cut down to fit the 4 KiB image:
 * flash through the ROM's SPIRead/SPIWrite/SPIEraseSector with the cache off (the bootloader
 * never turns it on, so no bracketing), RTC memory words, UART0 output, restart. Differences
 * from hal_esp8266.c (the apps' HAL): flash buffers must be 4-byte aligned (HAL_ERR_ALIGN
 * otherwise; every bootloader buffer is), and erases do not feed the watchdog (eboot disables
 * it for the copy the same way; the ROM's watchdog is not armed this early). */
#include <stddef.h>
#include <stdint.h>

#include "esp8266_regs.h"
#include "hal.h"

static hal_status_t check_flash(uint32_t addr, const void *buf, uint32_t len)
{
    if ((addr | len | (uint32_t)(uintptr_t)buf) & 3u)
        return HAL_ERR_ALIGN;
    uint32_t size = hal_flash_real_size();
    return addr > size || len > size - addr ? HAL_ERR_RANGE : HAL_OK;
}

hal_status_t hal_flash_read(uint32_t addr, void *dst, uint32_t len)
{
    hal_status_t st = check_flash(addr, dst, len);
    return st != HAL_OK ? st : SPIRead(addr, dst, len) ? HAL_ERR_IO : HAL_OK;
}

hal_status_t hal_flash_write(uint32_t addr, const void *src, uint32_t len)
{
    hal_status_t st = check_flash(addr, src, len);
    return st != HAL_OK ? st : SPIWrite(addr, src, len) ? HAL_ERR_IO : HAL_OK;
}

hal_status_t hal_flash_erase_sector(uint32_t sector)
{
    if (sector >= hal_flash_real_size() / HAL_FLASH_SECTOR_SIZE)
        return HAL_ERR_RANGE;
    return SPIEraseSector(sector) ? HAL_ERR_IO : HAL_OK;
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

/* RTC memory takes word accesses only; the bootloader's buffers are word-aligned. */
hal_status_t hal_rtc_read(uint32_t offset, void *dst, uint32_t len)
{
    if ((offset | len | (uint32_t)(uintptr_t)dst) & 3u || offset + len > HAL_RTC_MEM_SIZE)
        return HAL_ERR_ALIGN;
    uint32_t *out = dst;
    for (uint32_t i = 0; i < len; i += 4)
        *out++ = ESP8266_REG(ESP8266_RTC_MEM + offset + i);
    return HAL_OK;
}

hal_status_t hal_rtc_write(uint32_t offset, const void *src, uint32_t len)
{
    if ((offset | len | (uint32_t)(uintptr_t)src) & 3u || offset + len > HAL_RTC_MEM_SIZE)
        return HAL_ERR_ALIGN;
    const uint32_t *in = src;
    for (uint32_t i = 0; i < len; i += 4)
        ESP8266_REG(ESP8266_RTC_MEM + offset + i) = *in++;
    return HAL_OK;
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
