/* Fault plans: the data structure, the string parser and the canonical printer.
 * Grammar (README.md has it with examples):
 *   plan  = [ item *( ";" item ) ]
 *   item  = "seed=" NUM | "rtc=" ("zero" | "garbage")
 *         | "cut@op=" NUM *( ":" ("page=" NUM | "before" | "after" | "torn" | "weak") )
 *         | "fail@op=" NUM
 *         | "fail@addr=" NUM *( ":" ("read" | "program" | "erase" | "once") )
 *         | "flip@addr=" NUM ":bit=" NUM [ ":op=" NUM ]
 *         | ("stuck0" | "stuck1") "@addr=" NUM ":bit=" NUM
 *   NUM   = decimal digits | "0x" hex digits
 * Spaces are allowed around ";" and at both ends. */
#include "internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

flashsim_plan_t *flashsim_plan_new(void)
{
    return fs_xcalloc(1, sizeof(flashsim_plan_t));
}

void flashsim_plan_free(flashsim_plan_t *plan)
{
    if (!plan)
        return;
    free(plan->items);
    free(plan);
}

flashsim_plan_t *fs_plan_copy(const flashsim_plan_t *plan)
{
    flashsim_plan_t *copy = flashsim_plan_new();
    *copy = *plan;
    copy->cap = plan->n;
    copy->items = fs_xmalloc((plan->n ? plan->n : 1) * sizeof(flashsim_fault_t));
    if (plan->n)
        memcpy(copy->items, plan->items, plan->n * sizeof(flashsim_fault_t));
    return copy;
}

void flashsim_plan_set_seed(flashsim_plan_t *plan, uint64_t seed)
{
    plan->has_seed = true;
    plan->seed = seed;
}

void flashsim_plan_set_rtc_garbage(flashsim_plan_t *plan, bool garbage)
{
    plan->rtc_garbage = garbage;
}

size_t flashsim_plan_count(const flashsim_plan_t *plan)
{
    return plan ? plan->n : 0;
}

const flashsim_fault_t *flashsim_plan_item(const flashsim_plan_t *plan, size_t i)
{
    return plan && i < plan->n ? &plan->items[i] : NULL;
}

/* NULL when valid, else why not. */
static const char *item_problem(const flashsim_fault_t *f)
{
    switch (f->kind) {
    case FLASHSIM_FAULT_CUT:
        if (!f->at_op)
            return "a cut needs op=N";
        if (f->page < -1)
            return "page must be >= 0";
        if (f->mode > FLASHSIM_CUT_TORN)
            return "unknown cut mode";
        if (f->weak && f->mode != FLASHSIM_CUT_TORN)
            return "'weak' needs 'torn'";
        return NULL;
    case FLASHSIM_FAULT_FAIL:
        if (f->at_op && (f->on != FLASHSIM_ACCESS_ANY || f->once))
            return "fail@op takes no options (it fails that program/erase)";
        if (f->on > FLASHSIM_ACCESS_ERASE)
            return "unknown access kind";
        return NULL;
    case FLASHSIM_FAULT_FLIP:
    case FLASHSIM_FAULT_STUCK0:
    case FLASHSIM_FAULT_STUCK1:
        if (f->bit > 7)
            return "bit must be 0..7";
        if (f->kind != FLASHSIM_FAULT_FLIP && f->at_op)
            return "stuck bits take no op";
        return NULL;
    default:
        return "this kind cannot be planned";
    }
}

static void plan_push(flashsim_plan_t *plan, const flashsim_fault_t *f)
{
    if (plan->n == plan->cap) {
        plan->cap = plan->cap ? plan->cap * 2 : 4;
        plan->items = fs_xrealloc(plan->items, plan->cap * sizeof *plan->items);
    }
    plan->items[plan->n++] = *f;
}

bool flashsim_plan_add(flashsim_plan_t *plan, const flashsim_fault_t *item)
{
    if (!plan || !item || item_problem(item))
        return false;
    flashsim_fault_t f = *item;
    if (f.kind != FLASHSIM_FAULT_CUT) { /* normalise fields that do not apply */
        f.page = -1;
        f.mode = FLASHSIM_CUT_BEFORE;
        f.weak = false;
    }
    if (f.kind == FLASHSIM_FAULT_CUT || (f.kind == FLASHSIM_FAULT_FAIL && f.at_op))
        f.addr = 0;
    if (f.kind == FLASHSIM_FAULT_CUT || f.kind == FLASHSIM_FAULT_FAIL)
        f.bit = 0;
    if (f.kind != FLASHSIM_FAULT_FAIL || f.at_op) {
        f.on = FLASHSIM_ACCESS_ANY;
        f.once = false;
    }
    if (!f.at_op)
        f.op = 0;
    plan_push(plan, &f);
    return true;
}

/* ---- parser ---- */

typedef struct parser {
    const char *text, *p;
    char *err;
    size_t errlen;
    bool failed;
} parser_t;

static bool fail_at(parser_t *ps, const char *at, const char *fmt, ...)
{
    if (ps->failed)
        return false;
    ps->failed = true;
    if (ps->err && ps->errlen) {
        int n = snprintf(ps->err, ps->errlen, "column %d: ", (int)(at - ps->text) + 1);
        if (n >= 0 && (size_t)n < ps->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return false;
}

static void skip_spaces(parser_t *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t')
        ps->p++;
}

static bool is_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* A lowercase word (letters and digits); its length, 0 if none. */
static size_t word(parser_t *ps, const char **start)
{
    *start = ps->p;
    while (is_word_char(*ps->p))
        ps->p++;
    return (size_t)(ps->p - *start);
}

static bool word_is(const char *w, size_t n, const char *lit)
{
    return strlen(lit) == n && !memcmp(w, lit, n);
}

static bool expect(parser_t *ps, char c)
{
    if (*ps->p != c)
        return fail_at(ps, ps->p, "expected '%c'", c);
    ps->p++;
    return true;
}

static bool number(parser_t *ps, uint64_t max, uint64_t *out)
{
    const char *start = ps->p;
    unsigned base = 10;
    if (ps->p[0] == '0' && ps->p[1] == 'x') {
        base = 16;
        ps->p += 2;
    }
    uint64_t v = 0;
    size_t digits = 0;
    for (;; ps->p++, digits++) {
        char c = *ps->p;
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (base == 16 && c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (base == 16 && c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            break;
        if (v > (max - d) / base)
            return fail_at(ps, start, "number too large (at most %llu)", (unsigned long long)max);
        v = v * base + d;
    }
    if (!digits)
        return fail_at(ps, start, "expected a number");
    *out = v;
    return true;
}

static bool number32(parser_t *ps, uint32_t *out)
{
    uint64_t v;
    if (!number(ps, UINT32_MAX, &v))
        return false;
    *out = (uint32_t)v;
    return true;
}

/* "key=NUM" after the caller read key. */
static bool key_number(parser_t *ps, uint32_t *out)
{
    return expect(ps, '=') && number32(ps, out);
}

static bool parse_cut_options(parser_t *ps, flashsim_fault_t *f)
{
    const char *mode_at = NULL, *weak_at = NULL;
    while (*ps->p == ':') {
        ps->p++;
        const char *w;
        size_t n = word(ps, &w);
        flashsim_cut_mode_t mode;
        if (word_is(w, n, "page")) {
            uint32_t page;
            if (!key_number(ps, &page))
                return false;
            if (page > INT32_MAX)
                return fail_at(ps, w, "page too large");
            f->page = (int32_t)page;
            continue;
        } else if (word_is(w, n, "weak")) {
            weak_at = w;
            f->weak = true;
            continue;
        } else if (word_is(w, n, "before")) {
            mode = FLASHSIM_CUT_BEFORE;
        } else if (word_is(w, n, "after")) {
            mode = FLASHSIM_CUT_AFTER;
        } else if (word_is(w, n, "torn")) {
            mode = FLASHSIM_CUT_TORN;
        } else {
            return fail_at(ps, w, "unknown cut option (page=N, before, after, torn, weak)");
        }
        if (mode_at)
            return fail_at(ps, w, "only one of before/after/torn");
        mode_at = w;
        f->mode = mode;
    }
    if (weak_at && f->mode != FLASHSIM_CUT_TORN)
        return fail_at(ps, weak_at, "'weak' needs 'torn'");
    return true;
}

static bool parse_fail_options(parser_t *ps, flashsim_fault_t *f)
{
    const char *access_at = NULL;
    while (*ps->p == ':') {
        ps->p++;
        const char *w;
        size_t n = word(ps, &w);
        if (f->at_op)
            return fail_at(ps, w, "fail@op takes no options (it fails that program/erase)");
        if (word_is(w, n, "once")) {
            f->once = true;
            continue;
        }
        flashsim_access_t on;
        if (word_is(w, n, "read"))
            on = FLASHSIM_ACCESS_READ;
        else if (word_is(w, n, "program"))
            on = FLASHSIM_ACCESS_PROGRAM;
        else if (word_is(w, n, "erase"))
            on = FLASHSIM_ACCESS_ERASE;
        else
            return fail_at(ps, w, "unknown fail option (read, program, erase, once)");
        if (access_at)
            return fail_at(ps, w, "only one of read/program/erase");
        access_at = w;
        f->on = on;
    }
    return true;
}

static bool parse_bit_options(parser_t *ps, flashsim_fault_t *f)
{
    bool have_bit = false;
    const char *item_end = ps->p;
    while (*ps->p == ':') {
        ps->p++;
        const char *w;
        size_t n = word(ps, &w);
        uint32_t v;
        if (word_is(w, n, "bit") && !have_bit) {
            if (!key_number(ps, &v))
                return false;
            if (v > 7)
                return fail_at(ps, w, "bit must be 0..7");
            f->bit = (uint8_t)v;
            have_bit = true;
        } else if (word_is(w, n, "op") && f->kind == FLASHSIM_FAULT_FLIP && !f->at_op) {
            if (!key_number(ps, &v))
                return false;
            f->at_op = true;
            f->op = v;
        } else {
            return fail_at(ps, w,
                           f->kind == FLASHSIM_FAULT_FLIP ? "expected bit=N or op=N (once each)"
                                                          : "expected bit=N (once)");
        }
        item_end = ps->p;
    }
    if (!have_bit)
        return fail_at(ps, item_end, "expected ':bit=N'");
    return true;
}

static bool parse_fault(parser_t *ps, const char *kw, size_t kwlen, flashsim_plan_t *plan)
{
    flashsim_fault_t f = {.page = -1};
    if (word_is(kw, kwlen, "cut"))
        f.kind = FLASHSIM_FAULT_CUT;
    else if (word_is(kw, kwlen, "fail"))
        f.kind = FLASHSIM_FAULT_FAIL;
    else if (word_is(kw, kwlen, "flip"))
        f.kind = FLASHSIM_FAULT_FLIP;
    else if (word_is(kw, kwlen, "stuck0"))
        f.kind = FLASHSIM_FAULT_STUCK0;
    else if (word_is(kw, kwlen, "stuck1"))
        f.kind = FLASHSIM_FAULT_STUCK1;
    else
        return fail_at(ps, kw, "unknown item (seed=, rtc=, cut@, fail@, flip@, stuck0@, stuck1@)");
    if (!expect(ps, '@'))
        return false;
    const char *w;
    size_t n = word(ps, &w);
    bool by_op = word_is(w, n, "op"), by_addr = word_is(w, n, "addr");
    bool op_ok = f.kind == FLASHSIM_FAULT_CUT || f.kind == FLASHSIM_FAULT_FAIL;
    bool addr_ok = f.kind != FLASHSIM_FAULT_CUT;
    if (!((by_op && op_ok) || (by_addr && addr_ok)))
        return fail_at(ps, w, "expected %s",
                       op_ok && addr_ok ? "op= or addr="
                       : op_ok          ? "op="
                                        : "addr=");
    f.at_op = by_op;
    if (!key_number(ps, by_op ? &f.op : &f.addr))
        return false;
    bool ok;
    if (f.kind == FLASHSIM_FAULT_CUT)
        ok = parse_cut_options(ps, &f);
    else if (f.kind == FLASHSIM_FAULT_FAIL)
        ok = parse_fail_options(ps, &f);
    else
        ok = parse_bit_options(ps, &f);
    if (ok && !flashsim_plan_add(plan, &f))
        return fail_at(ps, kw, "%s", item_problem(&f));
    return ok;
}

static bool parse_item(parser_t *ps, flashsim_plan_t *plan)
{
    const char *kw;
    size_t n = word(ps, &kw);
    if (!n)
        return fail_at(ps, ps->p,
                       "expected an item (seed=, rtc=, cut@, fail@, flip@, stuck0@, "
                       "stuck1@)");
    if (word_is(kw, n, "seed")) {
        if (plan->has_seed)
            return fail_at(ps, kw, "seed given twice");
        uint64_t seed;
        if (!expect(ps, '=') || !number(ps, UINT64_MAX, &seed))
            return false;
        flashsim_plan_set_seed(plan, seed);
        return true;
    }
    if (word_is(kw, n, "rtc")) {
        if (!expect(ps, '='))
            return false;
        const char *w;
        size_t wn = word(ps, &w);
        if (word_is(w, wn, "zero"))
            plan->rtc_garbage = false;
        else if (word_is(w, wn, "garbage"))
            plan->rtc_garbage = true;
        else
            return fail_at(ps, w, "expected rtc=zero or rtc=garbage");
        return true;
    }
    return parse_fault(ps, kw, n, plan);
}

flashsim_plan_t *flashsim_plan_parse(const char *text, char *err, size_t errlen)
{
    parser_t ps = {.text = text, .p = text, .err = err, .errlen = errlen};
    if (err && errlen)
        err[0] = '\0';
    if (!text) {
        if (err && errlen)
            snprintf(err, errlen, "no plan text");
        return NULL;
    }
    flashsim_plan_t *plan = flashsim_plan_new();
    skip_spaces(&ps);
    while (*ps.p) {
        if (!parse_item(&ps, plan))
            break;
        skip_spaces(&ps);
        if (*ps.p == ';') {
            ps.p++;
            skip_spaces(&ps);
            if (!*ps.p) {
                fail_at(&ps, ps.p, "expected an item after ';'");
                break;
            }
        } else if (*ps.p) {
            fail_at(&ps, ps.p, "expected ';' or the end of the plan");
            break;
        }
    }
    if (ps.failed) {
        flashsim_plan_free(plan);
        return NULL;
    }
    return plan;
}

/* ---- printer ---- */

typedef struct out {
    char *buf;
    size_t size, len;
} out_t;

static void put(out_t *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->len < o->size ? o->size - o->len : 0;
    int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

static void print_item(out_t *o, const flashsim_fault_t *f)
{
    static const char *const access[] = {"", ":read", ":program", ":erase"};
    static const char *const cut_mode[] = {"", ":after", ":torn"};
    switch (f->kind) {
    case FLASHSIM_FAULT_CUT:
        put(o, "cut@op=%u", f->op);
        if (f->page >= 0)
            put(o, ":page=%d", f->page);
        put(o, "%s%s", cut_mode[f->mode], f->weak ? ":weak" : "");
        break;
    case FLASHSIM_FAULT_FAIL:
        if (f->at_op)
            put(o, "fail@op=%u", f->op);
        else
            put(o, "fail@addr=0x%x%s%s", f->addr, access[f->on], f->once ? ":once" : "");
        break;
    default:
        put(o, "%s@addr=0x%x:bit=%u", flashsim_fault_kind_name(f->kind), f->addr, f->bit);
        if (f->at_op)
            put(o, ":op=%u", f->op);
        break;
    }
}

int flashsim_plan_print(const flashsim_plan_t *plan, char *buf, size_t size)
{
    out_t o = {.buf = buf, .size = size};
    if (size)
        buf[0] = '\0';
    const char *sep = "";
    if (plan->has_seed) {
        put(&o, "seed=%llu", (unsigned long long)plan->seed);
        sep = ";";
    }
    if (plan->rtc_garbage) {
        put(&o, "%srtc=garbage", sep);
        sep = ";";
    }
    for (size_t i = 0; i < plan->n; i++) {
        put(&o, "%s", sep);
        print_item(&o, &plan->items[i]);
        sep = ";";
    }
    return (int)o.len;
}

const char *flashsim_fault_kind_name(flashsim_fault_kind_t kind)
{
    static const char *const names[] = {"cut", "fail", "flip", "stuck0", "stuck1", "wear", "rtc"};
    return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind] : "?";
}
