/* Inflate (RFC 1951) with the gzip wrapper (RFC 1952) in one call, no allocation.
 *
 * One pass from the first input byte to the last: input is pulled through the read callback
 * whenever the decoder needs it, and every output byte goes into the circular window; each
 * time a 4 KiB chunk of the window is complete, it is pushed to the write callback (and the
 * CRC-32 runs over it). Nothing is ever pending between calls, which keeps the code small
 * (the bootloader's 4 KiB): there is no resumable state machine. Bits are taken one byte at a
 * time and only when needed, so no byte after the end of the stream is consumed and
 * inflate_total_in() is the exact member length.
 *
 * Errors are sticky: the first one is kept, and once it is set the input reads as zero bits,
 * so every loop ends on its own bound (15 code bits, the block's code lengths, a stored
 * block's LEN, a match's length) or on the status check once per symbol.
 *
 * Huffman codes are decoded canonically, one bit at a time, from per-length code counts (the
 * method of zlib's contrib/puff): small tables and little code. */
#include "inflate.h"

#include <string.h>

#include "crc32.h"

#define MAX_BITS 15
#define WINDOW_MASK (INFLATE_WINDOW_SIZE - 1u)
_Static_assert(INFLATE_WINDOW_SIZE % INFLATE_CHUNK == 0, "chunks are contiguous in the window");

typedef struct inflate_private priv_t;

/* Fail with `code` unless already failed (the first error wins). */
static void fail(priv_t *p, inflate_status_t code)
{
    if (p->status == 0)
        p->status = code;
}

/* Next input byte, or -1 with the status set. */
static int next_byte(inflate_state_t *st)
{
    priv_t *p = &st->priv;
    if (p->status != 0)
        return -1;
    if (p->in_pos == p->in_len) {
        int32_t n = p->read(p->ctx, st->in_buf, sizeof st->in_buf);
        if (n <= 0 || n > (int32_t)sizeof st->in_buf) {
            fail(p, n == 0 ? INFLATE_ERR_TRUNCATED : INFLATE_ERR_READ);
            return -1;
        }
        p->in_len = (uint32_t)n;
        p->in_pos = 0;
    }
    p->total_in++;
    return st->in_buf[p->in_pos++];
}

/* `need` (<= 16) bits, LSB first; 0 once the status is set. */
static uint32_t bits(inflate_state_t *st, unsigned need)
{
    priv_t *p = &st->priv;
    uint32_t val = p->bitbuf, cnt = p->bitcnt;
    while (cnt < need) {
        int b = next_byte(st);
        if (b < 0)
            return 0;
        val |= (uint32_t)b << cnt;
        cnt += 8;
    }
    p->bitbuf = val >> need;
    p->bitcnt = cnt - need;
    return val & ((1u << need) - 1u);
}

/* Push the last n (<= INFLATE_CHUNK) bytes of output, which end at a chunk boundary or at the
 * end of the stream. */
static void flush(inflate_state_t *st, uint32_t n)
{
    priv_t *p = &st->priv;
    const uint8_t *data = st->window + ((p->total_out - n) & WINDOW_MASK);
    if (n == 0 || p->status != 0)
        return;
    p->crc = crc32_gzip(p->crc, data, n);
    if (p->write(p->ctx, data, n) != 0)
        fail(p, INFLATE_ERR_WRITE);
}

static void put(inflate_state_t *st, uint32_t b)
{
    priv_t *p = &st->priv;
    st->window[p->total_out++ & WINDOW_MASK] = (uint8_t)b;
    if ((p->total_out & (INFLATE_CHUNK - 1u)) == 0)
        flush(st, INFLATE_CHUNK);
}

/* One symbol of a canonical code; -1 for a bit pattern that is no code. */
static int decode(inflate_state_t *st, const uint16_t *count, const uint16_t *symbol)
{
    int code = 0, first = 0, index = 0;
    for (unsigned len = 1; len <= MAX_BITS; len++) {
        code |= (int)bits(st, 1);
        int n = count[len];
        if (code - n < first)
            return symbol[index + (code - first)];
        index += n;
        first = (first + n) << 1;
        code <<= 1;
    }
    return -1;
}

/* Canonical code from lengths. A code must be complete, except that no codes at all are
 * allowed, and, when `single_ok`, a single one-bit code (RFC 1951 3.2.7, as zlib does for the
 * literal/length and distance codes); over-subscribed codes are refused. */
static bool build(uint16_t *count, uint16_t *symbol, const uint8_t *length, unsigned n,
                  bool single_ok)
{
    memset(count, 0, (MAX_BITS + 1) * sizeof count[0]);
    for (unsigned s = 0; s < n; s++)
        count[length[s]]++;
    int left = 1;
    for (unsigned len = 1; len <= MAX_BITS; len++) {
        left = (left << 1) - count[len];
        if (left < 0)
            return false;
    }
    /* Symbols sorted by code length, then by value (a plain scan: 15 passes cost less code
     * than an offsets table, and a table is built once per block). */
    unsigned idx = 0;
    for (unsigned len = 1; len <= MAX_BITS; len++)
        for (unsigned s = 0; s < n; s++)
            if (length[s] == len)
                symbol[idx++] = (uint16_t)s;
    return left == 0 || count[0] == n || (single_ok && count[0] + count[1] == n);
}

/* Literal/length and distance codes from p->lengths (nlen + ndist entries); the literal/length
 * code must have an end-of-block code. */
static bool build_codes(priv_t *p, unsigned nlen, unsigned ndist)
{
    return p->lengths[256] != 0 && build(p->lencnt, p->lensym, p->lengths, nlen, true) &&
           build(p->distcnt, p->distsym, p->lengths + nlen, ndist, true);
}

static void fixed_codes(priv_t *p)
{
    /* RFC 1951 3.2.6 as runs of (count / 8, length): 144 x 8, 112 x 9, 24 x 7, 8 x 8, and
     * 32 distance codes of 5 bits (30 and 31 are rejected when used). */
    static const uint8_t runs[5][2] = {{18, 8}, {14, 9}, {3, 7}, {1, 8}, {4, 5}};
    uint8_t *l = p->lengths;
    for (unsigned r = 0; r < 5; r++) {
        memset(l, runs[r][1], runs[r][0] * 8u);
        l += runs[r][0] * 8u;
    }
    build_codes(p, 288, 32); /* cannot fail */
}

static bool dynamic_codes(inflate_state_t *st)
{
    static const uint8_t order[19] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                      11, 4,  12, 3, 13, 2, 14, 1, 15};
    priv_t *p = &st->priv;
    unsigned nlen = bits(st, 5) + 257, ndist = bits(st, 5) + 1, ncode = bits(st, 4) + 4;
    if (nlen > 286 || ndist > 30)
        return false;
    memset(p->lengths, 0, 19);
    for (unsigned i = 0; i < ncode; i++)
        p->lengths[order[i]] = (uint8_t)bits(st, 3);
    /* The code-length code goes in the literal tables for now; it must be complete. */
    if (!build(p->lencnt, p->lensym, p->lengths, 19, false))
        return false;
    unsigned i = 0;
    while (i < nlen + ndist) {
        int sym = decode(st, p->lencnt, p->lensym);
        if (sym < 0)
            return false;
        if (sym < 16) {
            p->lengths[i++] = (uint8_t)sym;
            continue;
        }
        /* 16: the previous length 3..6 times, 17: zero 3..10 times, 18: zero 11..138 times. */
        uint8_t value = 0;
        if (sym == 16) {
            if (i == 0)
                return false; /* nothing to repeat */
            value = p->lengths[i - 1];
        }
        unsigned rep = sym == 18 ? 11 + bits(st, 7) : 3 + bits(st, (unsigned)sym - 14u);
        if (i + rep > nlen + ndist)
            return false;
        while (rep--)
            p->lengths[i++] = value;
    }
    return build_codes(p, nlen, ndist);
}

/* Value of length or distance code i (groups of 1 << log2_group symbols share an extra-bit
 * count) plus its extra bits. */
static uint32_t base_and_extra(inflate_state_t *st, unsigned i, unsigned log2_group,
                               uint32_t offset)
{
    unsigned group = 1u << log2_group;
    if (i < 2 * group)
        return offset + i;
    unsigned extra = (i >> log2_group) - 1;
    return ((group + (i & (group - 1))) << extra) + offset + bits(st, extra);
}

/* The symbols of one Huffman block, up to its end-of-block code. */
static void huffman_block(inflate_state_t *st)
{
    priv_t *p = &st->priv;
    while (p->status == 0) {
        int sym = decode(st, p->lencnt, p->lensym);
        if (sym < 256) {
            if (sym < 0)
                break;
            put(st, (uint32_t)sym);
            continue;
        }
        if (sym == 256)
            return;
        /* Length symbols 257..284 and distance symbols 0..29 follow one pattern: the first
         * 2 * group values have no extra bits, then each extra-bit count covers `group`
         * symbols. Symbol 285 is length 258; 286 and 287 are invalid. */
        unsigned i = (unsigned)sym - 257;
        uint32_t len = i < 28 ? base_and_extra(st, i, 2, 3) : 258;
        int dsym = decode(st, p->distcnt, p->distsym);
        if (i > 28 || (unsigned)dsym >= 30)
            break;
        uint32_t dist = base_and_extra(st, (unsigned)dsym, 1, 1);
        if (dist > p->total_out) /* before the start of the output */
            break;
        while (len--)
            put(st, st->window[(p->total_out - dist) & WINDOW_MASK]);
    }
    fail(p, INFLATE_ERR_DATA); /* no effect after truncation: the first error wins */
}

/* A header byte, also fed to the header CRC (for FHCRC). */
static int header_byte(inflate_state_t *st)
{
    int b = next_byte(st);
    uint8_t c = (uint8_t)b;
    st->priv.crc = crc32_gzip(st->priv.crc, &c, 1);
    return b;
}

static void gzip_header(inflate_state_t *st)
{
    enum { FHCRC = 2, FEXTRA = 4, FNAME = 8, FCOMMENT = 16, FRESERVED = 0xE0 };
    priv_t *p = &st->priv;
    uint8_t h[10];
    for (unsigned i = 0; i < 10; i++)
        h[i] = (uint8_t)header_byte(st);
    if (h[0] != 0x1F || h[1] != 0x8B || h[2] != 8 || (h[3] & FRESERVED) != 0)
        fail(p, INFLATE_ERR_HEADER); /* no effect after truncation: the first error wins */
    if (h[3] & FEXTRA) {
        uint32_t xlen = (uint32_t)header_byte(st) & 0xFFu;
        xlen |= ((uint32_t)header_byte(st) & 0xFFu) << 8;
        while (xlen-- > 0)
            header_byte(st);
    }
    /* Zero-terminated name, then comment (-1 once failed also ends them). */
    for (unsigned f = FNAME; f <= FCOMMENT; f <<= 1)
        if (h[3] & f)
            while (header_byte(st) > 0) {
            }
    if ((h[3] & FHCRC) && bits(st, 16) != (p->crc & 0xFFFFu))
        fail(p, INFLATE_ERR_HEADER);
    p->crc = 0;
}

/* A little-endian word of the trailer. */
static uint32_t word(inflate_state_t *st)
{
    uint32_t lo = bits(st, 16);
    return lo | bits(st, 16) << 16;
}

inflate_status_t inflate_run(inflate_state_t *st, inflate_format_t format, inflate_read_fn read,
                             inflate_write_fn write, void *ctx)
{
    priv_t *p = &st->priv;
    memset(p, 0, offsetof(priv_t, lencnt)); /* the tables need no clearing */
    p->read = read;
    p->write = write;
    p->ctx = ctx;
    if (read == NULL || write == NULL)
        p->status = INFLATE_ERR_READ;
    bool gzip = format == INFLATE_FORMAT_GZIP;
    if (gzip)
        gzip_header(st);
    for (uint32_t last = 0; !last && p->status == 0;) {
        last = bits(st, 1);
        uint32_t type = bits(st, 2);
        if (type == 0) {
            /* Stored: skip to the byte boundary (fewer than 8 bits are buffered), LEN, NLEN. */
            p->bitbuf = 0;
            p->bitcnt = 0;
            uint32_t len = bits(st, 16);
            if ((len ^ bits(st, 16)) != 0xFFFFu)
                fail(p, INFLATE_ERR_DATA);
            while (len-- > 0 && p->status == 0)
                put(st, (uint32_t)next_byte(st));
        } else if (type == 1) {
            fixed_codes(p);
            huffman_block(st);
        } else if (type == 2 && dynamic_codes(st)) {
            huffman_block(st);
        } else {
            fail(p, INFLATE_ERR_DATA);
        }
    }
    flush(st, p->total_out & (INFLATE_CHUNK - 1u));
    if (gzip) {
        /* CRC-32 and ISIZE, from the byte boundary. */
        p->bitbuf = 0;
        p->bitcnt = 0;
        uint32_t crc = word(st), isize = word(st);
        if (crc != p->crc || isize != p->total_out)
            fail(p, INFLATE_ERR_CHECKSUM); /* unless failed before */
    }
    return p->status == 0 ? INFLATE_DONE : (inflate_status_t)p->status;
}

uint32_t inflate_total_out(const inflate_state_t *st)
{
    return st->priv.total_out;
}

uint32_t inflate_crc32(const inflate_state_t *st)
{
    return st->priv.crc;
}

uint32_t inflate_total_in(const inflate_state_t *st)
{
    return st->priv.total_in;
}
