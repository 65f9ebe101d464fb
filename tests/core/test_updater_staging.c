/* Updater conformance: where begin() stages an update (spec §2.3 steps 7-8, §4.3 notes), for
 * every layout and a spread of sizes, the web updater's "maximum size" placement (§6.3), U_FS
 * with and without ATOMIC_FS_UPDATE, and writes past the declared size (#4674).
 * Expectations are computed here from the spec's rule, with the layout's fs_start/fs_end (whose
 * values test_layout checks against the spec table) and getSketchSize() walked in the test from
 * the installed sketch bytes; layout_stage_address() is not called. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "updater_util.h"

/* The rule of §2.3 step 8. Returns the expected error (0 = ok, 4 = SPACE) and sets *start.
 * Sizes larger than the chip are refused (otasim: the original's rounding would wrap). */
static int spec_stage(const flash_layout_t *l, uint32_t sketch, int command, uint32_t size,
                      bool atomic, uint32_t *start)
{
    if (size > l->flash_size) {
        return 4;
    }
    uint64_t rounded = ((uint64_t)size + 4095u) / 4096u * 4096u;
    uint64_t current = ((uint64_t)sketch + 4095u) / 4096u * 4096u;
    uint64_t below = l->fs_start >= rounded ? l->fs_start - rounded : 0;
    if (command == U_FS) {
        if (l->fs_start + rounded > l->fs_end) {
            return 4;
        }
        if (!atomic) {
            *start = l->fs_start;
            return 0;
        }
    }
    if (below < current) {
        return 4;
    }
    *start = (uint32_t)below;
    return 0;
}

static void check_begin(tdev_t *d, int command, uint32_t size, bool atomic)
{
    updater_config_t c = tdev_config(d);
    c.atomic_fs_update = atomic;
    tdev_init_updater(d, &c);
    uint32_t want = 0;
    int rc = spec_stage(&d->layout, uu_spec_sketch_size(d), command, size, atomic, &want);
    bool ok = updater_begin(&d->up, size, command);
    cr_expect_eq(ok, rc == 0, "%s cmd %d size %u atomic %d: begin %d, error %d", d->layout.name,
                 command, size, atomic, ok, (int)updater_get_error(&d->up));
    if (rc == 0 && ok) {
        cr_expect_eq(updater_start_address(&d->up), want, "%s cmd %d size %u atomic %d: %#x != %#x",
                     d->layout.name, command, size, atomic, updater_start_address(&d->up), want);
        cr_expect_eq(updater_start_address(&d->up) % 4096, 0u);
    } else if (rc != 0) {
        cr_expect_eq(updater_get_error(&d->up), UPDATE_ERROR_SPACE, "%s cmd %d size %u",
                     d->layout.name, command, size);
    }
}

Test(updater_staging, every_layout_and_size)
{
    unsigned layouts = layout_count();
    cr_assert_geq(layouts, 16u, "the ten menu layouts and six auto rows");
    for (unsigned i = 0; i < layouts; i++) {
        tdev_t *d = tdev_new(layout_name(i));
        const flash_layout_t *l = &d->layout;
        uint32_t sketch = uu_round4k(uu_spec_sketch_size(d));
        uint32_t free_space = l->fs_start > sketch ? l->fs_start - sketch : 0;
        uint32_t fs_len = l->fs_end - l->fs_start;
        const uint32_t sizes[] = {
            1,          4095,           4096,        4097,           100000,
            400 * KIB,  free_space - 1, free_space,  free_space + 1, free_space + 4096,
            fs_len,     fs_len + 1,     l->fs_start, l->flash_size,  l->flash_size + 1,
            0xFFFFFFFFu};
        for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
            if (sizes[k] == 0) {
                continue;
            }
            check_begin(d, U_FLASH, sizes[k], false);
            check_begin(d, U_FS, sizes[k], false);
            check_begin(d, U_FS, sizes[k], true);
        }
        /* The boundary itself, spelled out: the largest accepted sketch is the free space. */
        updater_config_t c = tdev_config(d);
        tdev_init_updater(d, &c);
        if (free_space > 0) {
            cr_expect(updater_begin(&d->up, free_space, U_FLASH), "%s", l->name);
            cr_expect_eq(updater_start_address(&d->up), sketch, "%s: stage right after the sketch",
                         l->name);
            tdev_init_updater(d, &c);
        }
        cr_expect_not(updater_begin(&d->up, free_space + 1, U_FLASH), "%s", l->name);
        tdev_free(d);
    }
}

Test(updater_staging, spec_example_400k_on_4m2m)
{
    /* §4.3 notes: "On 4M2M, a 400 KB image is staged at 0x200000 - 0x64000 = 0x19C000". */
    tdev_t *d = tdev_new("4m2m");
    updater_config_t c = tdev_config(d);
    tdev_init_updater(d, &c);
    cr_assert(updater_begin(&d->up, 400 * KIB, U_FLASH));
    cr_expect_eq(updater_start_address(&d->up), 0x19C000u);
    tdev_free(d);
}

Test(updater_staging, web_updater_maximum_size_placement)
{
    /* §6.3: Update.begin((getFreeSketchSpace() - 0x1000) & ~0xFFF) puts the stage at
     * roundup4096(sketch) + 4096, just above the running sketch. */
    for (unsigned i = 0; i < layout_count(); i++) {
        tdev_t *d = tdev_new(layout_name(i));
        updater_config_t c = tdev_config(d);
        tdev_init_updater(d, &c);
        uint32_t sketch = uu_round4k(uu_spec_sketch_size(d));
        uint32_t free_space = d->layout.fs_start - sketch;
        cr_assert_geq(free_space, 0x2000u, "%s", d->layout.name);
        uint32_t max = (free_space - 0x1000u) & ~0xFFFu;
        cr_assert(updater_begin(&d->up, max, U_FLASH), "%s: %s", d->layout.name,
                  tdev_error_line(d));
        cr_expect_eq(updater_start_address(&d->up), sketch + 0x1000u, "%s: %#x", d->layout.name,
                     updater_start_address(&d->up));
        tdev_free(d);
    }
}

Test(updater_staging, web_updater_flow_end_true)
{
    /* The whole web-updater pattern: maximum size, 2048-byte parts, end(true). */
    tdev_t *d = tdev_new("4m1m");
    updater_config_t c = tdev_config(d);
    tdev_init_updater(d, &c);
    size_t len;
    uint8_t *img = uu_small_pair(2, 0x40, 9, &len);
    uint32_t sketch = uu_round4k(uu_spec_sketch_size(d));
    uint32_t max = (d->layout.fs_start - sketch - 0x1000u) & ~0xFFFu;
    cr_assert(updater_begin(&d->up, max, U_FLASH));
    for (size_t off = 0; off < len; off += 2048) {
        uint32_t n = (uint32_t)(len - off < 2048 ? len - off : 2048);
        cr_assert_eq(updater_write(&d->up, img + off, n), n);
    }
    cr_assert(updater_end(&d->up, true), "%s", tdev_error_line(d));
    uu_expect_copy_cmd(d, sketch + 0x1000u, 0, (uint32_t)len);
    uint8_t *staged = malloc(len);
    flashsim_peek(d->fs, sketch + 0x1000u, staged, (uint32_t)len);
    cr_expect_arr_eq(staged, img, len);
    free(staged);
    free(img);
    tdev_free(d);
}

Test(updater_staging, fs_in_place_and_atomic)
{
    tdev_t *d = tdev_new("4m2m");
    const flash_layout_t *l = &d->layout;
    size_t len = 20000;
    uint8_t *fsimg = uu_pattern(len, 3);
    /* Live: written straight into the filesystem, no boot command. */
    updater_config_t c = tdev_config(d);
    tdev_init_updater(d, &c);
    cr_assert(uu_update(d, fsimg, len, U_FS, 1500), "%s", tdev_error_line(d));
    uint8_t *back = malloc(len);
    flashsim_peek(d->fs, l->fs_start, back, (uint32_t)len);
    cr_expect_arr_eq(back, fsimg, len);
    uu_expect_no_cmd(d);
    /* Atomic: staged below the filesystem like a sketch, copied by the bootloader. */
    c.atomic_fs_update = true;
    tdev_init_updater(d, &c);
    fsimg[0] ^= 0xFF;
    cr_assert(uu_update(d, fsimg, len, U_FS, 1500), "%s", tdev_error_line(d));
    uint32_t stage = l->fs_start - uu_round4k((uint32_t)len);
    cr_expect_eq(updater_start_address(&d->up), 0u, "reset after end()");
    flashsim_peek(d->fs, stage, back, (uint32_t)len);
    cr_expect_arr_eq(back, fsimg, len);
    flashsim_peek(d->fs, l->fs_start, back, 4);
    cr_expect_neq(back[0], fsimg[0], "the live filesystem is untouched until the copy");
    uu_expect_copy_cmd(d, stage, l->fs_start, (uint32_t)len);
    free(back);
    free(fsimg);
    tdev_free(d);
}

Test(updater_staging, writes_past_the_declared_size_are_refused_4674)
{
    tdev_t *d = tdev_new("4m2m");
    updater_config_t c = tdev_config(d);
    tdev_init_updater(d, &c);
    uint8_t *data = uu_pattern(9000, 1);
    data[0] = 0xE9;

    /* One write longer than the size. */
    cr_assert(updater_begin(&d->up, 1000, U_FLASH));
    cr_expect_eq(updater_write(&d->up, data, 1001), 0u);
    cr_expect_eq(updater_get_error(&d->up), UPDATE_ERROR_SPACE);

    /* The sum of several writes (buffered bytes count). */
    tdev_init_updater(d, &c);
    cr_assert(updater_begin(&d->up, 1000, U_FLASH));
    cr_expect_eq(updater_write(&d->up, data, 600), 600u);
    cr_expect_eq(updater_write(&d->up, data, 401), 0u);
    cr_expect_eq(updater_get_error(&d->up), UPDATE_ERROR_SPACE);

    /* Past a flushed sector. */
    tdev_init_updater(d, &c);
    cr_assert(updater_begin(&d->up, 5000, U_FLASH));
    cr_expect_eq(updater_write(&d->up, data, 4500), 4500u);
    cr_expect_eq(updater_progress(&d->up), 4096u);
    cr_expect_eq(updater_write(&d->up, data, 501), 0u);
    cr_expect_eq(updater_get_error(&d->up), UPDATE_ERROR_SPACE);

    /* Exactly the size is fine; nothing is accepted after it. */
    tdev_init_updater(d, &c);
    cr_assert(updater_begin(&d->up, 5000, U_FLASH));
    cr_expect_eq(updater_write(&d->up, data, 5000), 5000u);
    cr_expect(updater_is_finished(&d->up));
    cr_expect_eq(updater_write(&d->up, data, 1), 0u);
    cr_expect_eq(updater_get_error(&d->up), UPDATE_ERROR_SPACE);

    /* A stream offering more than the size: the extra bytes stay in the stream. */
    size_t len;
    uint8_t *img = uu_small_pair(2, 0x40, 2, &len);
    uint8_t *longer = malloc(len + 3000);
    memcpy(longer, img, len);
    memset(longer + len, 0x5A, 3000);
    tdev_init_updater(d, &c);
    cr_assert(updater_begin(&d->up, (uint32_t)len, U_FLASH));
    tstream_t ts;
    update_stream_t s = tstream_make(&ts, longer, len + 3000);
    cr_expect_eq(updater_write_stream(&d->up, &s, 1000), len);
    cr_expect_eq(ts.pos, len, "writeStream read %zu of the stream", ts.pos);
    cr_expect(updater_end(&d->up, false), "%s", tdev_error_line(d));

    /* write(T&) too, in odd chunks. */
    tdev_init_updater(d, &c);
    cr_assert(updater_begin(&d->up, (uint32_t)len, U_FLASH));
    s = tstream_make(&ts, longer, len + 3000);
    ts.chunk = 777;
    uint32_t got = 0;
    for (int i = 0; i < 100 && !updater_is_finished(&d->up); i++) {
        got += updater_write_available(&d->up, &s);
    }
    cr_expect_eq(got, len);
    cr_expect_eq(ts.pos, len);
    cr_expect(updater_end(&d->up, false), "%s", tdev_error_line(d));

    free(longer);
    free(img);
    free(data);
    tdev_free(d);
}
