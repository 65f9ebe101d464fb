/* Streaming inflate against zlib: random data compressed by zlib's deflate at every level,
 * strategy, window size and memLevel (raw and gzip), gzip headers with every optional field,
 * truncation at every position, every single-bit corruption (verdict compared with zlib's),
 * random garbage, hand-made streams (distance 32768, too-far distances, bad codes), read errors,
 * input in chunks of random sizes, and the write callback's 4 KiB chunks and its stop. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "crc32.h"
#include "inflate_harness.h"
#include "test_files.h"

/* Test data with some structure: random bytes, text-like, runs, repeats with far distances. */
static void make_data(test_rng_t *rng, uint8_t *d, size_t len)
{
    unsigned kind = rng_below(rng, 5);
    size_t i = 0;
    while (i < len) {
        size_t run = 1 + rng_below(rng, 400);
        if (run > len - i)
            run = len - i;
        unsigned k = kind == 4 ? rng_below(rng, 4) : kind;
        switch (k) {
        case 0: /* incompressible */
            rng_fill(rng, d + i, run);
            break;
        case 1: /* small alphabet */
            for (size_t j = 0; j < run; j++)
                d[i + j] = (uint8_t)("etaoin shrdlu\n"[rng_below(rng, 14)]);
            break;
        case 2: /* one byte repeated */
            memset(d + i, (int)rng_below(rng, 256), run);
            break;
        default: /* copy of earlier data, up to 40000 back */
            if (i > 0) {
                size_t dist = 1 + rng_below(rng, (uint32_t)(i < 40000 ? i : 40000));
                for (size_t j = 0; j < run; j++)
                    d[i + j] = d[i + j - dist];
            } else {
                rng_fill(rng, d + i, run);
            }
        }
        i += run;
    }
}

/* zlib deflate with the given parameters; gzip header optional (gh may be NULL). */
static uint8_t *zlib_compress(const uint8_t *d, size_t len, int level, int wbits, int memlevel,
                              int strategy, bool gzip, gz_header *gh, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    int wb = gzip ? 16 + wbits : -wbits;
    cr_assert_eq(deflateInit2(&z, level, Z_DEFLATED, wb, memlevel, strategy), Z_OK);
    if (gh)
        cr_assert_eq(deflateSetHeader(&z, gh), Z_OK);
    size_t cap = deflateBound(&z, (uLong)len) + 64;
    uint8_t *out = malloc(cap);
    z.next_in = (Bytef *)d;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    *out_len = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

static void check_round_trip(const uint8_t *d, size_t len, const uint8_t *comp, size_t clen,
                             inflate_format_t fmt, test_rng_t *rng, int iter)
{
    /* Exact-size input copy plus trailing bytes that must not be consumed. */
    uint8_t *in = malloc(clen + 16);
    memcpy(in, comp, clen);
    memset(in + clen, 0xA5, 16);
    inflate_result_t r = run_inflate(in, clen + 16, fmt, rng, len + 1000);
    cr_assert_eq(r.status, INFLATE_DONE, "iter %d: status %d (len %zu clen %zu)", iter, r.status,
                 len, clen);
    cr_assert_eq(r.out_len, len, "iter %d: output length %zu != %zu", iter, r.out_len, len);
    cr_assert(len == 0 || memcmp(r.out, d, len) == 0, "iter %d: output differs", iter);
    cr_assert_eq(r.total_in, clen, "iter %d: total_in %u != member length %zu", iter, r.total_in,
                 clen);
    cr_assert_eq(r.total_out, len);
    cr_assert_eq(r.crc, (uint32_t)crc32(0, d, (uInt)len));
    free(r.out);
    free(in);
}

Test(inflate, random_against_zlib_deflate, .timeout = 120)
{
    static const int strategies[] = {Z_DEFAULT_STRATEGY, Z_FILTERED, Z_HUFFMAN_ONLY, Z_RLE,
                                     Z_FIXED};
    test_rng_t rng = {0x1F8B};
    static uint8_t data[120000];
    for (int iter = 0; iter < 1100; iter++) {
        size_t len =
            rng_below(&rng, 10) == 0 ? rng_below(&rng, sizeof data) : rng_length(&rng, 12000);
        make_data(&rng, data, len);
        int level = (int)rng_below(&rng, 10);
        int wbits = 9 + (int)rng_below(&rng, 7);
        int memlevel = 1 + (int)rng_below(&rng, 9);
        int strategy = strategies[rng_below(&rng, 5)];
        bool gzip = rng_below(&rng, 2);
        size_t clen;
        uint8_t *comp =
            zlib_compress(data, len, level, wbits, memlevel, strategy, gzip, NULL, &clen);
        /* Reads in random chunks half of the time. */
        test_rng_t chunk = {rng_next(&rng)};
        check_round_trip(data, len, comp, clen, gzip ? INFLATE_FORMAT_GZIP : INFLATE_FORMAT_RAW,
                         rng_below(&rng, 2) ? &chunk : NULL, iter);
        free(comp);
    }
}

Test(inflate, gzip_header_fields)
{
    test_rng_t rng = {0x6A};
    uint8_t data[3000];
    make_data(&rng, data, sizeof data);
    for (unsigned mask = 0; mask < 32; mask++) {
        gz_header gh;
        memset(&gh, 0, sizeof gh);
        uint8_t extra[300];
        rng_fill(&rng, extra, sizeof extra);
        gh.text = mask & 1;
        gh.hcrc = (mask >> 1) & 1;
        if (mask & 4) {
            gh.extra = extra;
            gh.extra_len = 1 + rng_below(&rng, sizeof extra);
        }
        if (mask & 8)
            gh.name = (Bytef *)"firmware-v2.bin";
        if (mask & 16)
            gh.comment = (Bytef *)"a comment that is longer than the 256-byte staging buffer? "
                                  "no, but the extra field can be";
        gh.time = 0x12345678;
        gh.os = 3;
        size_t clen;
        uint8_t *comp =
            zlib_compress(data, sizeof data, 9, 15, 8, Z_DEFAULT_STRATEGY, true, &gh, &clen);
        cr_assert_eq(comp[3],
                     (uint8_t)((gh.text ? 1 : 0) | (gh.hcrc ? 2 : 0) | (gh.extra ? 4 : 0) |
                               (gh.name ? 8 : 0) | (gh.comment ? 16 : 0)),
                     "zlib wrote the flags asked for");
        check_round_trip(data, sizeof data, comp, clen, INFLATE_FORMAT_GZIP, NULL, (int)mask);
        if (gh.hcrc) {
            /* A wrong header CRC: find it just before the deflate data by recomputing. */
            size_t hlen = 10 + (gh.extra ? 2 + gh.extra_len : 0) +
                          (gh.name ? strlen((char *)gh.name) + 1 : 0) +
                          (gh.comment ? strlen((char *)gh.comment) + 1 : 0);
            uint32_t want = crc32_gzip(0, comp, hlen) & 0xFFFF;
            cr_assert_eq(comp[hlen] | comp[hlen + 1] << 8, want);
            comp[hlen] ^= 0x40;
            inflate_result_t r = run_inflate(comp, clen, INFLATE_FORMAT_GZIP, NULL, 1 << 20);
            cr_assert_eq(r.status, INFLATE_ERR_HEADER);
            free(r.out);
        }
        free(comp);
    }
}

static uint8_t *small_gzip(size_t *clen, uint8_t *data, size_t len)
{
    test_rng_t rng = {0x5A11};
    make_data(&rng, data, len);
    gz_header gh;
    memset(&gh, 0, sizeof gh);
    gh.name = (Bytef *)"x.bin";
    gh.hcrc = 1;
    return zlib_compress(data, len, 6, 15, 8, Z_DEFAULT_STRATEGY, true, &gh, clen);
}

Test(inflate, bad_gzip_headers)
{
    uint8_t data[500];
    size_t clen;
    uint8_t *comp = small_gzip(&clen, data, sizeof data);
    struct {
        size_t off;
        uint8_t val;
    } edits[] = {{0, 0x1E},         {1, 0x8C},         {2, 7},           {2, 0},
                 {3, 0x20 | 8 | 2}, {3, 0x40 | 8 | 2}, {3, 0x80 | 8 | 2}};
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        uint8_t *bad = dup_exact(comp, clen);
        bad[edits[i].off] = edits[i].val;
        inflate_result_t r = run_inflate(bad, clen, INFLATE_FORMAT_GZIP, NULL, 1 << 20);
        cr_assert_eq(r.status, INFLATE_ERR_HEADER, "edit %zu: status %d", i, r.status);
        cr_assert_eq(r.out_len, 0);
        free(r.out);
        free(bad);
    }
    free(comp);
}

Test(inflate, every_truncation)
{
    uint8_t data[700];
    size_t clen;
    uint8_t *comp = small_gzip(&clen, data, sizeof data);
    for (size_t cut = 0; cut < clen; cut++) {
        uint8_t *in = dup_exact(comp, cut);
        for (int fmt = 0; fmt < 2; fmt++) {
            size_t skip = fmt == INFLATE_FORMAT_RAW ? 18 : 0; /* 10 + "x.bin\0" + FHCRC */
            if (cut < skip)
                continue;
            inflate_result_t r =
                run_inflate(in + skip, cut - skip, (inflate_format_t)fmt, NULL, 1 << 20);
            if (fmt == INFLATE_FORMAT_GZIP || cut < clen - 8) {
                cr_assert_eq(r.status, INFLATE_ERR_TRUNCATED, "fmt %d cut %zu: %d", fmt, cut,
                             r.status);
            } else {
                cr_assert_eq(r.status, INFLATE_DONE); /* the raw stream ends before the trailer */
            }
            cr_assert_leq(r.out_len, sizeof data);
            cr_assert(memcmp(r.out, data, r.out_len) == 0, "partial output is a prefix");
            free(r.out);
        }
        free(in);
    }
    free(comp);
}

/* Every single-bit flip: our verdict (DONE or not) equals zlib's, and accepted output equals
 * zlib's. In gzip, flips in the deflate data or trailer must all be caught (by the decoder or
 * by the CRC-32/ISIZE check). */
static void bit_flips(const uint8_t *comp, size_t clen, bool gzip, size_t data_start,
                      const uint8_t *orig, size_t orig_len)
{
    unsigned undetected_in_data = 0;
    for (size_t bit = 0; bit < 8 * clen; bit++) {
        uint8_t *bad = dup_exact(comp, clen);
        bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        inflate_result_t r =
            run_inflate(bad, clen, gzip ? INFLATE_FORMAT_GZIP : INFLATE_FORMAT_RAW, NULL, 1 << 20);
        uint8_t *zout;
        size_t zlen;
        int zok = zlib_inflate(bad, clen, gzip, &zout, &zlen, NULL, 1 << 20);
        cr_assert_eq(r.status == INFLATE_DONE, zok, "bit %zu: ours %d, zlib %s", bit, r.status,
                     zok ? "accepts" : "rejects");
        cr_assert(r.status == INFLATE_DONE || r.status < 0);
        if (zok) {
            cr_assert_eq(r.out_len, zlen);
            cr_assert(memcmp(r.out, zout, zlen) == 0, "bit %zu: output differs from zlib", bit);
            if (gzip) {
                /* Accepted: then the output must be the original (the flip was in a field
                 * nothing checks, or changed no decoded byte); the CRC-32 saw to that. */
                cr_assert_eq(r.out_len, orig_len, "bit %zu", bit);
                cr_assert(memcmp(r.out, orig, orig_len) == 0, "bit %zu: wrong output accepted",
                          bit);
                if (bit / 8 >= data_start)
                    undetected_in_data++;
            }
        }
        free(zout);
        free(r.out);
        free(bad);
    }
    if (gzip)
        cr_log_info("%u flips in the deflate data left the output unchanged", undetected_in_data);
}

Test(inflate, every_bit_flip_gzip, .timeout = 120)
{
    uint8_t data[700];
    size_t clen;
    uint8_t *comp = small_gzip(&clen, data, sizeof data);
    bit_flips(comp, clen, true, 18, data, sizeof data);
    free(comp);
}

Test(inflate, every_bit_flip_raw_and_stored_and_fixed, .timeout = 120)
{
    test_rng_t rng = {0xF11};
    uint8_t data[600];
    make_data(&rng, data, sizeof data);
    static const int strategies[] = {Z_DEFAULT_STRATEGY, Z_FIXED};
    for (int s = 0; s < 2; s++) {
        size_t clen;
        uint8_t *comp =
            zlib_compress(data, sizeof data, 6, 15, 8, strategies[s], false, NULL, &clen);
        bit_flips(comp, clen, false, 0, data, sizeof data);
        free(comp);
    }
    size_t clen;
    uint8_t *comp = zlib_compress(data, 100, 0, 15, 8, Z_DEFAULT_STRATEGY, true, NULL, &clen);
    bit_flips(comp, clen, true, 10, data, 100); /* stored block inside gzip */
    free(comp);
}

Test(inflate, random_garbage_agrees_with_zlib, .timeout = 120)
{
    test_rng_t rng = {0x6A7BA6E};
    uint8_t buf[2000];
    int accepted = 0;
    for (int iter = 0; iter < 3000; iter++) {
        size_t len = rng_length(&rng, sizeof buf);
        rng_fill(&rng, buf, len);
        bool gzip = iter % 4 == 0;
        if (gzip && len >= 4) { /* get past the magic sometimes */
            buf[0] = 0x1F;
            buf[1] = 0x8B;
            buf[2] = 8;
            buf[3] &= 0x1F;
        }
        uint8_t *in = dup_exact(buf, len);
        inflate_result_t r =
            run_inflate(in, len, gzip ? INFLATE_FORMAT_GZIP : INFLATE_FORMAT_RAW, &rng, 1 << 22);
        uint8_t *zout;
        size_t zlen, used;
        int zok = zlib_inflate(in, len, gzip, &zout, &zlen, &used, 1 << 22);
        cr_assert_eq(r.status == INFLATE_DONE, zok, "iter %d: ours %d zlib %d", iter, r.status,
                     zok);
        if (zok) {
            accepted++;
            cr_assert_eq(r.out_len, zlen);
            cr_assert(memcmp(r.out, zout, zlen) == 0);
            cr_assert_eq(r.total_in, used, "iter %d: consumed %u, zlib %zu", iter, r.total_in,
                         used);
        }
        free(zout);
        free(r.out);
        free(in);
    }
    cr_log_info("%d of 3000 random inputs were valid streams", accepted);
}

/* ---- hand-made raw streams ---- */

typedef struct {
    uint8_t buf[70000];
    size_t len;
    uint32_t acc;
    unsigned n;
} bitw_t;

static void put_bits(bitw_t *w, uint32_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        w->acc |= (i < 32 ? (v >> i) & 1u : 0u) << w->n;
        if (++w->n == 8) {
            w->buf[w->len++] = (uint8_t)w->acc;
            w->acc = 0;
            w->n = 0;
        }
    }
}

/* Huffman codes go MSB first. */
static void put_code(bitw_t *w, uint32_t code, unsigned n)
{
    for (unsigned i = n; i-- > 0;)
        put_bits(w, (code >> i) & 1u, 1);
}

static void flush_bits(bitw_t *w)
{
    if (w->n)
        put_bits(w, 0, 8 - w->n);
}

static void stored_block(bitw_t *w, const uint8_t *d, uint16_t len, bool last)
{
    put_bits(w, last, 1);
    put_bits(w, 0, 2);
    flush_bits(w);
    put_bits(w, len, 16);
    put_bits(w, (uint16_t)~len, 16);
    memcpy(w->buf + w->len, d, len);
    w->len += len;
}

/* Fixed-code length symbol 285 (258), 8 bits 11000101; EOB is 7 zero bits. */
static void fixed_match_258(bitw_t *w, uint32_t dist_sym, uint32_t extra, unsigned extra_bits)
{
    put_code(w, 0xC0 + (285 - 280), 8);
    put_code(w, dist_sym, 5);
    put_bits(w, extra, extra_bits);
}

static inflate_result_t run_raw(bitw_t *w, test_rng_t *chunks)
{
    return run_inflate(w->buf, w->len, INFLATE_FORMAT_RAW, chunks, 1 << 20);
}

Test(inflate, distance_32768_exactly)
{
    static bitw_t w;
    memset(&w, 0, sizeof w);
    test_rng_t rng = {32768};
    static uint8_t data[32768 + 258];
    rng_fill(&rng, data, 32768);
    stored_block(&w, data, 32768, false);
    put_bits(&w, 1, 1); /* last, fixed */
    put_bits(&w, 1, 2);
    fixed_match_258(&w, 29, 32768 - 24577, 13);
    put_code(&w, 0, 7);
    flush_bits(&w);
    memcpy(data + 32768, data, 258);
    for (uint64_t seed = 0; seed < 4; seed++) {
        test_rng_t chunks = {seed};
        inflate_result_t r = run_raw(&w, seed ? &chunks : NULL);
        cr_assert_eq(r.status, INFLATE_DONE, "seed %u", (unsigned)seed);
        cr_assert_eq(r.out_len, sizeof data);
        cr_assert(memcmp(r.out, data, sizeof data) == 0);
        cr_assert_eq(r.total_in, w.len);
        free(r.out);
    }
    uint8_t *zout;
    size_t zlen;
    cr_assert(zlib_inflate(w.buf, w.len, false, &zout, &zlen, NULL, 1 << 20));
    cr_assert_eq(zlen, sizeof data);
    free(zout);
}

Test(inflate, distance_before_start_rejected)
{
    for (uint32_t have = 0; have < 6; have++) {
        bitw_t *w = calloc(1, sizeof *w);
        uint8_t lit[5] = {1, 2, 3, 4, 5};
        if (have)
            stored_block(w, lit, (uint16_t)have, false);
        put_bits(w, 1, 1);
        put_bits(w, 1, 2);
        /* Match of 258 at distance 5 (symbol 4, one extra bit 0). */
        fixed_match_258(w, 4, 0, 1);
        put_code(w, 0, 7);
        flush_bits(w);
        inflate_result_t r = run_raw(w, NULL);
        cr_assert_eq(r.status, have >= 5 ? INFLATE_DONE : INFLATE_ERR_DATA, "have %u", have);
        free(r.out);
        free(w);
    }
}

Test(inflate, invalid_codes_rejected)
{
    /* Block type 3. */
    bitw_t *w = calloc(1, sizeof *w);
    put_bits(w, 1, 1);
    put_bits(w, 3, 2);
    flush_bits(w);
    inflate_result_t r = run_raw(w, NULL);
    cr_assert_eq(r.status, INFLATE_ERR_DATA);
    free(r.out);
    /* Fixed literal/length symbols 286 and 287 (8-bit codes 11000110, 11000111). */
    for (uint32_t s = 286; s <= 287; s++) {
        memset(w, 0, sizeof *w);
        put_bits(w, 1, 1);
        put_bits(w, 1, 2);
        put_code(w, 0xC0 + (s - 280), 8);
        put_code(w, 0, 7);
        flush_bits(w);
        r = run_raw(w, NULL);
        cr_assert_eq(r.status, INFLATE_ERR_DATA, "symbol %u", s);
        free(r.out);
    }
    /* Fixed distance symbols 30 and 31, after one literal. */
    for (uint32_t d = 30; d <= 31; d++) {
        memset(w, 0, sizeof *w);
        put_bits(w, 1, 1);
        put_bits(w, 1, 2);
        put_code(w, 0x30 + 'a', 8); /* literal 'a': 00110000 + 0x61 */
        fixed_match_258(w, d, 0, 0);
        put_code(w, 0, 7);
        flush_bits(w);
        r = run_raw(w, NULL);
        cr_assert_eq(r.status, INFLATE_ERR_DATA, "distance symbol %u", d);
        free(r.out);
    }
    /* Stored block with NLEN not the complement of LEN. */
    memset(w, 0, sizeof *w);
    put_bits(w, 1, 1);
    put_bits(w, 0, 2);
    flush_bits(w);
    put_bits(w, 3, 16);
    put_bits(w, 3, 16);
    put_bits(w, 0x616263, 24);
    r = run_raw(w, NULL);
    cr_assert_eq(r.status, INFLATE_ERR_DATA);
    free(r.out);
    /* Dynamic: HLIT 287+ (31 -> 288 codes) is too many. */
    memset(w, 0, sizeof *w);
    put_bits(w, 1, 1);
    put_bits(w, 2, 2);
    put_bits(w, 31, 5);
    put_bits(w, 0, 5);
    put_bits(w, 0, 4);
    put_bits(w, 0, 32);
    flush_bits(w);
    r = run_raw(w, NULL);
    cr_assert_eq(r.status, INFLATE_ERR_DATA);
    free(r.out);
    /* Dynamic with an all-zero code-length code (incomplete: no codes). */
    memset(w, 0, sizeof *w);
    put_bits(w, 1, 1);
    put_bits(w, 2, 2);
    put_bits(w, 0, 5);
    put_bits(w, 0, 5);
    put_bits(w, 15, 4);
    put_bits(w, 0, 19 * 3);
    put_bits(w, 0, 32);
    flush_bits(w);
    r = run_raw(w, NULL);
    cr_assert_eq(r.status, INFLATE_ERR_DATA);
    free(r.out);
    free(w);
}

/* Preset dictionary: zlib's raw deflate then refers to bytes before the stream's own output,
 * which a decoder without that dictionary must reject (zlib too). */
Test(inflate, references_into_a_dictionary_rejected)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    cr_assert_eq(deflateInit2(&z, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    const char *dict = "the quick brown fox jumps over the lazy dog";
    cr_assert_eq(deflateSetDictionary(&z, (const Bytef *)dict, (uInt)strlen(dict)), Z_OK);
    uint8_t out[200];
    z.next_in = (Bytef *)dict;
    z.avail_in = (uInt)strlen(dict);
    z.next_out = out;
    z.avail_out = sizeof out;
    cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t clen = sizeof out - z.avail_out;
    deflateEnd(&z);
    inflate_result_t r = run_inflate(out, clen, INFLATE_FORMAT_RAW, NULL, 1 << 20);
    cr_assert_eq(r.status, INFLATE_ERR_DATA);
    free(r.out);
}

static int discard(void *ctx, const uint8_t *data, uint32_t len)
{
    (void)data;
    *(uint32_t *)ctx += len;
    return 0;
}

Test(inflate, read_errors)
{
    uint8_t data[2000];
    size_t clen;
    uint8_t *comp = small_gzip(&clen, data, sizeof data);
    for (long at = 0; at < (long)clen; at += 37) {
        harness_ctx_t h = {{comp, clen, 0, NULL, at, 16}, NULL, NULL, 0, 0, false};
        inflate_result_t r = {INFLATE_DONE, NULL, 0, 0, 0, 0, 0};
        static inflate_state_t st;
        h.r = &r;
        h.st = &st;
        h.out_cap = 1;
        r.out = malloc(1);
        h.max_out = 1 << 20;
        inflate_status_t s = inflate_run(&st, INFLATE_FORMAT_GZIP, harness_read, harness_write, &h);
        cr_assert_eq(s, INFLATE_ERR_READ, "fail at %ld: %d", at, s);
        cr_assert_leq(inflate_total_in(&st), (uint32_t)at + 16); /* reads of up to 16 bytes */
        free(r.out);
    }
    free(comp);
}

static int32_t lying_read(void *ctx, uint8_t *buf, uint32_t cap)
{
    (void)ctx;
    memset(buf, 0, cap);
    return (int32_t)cap + 1;
}

Test(inflate, callback_returning_too_much_is_a_read_error)
{
    static inflate_state_t st;
    uint32_t n = 0;
    cr_assert_eq(inflate_run(&st, INFLATE_FORMAT_RAW, lying_read, discard, &n), INFLATE_ERR_READ);
    cr_assert_eq(n, 0);
    cr_assert_eq(inflate_run(&st, INFLATE_FORMAT_RAW, NULL, discard, &n), INFLATE_ERR_READ);
}

/* The write callback gets 4 KiB chunks (the harness checks each call) and can stop the
 * inflater: nothing more is written and the status says so. */
typedef struct {
    mem_source_t src;
    unsigned calls, stop_after;
} stopper_t;

static int32_t stopper_read(void *ctx, uint8_t *buf, uint32_t cap)
{
    return mem_read(&((stopper_t *)ctx)->src, buf, cap);
}

static int stopper_write(void *ctx, const uint8_t *data, uint32_t len)
{
    (void)data;
    stopper_t *s = ctx;
    cr_assert_eq(len, INFLATE_CHUNK);
    return ++s->calls == s->stop_after;
}

Test(inflate, write_callback_stops_it)
{
    test_rng_t rng = {0x570};
    static uint8_t data[10 * 4096 + 5];
    make_data(&rng, data, sizeof data);
    size_t clen;
    uint8_t *comp =
        zlib_compress(data, sizeof data, 6, 15, 8, Z_DEFAULT_STRATEGY, true, NULL, &clen);
    for (unsigned stop = 1; stop <= 10; stop++) {
        static inflate_state_t st;
        stopper_t s = {{comp, clen, 0, NULL, -1, 0}, 0, stop};
        cr_assert_eq(inflate_run(&st, INFLATE_FORMAT_GZIP, stopper_read, stopper_write, &s),
                     INFLATE_ERR_WRITE);
        cr_assert_eq(s.calls, stop);
        cr_assert_eq(inflate_total_out(&st), stop * INFLATE_CHUNK);
    }
    /* The harness's output limit: an output bomb (1 MiB of zeros) stops after 8 KiB. */
    static uint8_t zeros[1 << 20];
    uint8_t *bomb =
        zlib_compress(zeros, sizeof zeros, 9, 15, 9, Z_DEFAULT_STRATEGY, false, NULL, &clen);
    inflate_result_t r = run_inflate(bomb, clen, INFLATE_FORMAT_RAW, NULL, 5000);
    cr_assert_eq(r.status, INFLATE_ERR_WRITE);
    cr_assert_eq(r.out_len, 2 * INFLATE_CHUNK);
    free(r.out);
    free(bomb);
    free(comp);
}

/* Output sizes around the chunk size: every chunk but the last is INFLATE_CHUNK (the harness
 * aborts otherwise), an exact multiple has no short last call, and an empty stream none. */
Test(inflate, chunk_boundaries)
{
    static uint8_t data[3 * 4096 + 2];
    test_rng_t rng = {0xC4};
    make_data(&rng, data, sizeof data);
    static const size_t lens[] = {0, 1, 4095, 4096, 4097, 8192, 3 * 4096 + 2};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
        for (int level = 0; level <= 9; level += 9) {
            size_t clen;
            uint8_t *comp =
                zlib_compress(data, lens[i], level, 15, 8, Z_DEFAULT_STRATEGY, true, NULL, &clen);
            inflate_result_t r = run_inflate(comp, clen, INFLATE_FORMAT_GZIP, NULL, 1 << 20);
            cr_assert_eq(r.status, INFLATE_DONE);
            cr_assert_eq(r.out_len, lens[i]);
            cr_assert_eq(r.calls, (lens[i] + INFLATE_CHUNK - 1) / INFLATE_CHUNK);
            cr_assert(lens[i] == 0 || memcmp(r.out, data, lens[i]) == 0);
            free(r.out);
            free(comp);
        }
}

/* Two gzip members back to back: the inflater stops after the first, at its exact end. */
Test(inflate, stops_at_end_of_member)
{
    uint8_t a[3000], b[100];
    test_rng_t rng = {42};
    make_data(&rng, a, sizeof a);
    make_data(&rng, b, sizeof b);
    size_t la, lb;
    uint8_t *ca = zlib_compress(a, sizeof a, 9, 15, 9, Z_DEFAULT_STRATEGY, true, NULL, &la);
    uint8_t *cb = zlib_compress(b, sizeof b, 1, 15, 9, Z_DEFAULT_STRATEGY, true, NULL, &lb);
    uint8_t *both = malloc(la + lb);
    memcpy(both, ca, la);
    memcpy(both + la, cb, lb);
    for (uint64_t seed = 0; seed < 4; seed++) {
        test_rng_t chunks = {seed};
        inflate_result_t r =
            run_inflate(both, la + lb, INFLATE_FORMAT_GZIP, seed ? &chunks : NULL, 1 << 20);
        cr_assert_eq(r.status, INFLATE_DONE);
        cr_assert_eq(r.total_in, la);
        cr_assert_eq(r.out_len, sizeof a);
        free(r.out);
    }
    free(both);
    free(ca);
    free(cb);
}

/* A trailer that does not match: CRC byte or ISIZE byte changed. */
Test(inflate, trailer_mismatch)
{
    uint8_t data[1000];
    size_t clen;
    uint8_t *comp = small_gzip(&clen, data, sizeof data);
    for (size_t i = clen - 8; i < clen; i++) {
        uint8_t *bad = dup_exact(comp, clen);
        bad[i] ^= 0x01;
        inflate_result_t r = run_inflate(bad, clen, INFLATE_FORMAT_GZIP, NULL, 1 << 20);
        cr_assert_eq(r.status, INFLATE_ERR_CHECKSUM, "byte %zu", i);
        free(r.out);
        free(bad);
    }
    free(comp);
}
