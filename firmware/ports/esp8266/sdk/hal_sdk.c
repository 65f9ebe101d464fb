/* hal.h for an ESP8266 app linked with the vendor NONOS SDK: flash through the SDK's
 * spi_flash_* (which handle the flash cache themselves), time from system_get_time(), the
 * SDK's software watchdog fed by hal_yield, restart through system_restart(). RTC memory, the
 * console FIFO, the boot-mode straps, the RNG, the real flash size and the flash-argument
 * check are the SDK-free HAL's (../hal_regs_esp8266.c, linked here too): the eboot command
 * must sit at 0x60001200, where the bootloader reads it, not in the SDK's block-indexed RTC
 * API. Never run on hardware (README). */
#include <stddef.h>
#include <stdint.h>

#define ESP8266_REGS_ONLY
#include "../esp8266_regs.h"
#include "hal.h"
#include "../hal_regs_esp8266.h"
#include "sdk_api.h"

/* The SDK routines copy words: an unaligned buffer goes through this one. */
#define BOUNCE_WORDS 16u

hal_status_t hal_flash_read(uint32_t addr, void *dst, uint32_t len)
{
    hal_status_t st = esp8266_check_flash(addr, len);
    if (st != HAL_OK)
        return st;
    if (((uintptr_t)dst & 3u) == 0)
        return spi_flash_read(addr, dst, len) == SPI_FLASH_RESULT_OK ? HAL_OK : HAL_ERR_IO;
    uint32 bounce[BOUNCE_WORDS]; /* the SDK's own word type: its prototypes take uint32 * */
    uint8_t *out = dst;
    while (len > 0) {
        uint32_t n = len < sizeof(bounce) ? len : sizeof(bounce);
        if (spi_flash_read(addr, bounce, n) != SPI_FLASH_RESULT_OK)
            return HAL_ERR_IO;
        const uint8_t *b = (const uint8_t *)bounce;
        for (uint32_t i = 0; i < n; i++)
            out[i] = b[i];
        out += n;
        addr += n;
        len -= n;
    }
    return HAL_OK;
}

hal_status_t hal_flash_write(uint32_t addr, const void *src, uint32_t len)
{
    hal_status_t st = esp8266_check_flash(addr, len);
    if (st != HAL_OK)
        return st;
    uint32 bounce[BOUNCE_WORDS]; /* the SDK's own word type: its prototypes take uint32 * */
    const uint8_t *in = src;
    /* Always through the bounce buffer: spi_flash_write takes a non-const pointer. */
    while (len > 0) {
        uint32_t n = len < sizeof(bounce) ? len : sizeof(bounce);
        uint8_t *b = (uint8_t *)bounce;
        for (uint32_t i = 0; i < n; i++)
            b[i] = in[i];
        if (spi_flash_write(addr, bounce, n) != SPI_FLASH_RESULT_OK)
            return HAL_ERR_IO;
        in += n;
        addr += n;
        len -= n;
    }
    return HAL_OK;
}

hal_status_t hal_flash_erase_sector(uint32_t sector)
{
    uint32_t size = hal_flash_real_size();
    if ((size && sector >= size / HAL_FLASH_SECTOR_SIZE) || sector > 0xFFFFu)
        return HAL_ERR_RANGE;
    hal_yield(); /* an erase takes tens of ms: feed the watchdog around it (#517) */
    SpiFlashOpResult rc = spi_flash_erase_sector((uint16)sector);
    hal_yield();
    return rc == SPI_FLASH_RESULT_OK ? HAL_OK : HAL_ERR_IO;
}

uint32_t hal_flash_chip_id(void)
{
    return spi_flash_get_id() & 0xFFFFFFu;
}

void hal_restart(hal_restart_t kind)
{
    (void)kind;       /* both keep RTC memory */
    system_restart(); /* returns: the SDK restarts from its own task */
}

/* system_get_time() is microseconds in 32 bits (wraps every ~71 min): accumulate deltas. */
static uint32_t last_us, ms_total, us_rem;

uint32_t hal_millis(void)
{
    uint32_t now = system_get_time();
    uint32_t delta = now - last_us;
    last_us = now;
    ms_total += delta / 1000u;
    us_rem += delta % 1000u;
    if (us_rem >= 1000u) {
        us_rem -= 1000u;
        ms_total++;
    }
    return ms_total;
}

void hal_delay_ms(uint32_t ms)
{
    uint32_t start = hal_millis();
    while (hal_millis() - start < ms)
        hal_yield();
}

void hal_yield(void)
{
    system_soft_wdt_feed();
    (void)hal_millis();
}

uint32_t hal_free_heap(void)
{
    return system_get_free_heap_size();
}
