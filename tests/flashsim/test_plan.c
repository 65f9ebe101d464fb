/* Fault plan strings: parsing, errors with columns, canonical printing and round trips. */
#include <criterion/criterion.h>
#include <string.h>

#include "flashsim.h"

static char *canon(const char *text)
{
    static char buf[512];
    char err[128];
    flashsim_plan_t *p = flashsim_plan_parse(text, err, sizeof err);
    cr_assert_not_null(p, "'%s' should parse: %s", text, err);
    int n = flashsim_plan_print(p, buf, sizeof buf);
    cr_assert_eq((size_t)n, strlen(buf));
    flashsim_plan_free(p);
    return buf;
}

static void parse_error(const char *text, const char *want)
{
    char err[128];
    flashsim_plan_t *p = flashsim_plan_parse(text, err, sizeof err);
    cr_assert_null(p, "'%s' should not parse", text);
    cr_assert(strstr(err, want), "'%s': error \"%s\" lacks \"%s\"", text, err, want);
}

Test(plan, fields_of_a_full_plan)
{
    char err[128];
    flashsim_plan_t *p = flashsim_plan_parse(
        "seed=7;rtc=garbage;cut@op=120:page=2:torn:weak;fail@addr=0x1000:read:once;"
        "flip@addr=0x2001:bit=3:op=5;stuck1@addr=16:bit=7;fail@op=9",
        err, sizeof err);
    cr_assert_not_null(p, "%s", err);
    cr_assert_eq(flashsim_plan_count(p), 5);
    const flashsim_fault_t *f = flashsim_plan_item(p, 0);
    cr_assert_eq(f->kind, FLASHSIM_FAULT_CUT);
    cr_assert(f->at_op);
    cr_assert_eq(f->op, 120);
    cr_assert_eq(f->page, 2);
    cr_assert_eq(f->mode, FLASHSIM_CUT_TORN);
    cr_assert(f->weak);
    f = flashsim_plan_item(p, 1);
    cr_assert_eq(f->kind, FLASHSIM_FAULT_FAIL);
    cr_assert_not(f->at_op);
    cr_assert_eq(f->addr, 0x1000);
    cr_assert_eq(f->on, FLASHSIM_ACCESS_READ);
    cr_assert(f->once);
    f = flashsim_plan_item(p, 2);
    cr_assert_eq(f->kind, FLASHSIM_FAULT_FLIP);
    cr_assert_eq(f->addr, 0x2001);
    cr_assert_eq(f->bit, 3);
    cr_assert(f->at_op);
    cr_assert_eq(f->op, 5);
    f = flashsim_plan_item(p, 3);
    cr_assert_eq(f->kind, FLASHSIM_FAULT_STUCK1);
    cr_assert_eq(f->addr, 16);
    cr_assert_eq(f->bit, 7);
    f = flashsim_plan_item(p, 4);
    cr_assert_eq(f->kind, FLASHSIM_FAULT_FAIL);
    cr_assert(f->at_op);
    cr_assert_eq(f->op, 9);
    cr_assert_null(flashsim_plan_item(p, 5));
    flashsim_plan_free(p);
}

Test(plan, canonical_form)
{
    cr_assert_str_eq(canon(""), "");
    cr_assert_str_eq(canon("  "), "");
    cr_assert_str_eq(canon("cut@op=120:before"), "cut@op=120");
    cr_assert_str_eq(canon("cut@op=0x10:after"), "cut@op=16:after");
    cr_assert_str_eq(canon("cut@op=3:weak:torn:page=1"), "cut@op=3:page=1:torn:weak");
    cr_assert_str_eq(canon("rtc=zero;seed=0x10"), "seed=16");
    cr_assert_str_eq(canon("flip@addr=4096:op=2:bit=0 ; rtc=garbage"),
                     "rtc=garbage;flip@addr=0x1000:bit=0:op=2");
    cr_assert_str_eq(canon("fail@addr=0xAB:program"), "fail@addr=0xab:program");
    cr_assert_str_eq(canon("seed=18446744073709551615"), "seed=18446744073709551615");
}

Test(plan, print_parse_round_trip)
{
    const char *plans[] = {
        "seed=7;rtc=garbage;cut@op=120:page=2:torn:weak",
        "cut@op=0;cut@op=5:after;fail@op=3;fail@addr=0x0:erase;stuck0@addr=0xfffff:bit=1",
        "flip@addr=0x10:bit=7;fail@addr=0x3ffffc:once",
    };
    for (size_t i = 0; i < sizeof plans / sizeof plans[0]; i++) {
        char first[512];
        strcpy(first, canon(plans[i]));
        cr_assert_str_eq(first, plans[i], "already canonical");
        cr_assert_str_eq(canon(first), first);
    }
}

Test(plan, errors_name_the_column)
{
    parse_error("cut@op=", "column 8: expected a number");
    parse_error("cut@addr=4", "column 5: expected op=");
    parse_error("seed=1;;cut@op=1", "column 8: expected an item");
    parse_error("seed=1;", "column 8: expected an item after ';'");
    parse_error("cut@op=1:sideways", "column 10: unknown cut option");
    parse_error("cut@op=1:after:torn", "column 16: only one of before/after/torn");
    parse_error("cut@op=1:weak", "column 10: 'weak' needs 'torn'");
    parse_error("cut@op=99999999999", "column 8: number too large");
    parse_error("seed=1;seed=2", "column 8: seed given twice");
    parse_error("rtc=maybe", "column 5: expected rtc=zero or rtc=garbage");
    parse_error("zap@op=1", "column 1: unknown item");
    parse_error("flip@addr=3", "column 12: expected ':bit=N'");
    parse_error("flip@addr=3:bit=8", "column 13: bit must be 0..7");
    parse_error("stuck0@addr=3:bit=1:op=2", "column 21: expected bit=N (once)");
    parse_error("fail@op=3:read", "column 11: fail@op takes no options");
    parse_error("fail@addr=3:read:erase", "column 18: only one of read/program/erase");
    parse_error("cut@op=1 x", "column 10: expected ';' or the end");
    parse_error("cut@op=0x", "column 8: expected a number");
    parse_error("Cut@op=1", "column 1: expected an item");
    parse_error("fail@addr=0XAB", "column 12: expected ';'");
    char err[8];
    cr_assert_null(flashsim_plan_parse("cut@", err, sizeof err));
    cr_assert_eq(strlen(err), 7, "message truncated to the buffer");
    cr_assert_null(flashsim_plan_parse(NULL, NULL, 0));
}

Test(plan, builder_validates_items)
{
    flashsim_plan_t *p = flashsim_plan_new();
    flashsim_fault_t cut = {.kind = FLASHSIM_FAULT_CUT,
                            .at_op = true,
                            .op = 4,
                            .page = -1,
                            .mode = FLASHSIM_CUT_TORN,
                            .addr = 99};
    cr_assert(flashsim_plan_add(p, &cut));
    flashsim_fault_t bad = cut;
    bad.at_op = false;
    cr_assert_not(flashsim_plan_add(p, &bad), "a cut needs an op");
    bad = cut;
    bad.mode = FLASHSIM_CUT_AFTER;
    bad.weak = true;
    cr_assert_not(flashsim_plan_add(p, &bad), "weak needs torn");
    flashsim_fault_t stuck = {.kind = FLASHSIM_FAULT_STUCK0, .addr = 8, .bit = 9};
    cr_assert_not(flashsim_plan_add(p, &stuck));
    flashsim_fault_t wear = {.kind = FLASHSIM_FAULT_WEAR};
    cr_assert_not(flashsim_plan_add(p, &wear), "wear is not plannable");
    flashsim_plan_set_seed(p, 42);
    flashsim_plan_set_rtc_garbage(p, true);
    char buf[128];
    flashsim_plan_print(p, buf, sizeof buf);
    cr_assert_str_eq(buf, "seed=42;rtc=garbage;cut@op=4:torn", "irrelevant fields dropped");
    char small[10];
    int n = flashsim_plan_print(p, small, sizeof small);
    cr_assert_eq(n, (int)strlen(buf), "snprintf-style length");
    cr_assert_str_eq(small, "seed=42;r");
    flashsim_plan_free(p);
}
