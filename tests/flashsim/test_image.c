/* Raw image files and sector diffs. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flashsim.h"

#define MIB (1u << 20)

static char tmpdir[64];

static void make_tmp(void)
{
    strcpy(tmpdir, "/tmp/flashsim-test-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void drop_tmp(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

static const char *path(const char *name)
{
    static char buf[2][128];
    static int k;
    k ^= 1;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static void write_file(const char *p, const uint8_t *data, size_t n)
{
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

static uint8_t *read_file(const char *p, size_t *n)
{
    FILE *f = fopen(p, "rb");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    rewind(f);
    uint8_t *buf = malloc(*n ? *n : 1);
    cr_assert_eq(fread(buf, 1, *n, f), *n);
    fclose(f);
    return buf;
}

TestSuite(image, .init = make_tmp, .fini = drop_tmp);

Test(image, save_is_the_raw_chip_and_load_round_trips)
{
    flashsim_config_t cfg = {.size = MIB};
    flashsim_t *fs = flashsim_new(&cfg);
    uint8_t data[300];
    for (int i = 0; i < 300; i++)
        data[i] = (uint8_t)(i * 3);
    flashsim_poke(fs, 0x12345, data, sizeof data);
    cr_assert_eq(flashsim_image_save(fs, path("full.bin"), 0, 0), FLASHSIM_OK);
    size_t n;
    uint8_t *file = read_file(path("full.bin"), &n);
    cr_assert_eq(n, MIB, "no header, exactly the chip");
    for (size_t a = 0; a < n; a++) {
        uint8_t want = a >= 0x12345 && a < 0x12345 + 300 ? data[a - 0x12345] : 0xFF;
        if (file[a] != want)
            cr_assert_fail("byte 0x%zx is 0x%02x, want 0x%02x", a, file[a], want);
    }
    free(file);

    flashsim_t *copy = flashsim_new_from_image(path("full.bin"), NULL);
    cr_assert_not_null(copy);
    cr_assert_eq(flashsim_size(copy), MIB, "size from the file");
    cr_assert_eq(flashsim_diff(fs, copy, NULL, 0), 0);
    cr_assert_eq(flashsim_op_count(copy), 0, "loading is not an operation");

    cr_assert_eq(flashsim_image_save(fs, path("part.bin"), 0x12000, 0x1000), FLASHSIM_OK);
    file = read_file(path("part.bin"), &n);
    cr_assert_eq(n, 0x1000);
    cr_assert_eq(memcmp(file + 0x345, data, 300), 0);
    free(file);
    flashsim_free(copy);
    flashsim_free(fs);
}

Test(image, load_at_an_offset_and_errors)
{
    flashsim_config_t cfg = {.size = 512u << 10, .seed = 1};
    flashsim_t *fs = flashsim_new(&cfg);
    uint8_t blob[5000];
    memset(blob, 0xA5, sizeof blob);
    write_file(path("blob.bin"), blob, sizeof blob);
    cr_assert_eq(flashsim_image_load(fs, path("blob.bin"), 0x1002), FLASHSIM_OK);
    uint8_t b[3];
    flashsim_peek(fs, 0x1001, b, 3);
    cr_assert_eq(b[0], 0xFF);
    cr_assert_eq(b[1], 0xA5);
    cr_assert_eq(flashsim_image_load(fs, path("blob.bin"), (512u << 10) - 4999),
                 FLASHSIM_ERR_RANGE);
    cr_assert_eq(flashsim_image_load(fs, path("blob.bin"), 0xFFFFFFFFu), FLASHSIM_ERR_RANGE);
    errno = 0;
    cr_assert_eq(flashsim_image_load(fs, path("missing.bin"), 0), FLASHSIM_ERR_IO);
    cr_assert_eq(errno, ENOENT);
    cr_assert_eq(flashsim_image_load(fs, tmpdir, 0), FLASHSIM_ERR_IO, "a directory");
    cr_assert_eq(flashsim_image_save(fs, path("x.bin"), 512u << 10, 1), FLASHSIM_ERR_RANGE);
    cr_assert_eq(flashsim_image_save(fs, "/nonexistent-dir/x.bin", 0, 0), FLASHSIM_ERR_IO);

    errno = 0;
    cr_assert_null(flashsim_new_from_image(path("blob.bin"), NULL), "5000 bytes: no chip");
    cr_assert_eq(errno, EINVAL);
    flashsim_config_t one = {.size = MIB};
    flashsim_t *padded = flashsim_new_from_image(path("blob.bin"), &one);
    cr_assert_not_null(padded, "an image smaller than the chip");
    flashsim_peek(padded, 4999, b, 2);
    cr_assert_eq(b[0], 0xA5);
    cr_assert_eq(b[1], 0xFF);
    cr_assert_null(flashsim_new_from_image(path("missing.bin"), &one));
    flashsim_free(padded);
    flashsim_free(fs);
}

Test(diff, lists_changed_sectors_in_order)
{
    flashsim_config_t cfg = {.size = 4u * MIB};
    flashsim_t *a = flashsim_new(&cfg), *b = flashsim_new(&cfg);
    uint8_t z[4] = {0}, ff[4] = {0xFF, 0xFF, 0xFF, 0xFF};
    flashsim_program(a, 5 * FLASHSIM_SECTOR_SIZE + 8, z, 4);
    flashsim_program(b, 700 * FLASHSIM_SECTOR_SIZE, z, 4);
    flashsim_program(a, 1023 * FLASHSIM_SECTOR_SIZE + 4092, z, 4);
    flashsim_program(b, 33 * FLASHSIM_SECTOR_SIZE, ff, 4); /* allocated but still erased */
    flashsim_erase_sector(a, 900);                         /* erased: same contents */
    uint32_t out[8];
    cr_assert_eq(flashsim_diff(a, b, out, 8), 3);
    cr_assert_eq(out[0], 5);
    cr_assert_eq(out[1], 700);
    cr_assert_eq(out[2], 1023);
    cr_assert_eq(flashsim_diff(a, b, out, 1), 3, "the count is complete even if out is short");
    cr_assert_eq(out[0], 5);
    cr_assert_eq(flashsim_diff(a, a, out, 8), 0);
    flashsim_free(a);
    flashsim_free(b);
}
