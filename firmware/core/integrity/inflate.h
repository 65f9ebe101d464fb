/* Streaming inflate (RFC 1951 deflate inside RFC 1952 gzip, or raw), with no allocation: the
 * caller owns the state, including the 32 KiB window, so a bootloader can keep it in .bss.
 * Input is pulled through a callback (the bootloader reads it from flash); output is produced
 * into caller buffers of any size (the bootloader asks for one 4 KiB sector at a time). */
#ifndef OTASIM_INFLATE_H
#define OTASIM_INFLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INFLATE_WINDOW_SIZE 32768u

/* Fill buf with up to cap input bytes; return the count, 0 at the end of input, or a negative
 * value on a read error. */
typedef int32_t (*inflate_read_fn)(void *ctx, uint8_t *buf, uint32_t cap);

typedef enum {
    INFLATE_FORMAT_GZIP = 0, /* gzip member: header (FTEXT/FHCRC/FEXTRA/FNAME/FCOMMENT) and the
                                CRC-32 + ISIZE trailer are parsed and checked */
    INFLATE_FORMAT_RAW = 1,  /* bare deflate stream */
} inflate_format_t;

typedef enum {
    INFLATE_OK = 0,             /* more output may follow */
    INFLATE_DONE = 1,           /* stream complete and (gzip) CRC-32 and ISIZE verified */
    INFLATE_ERR_HEADER = -1,    /* bad gzip magic, method or flags */
    INFLATE_ERR_DATA = -2,      /* invalid deflate data (bad block type, code, distance...) */
    INFLATE_ERR_TRUNCATED = -3, /* input ended before the stream did */
    INFLATE_ERR_CHECKSUM = -4,  /* gzip CRC-32 or ISIZE mismatch */
    INFLATE_ERR_READ = -5,      /* the read callback failed */
} inflate_status_t;

/* The state is opaque in spirit; its size is what a caller must reserve (about 35 KiB, fixed).
 * `priv` is private to inflate.c (first, so its fields sit at small offsets: short loads on
 * lx106). */
typedef struct inflate_state {
    struct inflate_private {
        inflate_read_fn read;
        void *ctx;
        uint32_t total_in, total_out;
        uint32_t crc;    /* of the output; of the header bytes while the gzip header is read */
        uint32_t bitbuf; /* bits read but not used, LSB first (< 8 between calls) */
        uint32_t bitcnt;
        uint32_t copy_len, copy_dist; /* pending match, or stored bytes left (dist 0) */
        uint32_t in_pos, in_len, wpos;
        int32_t status; /* sticky INFLATE_ERR_* or INFLATE_DONE, else 0 */
        uint8_t format, phase, last_block;
        /* Canonical Huffman tables: code counts per length and symbols in code order. */
        uint16_t lencnt[16], lensym[288], distcnt[16], distsym[32];
        uint8_t lengths[288 + 32]; /* code lengths while a dynamic header is read */
    } priv;
    uint8_t in_buf[256];                 /* input staging for the read callback */
    uint8_t window[INFLATE_WINDOW_SIZE]; /* the last 32 KiB of output, circular */
} inflate_state_t;

void inflate_init(inflate_state_t *st, inflate_format_t format, inflate_read_fn read, void *ctx);

/* Produce up to `cap` bytes of output into `out`; *produced receives the count. Returns
 * INFLATE_OK (call again), INFLATE_DONE (end of stream, checks passed; *produced may be > 0),
 * or an error (sticky: later calls return it again). */
inflate_status_t inflate_read(inflate_state_t *st, uint8_t *out, uint32_t cap, uint32_t *produced);

/* After INFLATE_DONE: the total output length, the gzip CRC-32 of the output, and the number of
 * input bytes consumed (the compressed length, including the gzip header and trailer). */
uint32_t inflate_total_out(const inflate_state_t *st);
uint32_t inflate_crc32(const inflate_state_t *st);
uint32_t inflate_total_in(const inflate_state_t *st);

#endif
