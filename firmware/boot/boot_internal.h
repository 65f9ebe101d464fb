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

/* Flash-backed input for the inflater: reads from `pos` up to `end` (`pos` word-aligned). */
typedef struct boot_flash_src {
    uint32_t pos;
    uint32_t end;
} boot_flash_src_t;
int32_t boot_flash_src_read(void *ctx, uint8_t *buf, uint32_t cap);

/* The little-endian word at any flash address (0 if it cannot be read). */
uint32_t boot_flash_le32(uint32_t addr);

/* Produce exactly `want` bytes (fewer only at the end of the stream) into `out`. Without
 * `check_trailer` a gzip CRC-32/ISIZE mismatch counts as the end of the stream (eboot). */
inflate_status_t boot_inflate_fill(uint8_t *out, uint32_t want, uint32_t *got, bool check_trailer);

/* Erase a destination sector and write a buffer to it (the mutant skip-erase omits the erase). */
int boot_write_sector(uint32_t addr, const uint8_t *buf);

int boot_eboot(void);
int boot_safe(void);

#endif
