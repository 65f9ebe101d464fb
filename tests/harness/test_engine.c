/* The engine on scenarios written for the test: every kind of check can fail (a wrong app, an
 * unacceptable outcome, a sweep count, a sweep with no valid branch), failures print a branch
 * id whose replay reproduces exactly that branch, runs are deterministic per seed, and set-up
 * errors name file:line. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "native_device.h"
#include "scenario.h"

typedef struct run {
    int rc;
    engine_report_t rep;
    char *out;
} run_t;

static run_t run_text(const char *text, const char *branch, bool verbose)
{
    char err[512];
    scenario_t *s = scenario_parse(text, strlen(text), "t.scn", err, sizeof(err));
    cr_assert_not_null(s, "%s", err);
    run_t r;
    memset(&r, 0, sizeof(r));
    size_t len = 0;
    FILE *f = open_memstream(&r.out, &len);
    cr_assert_not_null(f);
    engine_opts_t o = {.out = f,
                       .branch = branch,
                       .verbose = verbose,
                       .command_name = "run",
                       .max_fail_lines = 1000};
    r.rc = engine_run(s, &o, &r.rep);
    fclose(f);
    scenario_free(s);
    return r;
}

#define EBOOT_SWEEP                                                                                \
    "device layout=1m64 boot=eboot seed=3\n"                                                       \
    "flash app=basic@1\n"                                                                          \
    "update sketch image=basic@2\n"                                                                \
    "cut phase=any mode=before,after,torn\n"

Test(engine, control_expectation_can_fail)
{
    run_t r = run_text("device layout=1m64 boot=safe seed=1\nflash app=basic@1\n"
                       "update sketch image=basic@2\nexpect app=basic@3\n",
                       NULL, false);
    cr_assert_eq(r.rc, 0, "%s", r.out);
    cr_expect_not(r.rep.passed, "%s", r.out);
    cr_expect(strstr(r.out, "line 4: expected app basic@3, got basic@2"), "%s", r.out);
    cr_expect(strstr(r.out, "FAIL t.scn"), "%s", r.out);
    free(r.out);
}

Test(engine, error_code_and_console_checks)
{
    run_t ok = run_text("device layout=1m64 boot=eboot seed=1\nflash app=basic@1\n"
                        "update sketch image=basic@2 md5=wrong\nexpect error=7\n"
                        "expect console contains \"ERROR[7]\"\nexpect app=basic@1\n",
                        NULL, false);
    cr_expect(ok.rep.passed, "%s", ok.out);
    run_t bad = run_text("device layout=1m64 boot=eboot seed=1\nflash app=basic@1\n"
                         "update sketch image=basic@2 md5=wrong\nexpect error=none\n",
                         NULL, false);
    cr_expect_not(bad.rep.passed, "%s", bad.out);
    cr_expect(strstr(bad.out, "expected Updater error 0, got 7"), "%s", bad.out);
    free(ok.out);
    free(bad.out);
}

Test(engine, eboot_sweep_finds_bricks_and_prints_replays)
{
    run_t r = run_text(EBOOT_SWEEP "expect outcome in {new, old}\n", NULL, false);
    cr_assert_eq(r.rc, 0, "%s", r.out);
    cr_expect_not(r.rep.passed);
    cr_expect(r.rep.control_passed);
    cr_expect_gt(r.rep.tally.count[OUTCOME_BRICK], 0, "%s", r.out);
    cr_expect_gt(r.rep.tally.count[OUTCOME_NEW], 0);
    cr_expect_gt(r.rep.tally.count[OUTCOME_OLD], 0);
    cr_expect_eq(r.rep.invalid, 0);
    /* eboot's failures: bricks, and (depending on where a torn page lands in the images) an app
     * that boots from a half-copied image. */
    cr_expect_eq(r.rep.failed,
                 r.rep.tally.count[OUTCOME_BRICK] + r.rep.tally.count[OUTCOME_WRONG_IMAGE]);
    /* Replay the first failing branch by its id: exactly one branch, the same outcome. */
    const char *p = strstr(r.out, "otasim replay native:t.scn:3:");
    cr_assert_not_null(p, "%s", r.out);
    char id[96];
    cr_assert_eq(sscanf(p + strlen("otasim replay native:t.scn:3:"), "%95s", id), 1);
    run_t one = run_text(EBOOT_SWEEP "expect outcome in {new, old}\n", id, false);
    cr_expect_eq(one.rep.branches, 1, "%s", one.out);
    cr_expect_eq(one.rep.failed, 1, "%s", one.out);
    cr_expect_eq(one.rep.tally.count[OUTCOME_BRICK], 1, "%s", one.out);
    cr_expect(strstr(one.out, id));
    free(one.out);
    free(r.out);
}

Test(engine, safe_sweep_same_update_never_bricks)
{
    run_t r = run_text("device layout=1m64 boot=safe seed=3\nflash app=basic@1\n"
                       "update sketch image=basic@2\ncut phase=any mode=before,after,torn\n"
                       "expect outcome in {new, old}\n",
                       NULL, false);
    cr_expect(r.rep.passed, "%s", r.out);
    cr_expect_gt(r.rep.branches, 30);
    cr_expect_eq(r.rep.tally.count[OUTCOME_BRICK], 0);
    cr_expect_eq(r.rep.invalid, 0);
    free(r.out);
}

Test(engine, deterministic_per_seed)
{
    run_t a = run_text(EBOOT_SWEEP "expect outcome in {new, old}\n", NULL, true);
    run_t b = run_text(EBOOT_SWEEP "expect outcome in {new, old}\n", NULL, true);
    cr_expect_eq(memcmp(&a.rep.tally, &b.rep.tally, sizeof(a.rep.tally)), 0);
    /* The per-branch lines (ids with torn pages, outcomes) are identical; only times differ. */
    char *ea = strstr(a.out, "\nPASS"), *eb = strstr(b.out, "\nPASS");
    if (!ea)
        ea = strstr(a.out, "\nFAIL t.scn");
    if (!eb)
        eb = strstr(b.out, "\nFAIL t.scn");
    cr_assert(ea && eb);
    cr_expect_eq(ea - a.out, eb - b.out);
    cr_expect_eq(strncmp(a.out, b.out, (size_t)(ea - a.out)), 0);
    free(a.out);
    free(b.out);
}

Test(engine, sweep_count_expectation_can_fail)
{
    run_t r = run_text(EBOOT_SWEEP
                       "expect outcome in {new, old, brick, wrong-image}\nexpect sweep brick=0\n",
                       NULL, false);
    cr_expect_not(r.rep.passed, "%s", r.out);
    cr_expect_eq(r.rep.failed, 0);
    cr_expect(strstr(r.out, "FAIL sweep: line 6: expected brick =0 branches"), "%s", r.out);
    free(r.out);
}

Test(engine, sweep_without_valid_branch_does_not_pass)
{
    /* eboot writes no journal: the cut selects nothing, so nothing was tested. */
    run_t r = run_text("device layout=1m64 boot=eboot seed=3\nflash app=basic@1\n"
                       "update sketch image=basic@2\ncut phase=journal\nexpect outcome=new\n",
                       NULL, false);
    cr_expect_not(r.rep.passed, "%s", r.out);
    cr_expect(strstr(r.out, "no valid branch"), "%s", r.out);
    free(r.out);
}

Test(engine, unknown_branch_is_an_error)
{
    run_t r = run_text(EBOOT_SWEEP "expect outcome in {new, old, brick}\n", "copy:999:before:zero",
                       false);
    cr_expect_eq(r.rc, -1);
    cr_expect(strstr(r.out, "no branch copy:999:before:zero"), "%s", r.out);
    free(r.out);
}

Test(engine, setup_error_names_line)
{
    run_t r = run_text("device layout=1m64 boot=safe seed=1\nflash app=basic@1\n"
                       "corrupt stage flip=0\n",
                       NULL, false);
    cr_expect_eq(r.rc, -1);
    cr_expect(strstr(r.out, "t.scn:3: corrupt stage: no staged update"), "%s", r.out);
    free(r.out);
}

Test(engine, stage_corruption_is_caught_by_safe_boot_only)
{
    const char *tail = "update sketch image=basic@2 reboot=no\ncorrupt stage flip=0x2000:1\nboot\n"
                       "expect app=basic@1\n";
    char safe[512], eboot[512];
    snprintf(safe, sizeof(safe), "device layout=1m64 boot=safe seed=1\nflash app=basic@1\n%s",
             tail);
    snprintf(eboot, sizeof(eboot), "device layout=1m64 boot=eboot seed=1\nflash app=basic@1\n%s",
             tail);
    run_t s = run_text(safe, NULL, false), e = run_text(eboot, NULL, false);
    cr_expect(s.rep.passed, "%s", s.out);
    cr_expect_not(e.rep.passed, "%s", e.out);
    free(s.out);
    free(e.out);
}

/* Resident boots (native_device.h): boots run in this process, and a firmware global a boot
 * changes must not be seen by the next boot. boot_buf is the bootloader's sector buffer
 * (firmware/boot/boot.c); this process never boots otherwise, so it is all zero here, and
 * every boot of the run fills it with flash data. After the run (three boots: the update,
 * the restart into the copy, the new app) it must be zero again. The negative control keeps
 * the globals: then the same check sees the data, which also shows the boots really ran in
 * this process. */
extern uint8_t boot_buf[4096];

static bool boot_buf_zero(void)
{
    for (size_t i = 0; i < sizeof(boot_buf); i++)
        if (boot_buf[i])
            return false;
    return true;
}

static void resident_run(bool keep_globals)
{
    cr_assert(boot_buf_zero(), "boot_buf is not pristine before the run");
    hdev_set_resident(true);
    hdev_resident_keep_globals_for_test(keep_globals);
    run_t r = run_text("device layout=1m64 boot=safe seed=1\nflash app=basic@1\n"
                       "update sketch image=basic@2\nexpect app=basic@2\n",
                       NULL, false);
    hdev_set_resident(false);
    hdev_resident_keep_globals_for_test(false);
    cr_assert_eq(r.rc, 0, "%s", r.out);
    cr_expect(r.rep.passed, "%s", r.out);
    free(r.out);
}

Test(engine, resident_boots_reset_firmware_globals)
{
    resident_run(false);
    cr_expect(boot_buf_zero(), "a resident boot left boot_buf changed: globals leak");
}

Test(engine, resident_boots_negative_control_globals_kept)
{
    resident_run(true);
    cr_expect_not(boot_buf_zero(), "with the globals kept, boot_buf should hold flash data");
}
