/* The hardware interface the firmware sees. firmware/core, boot and ota call only these;
 * each target implements them in firmware/ports/<target>/. All functions are plain C symbols
 * resolved at link time: a firmware image links exactly one port. */
#ifndef OTASIM_HAL_H
#define OTASIM_HAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Result of a HAL operation. Mirrors what the ESP8266 ROM SPI routines can report. */
typedef enum {
    HAL_OK = 0,
    HAL_ERR_ALIGN = 1, /* address or length not 4-byte aligned (sector-aligned for erase) */
    HAL_ERR_RANGE = 2, /* outside the flash chip / RTC memory */
    HAL_ERR_IO = 3,    /* the chip reported a failure (injected fault, worn-out sector...) */
    HAL_ERR_POWER = 4, /* power was cut during the operation (simulators only) */
} hal_status_t;

#define HAL_FLASH_SECTOR_SIZE 4096u
#define HAL_FLASH_BLOCK_SIZE 65536u
#define HAL_FLASH_PAGE_SIZE 256u

/* ---- SPI flash (physical addresses; 4-byte aligned addresses and lengths) ---- */
hal_status_t hal_flash_read(uint32_t addr, void *dst, uint32_t len);
hal_status_t hal_flash_write(uint32_t addr, const void *src, uint32_t len);
hal_status_t hal_flash_erase_sector(uint32_t sector);
/* Real chip size in bytes as derived from the JEDEC id (ESP.getFlashChipRealSize()). */
uint32_t hal_flash_real_size(void);
/* JEDEC id: manufacturer | (memory type << 8) | (capacity << 16), as spi_flash_get_id(). */
uint32_t hal_flash_chip_id(void);

/* ---- RTC memory: 768 bytes from 0x60001100; offsets are relative to that base and
 * 4-byte aligned. The user area (ESP.rtcUserMemory) starts at offset 0x100 (0x60001200). ---- */
#define HAL_RTC_MEM_SIZE 768u
#define HAL_RTC_USER_OFFSET 0x100u
hal_status_t hal_rtc_read(uint32_t offset, void *dst, uint32_t len);
hal_status_t hal_rtc_write(uint32_t offset, const void *src, uint32_t len);

/* ---- System ---- */
typedef enum {
    HAL_RESTART_SOFT = 0, /* ESP.restart() / software reset: RTC memory kept */
    HAL_RESTART_WDT = 1,  /* watchdog reset: RTC memory kept */
} hal_restart_t;
/* Does not return on hardware; simulators end the current boot. */
void hal_restart(hal_restart_t kind);
/* Boot-mode straps: GPI bits 16..19 (1 = UART download boot, i.e. first boot after a serial
 * flash without a reset; 3 = normal flash boot). */
uint32_t hal_boot_mode(void);
/* Monotonic milliseconds since boot (virtual time in simulators). */
uint32_t hal_millis(void);
void hal_delay_ms(uint32_t ms);
/* Let the system breathe during long operations (feeds the watchdog on hardware). */
void hal_yield(void);
/* Console output (UART0 on hardware). Bytes, not a C string: may contain anything. */
void hal_console_write(const void *buf, size_t len);
/* Bytes from the best random source the target has. */
void hal_random(void *buf, size_t len);
/* Free heap in bytes (the Updater picks its buffer size from it). */
uint32_t hal_free_heap(void);

/* ---- Outputs (GPIO-like, push-pull): an app's actuators, e.g. a valve driver. Every output
 * is off (low) after any reset, as an ESP8266 pin is an input at reset and the actuator's
 * driver has a pull-down: hardware that must be safe across a restart wires "off" as safe.
 * Pins 0..15; others are ignored. Simulators record each change with its place in the flash
 * operation sequence. ---- */
#define HAL_OUTPUT_PINS 16u
void hal_output_set(uint32_t pin, bool on);

#endif
