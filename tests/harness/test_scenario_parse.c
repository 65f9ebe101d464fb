/* The scenario parser: every verb's fields, statements separated by ';', the header title,
 * and errors that name file:line:column and what was expected. */
#include <criterion/criterion.h>
#include <string.h>

#include "scenario.h"

static char err[512];

static scenario_t *parse(const char *text)
{
    err[0] = 0;
    return scenario_parse(text, strlen(text), "t.scn", err, sizeof(err));
}

/* The text must fail with exactly this message. */
static void fails(const char *text, const char *message)
{
    scenario_t *s = parse(text);
    cr_expect_null(s, "parsed although it should fail with: %s", message);
    scenario_free(s);
    cr_expect_str_eq(err, message);
}

#define HEAD "device layout=4m2m boot=safe seed=7\nflash app=basic@1\n"

Test(scenario_parse, full_scenario)
{
    scenario_t *s = parse("# Proves: a cut anywhere in the copy never bricks.\n"
                          "# From: spec 3.6\n"
                          "\n"
                          "device layout=4m1m boot=eboot seed=0x10 signing=on atomic_fs=yes\n"
                          "flash app=basic@1 bootloader=safe fs=fs@1:64k reset=no\n"
                          "boot max=3 ; expect app=basic@1   # inline comment\n"
                          "reset power\n"
                          "update sketch image=basic@2:600k gzip signed md5=wrong sig=flip "
                          "flip=0x100:3,16 truncate=4k size=1M magic=0 mode=qio\n"
                          "cut phase=copy,journal at=3..9 stride=2 mode=before,torn,weak "
                          "reset=warm rtc=zero,garbage\n"
                          "boot\n"
                          "expect outcome in {new, old, brick@sector0}\n"
                          "expect fs=all-new\n"
                          "expect unchanged=eeprom,rfcal,wifi\n"
                          "expect erases<=2 region=journal\n"
                          "expect console contains \"cp:0\\nld\"\n"
                          "expect error=11\n"
                          "expect flash-mode=dout\n"
                          "expect boots\n");
    cr_assert_not_null(s, "%s", err);
    cr_expect_str_eq(s->title, "Proves: a cut anywhere in the copy never bricks.");
    cr_assert_eq(s->nsteps, 16);
    const scn_device_t *d = &s->steps[0].u.device;
    cr_expect_str_eq(d->layout, "4m1m");
    cr_expect_eq(d->boot, SCN_BOOT_EBOOT);
    cr_expect_eq(d->seed, 16);
    cr_expect(d->signing && d->atomic_fs);
    const scn_flash_t *f = &s->steps[1].u.flash;
    cr_expect_str_eq(f->app.name, "basic");
    cr_expect_eq(f->app.version, 1);
    cr_expect_eq(f->bootloader, SCN_BL_SAFE);
    cr_expect(f->has_fs && f->fs.version == 1 && f->fs.size == 64 * 1024);
    cr_expect_not(f->reset);
    cr_expect_eq(s->steps[2].verb, SCN_BOOT);
    cr_expect_eq(s->steps[2].u.max_boots, 3);
    cr_expect_eq(s->steps[2].line, 6);
    cr_expect_eq(s->steps[3].verb, SCN_EXPECT);
    cr_expect_eq(s->steps[3].line, 6);
    cr_expect_eq(s->steps[3].col, 14);
    cr_expect_eq(s->steps[4].u.reset, SCN_RESET_POWER);
    const scn_update_t *u = &s->steps[5].u.update;
    cr_expect_not(u->fs);
    cr_expect(u->image.size == 600 * 1024 && u->image.version == 2);
    cr_expect(u->gzip && u->sign);
    cr_expect_eq(u->md5, SCN_MD5_WRONG);
    cr_expect_eq(u->sig, SCN_SIG_FLIP);
    cr_assert_eq(u->nflips, 2);
    cr_expect(u->flips[0].offset == 0x100 && u->flips[0].bit == 3);
    cr_expect(u->flips[1].offset == 16 && u->flips[1].bit == 0);
    cr_expect(u->has_truncate && u->truncate == 4096);
    cr_expect(u->has_size && u->size == 1024 * 1024);
    cr_expect(u->has_magic && u->magic == 0);
    cr_expect_eq(u->flash_mode, 0);
    const scn_cut_t *c = &s->steps[6].u.cut;
    cr_expect_eq(c->phases, SCN_PHASE_COPY | SCN_PHASE_JOURNAL);
    cr_expect(!c->each && c->from == 3 && c->to == 9 && c->stride == 2);
    cr_expect_eq(c->modes, SCN_MODE_BEFORE | SCN_MODE_TORN | SCN_MODE_WEAK);
    cr_expect_eq(c->reset, SCN_RESET_WARM);
    cr_expect_eq(c->rtc, SCN_RTC_ZERO | SCN_RTC_GARBAGE);
    cr_expect_eq(s->cut_step, 6);
    cr_expect_eq(s->cut_update, 5);
    const scn_expect_t *e = &s->steps[8].u.expect;
    cr_expect_eq(e->kind, SCN_EXP_OUTCOME);
    cr_expect_eq(e->outcomes.any, 1u << OUTCOME_NEW | 1u << OUTCOME_OLD);
    cr_expect_eq(e->outcomes.sector0, 1u << OUTCOME_BRICK);
    cr_expect(s->steps[9].u.expect.kind == SCN_EXP_FS && s->steps[9].u.expect.fs_new);
    cr_expect_eq(s->steps[10].u.expect.regions, SCN_REG_EEPROM | SCN_REG_RFCAL | SCN_REG_WIFI);
    cr_expect_eq(s->steps[11].u.expect.kind, SCN_EXP_ERASES);
    cr_expect_eq(s->steps[11].u.expect.max_erases, 2);
    cr_expect_eq(s->steps[11].u.expect.regions, SCN_REG_JOURNAL);
    cr_expect_str_eq(s->steps[12].u.expect.text, "cp:0\nld");
    cr_expect_not(s->steps[12].u.expect.lacks);
    cr_expect_eq(s->steps[13].u.expect.error, 11);
    cr_expect_eq(s->steps[14].u.expect.flash_mode, 3);
    cr_expect_eq(s->steps[15].u.expect.kind, SCN_EXP_BOOTS);
    scenario_free(s);
}

Test(scenario_parse, defaults)
{
    scenario_t *s = parse("device boot=safe\nflash app=basic@1\nupdate fs image=fs@2\n"
                          "cut phase=any\nexpect outcome=old\nexpect error=none\n");
    cr_assert_not_null(s, "%s", err);
    cr_expect_str_eq(s->steps[0].u.device.layout, "4m2m");
    cr_expect_eq(s->steps[0].u.device.seed, 1);
    cr_expect(s->steps[1].u.flash.reset);
    cr_expect_eq(s->steps[1].u.flash.bootloader, SCN_BL_DEVICE);
    cr_expect(s->steps[2].u.update.fs);
    cr_expect_eq(s->steps[2].u.update.flash_mode, -1);
    const scn_cut_t *c = &s->steps[3].u.cut;
    cr_expect(c->each && c->stride == 1);
    cr_expect_eq(c->phases, SCN_PHASE_ALL);
    cr_expect_eq(c->modes, SCN_MODE_BEFORE);
    cr_expect_eq(c->rtc, SCN_RTC_ZERO);
    cr_expect_eq(c->reset, SCN_RESET_POWER);
    cr_expect_eq(s->steps[4].u.expect.outcomes.any, 1u << OUTCOME_OLD);
    cr_expect_eq(s->steps[5].u.expect.error, 0);
    cr_expect_str_eq(s->title, "");
    scenario_free(s);
}

/* boot=safe-raw is safe mode (every safe rule applies) with the raw-only build; the other
 * modes leave safe_raw false. */
Test(scenario_parse, safe_raw)
{
    scenario_t *s = parse("device boot=safe-raw\nflash app=basic@1 bootloader=safe-raw\n"
                          "update sketch image=basic@2 bootloader=safe-raw-rev2\n");
    cr_assert_not_null(s, "%s", err);
    cr_expect_eq(s->steps[0].u.device.boot, SCN_BOOT_SAFE);
    cr_expect(s->steps[0].u.device.safe_raw);
    cr_expect_eq(s->steps[1].u.flash.bootloader, SCN_BL_SAFE_RAW);
    cr_expect_eq(s->steps[2].u.update.bootloader, SCN_BL_SAFE_RAW_REV2);
    scenario_free(s);
    const char *modes[] = {"device boot=safe\nflash app=basic@1\n",
                           "device boot=eboot\nflash app=basic@1\n"};
    for (int i = 0; i < 2; i++) {
        s = parse(modes[i]);
        cr_assert_not_null(s, "%s", err);
        cr_expect_not(s->steps[0].u.device.safe_raw, "%s", modes[i]);
        cr_expect_eq(s->steps[0].u.device.boot, i == 0 ? SCN_BOOT_SAFE : SCN_BOOT_EBOOT);
        scenario_free(s);
    }
}

Test(scenario_parse, no_trailing_newline_and_crlf)
{
    scenario_t *s = parse("device boot=eboot\r\nflash app=basic@1\r\nboot");
    cr_assert_not_null(s, "%s", err);
    cr_expect_eq(s->nsteps, 3);
    cr_expect_eq(s->steps[2].verb, SCN_BOOT);
    scenario_free(s);
}

Test(scenario_parse, lexical_errors)
{
    fails(HEAD "expect console contains \"abc\n",
          "t.scn:3:25: expected a closing '\"' before the end of the line");
    fails(HEAD "expect console contains \"a\\qb\"\n",
          "t.scn:3:27: expected an escape \\n, \\t, \\\" or \\\\ after '\\'");
    fails(HEAD "update sketch image=basic@2\nexpect outcome in {new, old\n",
          "t.scn:4:19: expected '}' to close the set");
    fails(HEAD "update sketch image=basic@2\nexpect outcome in {new,,old}\n",
          "t.scn:4:24: expected an item, got ','");
    fails(HEAD "update sketch image=basic@2\nexpect outcome in {new old}\n",
          "t.scn:4:24: expected ',' or '}' between set items");
    fails(HEAD "boot }\n", "t.scn:3:6: expected a word, got '}' without a '{'");
    fails(HEAD "boot ; ; boot\n", "t.scn:3:8: expected a statement before ';'");
}

Test(scenario_parse, verb_errors)
{
    fails("# only a comment\n\n", "t.scn:1:1: expected a 'device' line, got an empty scenario");
    fails("devise boot=safe\n",
          "t.scn:1:1: expected a verb (device, flash, boot, update, net, reset, cut, expect or "
          "corrupt), got 'devise'");
    fails("flash app=basic@1\n",
          "t.scn:1:1: expected the scenario to start with a 'device' line, got 'flash'");
    fails("device layout=4m2m\n",
          "t.scn:1:1: expected boot=eboot, boot=safe or boot=safe-raw on the device line");
    fails("device boot=fast\n",
          "t.scn:1:13: expected a boot mode (eboot, safe or safe-raw), got 'fast'");
    fails("device boot=safe\nflash app=basic@1 bootloader=safe-raw3\n",
          "t.scn:2:30: expected a bootloader (eboot, safe, safe-rev2, safe-raw or safe-raw-rev2), "
          "got 'safe-raw3'");
    fails("device boot=safe layout=5m\n",
          "t.scn:1:25: expected a layout name (1m, 1m64, ..., 4m2m, 4m3m, auto-4m, ...), got '5m'");
    fails("device boot=safe seed=x1\n", "t.scn:1:23: expected a number for seed=, got 'x1'");
    fails("device boot=safe signing=maybe\n",
          "t.scn:1:26: expected on, off, yes or no for signing=, got 'maybe'");
    fails("device boot=safe colour=red\n",
          "t.scn:1:18: expected layout=, boot=, seed=, signing= or atomic_fs= for 'device', got "
          "'colour=red'");
    fails("device boot=safe\nboot\n", "t.scn:2:1: expected a 'flash' line before 'boot'");
    fails("device boot=safe\nflash app=basic\n",
          "t.scn:2:11: expected an image name@version (e.g. basic@2), got 'basic'");
    fails("device boot=safe\nflash app=basic@v2\n",
          "t.scn:2:17: expected a version number after '@', got 'v2'");
    fails("device boot=safe\nflash app=Basic@2\n",
          "t.scn:2:11: expected an image name of a-z, 0-9, '_' and '-', got 'B'");
    fails("device boot=safe\nflash app=basic@2:0\n",
          "t.scn:2:19: expected an image size (N, Nk or NM, at most 16M) after ':', got '0'");
    fails("device boot=safe\nflash bootloader=safe\n",
          "t.scn:2:1: expected app=NAME@VERSION on the flash line");
    fails("device boot=safe layout=4m\nflash app=basic@1 fs=fs@1\n",
          "t.scn:2:1: expected a layout with a filesystem for fs=");
    fails(HEAD "boot max=0\n", "t.scn:3:10: expected max= of at least 1");
    fails(HEAD "update image=basic@2\n",
          "t.scn:3:8: expected 'sketch' or 'fs' for 'update', got 'image=basic@2'");
    fails(HEAD "update sketch\n", "t.scn:3:1: expected image=NAME@VERSION on the update line");
    fails(HEAD "update sketch image=basic@2 md5=maybe\n",
          "t.scn:3:33: expected an MD5 choice (none, right or wrong), got 'maybe'");
    fails(HEAD "update sketch image=basic@2 sig=flip\n",
          "t.scn:3:1: expected 'signed' with sig= (it changes a signed image)");
    fails(HEAD "update sketch image=basic@2 flip=0x10:8\n",
          "t.scn:3:34: expected flip=OFFSET[:BIT] (BIT 0..7), comma-separated, got '0x10:8'");
    fails(HEAD "update sketch image=basic@2 zip\n",
          "t.scn:3:29: expected image=, bootloader=, gzip, signed, md5=, sig=, flip=, truncate=, "
          "size=, magic=, mode= or reboot= for 'update', got 'zip'");
    fails(HEAD "update fs image=fs@2 bootloader=eboot\n",
          "t.scn:3:1: expected no bootloader= for 'update fs'");
    fails(HEAD "reset\n", "t.scn:3:6: expected 'warm' or 'power' after 'reset'");
    fails(HEAD "reset cold\n",
          "t.scn:3:7: expected 'warm' or 'power' (one of them) for 'reset', got 'cold'");
}

Test(scenario_parse, cut_errors)
{
    fails(HEAD "cut phase=copy\n", "t.scn:3:1: expected an 'update' line before 'cut'");
    fails(HEAD "update sketch image=basic@2\ncut at=each\n",
          "t.scn:4:1: expected phase=staging|command|reboot|copy|journal|any on the cut line");
    fails(HEAD "update sketch image=basic@2\ncut phase=copy,flight\n",
          "t.scn:4:16: expected a phase (staging, command, reboot, copy, journal or any), got "
          "'flight'");
    fails(HEAD "update sketch image=basic@2\ncut phase=copy at=9..3\n",
          "t.scn:4:19: expected a range N..M with N <= M, got '9..3'");
    fails(HEAD "update sketch image=basic@2\ncut phase=copy at=x\n",
          "t.scn:4:19: expected at=each, at=N or at=N..M, got 'x'");
    fails(HEAD "update sketch image=basic@2\ncut phase=copy mode=before,sideways\n",
          "t.scn:4:28: expected a cut mode (before, after, torn or weak), got 'sideways'");
    fails(HEAD "update sketch image=basic@2\ncut phase=copy reset=warm double=3\n",
          "t.scn:4:1: expected no double= with reset=warm (double cuts are power cuts)");
    fails(HEAD "update sketch image=basic@2\nboot\ncut phase=copy\n",
          "t.scn:5:1: expected 'cut' right after its 'update' (only expect lines between), got "
          "'boot' on line 4");
    fails(HEAD "update sketch image=basic@2\ncut phase=copy\nupdate sketch image=basic@3\n"
               "cut phase=copy\n",
          "t.scn:6:1: expected one 'cut' per scenario (the first is on line 4)");
}

Test(scenario_parse, expect_errors)
{
    fails(
        HEAD "expect\n",
        "t.scn:3:7: expected one of boots, app=NAME@V, outcome in {...}, "
        "outcome=NAME, fs=all-old|all-new, unchanged=..., erases<=N, console "
        "contains|lacks \"...\", error=N|none, flash-mode=... or sweep OUTCOME>=N after 'expect'");
    fails(HEAD "expect outcome=new\n",
          "t.scn:3:1: expected an 'update' line before this expectation");
    fails(HEAD "update sketch image=basic@2\nexpect outcome in {new, lost}\n",
          "t.scn:4:25: expected an outcome (new, old, brick, wrong-image, hang, corrupt-fs), got "
          "'lost'");
    fails(HEAD "update sketch image=basic@2\nexpect outcome in {brick@sector1}\n",
          "t.scn:4:25: expected '@sector0' after an outcome, got '@sector1'");
    fails(HEAD "update sketch image=basic@2\nexpect outcome in {invalid}\n",
          "t.scn:4:20: expected an outcome (new, old, brick, wrong-image, hang, corrupt-fs), got "
          "'invalid'");
    fails(HEAD "update sketch image=basic@2\nexpect outcome {new}\n",
          "t.scn:4:16: expected 'in {...}' for 'expect outcome', got a set");
    fails(HEAD "expect console contains abc\n",
          "t.scn:3:25: expected a quoted string after 'contains'");
    fails(HEAD "expect console has \"x\"\n",
          "t.scn:3:16: expected 'contains' or 'lacks' after 'console'");
    fails(HEAD "expect erases<=lots\n",
          "t.scn:3:16: expected a number after 'erases<=', got 'lots'");
    fails(HEAD "expect unchanged=eeprom,kitchen\n",
          "t.scn:3:25: expected a region (eeprom, rfcal, wifi, boot, fs, journal or all), got "
          "'kitchen'");
    fails(HEAD "expect boots now\n", "t.scn:3:14: expected the end of the expectation, got 'now'");
    fails(HEAD "expect app=basic@1 app=basic@2\n",
          "t.scn:3:20: expected the end of the expectation, got 'app=basic@2'");
    fails("device boot=safe layout=1m\nflash app=basic@1\nexpect fs=all-new\n",
          "t.scn:3:1: expected a layout with a filesystem for 'expect fs='");
}

Test(scenario_parse, load_missing_file)
{
    scenario_t *s = scenario_load("/nonexistent/x.scn", err, sizeof(err));
    cr_expect_null(s);
    cr_expect(strstr(err, "/nonexistent/x.scn: cannot open") == err, "%s", err);
}
