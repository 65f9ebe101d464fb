/* romproto: SLIP round trips (every byte value, escapes, back-to-back frames), the streaming
 * decoder on garbage, bad escapes and oversize frames, packets built and parsed both ways,
 * checksum against the spec's definition, rejected truncated/mismatched/corrupted packets,
 * and the erase-size workaround checked against the ROM bug model for every offset/size. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "romproto.h"

/* Decode a byte stream; collect frames and events. */
typedef struct {
    uint8_t frames[8][2048];
    size_t lens[8];
    int nframes, garbage, bad_escape, oversize, empty;
} collect_t;

static void run(collect_t *c, const uint8_t *in, size_t n, size_t cap)
{
    uint8_t *buf = malloc(cap);
    slip_dec_t d;
    memset(c, 0, sizeof(*c));
    romproto_slip_init(&d, buf, cap);
    for (size_t i = 0; i < n; i++) {
        switch (romproto_slip_feed(&d, in[i])) {
        case SLIP_FRAME:
            cr_assert_lt(c->nframes, 8);
            memcpy(c->frames[c->nframes], d.buf, d.len);
            c->lens[c->nframes++] = d.len;
            break;
        case SLIP_GARBAGE:
            c->garbage++;
            break;
        case SLIP_BAD_ESCAPE:
            c->bad_escape++;
            break;
        case SLIP_OVERSIZE:
            c->oversize++;
            break;
        case SLIP_EMPTY:
            c->empty++;
            break;
        case SLIP_NONE:
            break;
        }
    }
    free(buf);
}

Test(romproto, slip_round_trip_every_byte)
{
    uint8_t in[512], out[1100];
    for (int i = 0; i < 512; i++)
        in[i] = (uint8_t)(i * 7 + 3);
    size_t n = romproto_slip_encode(in, sizeof(in), out, sizeof(out));
    cr_assert_eq(n, romproto_slip_encoded_len(in, sizeof(in)));
    cr_assert_eq(out[0], 0xC0);
    cr_assert_eq(out[n - 1], 0xC0);
    /* 0xC0 and 0xDB each appear twice in 512 bytes of i*7+3 (a bijection mod 256): +4 bytes. */
    cr_assert_eq(n, 512 + 2 + 4);
    for (size_t i = 1; i < n - 1; i++)
        cr_assert_neq(out[i], 0xC0, "raw END inside the frame at %zu", i);
    collect_t c;
    run(&c, out, n, 600);
    cr_assert_eq(c.nframes, 1);
    cr_assert_eq(c.lens[0], 512);
    cr_assert_eq(memcmp(c.frames[0], in, 512), 0);
    cr_assert_eq(c.garbage + c.bad_escape + c.oversize, 0);
}

Test(romproto, slip_escapes_exact_bytes)
{
    const uint8_t in[] = {0xC0, 0xDB, 0x01, 0xDB, 0xDC};
    const uint8_t want[] = {0xC0, 0xDB, 0xDC, 0xDB, 0xDD, 0x01, 0xDB, 0xDD, 0xDC, 0xC0};
    uint8_t out[32];
    cr_assert_eq(romproto_slip_encode(in, sizeof(in), out, sizeof(out)), sizeof(want));
    cr_assert_eq(memcmp(out, want, sizeof(want)), 0);
    cr_assert_eq(romproto_slip_encode(in, sizeof(in), out, sizeof(want) - 1), 0,
                 "too small a buffer must fail");
}

Test(romproto, slip_garbage_between_frames_and_empty_frames)
{
    /* boot text, frame A, garbage, "C0 C0" empty, frame B */
    const uint8_t s[] = {'e', 't',  's',  0xC0, 1, 2,    3,    0xC0,
                         'x', 0xC0, 0xC0, 0xC0, 4, 0xDB, 0xDC, 0xC0};
    collect_t c;
    run(&c, s, sizeof(s), 64);
    cr_assert_eq(c.nframes, 2);
    cr_assert_eq(c.garbage, 4);
    cr_assert_eq(c.lens[0], 3);
    cr_assert_eq(c.lens[1], 2);
    cr_assert_eq(c.frames[1][0], 4);
    cr_assert_eq(c.frames[1][1], 0xC0);
    cr_assert_geq(c.empty, 1);
}

Test(romproto, slip_bad_escape_drops_frame_and_resyncs)
{
    const uint8_t s[] = {0xC0, 1, 0xDB, 0x42, 2, 3, 0xC0, 0xC0, 9, 9, 0xC0};
    collect_t c;
    run(&c, s, sizeof(s), 64);
    cr_assert_eq(c.bad_escape, 1);
    cr_assert_eq(c.nframes, 1);
    cr_assert_eq(c.lens[0], 2);
    cr_assert_eq(c.frames[0][0], 9);
    /* an escape cut by END */
    const uint8_t t[] = {0xC0, 1, 0xDB, 0xC0, 0xC0, 7, 0xC0};
    run(&c, t, sizeof(t), 64);
    cr_assert_eq(c.bad_escape, 1);
    cr_assert_eq(c.nframes, 1);
    cr_assert_eq(c.frames[0][0], 7);
}

Test(romproto, slip_oversize_frame_dropped_then_next_frame_ok)
{
    uint8_t s[200];
    size_t n = 0;
    s[n++] = 0xC0;
    for (int i = 0; i < 100; i++)
        s[n++] = (uint8_t)i;
    s[n++] = 0xC0;
    s[n++] = 0xC0;
    s[n++] = 0x11;
    s[n++] = 0xC0;
    collect_t c;
    run(&c, s, n, 16);
    cr_assert_eq(c.oversize, 1, "reported once per frame");
    cr_assert_eq(c.nframes, 1);
    cr_assert_eq(c.lens[0], 1);
    cr_assert_eq(c.frames[0][0], 0x11);
}

Test(romproto, checksum_seed_and_xor)
{
    cr_assert_eq(romproto_checksum(NULL, 0), 0xEF);
    const uint8_t a[] = {0xEF};
    cr_assert_eq(romproto_checksum(a, 1), 0x00);
    const uint8_t b[] = {0x01, 0x02, 0x04};
    cr_assert_eq(romproto_checksum(b, 3), 0xEF ^ 0x07);
}

Test(romproto, sync_request_matches_spec_bytes)
{
    uint8_t out[64];
    size_t n = romproto_build_sync(out, sizeof(out));
    cr_assert_eq(n, 44);
    const uint8_t head[] = {0x00, 0x08, 0x24, 0x00, 0, 0, 0, 0, 0x07, 0x07, 0x12, 0x20};
    cr_assert_eq(memcmp(out, head, sizeof(head)), 0);
    for (size_t i = 12; i < 44; i++)
        cr_assert_eq(out[i], 0x55);
    rom_req_t r;
    cr_assert_eq(romproto_parse_request(out, n, &r), ROMP_OK);
    cr_assert_eq(romproto_check_sync(&r), ROMP_OK);
    out[20] = 0x54;
    cr_assert_eq(romproto_check_sync(&r), ROMP_BAD_SYNC);
    cr_assert_eq(romproto_parse_request(out, n - 1, &r), ROMP_SIZE_MISMATCH);
}

Test(romproto, sync_reply_parses_as_real_rom_frame)
{
    /* The real ROM's SYNC reply (spec §2.3). */
    const uint8_t real[] = {0x01, 0x08, 0x02, 0x00, 0x07, 0x07, 0x12, 0x20, 0x00, 0x00};
    uint8_t out[32];
    size_t n = romproto_build_response(ROM_SYNC, ROM_SYNC_VALUE, NULL, 0, 0, 0, out, sizeof(out));
    cr_assert_eq(n, sizeof(real));
    cr_assert_eq(memcmp(out, real, n), 0);
    rom_resp_t r;
    cr_assert_eq(romproto_parse_response(real, sizeof(real), &r), ROMP_OK);
    cr_assert_eq(r.op, ROM_SYNC);
    cr_assert_eq(r.value, ROM_SYNC_VALUE);
    cr_assert_eq(r.data_len, 0);
    cr_assert_eq(r.status, 0);
}

Test(romproto, read_reg_reply_value)
{
    const uint8_t real[] = {0x01, 0x0a, 0x02, 0x00, 0x01, 0xc1, 0xf0, 0xff, 0x00, 0x00};
    rom_resp_t r;
    cr_assert_eq(romproto_parse_response(real, sizeof(real), &r), ROMP_OK);
    cr_assert_eq(r.value, ROM_CHIP_MAGIC_ESP8266);
}

Test(romproto, error_reply_status_bytes)
{
    uint8_t out[32];
    size_t n =
        romproto_build_response(ROM_FLASH_DATA, 0, NULL, 0, 1, ROM_E_CHECKSUM, out, sizeof(out));
    rom_resp_t r;
    cr_assert_eq(romproto_parse_response(out, n, &r), ROMP_OK);
    cr_assert_eq(r.status, 1);
    cr_assert_eq(r.error, 0x07);
    cr_assert_str_eq(romproto_rom_error_name(r.error), "checksum error");
}

Test(romproto, truncated_and_malformed_packets_rejected)
{
    const uint8_t hdr[] = {0x01, 0x08, 0x02, 0x00, 0x07, 0x07, 0x12, 0x20, 0x00, 0x00};
    rom_resp_t r;
    for (size_t n = 0; n < 8; n++)
        cr_assert_eq(romproto_parse_response(hdr, n, &r), ROMP_TRUNCATED, "len %zu", n);
    cr_assert_eq(romproto_parse_response(hdr, 9, &r), ROMP_SIZE_MISMATCH);
    const uint8_t nostatus[] = {0x01, 0x08, 0x00, 0x00, 0x07, 0x07, 0x12, 0x20};
    cr_assert_eq(romproto_parse_response(nostatus, 8, &r), ROMP_NO_STATUS);
    rom_req_t q;
    cr_assert_eq(romproto_parse_request(hdr, sizeof(hdr), &q), ROMP_BAD_DIRECTION);
    cr_assert_eq(romproto_parse_response((const uint8_t[]){0, 8, 0, 0, 0, 0, 0, 0, 0, 0}, 10, &r),
                 ROMP_BAD_DIRECTION);
    cr_assert_str_neq(romproto_strerror(ROMP_TRUNCATED), "unknown error");
}

Test(romproto, flash_data_round_trip_and_corruption)
{
    uint8_t data[ROM_FLASH_BLOCK], pkt[ROM_FLASH_BLOCK + 64], framed[2 * sizeof(pkt)];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i ^ (i >> 3) ^ 0xC0);
    size_t n = romproto_build_data(ROM_FLASH_DATA, 5, data, sizeof(data), pkt, sizeof(pkt));
    cr_assert_eq(n, 8 + 16 + 0x400);
    cr_assert_eq(romproto_get32(pkt + 4), romproto_checksum(data, sizeof(data)));
    /* over SLIP and back */
    size_t fn = romproto_slip_encode(pkt, n, framed, sizeof(framed));
    cr_assert_gt(fn, n + 2, "data with 0xC0 bytes must be escaped");
    collect_t *c = malloc(sizeof(*c));
    run(c, framed, fn, 4096);
    cr_assert_eq(c->nframes, 1);
    rom_req_t r;
    cr_assert_eq(romproto_parse_request(c->frames[0], c->lens[0], &r), ROMP_OK);
    uint32_t seq, dlen;
    const uint8_t *d;
    cr_assert_eq(romproto_check_data(&r, &seq, &d, &dlen), ROMP_OK);
    cr_assert_eq(seq, 5);
    cr_assert_eq(dlen, sizeof(data));
    cr_assert_eq(memcmp(d, data, dlen), 0);
    /* a flipped data bit: checksum error */
    c->frames[0][8 + 16 + 100] ^= 0x10;
    cr_assert_eq(romproto_parse_request(c->frames[0], c->lens[0], &r), ROMP_OK);
    cr_assert_eq(romproto_check_data(&r, &seq, &d, &dlen), ROMP_BAD_CHECKSUM);
    c->frames[0][8 + 16 + 100] ^= 0x10;
    /* wrong length field in the sub-header */
    c->frames[0][8] ^= 1;
    cr_assert_eq(romproto_check_data(&r, &seq, &d, &dlen), ROMP_BAD_SUBHDR);
    c->frames[0][8] ^= 1;
    /* truncated: a byte lost on the wire */
    cr_assert_eq(romproto_parse_request(c->frames[0], c->lens[0] - 1, &r), ROMP_SIZE_MISMATCH);
    /* a data packet shorter than its sub-header */
    uint8_t tiny[16];
    size_t tn = romproto_build_request(ROM_FLASH_DATA, data, 8, 0, tiny, sizeof(tiny));
    cr_assert_eq(romproto_parse_request(tiny, tn, &r), ROMP_OK);
    cr_assert_eq(romproto_check_data(&r, &seq, &d, &dlen), ROMP_BAD_SUBHDR);
    free(c);
}

Test(romproto, words_request)
{
    uint32_t w[4] = {0x1000, 4, 0x400, 0x3000};
    uint8_t out[32];
    size_t n = romproto_build_words(ROM_FLASH_BEGIN, w, 4, out, sizeof(out));
    cr_assert_eq(n, 24);
    rom_req_t r;
    cr_assert_eq(romproto_parse_request(out, n, &r), ROMP_OK);
    cr_assert_eq(r.op, ROM_FLASH_BEGIN);
    cr_assert_eq(r.size, 16);
    for (unsigned i = 0; i < 4; i++)
        cr_assert_eq(romproto_word(&r, i), w[i]);
}

Test(romproto, erase_size_examples_from_spec)
{
    /* 5000 bytes at 0: esptool sends 0x1000 (checked against v4.12.0 / v5.3.1, spec §3.2). */
    cr_assert_eq(romproto_erase_size_workaround(0, 5000), 0x1000);
    /* one sector at 0: sends 1 sector, the ROM erases sectors 0-1 */
    cr_assert_eq(romproto_erase_size_workaround(0, 4096), 0x1000);
    cr_assert_eq(romproto_rom_erase_sectors(0, 0x1000), 2);
    /* 1 MiB at 0: n = 256, h = 16 -> (256-16) sectors; the ROM erases 240 + 16 = 256 */
    cr_assert_eq(romproto_erase_size_workaround(0, 1u << 20), 240u * 4096);
    cr_assert_eq(romproto_rom_erase_sectors(0, 240u * 4096), 256);
}

Test(romproto, workaround_always_covers_the_image_under_the_rom_model)
{
    /* For every start sector in two blocks and sizes up to 40 sectors (+ partial): the ROM,
     * given the workaround size, erases at least n and at most n + 1 sectors; given the raw size
     * (a flasher without the workaround) it erases more than needed, never fewer — the damage of
     * the raw size is to data *after* the image, which the round-trip test shows. */
    for (uint32_t s = 0; s < 32; s++) {
        for (uint32_t sz = 1; sz <= 40 * 4096; sz += 1237) {
            uint32_t off = s * 4096, n = (sz + 4095) / 4096;
            uint32_t got = romproto_rom_erase_sectors(off, romproto_erase_size_workaround(off, sz));
            cr_assert_geq(got, n, "s=%u size=%u", s, sz);
            cr_assert_leq(got, n + 1, "s=%u size=%u", s, sz);
            cr_assert_gt(romproto_rom_erase_sectors(off, n * 4096), n, "s=%u size=%u", s, sz);
        }
    }
}
