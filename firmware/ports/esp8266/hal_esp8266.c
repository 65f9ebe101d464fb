/* hal.h for real ESP8266 hardware, without the vendor SDK: flash through the mask ROM's
 * SPIRead/SPIWrite/SPIEraseSector (rom.ld), RTC memory at 0x60001100, UART0 console through its
 * FIFO register, boot-mode straps from GPI, time from the CPU cycle counter. Freestanding and
 * small: the bootloader links it and must fit in 4 KiB (unused functions are dropped by
 * --gc-sections). */
#include <stddef.h>
#include <stdint.h>

#include "esp8266_regs.h"
#include "hal.h"
#include "hal_regs_esp8266.h"

volatile uint8_t esp8266_cache_on;

/* The ROM SPI routines with the cache off around them (see esp8266_regs.h). These functions
 * are placed in IRAM by app.ld (the whole file is). */
static int rom_read(uint32_t addr, void *dst, uint32_t len)
{
    uint8_t cache = esp8266_cache_on;
    if (cache)
        Cache_Read_Disable();
    int rc = SPIRead(addr, dst, len);
    if (cache)
        Cache_Read_Enable(0, 0, 1);
    return rc;
}

static int rom_write(uint32_t addr, const void *src, uint32_t len)
{
    uint8_t cache = esp8266_cache_on;
    if (cache)
        Cache_Read_Disable();
    int rc = SPIWrite(addr, src, len);
    if (cache)
        Cache_Read_Enable(0, 0, 1);
    return rc;
}

static int rom_erase(uint32_t sector)
{
    uint8_t cache = esp8266_cache_on;
    if (cache)
        Cache_Read_Disable();
    int rc = SPIEraseSector(sector);
    if (cache)
        Cache_Read_Enable(0, 0, 1);
    return rc;
}

/* The ROM routines copy words: a buffer that is not 4-byte aligned goes through this one. */
#define BOUNCE_WORDS 16u

hal_status_t hal_flash_read(uint32_t addr, void *dst, uint32_t len)
{
    hal_status_t st = esp8266_check_flash(addr, len);
    if (st != HAL_OK)
        return st;
    if (((uintptr_t)dst & 3u) == 0)
        return rom_read(addr, dst, len) ? HAL_ERR_IO : HAL_OK;
    uint32_t bounce[BOUNCE_WORDS];
    uint8_t *out = dst;
    while (len > 0) {
        uint32_t n = len < sizeof(bounce) ? len : sizeof(bounce);
        if (rom_read(addr, bounce, n))
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
    if (((uintptr_t)src & 3u) == 0)
        return rom_write(addr, src, len) ? HAL_ERR_IO : HAL_OK;
    uint32_t bounce[BOUNCE_WORDS];
    const uint8_t *in = src;
    while (len > 0) {
        uint32_t n = len < sizeof(bounce) ? len : sizeof(bounce);
        uint8_t *b = (uint8_t *)bounce;
        for (uint32_t i = 0; i < n; i++)
            b[i] = in[i];
        if (rom_write(addr, bounce, n))
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
    if (size && sector >= size / HAL_FLASH_SECTOR_SIZE)
        return HAL_ERR_RANGE;
    hal_yield(); /* an erase takes tens of ms: feed the watchdog around it (#517) */
    int rc = rom_erase(sector);
    hal_yield();
    return rc ? HAL_ERR_IO : HAL_OK;
}

/* Read once: the id does not change, and the command needs the SPI controller to itself (cache
 * off, like the ROM routines). */
static uint32_t chip_id;
static uint8_t chip_id_read;

uint32_t hal_flash_chip_id(void)
{
    if (!chip_id_read) {
        uint8_t cache = esp8266_cache_on;
        if (cache)
            Cache_Read_Disable();
        ESP8266_REG(ESP8266_SPI0_W0) = 0;
        ESP8266_REG(ESP8266_SPI0_CMD) = ESP8266_SPI_CMD_READ_ID;
        while (ESP8266_REG(ESP8266_SPI0_CMD) != 0) {
        }
        chip_id = ESP8266_REG(ESP8266_SPI0_W0) & 0xFFFFFFu;
        if (cache)
            Cache_Read_Enable(0, 0, 1);
        chip_id_read = 1;
    }
    return chip_id;
}

void hal_restart(hal_restart_t kind)
{
    (void)kind; /* both kinds keep RTC memory; the ROM boots again from flash */
    hal_console_write("\r\n", 2);
    /* Let the TX FIFO drain so the last console line is not cut. */
    while ((ESP8266_REG(ESP8266_UART0_STATUS) >> 16) & 0xFFu) {
    }
    __asm__ volatile("rsil a2, 15" ::: "a2"); /* no interrupts from here on */
    ((void (*)(void))ESP8266_ROM_RESET_VECTOR)();
    for (;;) {
    }
}

static uint32_t ccount(void)
{
    uint32_t c;
    __asm__ volatile("rsr %0, ccount" : "=a"(c));
    return c;
}

/* Milliseconds from the 32-bit cycle counter, which wraps every ~82 s at 52 MHz: accumulate
 * deltas, so hal_millis() must be called more often than that (hal_yield does). */
static uint32_t last_cycles, ms_total, cycles_rem;

uint32_t hal_millis(void)
{
    uint32_t now = ccount();
    uint32_t delta = now - last_cycles;
    last_cycles = now;
    const uint32_t per_ms = ESP8266_CPU_HZ / 1000u;
    ms_total += delta / per_ms;
    cycles_rem += delta % per_ms;
    if (cycles_rem >= per_ms) {
        cycles_rem -= per_ms;
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
    ESP8266_REG(ESP8266_WDT_FEED) = ESP8266_WDT_FEED_MAGIC;
    (void)hal_millis();
}

/* The heap is what the linker left between the end of .bss and the stack (app.ld); without a
 * symbol (the bootloader has no heap) it is 0. */
extern uint8_t _heap_start[] __attribute__((weak));
extern uint8_t _heap_end[] __attribute__((weak));

uint32_t hal_free_heap(void)
{
    uintptr_t start = (uintptr_t)_heap_start, end = (uintptr_t)_heap_end;
    return start && end > start ? (uint32_t)(end - start) : 0u;
}

/* GPIO 4 and 5 are GPIOs in the pin mux's reset state; other pins need their IO_MUX function
 * set by the board's set-up first. Level before enable: the pin never drives the old level. */
void hal_output_set(uint32_t pin, bool on)
{
    if (pin >= HAL_OUTPUT_PINS)
        return;
    ESP8266_REG(on ? ESP8266_GPIO_OUT_W1TS : ESP8266_GPIO_OUT_W1TC) = 1u << pin;
    ESP8266_REG(ESP8266_GPIO_ENABLE_W1TS) = 1u << pin;
}
