/* The ESP8266's safe bootloader has no inflater (descriptor "safeboot-raw", BOOT_SAFE_GZIP=0):
 * the basic app sees it in sector 0 and its Updater inflates a gzip upload into the stage
 * (inflate_to_stage), so the bootloader makes a raw copy. End to end on the native device:
 *   - a gzip v2 boots v2 and flash holds exactly the v2 .bin;
 *   - a corrupt gzip (bad CRC-32, bad ISIZE, truncated, garbage) fails with error 17 before
 *     any boot command: v1 keeps running, flash is unchanged below the stage, and the next
 *     boot (no job) is still v1 (nothing pending in RTC memory or the journal);
 *   - signed gzip (ARDUINO_SIGNING): good boots v2, a flipped payload bit fails with 12;
 *   - a raw image still updates; the gzip-capable "safeboot" (which inflates itself) takes the
 *     same gzip (controls). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flashsim.h"
#include "imagekit.h"
#include "layout.h"
#include "native_device.h"

typedef struct images {
    uint8_t *p1, *p2, *gz;
    size_t pl1, pl2, gzl;
} images_t;

static images_t make_images(const char *boot_name)
{
    images_t im;
    uint8_t *boot, *a1, *a2;
    size_t bl, l1, l2;
    char e[200];
    cr_assert_eq(imagekit_synth_boot(boot_name, &boot, &bl), 0);
    cr_assert_eq(imagekit_synth_app("basic", 1, 0, &a1, &l1), 0);
    cr_assert_eq(imagekit_synth_app("basic", 2, 0, &a2, &l2), 0);
    cr_assert_eq(imagekit_pack_pair(boot, bl, a1, l1, &im.p1, &im.pl1, e, sizeof(e)), 0, "%s", e);
    cr_assert_eq(imagekit_pack_pair(boot, bl, a2, l2, &im.p2, &im.pl2, e, sizeof(e)), 0, "%s", e);
    cr_assert_eq(imagekit_gzip(im.p2, im.pl2, &im.gz, &im.gzl, e, sizeof(e)), 0, "%s", e);
    free(boot), free(a1), free(a2);
    return im;
}

static void free_images(images_t *im)
{
    free(im->p1), free(im->p2), free(im->gz);
}

static char *read_text(const char *rel, size_t *len)
{
    const char *root = getenv("OTASIM_SOURCE_ROOT");
    char path[512], e[200];
    snprintf(path, sizeof(path), "%s/%s", root ? root : ".", rel);
    uint8_t *buf;
    cr_assert_eq(imagekit_read_file(path, &buf, len, e, sizeof(e)), 0, "%s", e);
    char *t = realloc(buf, *len + 1);
    t[*len] = '\0';
    return t;
}

/* A device with v1 and `boot_name` in flash; the job `data` (declared = len). */
static hdev_t *device(const images_t *im, bool signing)
{
    static char *pem;
    hdev_config_t cfg = {.seed = 1};
    cr_assert(layout_by_name("4m1m", 4u << 20, &cfg.layout));
    if (signing) {
        size_t n;
        free(pem);
        pem = read_text("tests/core/data/rsa2048.pub.pem", &n);
        cfg.signing = true;
        cfg.signing_pubkey_pem = pem;
    }
    hdev_t *d = hdev_new(&cfg);
    flashsim_poke(hdev_flash(d), 0, im->p1, (uint32_t)im->pl1);
    return d;
}

static void run(hdev_t *d, const uint8_t *data, size_t len, hdev_result_t *r)
{
    hdev_job_t job = {.data = data, .len = len, .declared = (uint32_t)len, .command = 0};
    hdev_run(d, &job, NULL, r);
}

static void expect_flash(hdev_t *d, const uint8_t *want, size_t len, const char *what)
{
    uint8_t *got = malloc(len);
    flashsim_peek(hdev_flash(d), 0, got, (uint32_t)len);
    cr_expect_arr_eq(got, want, len, "flash holds exactly %s", what);
    free(got);
}

static void expect_gzip_v2(const char *boot_name)
{
    images_t im = make_images(boot_name);
    hdev_t *d = device(&im, false);
    hdev_result_t r;
    run(d, im.gz, im.gzl, &r);
    cr_expect(r.job_ok, "error %d: %s", r.job_error, r.job_msg);
    cr_expect_eq(r.app_version, 2, "%s", r.console);
    expect_flash(d, im.p2, im.pl2, "v2");
    hdev_result_free(&r);
    hdev_free(d);
    free_images(&im);
}

Test(raw_safe_boot, gzip_inflated_by_the_updater_boots_v2)
{
    expect_gzip_v2("safeboot-raw");
}

/* A rejected upload: the error, v1 running, flash below the stage as it was, and a second
 * boot without a job still v1. */
static void expect_rejected(const images_t *im, hdev_t *d, const uint8_t *data, size_t len,
                            int error, const char *what)
{
    hdev_result_t r;
    run(d, data, len, &r);
    cr_assert(r.job_taken, "%s: %s", what, r.console);
    cr_expect_not(r.job_ok, "%s accepted", what);
    cr_expect_eq(r.job_error, error, "%s: error %d: %s", what, r.job_error, r.job_msg);
    cr_expect_eq(r.app_version, 1, "%s: the old app keeps running: %s", what, r.console);
    expect_flash(d, im->p1, im->pl1, "v1");
    hdev_result_free(&r);
    hdev_run(d, NULL, NULL, &r);
    cr_expect_eq(r.app_version, 1, "%s: the next boot applies nothing: %s", what, r.console);
    cr_expect_eq(r.boots, 1u, "%s: one boot, no copy", what);
    expect_flash(d, im->p1, im->pl1, "v1");
    hdev_result_free(&r);
}

Test(raw_safe_boot, corrupt_gzip_rejected_v1_kept)
{
    images_t im = make_images("safeboot-raw");
    uint8_t *c = malloc(im.gzl);
    struct {
        const char *what;
        size_t at;
    } flips[] = {{"bad CRC-32", im.gzl - 6}, {"bad ISIZE", im.gzl - 3}};
    for (unsigned i = 0; i < 2; i++) {
        memcpy(c, im.gz, im.gzl);
        c[flips[i].at] ^= 0x21;
        hdev_t *d = device(&im, false);
        expect_rejected(&im, d, c, im.gzl, 17, flips[i].what);
        hdev_free(d);
    }
    hdev_t *d = device(&im, false);
    expect_rejected(&im, d, im.gz, im.gzl - 200, 17, "truncated");
    hdev_free(d);
    memcpy(c, im.gz, im.gzl);
    for (size_t i = 10; i < im.gzl; i++) {
        c[i] = (uint8_t)(i * 151u + 7u);
    }
    d = device(&im, false);
    expect_rejected(&im, d, c, im.gzl, 17, "garbage");
    hdev_free(d);
    free(c);
    free_images(&im);
}

Test(raw_safe_boot, signed_gzip)
{
    images_t im = make_images("safeboot-raw");
    size_t n;
    char *key = read_text("tests/core/data/rsa2048.key.pem", &n);
    uint8_t *s;
    size_t sl;
    char e[200];
    cr_assert_eq(imagekit_sign(im.gz, im.gzl, key, n, false, &s, &sl, e, sizeof(e)), 0, "%s", e);

    hdev_t *d = device(&im, true);
    s[im.gzl / 2] ^= 0x08;
    expect_rejected(&im, d, s, sl, 12, "payload bit flipped");
    s[im.gzl / 2] ^= 0x08;
    hdev_result_t r;
    run(d, s, sl, &r);
    cr_expect(r.job_ok, "error %d: %s", r.job_error, r.job_msg);
    cr_expect_eq(r.app_version, 2, "%s", r.console);
    expect_flash(d, im.p2, im.pl2, "v2");
    hdev_result_free(&r);
    hdev_free(d);
    free(s);
    free(key);
    free_images(&im);
}

Test(raw_safe_boot, raw_image_still_updates)
{
    images_t im = make_images("safeboot-raw");
    hdev_t *d = device(&im, false);
    hdev_result_t r;
    run(d, im.p2, im.pl2, &r);
    cr_expect(r.job_ok, "error %d: %s", r.job_error, r.job_msg);
    cr_expect_eq(r.app_version, 2, "%s", r.console);
    expect_flash(d, im.p2, im.pl2, "v2");
    hdev_result_free(&r);
    hdev_free(d);
    free_images(&im);
}

Test(raw_safe_boot, control_gzip_capable_safe_takes_gzip)
{
    expect_gzip_v2("safeboot");
}
