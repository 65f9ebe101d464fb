/* The ESP8266's safe bootloader has no inflater (descriptor "safeboot-raw", BOOT_SAFE_GZIP=0):
 * the basic app sees it in sector 0 and its Updater refuses a gzip image with error 17 before
 * any boot command, so the device stays on its app; a raw image still updates it. Control: the
 * gzip-capable "safeboot" takes the same gzip image. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "imagekit.h"
#include "layout.h"
#include "flashsim.h"
#include "native_device.h"

static void run(const char *boot_name, bool gzip, hdev_result_t *r)
{
    uint8_t *boot, *a1, *a2, *p1, *p2, *gz;
    size_t bl, l1, l2, pl1, pl2, gzl;
    char e[200];
    cr_assert_eq(imagekit_synth_boot(boot_name, &boot, &bl), 0);
    cr_assert_eq(imagekit_synth_app("basic", 1, 0, &a1, &l1), 0);
    cr_assert_eq(imagekit_synth_app("basic", 2, 0, &a2, &l2), 0);
    cr_assert_eq(imagekit_pack_pair(boot, bl, a1, l1, &p1, &pl1, e, sizeof(e)), 0, "%s", e);
    cr_assert_eq(imagekit_pack_pair(boot, bl, a2, l2, &p2, &pl2, e, sizeof(e)), 0, "%s", e);
    cr_assert_eq(imagekit_gzip(p2, pl2, &gz, &gzl, e, sizeof(e)), 0, "%s", e);
    hdev_config_t cfg = {.seed = 1};
    cr_assert(layout_by_name("4m1m", 4u << 20, &cfg.layout));
    hdev_t *d = hdev_new(&cfg);
    flashsim_poke(hdev_flash(d), 0, p1, (uint32_t)pl1);
    const uint8_t *data = gzip ? gz : p2;
    size_t len = gzip ? gzl : pl2;
    hdev_job_t job = {.data = data, .len = len, .declared = (uint32_t)len, .command = 0};
    hdev_run(d, &job, NULL, r);
    hdev_free(d);
    free(boot), free(a1), free(a2), free(p1), free(p2), free(gz);
}

Test(raw_safe_boot, gzip_refused_before_any_command)
{
    hdev_result_t r;
    run("safeboot-raw", true, &r);
    cr_assert(r.job_taken, "%s", r.console);
    cr_expect_not(r.job_ok);
    cr_expect_eq(r.job_error, 17, "error %d: %s", r.job_error, r.job_msg);
    cr_expect_eq(r.app_version, 1, "the old app keeps running: %s", r.console);
    hdev_result_free(&r);
}

Test(raw_safe_boot, raw_image_still_updates)
{
    hdev_result_t r;
    run("safeboot-raw", false, &r);
    cr_expect(r.job_ok, "error %d: %s", r.job_error, r.job_msg);
    cr_expect_eq(r.app_version, 2, "%s", r.console);
    hdev_result_free(&r);
}

Test(raw_safe_boot, control_gzip_capable_safe_takes_gzip)
{
    hdev_result_t r;
    run("safeboot", true, &r);
    cr_expect(r.job_ok, "error %d: %s", r.job_error, r.job_msg);
    cr_expect_eq(r.app_version, 2, "%s", r.console);
    hdev_result_free(&r);
}
