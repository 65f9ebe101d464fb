/* ESP8266 addresses the port uses (no vendor SDK): peripheral registers and the mask ROM's
 * SPI flash routines (their addresses are given to the linker in rom.ld). */
#ifndef OTASIM_ESP8266_REGS_H
#define OTASIM_ESP8266_REGS_H

#include <stdint.h>

#define ESP8266_REG(addr) (*(volatile uint32_t *)(addr))

/* UART0: FIFO at +0x00 (write: TX, read: RX), status at +0x1C (RX count bits 0..7, TX count
 * bits 16..23); the TX FIFO holds 128 bytes. */
#define ESP8266_UART0_FIFO 0x60000000u
#define ESP8266_UART0_STATUS 0x6000001Cu
#define ESP8266_UART_FIFO_SIZE 128u

/* GPIO input register: the boot-mode straps are latched in bits 16..19. */
#define ESP8266_GPI 0x60000318u
/* GPIO outputs: write-1-to-set / write-1-to-clear the output level and the output enable. */
#define ESP8266_GPIO_OUT_W1TS 0x60000304u
#define ESP8266_GPIO_OUT_W1TC 0x60000308u
#define ESP8266_GPIO_ENABLE_W1TS 0x60000310u

/* RTC memory: 768 bytes of word-addressed memory, kept across resets (not power loss). */
#define ESP8266_RTC_MEM 0x60001100u

/* Hardware watchdog: writing the magic to the feed register restarts its count. */
#define ESP8266_WDT_FEED 0x60000914u
#define ESP8266_WDT_FEED_MAGIC 0x73u

/* SPI0 (the flash controller): a command bit in CMD starts an operation and clears when done;
 * READ_ID leaves the JEDEC id in W0. */
#define ESP8266_SPI0_CMD 0x60000200u
#define ESP8266_SPI0_W0 0x60000240u
#define ESP8266_SPI_CMD_READ_ID (1u << 28)

/* Hardware random number generator. */
#define ESP8266_RNG 0x3FF20E44u

/* The ROM's reset vector: jumping there restarts the boot from the ROM (RTC memory kept). */
#define ESP8266_ROM_RESET_VECTOR 0x40000080u

/* Mask-ROM routines (rom.ld). They return 0 on success. SPIEraseSector takes a sector index. */
int SPIRead(uint32_t addr, void *dst, uint32_t len);
int SPIWrite(uint32_t addr, const void *src, uint32_t len);
int SPIEraseSector(uint32_t sector);
/* ESP8266_ROM(SPIRead)(addr, dst, len): a call of a ROM routine that is always a long call
 * (l32r + callx0) whatever -m[no-]longcalls says. The bootloader is built with -mno-longcalls
 * (short call0 between its own functions in IRAM), and the ROM at 0x40000000 is far beyond
 * call0's reach from 0x4010F000: the register hides the constant address from the compiler. */
#define ESP8266_ROM(fn)                                                                            \
    (__extension__({                                                                               \
        __typeof__(&fn) rom_fn_ = &fn;                                                             \
        __asm__("" : "+r"(rom_fn_));                                                               \
        rom_fn_;                                                                                   \
    }))
/* The flash cache (maps the first MiB of flash at 0x40200000). While it is on, the SPI routines
 * must run with it off and from IRAM: the HAL brackets them when esp8266_cache_on is set (the
 * app start-up sets it; the bootloader runs without the cache). */
void Cache_Read_Enable(uint8_t odd_even, uint8_t mb_count, uint8_t no_idea);
void Cache_Read_Disable(void);
extern volatile uint8_t esp8266_cache_on;

/* The CPU clock after the ROM boot: the ROM assumes a 40 MHz crystal while boards carry 26 MHz,
 * so the nominal 80 MHz runs at 52 MHz (and the ROM console at 74880 baud). */
#ifndef ESP8266_CPU_HZ
#define ESP8266_CPU_HZ 52000000u
#endif

#endif
