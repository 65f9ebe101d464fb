/* Helpers shared by the two bootloader modes (boot_eboot.c, boot_safe.c). Internal. */
#ifndef OTASIM_BOOT_INTERNAL_H
#define OTASIM_BOOT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "boot_cmd.h"
#include "boot_mutant.h"
#include "hal.h"
#include "inflate.h"

#define BOOT_SECTOR HAL_FLASH_SECTOR_SIZE

/* The bootloader reads flash words into uint32_t as they are (image headers, the pair's CRC
 * words): every target it runs on is little-endian, like the flash formats. */
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the bootloader takes flash words as little-endian"
#endif

/* eboot's copy_raw result codes (spec §3.4). */
enum {
    BOOT_CP_OK = 0,
    BOOT_CP_ALIGN = 1,
    BOOT_CP_ERASE = 2,
    BOOT_CP_READ = 3,
    BOOT_CP_WRITE = 4,
    BOOT_CP_GZIP_HEADER = 5,
    BOOT_CP_INFLATE = 6,
    BOOT_CP_VERIFY = 9,
};

/* Two sector buffers and the inflater (caller-owned window): static, no allocation. eboot
 * has the same three (a stack buffer, buffer2 and the uzlib dictionary). */
extern uint8_t boot_buf[BOOT_SECTOR];
extern uint8_t boot_buf2[BOOT_SECTOR];
extern inflate_state_t boot_inflate;

/* Console. */
void boot_puts(const char *s);
void boot_putc(char c);
void boot_put_hex8(uint32_t v); /* 8 lowercase hex digits */
void boot_put_dec(uint32_t v);

/* "v%08x\n" of the word at flash 0x1010 (eboot's print_version). */
void boot_print_version(void);

/* eboot's load_app_from_flash_raw(): walk the header at pair_base + 0x1000, load the segments
 * eboot loads, start the app. Returns only on failure: 1 header, 2 segment header, 3 data
 * (eboot's codes), or the port's code. */
int boot_load_app(uint32_t pair_base);

/* The little-endian word at any flash address (0 if it cannot be read). */
uint32_t boot_flash_le32(uint32_t addr);

/* Does something with sector k of some content, which is in boot_buf: returns 0 to go on, or
 * non-zero to stop (a BOOT_CP_* or mode-specific code). */
typedef int (*boot_sector_fn)(uint32_t k);

/* The state of boot_inflate_sectors(): the flash input, and what fn did. */
typedef struct boot_gunzip {
    uint32_t pos, end; /* input still to read */
    boot_sector_fn fn;
    uint32_t k; /* sectors handed to fn so far */
    int err;    /* fn's last result (non-zero: it stopped the inflater) */
} boot_gunzip_t;
extern boot_gunzip_t boot_gz;

/* Inflate the gzip member in flash [src, end) and hand each 4 KiB of its output to fn as
 * sectors 0, 1, 2... (the last one padded with 0xFF). Returns the inflater's status
 * (INFLATE_ERR_WRITE when fn stopped it: boot_gz.err says why). */
inflate_status_t boot_inflate_sectors(uint32_t src, uint32_t end, boot_sector_fn fn);

/* Erase a destination sector and write a buffer to it (the mutant skip-erase omits the erase). */
int boot_write_sector(uint32_t addr, const uint8_t *buf);

int boot_eboot(void);
int boot_safe(void);
int boot_safe_raw(void); /* host builds: boot_safe.c built with BOOT_SAFE_GZIP=0 */

#endif
