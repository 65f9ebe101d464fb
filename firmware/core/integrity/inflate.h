/* Inflate (RFC 1951 deflate inside RFC 1952 gzip, or raw) in one call, with no allocation: the
 * caller owns the state, including the 32 KiB window, so a bootloader can keep it in .bss.
 * Input is pulled through a read callback (the bootloader and the Updater read the staged
 * bytes from flash); output is pushed to a write callback, one INFLATE_CHUNK (4 KiB, a flash
 * sector) at a time, straight from the window. */
#ifndef OTASIM_INFLATE_H
#define OTASIM_INFLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INFLATE_WINDOW_SIZE 32768u
#define INFLATE_CHUNK 4096u /* divides the window: every chunk is contiguous in it */

/* Fill buf with up to cap input bytes; return the count, 0 at the end of input, or a negative
 * value on a read error. */
typedef int32_t (*inflate_read_fn)(void *ctx, uint8_t *buf, uint32_t cap);

/* Take the next `len` output bytes: INFLATE_CHUNK of them, except for the last call of a
 * stream, which has the rest (1..INFLATE_CHUNK bytes; no call for an empty rest). `data` is
 * valid until the callback returns. Return 0 to go on, non-zero to stop the inflater
 * (INFLATE_ERR_WRITE). */
typedef int (*inflate_write_fn)(void *ctx, const uint8_t *data, uint32_t len);

typedef enum {
    INFLATE_FORMAT_GZIP = 0, /* gzip member: header (FTEXT/FHCRC/FEXTRA/FNAME/FCOMMENT) and the
                                CRC-32 + ISIZE trailer are parsed and checked */
    INFLATE_FORMAT_RAW = 1,  /* bare deflate stream */
} inflate_format_t;

typedef enum {
    INFLATE_DONE = 1,           /* stream complete and (gzip) CRC-32 and ISIZE verified */
    INFLATE_ERR_HEADER = -1,    /* bad gzip magic, method, flags or header CRC */
    INFLATE_ERR_DATA = -2,      /* invalid deflate data (bad block type, code, distance...) */
    INFLATE_ERR_TRUNCATED = -3, /* input ended before the stream did */
    INFLATE_ERR_CHECKSUM = -4,  /* gzip CRC-32 or ISIZE mismatch */
    INFLATE_ERR_READ = -5,      /* the read callback failed (or returned more than asked) */
    INFLATE_ERR_WRITE = -6,     /* the write callback asked to stop */
} inflate_status_t;

/* The state's size is what a caller must reserve (about 35 KiB, fixed). `priv` is private to
 * inflate.c (first, so its fields sit at small offsets: short loads on lx106). */
typedef struct inflate_state {
    struct inflate_private {
        inflate_read_fn read;
        inflate_write_fn write;
        void *ctx;
        uint32_t total_in, total_out;
        uint32_t crc;    /* of the output; of the header bytes while the gzip header is read */
        uint32_t bitbuf; /* bits read but not used, LSB first (< 8 between symbols) */
        uint32_t bitcnt;
        uint32_t in_pos, in_len;
        int32_t status; /* the first INFLATE_ERR_*, else 0 */
        /* Canonical Huffman tables: code counts per length and symbols in code order. */
        uint16_t lencnt[16], lensym[288], distcnt[16], distsym[32];
        uint8_t lengths[288 + 32]; /* code lengths while a dynamic header is read */
    } priv;
    uint8_t in_buf[256];                 /* input staging for the read callback */
    uint8_t window[INFLATE_WINDOW_SIZE]; /* the last 32 KiB of output, circular */
} inflate_state_t;

/* Inflate one stream (or gzip member) from `read` to `write` (both get `ctx`). No input byte
 * after the end of the stream is consumed. Returns INFLATE_DONE or the first error; output
 * already written before an error stays written. */
inflate_status_t inflate_run(inflate_state_t *st, inflate_format_t format, inflate_read_fn read,
                             inflate_write_fn write, void *ctx);

/* After inflate_run(): the output length, the gzip CRC-32 of the output, and the number of
 * input bytes consumed (on INFLATE_DONE the member length, gzip header and trailer included).
 * During it (from a callback): the same so far, except the CRC (computed per chunk). */
uint32_t inflate_total_out(const inflate_state_t *st);
uint32_t inflate_crc32(const inflate_state_t *st);
uint32_t inflate_total_in(const inflate_state_t *st);

#endif
