/* The multipart/form-data parser (firmware/ota/http/multipart.c): bodies laid out as curl -F
 * and browsers send them, with random boundaries, part contents (including bytes that look
 * like the start of a delimiter) and random split points; then the malformed and truncated
 * bodies it must refuse. Seeded (printed on failure). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "multipart.h"

typedef struct got_part {
    char name[MULTIPART_NAME_MAX];
    char filename[MULTIPART_NAME_MAX];
    bool has_filename;
    uint8_t *data;
    size_t len;
    bool ended;
} got_part_t;

typedef struct rec {
    got_part_t parts[8];
    size_t n;
    size_t max_chunk;
    int stop_after_begins; /* -1: never */
} rec_t;

static bool on_begin(void *ctx, const multipart_part_t *p)
{
    rec_t *r = ctx;
    cr_assert_lt(r->n, 8);
    got_part_t *g = &r->parts[r->n++];
    memset(g, 0, sizeof(*g));
    strcpy(g->name, p->name);
    strcpy(g->filename, p->filename);
    g->has_filename = p->has_filename;
    return r->stop_after_begins < 0 || (int)r->n <= r->stop_after_begins;
}

static bool on_data(void *ctx, const uint8_t *d, size_t n)
{
    rec_t *r = ctx;
    got_part_t *g = &r->parts[r->n - 1];
    cr_assert(!g->ended);
    cr_assert(n > 0 && n <= MULTIPART_CHUNK);
    if (n > r->max_chunk)
        r->max_chunk = n;
    g->data = realloc(g->data, g->len + n);
    memcpy(g->data + g->len, d, n);
    g->len += n;
    return true;
}

static bool on_end(void *ctx)
{
    rec_t *r = ctx;
    r->parts[r->n - 1].ended = true;
    return true;
}

static void rec_free(rec_t *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->parts[i].data);
}

static uint64_t rng;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

typedef struct body {
    uint8_t *data;
    size_t len, cap;
} body_t;

static void put(body_t *b, const void *d, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->data = realloc(b->data, b->cap);
    }
    memcpy(b->data + b->len, d, n);
    b->len += n;
}
static void puts_(body_t *b, const char *s)
{
    put(b, s, strlen(s));
}

/* Feeds `b` to a parser in random pieces; returns the final status (after finish). */
static mp_status_t parse_split(const char *ct, const body_t *b, rec_t *r, unsigned maxpiece)
{
    multipart_callbacks_t cb = {r, on_begin, on_data, on_end};
    multipart_t *mp = malloc(sizeof(*mp));
    mp_status_t st = multipart_init(mp, ct, &cb);
    size_t off = 0;
    while (st == MP_OK && off < b->len) {
        size_t n = 1 + rnd() % maxpiece;
        if (n > b->len - off)
            n = b->len - off;
        st = multipart_feed(mp, b->data + off, n);
        off += n;
    }
    st = multipart_finish(mp);
    free(mp);
    return st;
}

Test(multipart, random_bodies_any_split)
{
    const char *seed_env = getenv("MULTIPART_SEED");
    uint64_t seed = seed_env ? strtoull(seed_env, NULL, 0) : 0x5eed2026u;
    rng = seed;
    static const char bchars[] =
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=?";
    for (int iter = 0; iter < 1000; iter++) {
        char boundary[71];
        size_t blen = 1 + rnd() % 70;
        for (size_t i = 0; i < blen; i++)
            boundary[i] = bchars[rnd() % (sizeof(bchars) - 1)];
        boundary[blen] = '\0';
        char ct[128];
        snprintf(ct, sizeof(ct),
                 rnd() % 2 ? "multipart/form-data; boundary=\"%s\""
                           : "Multipart/Form-Data;boundary=\"%s\"; charset=utf-8",
                 boundary);
        body_t b = {0};
        if (rnd() % 3 == 0)
            puts_(&b, "preamble to be ignored\r\n");
        size_t nparts = rnd() % 4;
        uint8_t *want[4];
        size_t want_len[4];
        for (size_t p = 0; p < nparts; p++) {
            puts_(&b, "--");
            puts_(&b, boundary);
            puts_(&b, rnd() % 4 ? "\r\n" : " \t\r\n"); /* transport padding */
            char hdr[160];
            snprintf(hdr, sizeof(hdr),
                     "Content-Disposition: form-data; name=\"f%zu\"; filename=\"app%zu.bin\"\r\n"
                     "Content-Type: application/octet-stream\r\n\r\n",
                     p, p);
            puts_(&b, hdr);
            size_t len = rnd() % 3 == 0 ? rnd() % 16 : rnd() % 9000;
            want[p] = malloc(len + 1);
            for (size_t i = 0; i < len; i++) {
                uint32_t k = rnd() % 16;
                /* Plenty of near-delimiters: CR, LF, "--" and boundary prefixes. */
                want[p][i] = k == 0   ? '\r'
                             : k == 1 ? '\n'
                             : k == 2 ? '-'
                             : k == 3 ? (uint8_t)boundary[rnd() % blen]
                                      : (uint8_t)rnd();
            }
            if (len > blen + 6 && rnd() % 2) { /* a delimiter cut one byte short */
                size_t at = rnd() % (len - blen - 5);
                memcpy(want[p] + at, "\r\n--", 4);
                memcpy(want[p] + at + 4, boundary, blen - 1);
                want[p][at + 4 + blen - 1] = 'X' ^ (uint8_t)boundary[blen - 1];
                if (want[p][at + 4 + blen - 1] == (uint8_t)boundary[blen - 1])
                    want[p][at + 4 + blen - 1] ^= 1;
            }
            /* Random bytes can form the real delimiter with a short boundary: break those
             * (a sender picks a boundary that does not occur in the content). */
            for (size_t i = 0; len >= blen + 4 && i + blen + 4 <= len; i++)
                if (!memcmp(want[p] + i, "\r\n--", 4) && !memcmp(want[p] + i + 4, boundary, blen))
                    want[p][i] = 'x';
            want_len[p] = len;
            put(&b, want[p], len);
            puts_(&b, "\r\n");
        }
        puts_(&b, "--");
        puts_(&b, boundary);
        puts_(&b, "--\r\n");
        if (rnd() % 3 == 0)
            puts_(&b, "epilogue\r\n");

        rec_t r = {.stop_after_begins = -1};
        mp_status_t st = parse_split(ct, &b, &r, 1 + rnd() % 5000);
        cr_assert_eq(st, MP_OK, "seed %#llx iter %d: %s", (unsigned long long)seed, iter,
                     multipart_status_text(st));
        cr_assert_eq(r.n, nparts, "seed %#llx iter %d", (unsigned long long)seed, iter);
        for (size_t p = 0; p < nparts; p++) {
            char nm[16], fn[16];
            snprintf(nm, sizeof(nm), "f%zu", p);
            snprintf(fn, sizeof(fn), "app%zu.bin", p);
            cr_assert_str_eq(r.parts[p].name, nm);
            cr_assert_str_eq(r.parts[p].filename, fn);
            cr_assert(r.parts[p].has_filename && r.parts[p].ended);
            cr_assert_eq(r.parts[p].len, want_len[p], "seed %#llx iter %d part %zu",
                         (unsigned long long)seed, iter, p);
            cr_assert(!want_len[p] || !memcmp(r.parts[p].data, want[p], want_len[p]),
                      "seed %#llx iter %d part %zu content", (unsigned long long)seed, iter, p);
            free(want[p]);
        }
        rec_free(&r);

        /* The same body cut short anywhere before its close delimiter is refused. */
        size_t close_at = b.len - (strlen(boundary) + 6);
        while (close_at > 0 && b.data[close_at] != '\r')
            close_at--;
        body_t cut = {b.data, close_at ? 1 + rnd() % close_at : 0, 0};
        rec_t r2 = {.stop_after_begins = -1};
        cr_assert_eq(parse_split(ct, &cut, &r2, 1 + rnd() % 100), MP_ERR_TRUNCATED,
                     "seed %#llx iter %d cut at %zu", (unsigned long long)seed, iter, cut.len);
        rec_free(&r2);
        free(b.data);
    }
}

Test(multipart, chunks_are_at_most_2048_bytes)
{
    body_t b = {0};
    puts_(&b,
          "--X\r\nContent-Disposition: form-data; name=\"firmware\"; filename=\"a.bin\"\r\n\r\n");
    static uint8_t big[100000];
    memset(big, 0xE9, sizeof(big));
    put(&b, big, sizeof(big));
    puts_(&b, "\r\n--X--\r\n");
    rec_t r = {.stop_after_begins = -1};
    rng = 1;
    cr_assert_eq(parse_split("multipart/form-data; boundary=X", &b, &r, 70000), MP_OK);
    cr_assert_eq(r.parts[0].len, sizeof(big));
    cr_assert_eq(r.max_chunk, MULTIPART_CHUNK);
    rec_free(&r);
    free(b.data);
}

Test(multipart, field_without_filename_and_escapes)
{
    body_t b = {0};
    puts_(&b,
          "--B\r\ncontent-disposition: form-data; name=\"note\"\r\n\r\nhello\r\n"
          "--B\r\nContent-Disposition: form-data; name=firmware; filename=\"a\\\"b.bin\"\r\n\r\n"
          "\xE9\r\n--B--");
    rec_t r = {.stop_after_begins = -1};
    rng = 2;
    cr_assert_eq(parse_split("multipart/form-data; boundary=B", &b, &r, 3), MP_OK);
    cr_assert_eq(r.n, 2);
    cr_assert_str_eq(r.parts[0].name, "note");
    cr_assert(!r.parts[0].has_filename);
    cr_assert_eq(r.parts[0].len, 5);
    cr_assert_str_eq(r.parts[1].name, "firmware");
    cr_assert_str_eq(r.parts[1].filename, "a\"b.bin");
    rec_free(&r);
    free(b.data);
}

Test(multipart, bad_content_types)
{
    static const char *const bad[] = {
        NULL,
        "",
        "text/plain",
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=\"\"",
        "multipart/form-data; boundary=\"abc",
        "multipart/form-data; boundary=a\x01"
        "b",
        "multipart/form-data; "
        "boundary=12345678901234567890123456789012345678901234567890123456789012345678901",
        "multipart/mixed; boundary=x",
    };
    multipart_callbacks_t cb = {0};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        multipart_t mp;
        cr_assert_eq(multipart_init(&mp, bad[i], &cb), MP_ERR_BOUNDARY, "case %zu", i);
        cr_assert_eq(multipart_feed(&mp, (const uint8_t *)"--x\r\n", 5), MP_ERR_BOUNDARY);
    }
}

Test(multipart, malformed_bodies)
{
    static const struct {
        const char *body;
        mp_status_t want;
    } cases[] = {
        {"--B\r\n\r\ndata\r\n--B--", MP_ERR_SYNTAX},                    /* no headers */
        {"--B\r\nContent-Type: x\r\n\r\ndata\r\n--B--", MP_ERR_SYNTAX}, /* no disposition */
        {"--B\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--B--", MP_ERR_SYNTAX},
        {"--B\r\nContent-Disposition: form-data; filename=\"a\"\r\n\r\nx\r\n--B--", MP_ERR_SYNTAX},
        {"--B\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--B--", MP_ERR_SYNTAX},
        {"--Bx\r\n", MP_ERR_SYNTAX}, /* a delimiter followed by garbage */
        {"--B-x", MP_ERR_SYNTAX},
        {"--B\n", MP_ERR_SYNTAX},
        {"--B\r\nNo-Colon\r\n\r\n--B--", MP_ERR_SYNTAX},
    };
    multipart_callbacks_t cb = {0};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        multipart_t mp;
        cr_assert_eq(multipart_init(&mp, "multipart/form-data; boundary=B", &cb), MP_OK);
        multipart_feed(&mp, (const uint8_t *)cases[i].body, strlen(cases[i].body));
        cr_assert_eq(multipart_finish(&mp), cases[i].want, "case %zu: %s", i,
                     multipart_status_text(mp.status));
    }
    /* Part headers beyond the bound. */
    multipart_t mp;
    cr_assert_eq(multipart_init(&mp, "multipart/form-data; boundary=B", &cb), MP_OK);
    multipart_feed(&mp, (const uint8_t *)"--B\r\nX: ", 8);
    static char pad[MULTIPART_PART_HEAD_MAX];
    memset(pad, 'a', sizeof(pad));
    cr_assert_eq(multipart_feed(&mp, (const uint8_t *)pad, sizeof(pad)), MP_ERR_PART_HEAD);
}

Test(multipart, a_callback_stops_the_parse)
{
    body_t b = {0};
    puts_(&b, "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
              "--B\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n2\r\n--B--");
    rec_t r = {.stop_after_begins = 1};
    rng = 3;
    cr_assert_eq(parse_split("multipart/form-data; boundary=B", &b, &r, 1000), MP_ERR_STOPPED);
    cr_assert_eq(r.n, 2);
    rec_free(&r);
    free(b.data);
}
