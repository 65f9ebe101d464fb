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

enum { PH_GZIP_HEADER, PH_BLOCK_HEADER, PH_STORED, PH_HUFFMAN, PH_TRAILER, PH_DONE };

typedef struct inflate_private priv_t;

/* Fail with `code` unless already failed (the first error wins). */
static void fail(priv_t *p, inflate_status_t code)
{
    if (p->status == 0)
        p->status = (int8_t)code;
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
        p->in_len = (uint16_t)n;
        p->in_pos = 0;
    }
    p->total_in++;
    return st->in_buf[p->in_pos++];
}

/* `need` (<= 16) bits, LSB first; 0 once the status is set. */
static uint32_t bits(inflate_state_t *st, unsigned need)
{
    priv_t *p = &st->priv;
    uint32_t val = p->bitbuf;
    unsigned cnt = p->bitcnt;
    while (cnt < need) {
        int b = next_byte(st);
        if (b < 0)
            return 0;
        val |= (uint32_t)b << cnt;
        cnt += 8;
    }
    p->bitbuf = val >> need;
    p->bitcnt = (uint8_t)(cnt - need);
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
    uint16_t offs[MAX_BITS + 1];
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
    offs[1] = 0;
    for (unsigned len = 1; len < MAX_BITS; len++)
        offs[len + 1] = (uint16_t)(offs[len] + count[len]);
    for (unsigned s = 0; s < n; s++)
        if (length[s] != 0)
            symbol[offs[length[s]]++] = (uint16_t)s;
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
    unsigned s = 0;
    for (; s < 144; s++)
        p->lengths[s] = 8;
    for (; s < 256; s++)
        p->lengths[s] = 9;
    for (; s < 280; s++)
        p->lengths[s] = 7;
    for (; s < 288; s++)
        p->lengths[s] = 8;
    for (; s < 288 + 32; s++)
        p->lengths[s] = 5;
    build_codes(p, 288, 32); /* cannot fail; distance symbols 30 and 31 are rejected on use */
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
        uint8_t value = 0;
        unsigned rep;
        if (sym == 16) {
            if (i == 0)
                return false; /* nothing to repeat */
            value = p->lengths[i - 1];
            rep = 3 + bits(st, 2);
        } else if (sym == 17) {
            rep = 3 + bits(st, 3);
        } else {
            rep = 11 + bits(st, 7);
        }
        if (i + rep > nlen + ndist)
            return false;
        while (rep--)
            p->lengths[i++] = value;
    }
    return p->status != 0 || build_codes(p, nlen, ndist);
}

/* Emits one output byte into the window and the caller's buffer. */
static inline void emit(inflate_state_t *st, uint8_t *out, uint32_t *produced, uint8_t b)
{
    priv_t *p = &st->priv;
    st->window[p->wpos] = b;
    p->wpos = (uint16_t)((p->wpos + 1u) & WINDOW_MASK);
    out[(*produced)++] = b;
    p->total_out++;
}

static void block_header(inflate_state_t *st)
{
    priv_t *p = &st->priv;
    if (p->last_block) {
        p->phase = p->format == INFLATE_FORMAT_GZIP ? PH_TRAILER : PH_DONE;
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
    } else if (type == 1) {
        fixed_codes(p);
        p->phase = PH_HUFFMAN;
    } else if (type == 2) {
        if (!dynamic_codes(st))
            fail(p, INFLATE_ERR_DATA);
        p->phase = PH_HUFFMAN;
    } else {
        fail(p, INFLATE_ERR_DATA);
    }
}

/* Decodes symbols until the block ends or the output is full. */
static void huffman(inflate_state_t *st, uint8_t *out, uint32_t cap, uint32_t *produced)
{
    priv_t *p = &st->priv;
    while (p->status == 0) {
        if (p->copy_len > 0) {
            if (*produced == cap)
                return;
            uint32_t from = (uint32_t)p->wpos - p->copy_dist;
            do {
                emit(st, out, produced, st->window[from & WINDOW_MASK]);
                from++;
            } while (--p->copy_len > 0 && *produced < cap);
            continue;
        }
        if (*produced == cap)
            return;
        int sym = decode(st, p->lencnt, p->lensym);
        if (p->status != 0)
            return;
        if (sym < 256) {
            if (sym < 0) {
                fail(p, INFLATE_ERR_DATA);
                return;
            }
            emit(st, out, produced, (uint8_t)sym);
            continue;
        }
        if (sym == 256) {
            p->phase = PH_BLOCK_HEADER;
            return;
        }
        /* Length: symbols 257..264 are 3..10; then 4 per extra-bit count; 285 is 258. */
        unsigned i = (unsigned)sym - 257, len;
        if (i < 8) {
            len = 3 + i;
        } else if (i < 28) {
            unsigned extra = (i >> 2) - 1;
            len = ((4u + (i & 3u)) << extra) + 3 + bits(st, extra);
        } else if (i == 28) {
            len = 258;
        } else {
            fail(p, INFLATE_ERR_DATA); /* 286, 287 */
            return;
        }
        /* Distance: symbols 0..3 are 1..4, then 2 per extra-bit count. */
        int dsym = decode(st, p->distcnt, p->distsym);
        if (dsym < 0 || dsym >= 30) {
            fail(p, INFLATE_ERR_DATA);
            return;
        }
        uint32_t dist;
        if (dsym < 4) {
            dist = (uint32_t)dsym + 1;
        } else {
            unsigned extra = ((unsigned)dsym >> 1) - 1;
            dist = ((2u + ((unsigned)dsym & 1u)) << extra) + 1 + bits(st, extra);
        }
        if (p->status != 0)
            return;
        if (dist > p->total_out) { /* before the start of the output */
            fail(p, INFLATE_ERR_DATA);
            return;
        }
        p->copy_len = len;
        p->copy_dist = dist;
    }
}

/* Copies stored-block bytes straight from the input staging buffer. */
static void stored(inflate_state_t *st, uint8_t *out, uint32_t cap, uint32_t *produced)
{
    priv_t *p = &st->priv;
    while (p->copy_len > 0 && *produced < cap) {
        if (p->in_pos == p->in_len) {
            int b = next_byte(st); /* refills the staging buffer */
            if (b < 0)
                return;
            p->copy_len--;
            emit(st, out, produced, (uint8_t)b);
            continue;
        }
        uint32_t n = p->in_len - p->in_pos;
        if (n > p->copy_len)
            n = p->copy_len;
        if (n > cap - *produced)
            n = cap - *produced;
        if (n > INFLATE_WINDOW_SIZE - p->wpos)
            n = INFLATE_WINDOW_SIZE - p->wpos;
        const uint8_t *src = st->in_buf + p->in_pos;
        memcpy(out + *produced, src, n);
        memcpy(st->window + p->wpos, src, n);
        p->wpos = (uint16_t)((p->wpos + n) & WINDOW_MASK);
        p->in_pos = (uint16_t)(p->in_pos + n);
        p->total_in += n;
        p->total_out += n;
        p->copy_len -= n;
        *produced += n;
    }
    if (p->copy_len == 0)
        p->phase = PH_BLOCK_HEADER;
}

/* gzip header bytes are covered by the header CRC (FHCRC). */
static int header_byte(inflate_state_t *st, uint32_t *hcrc)
{
    int b = next_byte(st);
    if (b >= 0) {
        uint8_t c = (uint8_t)b;
        *hcrc = crc32_gzip(*hcrc, &c, 1);
    }
    return b;
}

static void gzip_header(inflate_state_t *st)
{
    enum { FTEXT = 1, FHCRC = 2, FEXTRA = 4, FNAME = 8, FCOMMENT = 16, FRESERVED = 0xE0 };
    priv_t *p = &st->priv;
    uint32_t hcrc = 0;
    uint8_t h[10];
    for (unsigned i = 0; i < 10; i++)
        h[i] = (uint8_t)header_byte(st, &hcrc);
    if (p->status != 0)
        return;
    if (h[0] != 0x1F || h[1] != 0x8B || h[2] != 8 || (h[3] & FRESERVED) != 0) {
        fail(p, INFLATE_ERR_HEADER);
        return;
    }
    uint8_t flags = h[3];
    if (flags & FEXTRA) {
        uint32_t xlen = (uint32_t)header_byte(st, &hcrc);
        xlen |= (uint32_t)header_byte(st, &hcrc) << 8;
        while (xlen-- > 0 && p->status == 0)
            header_byte(st, &hcrc);
    }
    /* Zero-terminated name, then comment. */
    for (uint8_t f = FNAME; f <= FCOMMENT; f = (uint8_t)(f << 1))
        if (flags & f)
            while (p->status == 0 && header_byte(st, &hcrc) != 0) {
            }
    if ((flags & FHCRC) && p->status == 0) {
        uint32_t want = hcrc & 0xFFFFu;
        uint32_t got = (uint32_t)next_byte(st);
        got |= (uint32_t)next_byte(st) << 8;
        if (p->status == 0 && got != want)
            fail(p, INFLATE_ERR_HEADER);
    }
    p->phase = PH_BLOCK_HEADER;
}

static void gzip_trailer(inflate_state_t *st)
{
    priv_t *p = &st->priv;
    p->bitbuf = 0; /* to the byte boundary */
    p->bitcnt = 0;
    uint32_t crc = bits(st, 16);
    crc |= bits(st, 16) << 16;
    uint32_t isize = bits(st, 16);
    isize |= bits(st, 16) << 16;
    if (p->status != 0)
        return;
    if (crc != p->crc || isize != p->total_out)
        fail(p, INFLATE_ERR_CHECKSUM);
    p->phase = PH_DONE;
}

void inflate_init(inflate_state_t *st, inflate_format_t format, inflate_read_fn read, void *ctx)
{
    memset(&st->priv, 0, sizeof st->priv);
    st->priv.read = read;
    st->priv.ctx = ctx;
    st->priv.format = (uint8_t)format;
    st->priv.phase = format == INFLATE_FORMAT_GZIP ? PH_GZIP_HEADER : PH_BLOCK_HEADER;
    if (read == NULL || (format != INFLATE_FORMAT_GZIP && format != INFLATE_FORMAT_RAW))
        st->priv.status = (int8_t)INFLATE_ERR_READ;
}

inflate_status_t inflate_read(inflate_state_t *st, uint8_t *out, uint32_t cap, uint32_t *produced)
{
    priv_t *p = &st->priv;
    uint32_t n = 0, crc_from = 0;
    if (out == NULL)
        cap = 0;
    while (p->status == 0) {
        switch (p->phase) {
        case PH_GZIP_HEADER:
            gzip_header(st);
            continue;
        case PH_BLOCK_HEADER:
            block_header(st);
            continue;
        case PH_STORED:
            stored(st, out, cap, &n);
            if (p->phase == PH_STORED)
                break; /* output full (or an error) */
            continue;
        case PH_HUFFMAN:
            huffman(st, out, cap, &n);
            if (p->phase == PH_HUFFMAN)
                break;
            continue;
        case PH_TRAILER:
            /* The running CRC must include this call's output before it is compared. */
            p->crc = crc32_gzip(p->crc, out, n);
            crc_from = n;
            gzip_trailer(st);
            continue;
        default:
            p->status = INFLATE_DONE;
            continue;
        }
        break;
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
