/* The basic app's filesystem check (firmware/apps/basic/fs_check.c) on a simulated device:
 * images built here independently (zlib's CRC-32), then damaged in each way the check must
 * tell apart. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "fs_check.h"
#include "testlib.h"

/* An FS image of `len` bytes as harness/himages.c lays one out: header line, then filler. */
static uint8_t *make_fs(const char *label, size_t len)
{
    uint8_t *img = malloc(len);
    cr_assert_not_null(img);
    for (size_t i = 0; i < len; i++)
        img[i] = (uint8_t)(i * 131u + 7u);
    uLong crc = crc32(0L, img + 64, (uInt)(len - 64));
    char head[64];
    int n = snprintf(head, sizeof(head), "OTASIM-FS %s len=%zu crc=%08lx\n", label, len,
                     (unsigned long)crc);
    cr_assert(n > 0 && n < 64);
    memset(img, ' ', 64);
    memcpy(img, head, (size_t)n);
    return img;
}

static fs_check_t check(tdev_t *d, char *label)
{
    return fs_check(&d->layout, label, 40);
}

Test(fs_check, intact_image_is_ok_with_its_label)
{
    tdev_t *d = tdev_new("4m1m");
    uint8_t *img = make_fs("data@3", 64 * KIB);
    flashsim_poke(d->fs, d->layout.fs_start, img, 64 * KIB);
    char label[40];
    cr_assert_eq(check(d, label), FS_CHECK_OK);
    cr_assert_str_eq(label, "data@3");
    char line[64];
    fs_check_line(FS_CHECK_OK, label, line, sizeof(line));
    cr_assert_str_eq(line, "fs: data@3 ok\n");
    free(img);
    tdev_free(d);
}

Test(fs_check, every_sampled_bit_flip_in_the_content_is_corrupt)
{
    tdev_t *d = tdev_new("4m1m");
    size_t len = 16 * KIB;
    uint8_t *img = make_fs("data@1", len);
    for (size_t off = 64; off < len; off += 997) {
        img[off] ^= (uint8_t)(1u << (off % 8));
        flashsim_poke(d->fs, d->layout.fs_start, img, (uint32_t)len);
        char label[40];
        cr_assert_eq(check(d, label), FS_CHECK_CORRUPT, "flip at %zu", off);
        cr_assert_str_eq(label, "data@1");
        img[off] ^= (uint8_t)(1u << (off % 8));
    }
    flashsim_poke(d->fs, d->layout.fs_start, img, (uint32_t)len);
    cr_assert_eq(check(d, NULL), FS_CHECK_OK);
    free(img);
    tdev_free(d);
}

Test(fs_check, erased_garbage_and_bad_headers)
{
    tdev_t *d = tdev_new("4m1m");
    char label[40];
    cr_assert_eq(check(d, label), FS_CHECK_EMPTY); /* a new device: FS area erased */
    cr_assert_str_eq(label, "");
    static const char *const bad[] = {
        "LITTLEFS something\n",                            /* another format */
        "OTASIM-FS data@1\n",                              /* no fields */
        "OTASIM-FS data@1 len= crc=00000000\n",            /* empty number */
        "OTASIM-FS data@1 len=4096 crc=zz\n",              /* not hex */
        "OTASIM-FS data@1 len=4096 crc=00000000",          /* no newline within 64 bytes */
        "OTASIM-FS data@1 len=99999999999 crc=00000000\n", /* overflowing length */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t h[64];
        memset(h, ' ', sizeof(h));
        memcpy(h, bad[i], strlen(bad[i]));
        flashsim_poke(d->fs, d->layout.fs_start, h, sizeof(h));
        cr_assert_eq(check(d, label), FS_CHECK_UNKNOWN, "header %zu: %s", i, bad[i]);
    }
    /* A length beyond the FS area (1 MiB here): corrupt, not read past the area. */
    const char *huge = "OTASIM-FS data@1 len=2097152 crc=00000000\n";
    uint8_t h[64];
    memset(h, ' ', sizeof(h));
    memcpy(h, huge, strlen(huge));
    flashsim_poke(d->fs, d->layout.fs_start, h, sizeof(h));
    cr_assert_eq(check(d, label), FS_CHECK_CORRUPT);
    tdev_free(d);
}

Test(fs_check, layout_without_fs)
{
    tdev_t *d = tdev_new("1m");
    cr_assert_eq(d->layout.fs_start, d->layout.fs_end, "1m has no FS");
    cr_assert_eq(check(d, NULL), FS_CHECK_NONE);
    char line[32];
    fs_check_line(FS_CHECK_NONE, "", line, sizeof(line));
    cr_assert_str_eq(line, "fs: none\n");
    tdev_free(d);
}
