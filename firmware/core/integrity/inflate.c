/* Streaming inflate (RFC 1951) with the gzip wrapper (RFC 1952), no allocation.
 *
 * Input is pulled through the read callback whenever the decoder needs it, so the only point
 * where decoding pauses is a full output buffer: a pending match (copy_len/copy_dist) or the
 * rest of a stored block is carried over to the next call. Bits are taken one byte at a time
 * and only when needed, so no byte after the end of the stream is ever consumed and
 * inflate_total_in() is the exact member length.
 *
 * Huffman codes are decoded canonically, one bit at a time, from per-length code counts (the
 * method of zlib's contrib/puff): small tables and little code, which is what the bootloader
 * needs; every loop is bounded by 15 code bits, the block's symbols or the output size. */
#include "inflate.h"

#include <string.h>

#include "crc32.h"

#define MAX_BITS 15
#define WINDOW_MASK (INFLATE_WINDOW_SIZE - 1u)

/* PH_DONE follows PH_TRAILER and INFLATE_FORMAT_RAW is 1: PH_TRAILER + format is the phase
 * after the last block. */
enum { PH_GZIP_HEADER, PH_BLOCK_HEADER, PH_STORED, PH_HUFFMAN, PH_TRAILER, PH_DONE };
_Static_assert(PH_TRAILER + INFLATE_FORMAT_RAW == PH_DONE && INFLATE_FORMAT_GZIP == 0,
               "phase arithmetic");

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
    uint8_t b = st->in_buf[p->in_pos++];
    if (p->phase == PH_GZIP_HEADER) /* for FHCRC */
        p->crc = crc32_gzip(p->crc, &b, 1);
    return b;
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

/* Canonical code from lengths. Returns 0 for a complete code (or no codes at all), > 0 for an
 * incomplete one, < 0 for an over-subscribed one. */
static int build(uint16_t *count, uint16_t *symbol, const uint8_t *length, unsigned n)
{
    memset(count, 0, (MAX_BITS + 1) * sizeof count[0]);
    for (unsigned s = 0; s < n; s++)
        count[length[s]]++;
    if (count[0] == n)
        return 0;
    int left = 1;
    for (unsigned len = 1; len <= MAX_BITS; len++) {
        left = (left << 1) - count[len];
        if (left < 0)
            return left;
    }
    /* Symbols sorted by code length, then by value (a plain scan: 15 passes cost less code
     * than an offsets table, and a table is built once per block). */
    unsigned idx = 0;
    for (unsigned len = 1; len <= MAX_BITS; len++)
        for (unsigned s = 0; s < n; s++)
            if (length[s] == len)
                symbol[idx++] = (uint16_t)s;
    return left;
}

/* Literal/length and distance codes from p->lengths (nlen + ndist entries). An incomplete code
 * is only allowed when it is a single one-bit code (RFC 1951 3.2.7, as zlib does). */
static bool build_codes(priv_t *p, unsigned nlen, unsigned ndist)
{
    if (p->lengths[256] == 0) /* no end-of-block code */
        return false;
    int err = build(p->lencnt, p->lensym, p->lengths, nlen);
    if (err < 0 || (err > 0 && nlen != (unsigned)p->lencnt[0] + p->lencnt[1]))
        return false;
    err = build(p->distcnt, p->distsym, p->lengths + nlen, ndist);
    return !(err < 0 || (err > 0 && ndist != (unsigned)p->distcnt[0] + p->distcnt[1]));
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
    if (build(p->lencnt, p->lensym, p->lengths, 19) != 0)
        return false;
    unsigned i = 0;
    while (i < nlen + ndist && p->status == 0) {
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
    return p->status != 0 || build_codes(p, nlen, ndist);
}

static void block_header(inflate_state_t *st)
{
    priv_t *p = &st->priv;
    if (p->last_block) {
        p->phase = (uint8_t)(PH_TRAILER + p->format); /* raw streams have no trailer */
        return;
    }
    p->last_block = (uint8_t)bits(st, 1);
    uint32_t type = bits(st, 2);
    if (p->status != 0)
        return;
    if (type == 0) {
        /* Stored: skip to the byte boundary (fewer than 8 bits are buffered), LEN, NLEN. */
        p->bitbuf = 0;
        p->bitcnt = 0;
        uint32_t len = bits(st, 16), nlen = bits(st, 16);
        if (p->status == 0 && (len ^ nlen) != 0xFFFFu)
            fail(p, INFLATE_ERR_DATA);
        p->copy_len = len;
        p->copy_dist = 0;
        p->phase = PH_STORED;
        return;
    }
    if (type == 1)
        fixed_codes(p);
    else if (type == 3 || !dynamic_codes(st))
        fail(p, INFLATE_ERR_DATA);
    p->phase = PH_HUFFMAN;
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

/* Produces block data until the block ends or the output is full. Every output byte leaves
 * through the pending copy: a match copies from the window, a stored block (copy_dist 0) from
 * the input, and a literal is a one-byte match at distance 32768 after being written to the
 * window slot it will be copied from (that is exactly window[wpos]). */
static void block_data(inflate_state_t *st, uint8_t *out, uint32_t cap, uint32_t *produced)
{
    priv_t *p = &st->priv;
    while (p->status == 0) {
        if (p->copy_len > 0) {
            if (*produced == cap)
                return;
            int b =
                p->copy_dist ? st->window[(p->wpos - p->copy_dist) & WINDOW_MASK] : next_byte(st);
            if (b < 0)
                return;
            p->copy_len--;
            st->window[p->wpos] = (uint8_t)b;
            p->wpos = (p->wpos + 1u) & WINDOW_MASK;
            out[(*produced)++] = (uint8_t)b;
            p->total_out++;
            continue;
        }
        if (p->phase == PH_STORED) {
            p->phase = PH_BLOCK_HEADER;
            return;
        }
        if (*produced == cap)
            return;
        int sym = decode(st, p->lencnt, p->lensym);
        if (sym < 256) {
            if (sym < 0) {
                fail(p, INFLATE_ERR_DATA);
                return;
            }
            st->window[p->wpos] = (uint8_t)sym;
            p->copy_len = 1;
            p->copy_dist = INFLATE_WINDOW_SIZE;
            continue;
        }
        if (sym == 256) {
            p->phase = PH_BLOCK_HEADER;
            return;
        }
        /* Length symbols 257..284 and distance symbols 0..29 follow one pattern: the first
         * 2 * group values have no extra bits, then each extra-bit count covers `group`
         * symbols. Symbol 285 is length 258; 286 and 287 are invalid. */
        unsigned i = (unsigned)sym - 257;
        uint32_t len = i < 28 ? base_and_extra(st, i, 2, 3) : 258;
        int dsym = decode(st, p->distcnt, p->distsym);
        if (i > 28 || (unsigned)dsym >= 30) {
            fail(p, INFLATE_ERR_DATA);
            return;
        }
        uint32_t dist = base_and_extra(st, (unsigned)dsym, 1, 1);
        if (dist > p->total_out) { /* before the start of the output */
            fail(p, INFLATE_ERR_DATA);
            return;
        }
        p->copy_len = len;
        p->copy_dist = dist;
    }
}

static void gzip_header(inflate_state_t *st)
{
    enum { FHCRC = 2, FEXTRA = 4, FNAME = 8, FCOMMENT = 16, FRESERVED = 0xE0 };
    priv_t *p = &st->priv;
    uint8_t h[10];
    for (unsigned i = 0; i < 10; i++)
        h[i] = (uint8_t)next_byte(st); /* next_byte runs the header CRC in this phase */
    if (p->status != 0)
        return;
    if (h[0] != 0x1F || h[1] != 0x8B || h[2] != 8 || (h[3] & FRESERVED) != 0) {
        fail(p, INFLATE_ERR_HEADER);
        return;
    }
    if (h[3] & FEXTRA) {
        uint32_t xlen = bits(st, 16);
        while (xlen-- > 0 && p->status == 0)
            next_byte(st);
    }
    /* Zero-terminated name, then comment. */
    for (unsigned f = FNAME; f <= FCOMMENT; f <<= 1)
        if (h[3] & f)
            while (p->status == 0 && next_byte(st) != 0) {
            }
    if (h[3] & FHCRC) {
        uint32_t want = p->crc & 0xFFFFu;
        if (bits(st, 16) != want)
            fail(p, INFLATE_ERR_HEADER);
    }
    p->crc = 0;
    p->phase = PH_BLOCK_HEADER;
}

/* CRC-32 and ISIZE, little-endian, compared byte by byte. */
static void gzip_trailer(inflate_state_t *st)
{
    priv_t *p = &st->priv;
    uint32_t want[2] = {p->crc, p->total_out}, diff = 0;
    p->bitbuf = 0; /* to the byte boundary */
    p->bitcnt = 0;
    for (unsigned i = 0; i < 8; i++)
        diff |= (uint32_t)next_byte(st) ^ ((want[i >> 2] >> (8 * (i & 3))) & 0xFFu);
    if (diff != 0)
        fail(p, INFLATE_ERR_CHECKSUM); /* unless truncated first */
    p->phase = PH_DONE;
}

void inflate_init(inflate_state_t *st, inflate_format_t format, inflate_read_fn read, void *ctx)
{
    memset(&st->priv, 0, offsetof(priv_t, lencnt)); /* the tables need no clearing */
    st->priv.read = read;
    st->priv.ctx = ctx;
    st->priv.format = format == INFLATE_FORMAT_GZIP ? INFLATE_FORMAT_GZIP : INFLATE_FORMAT_RAW;
    st->priv.phase = format == INFLATE_FORMAT_GZIP ? PH_GZIP_HEADER : PH_BLOCK_HEADER;
    if (read == NULL)
        st->priv.status = INFLATE_ERR_READ;
}

inflate_status_t inflate_read(inflate_state_t *st, uint8_t *out, uint32_t cap, uint32_t *produced)
{
    priv_t *p = &st->priv;
    uint32_t n = 0, crc_from = 0;
    if (out == NULL)
        cap = 0;
    while (p->status == 0) {
        uint8_t phase = p->phase;
        if (phase == PH_GZIP_HEADER) {
            gzip_header(st);
        } else if (phase == PH_BLOCK_HEADER) {
            block_header(st);
        } else if (phase == PH_TRAILER) {
            /* The running CRC must include this call's output before it is compared. */
            p->crc = crc32_gzip(p->crc, out, n);
            crc_from = n;
            gzip_trailer(st);
        } else if (phase == PH_DONE) {
            p->status = INFLATE_DONE;
        } else {
            block_data(st, out, cap, &n);
            if (p->phase == phase)
                break; /* output full (or an error) */
        }
    }
    p->crc = crc32_gzip(p->crc, out + crc_from, n - crc_from);
    if (produced != NULL)
        *produced = n;
    return p->status == 0 ? INFLATE_OK : (inflate_status_t)p->status;
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
