/* Power cuts during a gzip update on the raw-only safe bootloader (safeboot-raw), where the
 * app's Updater inflates into the stage and the bootloader makes a raw copy: a cut at every
 * flash operation of the whole update (the Updater's staging of the inflated image, the
 * journal and boot command, the bootloader's copy), each before, after and torn, with
 * power lost (RTC zeroed), then a recovery boot. Every branch must end on an app that runs
 * with flash holding exactly v1 or exactly v2 — never a brick or a mixture — and the sweep
 * must see both (cuts before the boot command keep v1, later ones complete v2). A branch
 * whose cut did not fire is counted apart and must not occur inside the control's op range.
 * Negative control: the same sweep on eboot (which inflates in the bootloader and is not
 * power-safe) must produce branches that are neither.
 * (A scenario sweep replaces this once the scenario language has boot=safe-raw.) */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flashsim.h"
#include "imagekit.h"
#include "layout.h"
#include "native_device.h"

static uint8_t *p1, *p2, *gz;
static size_t pl1, pl2, gzl;

static void make_images(const char *boot_name)
{
    uint8_t *boot, *a1, *a2;
    size_t bl, l1, l2;
    char e[200];
    cr_assert_eq(imagekit_synth_boot(boot_name, &boot, &bl), 0);
    cr_assert_eq(imagekit_synth_app("basic", 1, 0, &a1, &l1), 0);
    cr_assert_eq(imagekit_synth_app("basic", 2, 0, &a2, &l2), 0);
    cr_assert_eq(imagekit_pack_pair(boot, bl, a1, l1, &p1, &pl1, e, sizeof(e)), 0, "%s", e);
    cr_assert_eq(imagekit_pack_pair(boot, bl, a2, l2, &p2, &pl2, e, sizeof(e)), 0, "%s", e);
    cr_assert_eq(imagekit_gzip(p2, pl2, &gz, &gzl, e, sizeof(e)), 0, "%s", e);
    free(boot), free(a1), free(a2);
}

static hdev_t *fresh(void)
{
    hdev_config_t cfg = {.seed = 3};
    cr_assert(layout_by_name("4m1m", 4u << 20, &cfg.layout));
    hdev_t *d = hdev_new(&cfg);
    flashsim_poke(hdev_flash(d), 0, p1, (uint32_t)pl1);
    return d;
}

static bool flash_is(hdev_t *d, const uint8_t *want, size_t len)
{
    uint8_t *got = malloc(len);
    flashsim_peek(hdev_flash(d), 0, got, (uint32_t)len);
    bool same = memcmp(got, want, len) == 0;
    free(got);
    return same;
}

typedef struct counts {
    unsigned ops, branches, old_n, new_n, neither, unfired;
} counts_t;

static counts_t sweep(const char *boot_name, bool expect_safe)
{
    counts_t c = {0};
    make_images(boot_name);
    hdev_job_t job = {.data = gz, .len = gzl, .declared = (uint32_t)gzl, .command = 0};

    /* Control: the ops of the whole update. */
    hdev_t *d = fresh();
    uint32_t op0 = flashsim_op_count(hdev_flash(d));
    hdev_result_t r;
    hdev_run(d, &job, NULL, &r);
    cr_assert(r.job_ok && r.app_version == 2, "control: %s", r.console);
    uint32_t ops = flashsim_op_count(hdev_flash(d)) - op0;
    c.ops = ops;
    hdev_result_free(&r);
    hdev_free(d);
    cr_assert_gt(ops, 10u, "%s: %u ops", boot_name, ops);

    static const char *modes[] = {"before", "after", "torn"};
    for (uint32_t k = 0; k < 3 * ops; k++) {
        const char *mode = modes[k % 3];
        char text[64], err[128];
        snprintf(text, sizeof(text), "cut@op=%u:%s", k / 3, mode);
        flashsim_plan_t *plan = flashsim_plan_parse(text, err, sizeof(err));
        cr_assert_not_null(plan, "%s: %s", text, err);
        d = fresh();
        flashsim_t *fs = hdev_flash(d);
        cr_assert_eq(flashsim_set_plan(fs, plan, flashsim_op_count(fs)), FLASHSIM_OK);
        flashsim_plan_free(plan);
        hdev_run(d, &job, NULL, &r);
        bool fired = flashsim_fault_fired(fs, 0) > 0;
        hdev_result_free(&r);
        if (!fired) {
            c.unfired++;
            hdev_free(d);
            continue;
        }
        flashsim_power_loss(fs);
        flashsim_set_plan(fs, NULL, 0);
        hdev_external_reset(d);
        hdev_run(d, NULL, NULL, &r);
        c.branches++;
        bool is_old = r.app_running && r.app_version == 1 && flash_is(d, p1, pl1);
        bool is_new = r.app_running && r.app_version == 2 && flash_is(d, p2, pl2);
        if (expect_safe)
            cr_expect(is_old || is_new, "%s: end %s, app %s@%u, flash neither v1 nor v2: %s", text,
                      hdev_end_name(r.end), r.app_name, r.app_version, r.console);
        c.old_n += is_old;
        c.new_n += is_new;
        c.neither += !is_old && !is_new;
        hdev_result_free(&r);
        hdev_free(d);
    }
    cr_log_info("%s: %u ops, %u branches: old %u, new %u, neither %u; unfired %u", boot_name, c.ops,
                c.branches, c.old_n, c.new_n, c.neither, c.unfired);
    free(p1), free(p2), free(gz);
    return c;
}

Test(raw_safe_cuts, gzip_update_cut_anywhere_is_old_or_new)
{
    counts_t c = sweep("safeboot-raw", true);
    cr_expect_eq(c.neither, 0u);
    cr_expect_eq(c.unfired, 0u, "every cut inside the control's ops must fire");
    cr_expect_gt(c.old_n, 0u, "cuts before the boot command keep v1");
    cr_expect_gt(c.new_n, 0u, "cuts after it complete v2");
}

Test(raw_safe_cuts, control_eboot_is_not_safe)
{
    counts_t c = sweep("eboot", false);
    cr_expect_gt(c.neither, 0u, "eboot's copy is not power-safe: the check must see it");
}
