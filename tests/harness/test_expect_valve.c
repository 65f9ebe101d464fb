/* expect valve ... in the scenario language: the garden-valve app passes, and each broken
 * variant fails the check it breaks (valve-never, valve-late: closed-before-erase;
 * valve-reopen: valve=closed after a failed update) — the negative controls; bad lines get a
 * clear file:line:column error. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "scenario.h"

static char *run_text(const char *text, bool *passed)
{
    char err[512];
    scenario_t *s = scenario_parse(text, strlen(text), "t.scn", err, sizeof(err));
    cr_assert_not_null(s, "%s", err);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    engine_opts_t o = {.out = f, .command_name = "run", .max_fail_lines = 1000};
    engine_report_t rep;
    cr_assert_eq(engine_run(s, &o, &rep), 0);
    fclose(f);
    scenario_free(s);
    *passed = rep.passed;
    return out;
}

/* A failed update (wrong MD5, unless `good_only`) then a good one, with app APP. */
static char *scenario(const char *app, bool good_only, bool *passed)
{
    char text[1024];
    snprintf(text, sizeof(text),
             "device layout=4m1m boot=eboot seed=5\nflash app=%s@1\nboot\nexpect valve=open\n"
             "%s%s%s"
             "update sketch image=%s@2\nexpect valve closed-before-erase\nexpect app=%s@2\n"
             "expect valve=open\n",
             app, good_only ? "" : "update sketch image=", good_only ? "" : app,
             good_only ? "\n\n\n" : "@2 md5=wrong\nexpect error=7\nexpect valve=closed\n", app,
             app);
    return run_text(text, passed);
}

Test(expect_valve, the_valve_app_passes)
{
    bool ok;
    char *out = scenario("valve", false, &ok);
    cr_expect(ok, "%s", out);
    free(out);
}

Test(expect_valve, control_never_fails_closed_before_erase)
{
    bool ok;
    char *out = scenario("valve-never", true, &ok);
    cr_expect_not(ok, "%s", out);
    cr_expect(strstr(out, "line 9: expected the valve closed before the first erase"), "%s", out);
    free(out);
    out = scenario("valve-never", false, &ok);
    cr_expect_not(ok, "%s", out);
    cr_expect(strstr(out, "line 7: expected the valve closed, but it is open"), "%s", out);
    free(out);
}

Test(expect_valve, control_late_fails_closed_before_erase)
{
    bool ok;
    char *out = scenario("valve-late", true, &ok);
    cr_expect_not(ok, "%s", out);
    cr_expect(strstr(out, "line 9: expected the valve closed before the first erase, but it was "
                          "open at flash op"),
              "%s", out);
    free(out);
}

Test(expect_valve, control_reopen_fails_closed_after_failure)
{
    bool ok;
    char *out = scenario("valve-reopen", false, &ok);
    cr_expect_not(ok, "%s", out);
    cr_expect(strstr(out, "line 7: expected the valve closed, but it is open"), "%s", out);
    cr_expect_null(strstr(out, "line 9:"), "%s", out);
    free(out);
}

/* An app that never drives the valve: closed-before-erase cannot pass vacuously. */
Test(expect_valve, basic_app_fails_never_open)
{
    bool ok;
    char *out = run_text("device layout=4m1m boot=eboot seed=5\nflash app=basic@1\n"
                         "update sketch image=basic@2\nexpect valve closed-before-erase\n",
                         &ok);
    cr_expect_not(ok, "%s", out);
    cr_expect(strstr(out, "line 4: expected the valve open before the update"), "%s", out);
    free(out);
}

static void parse_error(const char *line, const char *want)
{
    char text[512], err[512];
    snprintf(text, sizeof(text), "device layout=4m1m boot=eboot\nflash app=valve@1\n%s\n", line);
    scenario_t *s = scenario_parse(text, strlen(text), "t.scn", err, sizeof(err));
    cr_expect_null(s, "%s parsed", line);
    scenario_free(s);
    cr_expect(strstr(err, want), "%s: got '%s'", line, err);
}

Test(expect_valve, bad_lines_are_clear_errors)
{
    parse_error("expect valve=ajar", "t.scn:3:14: expected a valve state");
    parse_error("expect valve", "t.scn:3:13: expected 'closed-before-erase' after 'valve'");
    parse_error("expect valve shut", "t.scn:3:14: expected 'closed-before-erase'");
    parse_error("expect valve closed-before-erase",
                "t.scn:3:1: expected an 'update' line before this expectation");
    parse_error("expect valve=open now", "t.scn:3:19: expected the end of the expectation");
}
