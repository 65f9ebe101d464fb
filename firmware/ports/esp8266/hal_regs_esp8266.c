/* The part of hal.h that is the same with or without the vendor SDK, mostly plain register
 * access: RTC memory (the eboot command at 0x60001200, where the bootloader reads it), the
 * boot-mode straps, the UART0 console FIFO, the hardware RNG, the real flash size from the
 * JEDEC id (hal_flash_chip_id is each HAL's own), and the flash-argument check both flash HALs
 * make (hal_regs_esp8266.h). Linked by hal_esp8266.c's users (the apps; the bootloader has its
 * own hal_boot_esp8266.c) and by the SDK apps (sdk/hal_sdk.c). */
#include <stddef.h>
#include <stdint.h>

#define ESP8266_REGS_ONLY
#include "esp8266_regs.h"
#include "hal.h"
#include "hal_regs_esp8266.h"

uint32_t hal_flash_real_size(void)
{
    /* ESP.getFlashChipRealSize(): 1 << capacity byte of the JEDEC id. */
    uint32_t cap = (hal_flash_chip_id() >> 16) & 0xFFu;
    return cap >= 17u && cap <= 24u ? 1u << cap : 0u;
}

hal_status_t esp8266_check_flash(uint32_t addr, uint32_t len)
{
    if ((addr | len) & 3u)
        return HAL_ERR_ALIGN;
    /* An unknown chip size (id unreadable) is not a reason to refuse: the ROM routines (and the
     * SDK's, which call them) check against the size the ROM configured, and a bootloader must
     * not brick over this. */
    uint32_t size = hal_flash_real_size();
    if (size && (addr > size || len > size - addr))
        return HAL_ERR_RANGE;
    return HAL_OK;
}

static hal_status_t check_rtc(uint32_t offset, uint32_t len)
{
    if ((offset | len) & 3u)
        return HAL_ERR_ALIGN;
    if (offset > HAL_RTC_MEM_SIZE || len > HAL_RTC_MEM_SIZE - offset)
        return HAL_ERR_RANGE;
    return HAL_OK;
}

/* RTC memory only takes word accesses: assemble bytes, whatever the buffer's alignment. */
hal_status_t hal_rtc_read(uint32_t offset, void *dst, uint32_t len)
{
    hal_status_t st = check_rtc(offset, len);
    if (st != HAL_OK)
        return st;
    uint8_t *out = dst;
    for (uint32_t i = 0; i < len; i += 4) {
        uint32_t w = ESP8266_REG(ESP8266_RTC_MEM + offset + i);
        out[i] = (uint8_t)w;
        out[i + 1] = (uint8_t)(w >> 8);
        out[i + 2] = (uint8_t)(w >> 16);
        out[i + 3] = (uint8_t)(w >> 24);
    }
    return HAL_OK;
}

hal_status_t hal_rtc_write(uint32_t offset, const void *src, uint32_t len)
{
    hal_status_t st = check_rtc(offset, len);
    if (st != HAL_OK)
        return st;
    const uint8_t *in = src;
    for (uint32_t i = 0; i < len; i += 4)
        ESP8266_REG(ESP8266_RTC_MEM + offset + i) = (uint32_t)in[i] | (uint32_t)in[i + 1] << 8 |
                                                    (uint32_t)in[i + 2] << 16 |
                                                    (uint32_t)in[i + 3] << 24;
    return HAL_OK;
}

uint32_t hal_boot_mode(void)
{
    return (ESP8266_REG(ESP8266_GPI) >> 16) & 0xFu;
}

void hal_console_write(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    for (size_t i = 0; i < len; i++) {
        while (((ESP8266_REG(ESP8266_UART0_STATUS) >> 16) & 0xFFu) >= ESP8266_UART_FIFO_SIZE - 2u) {
        }
        ESP8266_REG(ESP8266_UART0_FIFO) = p[i];
    }
}

void hal_random(void *buf, size_t len)
{
    uint8_t *p = buf;
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)ESP8266_REG(ESP8266_RNG);
}
