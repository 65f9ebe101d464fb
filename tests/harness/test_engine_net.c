/* The scenario language's network updates (scenarios/README.md "Network updates"): the net
 * statement's parse errors, and every expectation about a net step shown able to fail (a
 * negative control next to each passing use). The uploader is `otasim upload` ($OTASIM). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "scenario.h"

TestSuite(engine_net, .timeout = 120);

typedef struct run {
    bool passed;
    char *out;
} run_t;

static run_t run_text(const char *text)
{
    char err[512];
    scenario_t *s = scenario_parse(text, strlen(text), "t.scn", err, sizeof(err));
    cr_assert_not_null(s, "%s", err);
    run_t r = {0};
    size_t len = 0;
    FILE *f = open_memstream(&r.out, &len);
    engine_opts_t o = {.out = f, .command_name = "run", .verbose = true};
    engine_report_t rep;
    int rc = engine_run(s, &o, &rep);
    fclose(f);
    cr_assert_eq(rc, 0, "%s", r.out);
    r.passed = rep.passed;
    engine_report_free(&rep);
    scenario_free(s);
    return r;
}

static void parse_fails(const char *text, const char *msg)
{
    char err[512] = "";
    scenario_t *s = scenario_parse(text, strlen(text), "t.scn", err, sizeof(err));
    cr_expect_null(s, "parsed: %s", text);
    scenario_free(s);
    cr_expect(strstr(err, msg), "error '%s' lacks '%s'", err, msg);
}

#define HEAD "device layout=4m2m boot=safe seed=5\nflash app=basic@1\n"

Test(engine_net, parse_errors_name_the_problem)
{
    parse_fails(HEAD "net ftp sketch image=basic@2\n",
                "t.scn:3:5: expected a transport (espota, web or http), got 'ftp'");
    parse_fails(HEAD "net espota sketch image=basic@2 reply=304\n",
                "expected reply=/body= only for 'net http'");
    parse_fails(HEAD "net http sketch image=basic@2 password=x\n",
                "expected no password=/auth= for 'net http'");
    parse_fails(HEAD "net web sketch image=basic@2 invite=twice\n",
                "expected invite=twice only for 'net espota'");
    parse_fails(HEAD "net http sketch image=basic@2 reply=302\n",
                "expected an update server reply (200, 304, 403, 404 or 500), got '302'");
    parse_fails(HEAD "net espota sketch\n", "expected image=NAME@VERSION");
    parse_fails(HEAD "update sketch image=basic@2\nexpect upload=ok\n",
                "t.scn:4:1: expected a 'net' line before this expectation");
    parse_fails(HEAD "net espota sketch image=basic@2\nexpect writes>3\n",
                "expected writes=N or writes<=N");
    parse_fails(HEAD "net espota sketch image=basic@2\nexpect reply has \"x\"\n",
                "expected 'contains' or 'lacks' after 'reply'");
    parse_fails("device layout=1m boot=eboot\nflash app=basic@1\nnet web fs image=fs@2\n",
                "expected a layout with a filesystem");
    parse_fails(HEAD "net espota sketch image=basic@2 tls=good\n",
                "t.scn:3:37: expected tls= only on 'net http'");
    parse_fails(HEAD "net http sketch image=basic@2 tls=maybe\n",
                "expected a TLS trust case (off, good, wrong-ca, forged, wrong-name, pin or "
                "wrong-pin), got 'maybe'");
}

/* HTTPS: a certificate the device does not trust writes nothing (writes=0 holds); the control,
 * the trusted certificate, updates, so the same writes=0 fails there. */
Test(engine_net, https_wrong_certificate_writes_no_flash_and_its_control)
{
    run_t bad = run_text(HEAD "net http sketch image=basic@2 tls=wrong-ca\nexpect upload=failed\n"
                              "expect writes=0\nexpect app=basic@1\n");
    cr_expect(bad.passed, "%s", bad.out);
    cr_expect(strstr(bad.out, "certificate not trusted"), "%s", bad.out);
    run_t good = run_text(HEAD "net http sketch image=basic@2 tls=good\nexpect writes=0\n");
    cr_expect_not(good.passed, "%s", good.out);
    cr_expect(strstr(good.out, "expected 0 flash writes by the app, got "), "%s", good.out);
    free(bad.out);
    free(good.out);
}

#define WRONG_PW HEAD "net espota sketch image=basic@2 password=garden auth=weeds\n"

/* The wrong password: upload=, reply, writes= and idle hold, and each fails when it says the
 * opposite. */
Test(engine_net, wrong_password_checks_and_their_controls)
{
    run_t ok = run_text(WRONG_PW "expect upload=failed\nexpect reply contains \"Authentication "
                                 "Failed\"\nexpect writes=0\nexpect idle\nexpect app=basic@1\n");
    cr_expect(ok.passed, "%s", ok.out);
    static const char *const neg[][2] = {
        {"expect upload=ok\n", "expected the upload to succeed, it failed"},
        {"expect reply lacks \"Authentication Failed\"\n",
         "expected the reply to lack \"Authentication Failed\""},
        {"expect writes=1\n", "expected 1 flash writes by the app, got 0"},
    };
    for (size_t i = 0; i < sizeof(neg) / sizeof(neg[0]); i++) {
        char text[600];
        snprintf(text, sizeof(text), "%s%s", WRONG_PW, neg[i][0]);
        run_t r = run_text(text);
        cr_expect_not(r.passed, "%s passed:\n%s", neg[i][0], r.out);
        cr_expect(strstr(r.out, neg[i][1]), "%s", r.out);
        free(r.out);
    }
    free(ok.out);
}

/* A good upload writes: writes=0 fails, writes<=N with a large N holds. */
Test(engine_net, writes_counts_the_apps_flash_operations)
{
    run_t r = run_text(HEAD "net web sketch image=basic@2\nexpect upload=ok\nexpect writes=0\n");
    cr_expect_not(r.passed, "%s", r.out);
    cr_expect(strstr(r.out, "expected 0 flash writes by the app, got "), "%s", r.out);
    run_t ok = run_text(HEAD "net web sketch image=basic@2\nexpect writes<=100000\n"
                             "expect app=basic@2\n");
    cr_expect(ok.passed, "%s", ok.out);
    free(r.out);
    free(ok.out);
}

/* idle fails when the new app hangs after the upload (the spin app). */
Test(engine_net, idle_fails_when_the_device_hangs)
{
    run_t r = run_text(HEAD "net espota sketch image=spin@2\nexpect upload=ok\nexpect idle\n");
    cr_expect_not(r.passed, "%s", r.out);
    cr_expect(strstr(r.out, "expected the device idle in its app, it ended: hang"), "%s", r.out);
    free(r.out);
}

#define SECOND HEAD "net espota sketch image=basic@2:256k invite=twice fault=bw=256k\n"

Test(engine_net, second_invitation_checks_and_their_controls)
{
    run_t r = run_text(SECOND "expect second=ok\n");
    cr_expect_not(r.passed, "%s", r.out);
    cr_expect(strstr(r.out, "expected the second upload to succeed, it failed"), "%s", r.out);
    run_t c = run_text(SECOND "expect second-reply contains \"Result: OK\"\n");
    cr_expect_not(c.passed, "%s", c.out);
    cr_expect(strstr(c.out, "expected the second uploader's reply to contain"), "%s", c.out);
    /* Without invite=twice there is no second uploader: second= cannot pass by default. */
    run_t n = run_text(HEAD "net espota sketch image=basic@2\nexpect second=failed\n");
    cr_expect_not(n.passed, "%s", n.out);
    cr_expect(strstr(n.out, "but it never ran"), "%s", n.out);
    free(r.out);
    free(c.out);
    free(n.out);
}

/* The http transport's reply is the device's result line; a wrong status text fails. */
Test(engine_net, http_reply_control)
{
    run_t r = run_text(HEAD "net http sketch image=basic@2 reply=403\n"
                            "expect reply contains \"(404)\"\n");
    cr_expect_not(r.passed, "%s", r.out);
    cr_expect(strstr(r.out, "Forbidden (403)"), "%s", r.out);
    free(r.out);
}
