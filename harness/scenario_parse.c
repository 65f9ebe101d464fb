/* The scenario parser: lines -> tokens (scenario_lex.c) -> steps, then whole-file checks
 * (order of verbs, one cut per scenario). Grammar: scenarios/README.md. Every error names
 * path:line:column and what was expected. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"
#include "scenario.h"
#include "scenario_lex.h"

typedef struct parser {
    const char *path;
    unsigned line;
    char *err;
    size_t errlen;
    scenario_t *scn;
    size_t cap;
} parser_t;

static bool perr(parser_t *p, unsigned col, const char *fmt, ...)
{
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(p->err, p->errlen, "%s:%u:%u: %s", p->path, p->line, col, msg);
    return false;
}

/* ---- Token helpers ---- */

static bool tok_is(const scn_tok_t *t, const char *w)
{
    return t->kind == TOK_WORD && t->len == strlen(w) && memcmp(t->text, w, t->len) == 0;
}

static bool span_is(const char *s, size_t n, const char *w)
{
    return n == strlen(w) && memcmp(s, w, n) == 0;
}

/* What a token looks like, for "got ..." (quoted, shortened). */
static const char *tok_desc(const scn_tok_t *t, char *buf, size_t size)
{
    switch (t->kind) {
    case TOK_STRING:
        snprintf(buf, size, "a string");
        break;
    case TOK_SET:
        snprintf(buf, size, "a set");
        break;
    case TOK_SEMI:
        snprintf(buf, size, "';'");
        break;
    default:
        snprintf(buf, size, "'%.*s'", (int)(t->len > 40 ? 40 : t->len), t->text);
    }
    return buf;
}

/* A key=value word. */
typedef struct kv {
    const char *key, *val;
    size_t klen, vlen;
    unsigned kcol, vcol;
} kv_t;

static bool split_kv(const scn_tok_t *t, kv_t *kv)
{
    if (t->kind != TOK_WORD)
        return false;
    const char *eq = memchr(t->text, '=', t->len);
    if (!eq)
        return false;
    kv->key = t->text;
    kv->klen = (size_t)(eq - t->text);
    kv->val = eq + 1;
    kv->vlen = t->len - kv->klen - 1;
    kv->kcol = t->col;
    kv->vcol = t->col + (unsigned)kv->klen + 1;
    return true;
}

/* Numbers: decimal or 0x hex, optional k/K (KiB) or m/M (MiB) suffix for sizes. */
static bool parse_num(const char *s, size_t n, bool suffix, uint64_t max, uint64_t *out)
{
    if (n == 0 || n > 24)
        return false;
    char buf[32];
    memcpy(buf, s, n);
    buf[n] = 0;
    uint64_t mul = 1;
    if (suffix && n > 1 && (buf[n - 1] == 'k' || buf[n - 1] == 'K')) {
        mul = 1024;
        buf[--n] = 0;
    } else if (suffix && n > 1 && (buf[n - 1] == 'm' || buf[n - 1] == 'M')) {
        mul = 1024 * 1024;
        buf[--n] = 0;
    }
    if (buf[0] == '-' || buf[0] == '+' || buf[0] == ' ')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 0);
    if (errno || *end || end == buf)
        return false;
    if (v > max / mul)
        return false;
    *out = v * mul;
    return true;
}

static bool val_num(parser_t *p, const kv_t *kv, bool suffix, uint64_t max, uint64_t *out)
{
    if (!parse_num(kv->val, kv->vlen, suffix, max, out))
        return perr(p, kv->vcol, "expected %s for %.*s=, got '%.*s'",
                    suffix ? "a size (N, 0xN, Nk or NM)" : "a number", (int)kv->klen, kv->key,
                    (int)kv->vlen, kv->val);
    return true;
}

static bool val_bool(parser_t *p, const kv_t *kv, bool *out)
{
    if (span_is(kv->val, kv->vlen, "on") || span_is(kv->val, kv->vlen, "yes"))
        *out = true;
    else if (span_is(kv->val, kv->vlen, "off") || span_is(kv->val, kv->vlen, "no"))
        *out = false;
    else
        return perr(p, kv->vcol, "expected on, off, yes or no for %.*s=, got '%.*s'", (int)kv->klen,
                    kv->key, (int)kv->vlen, kv->val);
    return true;
}

/* One of `names` (NULL-terminated); returns its index or -1 after reporting. */
static int val_choice(parser_t *p, const char *s, size_t n, unsigned col, const char *what,
                      const char *const *names)
{
    for (int i = 0; names[i]; i++)
        if (span_is(s, n, names[i]))
            return i;
    char list[200] = "";
    size_t off = 0;
    for (int i = 0; names[i]; i++)
        off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
                                i == 0 ? "" : (names[i + 1] ? ", " : " or "), names[i]);
    perr(p, col, "expected %s (%s), got '%.*s'", what, list, (int)n, s);
    return -1;
}

/* A comma-separated list of choices into a bit set. */
static bool val_list(parser_t *p, const kv_t *kv, const char *what, const char *const *names,
                     const unsigned *bits, unsigned *out)
{
    *out = 0;
    size_t i = 0;
    while (i <= kv->vlen) {
        size_t s = i;
        while (i < kv->vlen && kv->val[i] != ',')
            i++;
        int c = val_choice(p, kv->val + s, i - s, kv->vcol + (unsigned)s, what, names);
        if (c < 0)
            return false;
        *out |= bits[c];
        i++;
    }
    return true;
}

/* name@version[:size] */
static bool parse_ref(parser_t *p, const char *s, size_t n, unsigned col, scn_image_ref_t *ref)
{
    memset(ref, 0, sizeof(*ref));
    const char *at = memchr(s, '@', n);
    if (!at || at == s)
        return perr(p, col, "expected an image name@version (e.g. basic@2), got '%.*s'", (int)n, s);
    size_t nl = (size_t)(at - s);
    if (nl >= SCN_NAME_LEN)
        return perr(p, col, "expected an image name of at most 23 characters");
    for (size_t i = 0; i < nl; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return perr(p, col + (unsigned)i,
                        "expected an image name of a-z, 0-9, '_' and '-', got '%c'", c);
    }
    memcpy(ref->name, s, nl);
    const char *v = at + 1, *end = s + n;
    const char *colon = memchr(v, ':', (size_t)(end - v));
    const char *vend = colon ? colon : end;
    uint64_t num;
    if (!parse_num(v, (size_t)(vend - v), false, 0xFFFFFFFFu, &num))
        return perr(p, col + (unsigned)(v - s), "expected a version number after '@', got '%.*s'",
                    (int)(vend - v), v);
    ref->version = (uint32_t)num;
    if (colon) {
        if (!parse_num(colon + 1, (size_t)(end - colon - 1), true, 16u << 20, &num) || num == 0)
            return perr(p, col + (unsigned)(colon + 1 - s),
                        "expected an image size (N, Nk or NM, at most 16M) after ':', got '%.*s'",
                        (int)(end - colon - 1), colon + 1);
        ref->size = (uint32_t)num;
    }
    return true;
}

static bool unknown_arg(parser_t *p, const scn_tok_t *t, const char *verb, const char *expected)
{
    char d[64];
    return perr(p, t->col, "expected %s for '%s', got %s", expected, verb,
                tok_desc(t, d, sizeof(d)));
}

/* In scn_bootloader_t order from SCN_BL_EBOOT. */
static const char *const bootloader_names[] = {"eboot",    "safe",          "safe-rev2",
                                               "safe-raw", "safe-raw-rev2", NULL};

static bool val_bootloader(parser_t *p, const kv_t *kv, scn_bootloader_t *out)
{
    int c = val_choice(p, kv->val, kv->vlen, kv->vcol, "a bootloader", bootloader_names);
    if (c < 0)
        return false;
    *out = (scn_bootloader_t)(SCN_BL_EBOOT + c);
    return true;
}

/* ---- Verbs ---- */

static bool parse_device(parser_t *p, const scn_tok_t *t, size_t n, scn_step_t *st)
{
    scn_device_t *d = &st->u.device;
    snprintf(d->layout, sizeof(d->layout), "4m2m");
    d->seed = 1;
    bool have_boot = false;
    for (size_t i = 0; i < n; i++) {
        kv_t kv;
        if (!split_kv(&t[i], &kv))
            return unknown_arg(p, &t[i], "device", "layout=, boot=, seed=, signing= or atomic_fs=");
        if (span_is(kv.key, kv.klen, "layout")) {
            char name[16];
            flash_layout_t l;
            if (kv.vlen >= sizeof(name) ||
                (memcpy(name, kv.val, kv.vlen), name[kv.vlen] = 0, !layout_by_name(name, 0, &l)) ||
                !strcmp(name, "auto"))
                return perr(p, kv.vcol,
                            "expected a layout name (1m, 1m64, ..., 4m2m, 4m3m, auto-4m, ...), "
                            "got '%.*s'",
                            (int)kv.vlen, kv.val);
            snprintf(d->layout, sizeof(d->layout), "%s", name);
        } else if (span_is(kv.key, kv.klen, "boot")) {
            static const char *const modes[] = {"eboot", "safe", "safe-raw", NULL};
            int c = val_choice(p, kv.val, kv.vlen, kv.vcol, "a boot mode", modes);
            if (c < 0)
                return false;
            /* safe-raw is safe mode (journal, layout, checks) with the raw-only build. */
            d->boot = c == 0 ? SCN_BOOT_EBOOT : SCN_BOOT_SAFE;
            d->safe_raw = c == 2;
            have_boot = true;
        } else if (span_is(kv.key, kv.klen, "seed")) {
            uint64_t v;
            if (!val_num(p, &kv, false, UINT64_MAX, &v))
                return false;
            d->seed = v;
        } else if (span_is(kv.key, kv.klen, "signing")) {
            if (!val_bool(p, &kv, &d->signing))
                return false;
        } else if (span_is(kv.key, kv.klen, "atomic_fs")) {
            if (!val_bool(p, &kv, &d->atomic_fs))
                return false;
        } else {
            return unknown_arg(p, &t[i], "device", "layout=, boot=, seed=, signing= or atomic_fs=");
        }
    }
    if (!have_boot)
        return perr(p, st->col,
                    "expected boot=eboot, boot=safe or boot=safe-raw on the device line");
    return true;
}

static bool parse_flash(parser_t *p, const scn_tok_t *t, size_t n, scn_step_t *st)
{
    scn_flash_t *f = &st->u.flash;
    f->reset = true;
    bool have_app = false;
    for (size_t i = 0; i < n; i++) {
        kv_t kv;
        if (!split_kv(&t[i], &kv))
            return unknown_arg(p, &t[i], "flash", "app=, bootloader=, fs= or reset=");
        if (span_is(kv.key, kv.klen, "app")) {
            if (!parse_ref(p, kv.val, kv.vlen, kv.vcol, &f->app))
                return false;
            have_app = true;
        } else if (span_is(kv.key, kv.klen, "bootloader")) {
            if (!val_bootloader(p, &kv, &f->bootloader))
                return false;
        } else if (span_is(kv.key, kv.klen, "fs")) {
            if (!parse_ref(p, kv.val, kv.vlen, kv.vcol, &f->fs))
                return false;
            f->has_fs = true;
        } else if (span_is(kv.key, kv.klen, "reset")) {
            if (!val_bool(p, &kv, &f->reset))
                return false;
        } else {
            return unknown_arg(p, &t[i], "flash", "app=, bootloader=, fs= or reset=");
        }
    }
    if (!have_app)
        return perr(p, st->col, "expected app=NAME@VERSION on the flash line");
    return true;
}

static bool parse_boot(parser_t *p, const scn_tok_t *t, size_t n, scn_step_t *st)
{
    st->u.max_boots = 0;
    for (size_t i = 0; i < n; i++) {
        kv_t kv;
        uint64_t v;
        if (!split_kv(&t[i], &kv) || !span_is(kv.key, kv.klen, "max"))
            return unknown_arg(p, &t[i], "boot", "max=N or the end of the statement");
        if (!val_num(p, &kv, false, 100, &v))
            return false;
        if (v == 0)
            return perr(p, kv.vcol, "expected max= of at least 1");
        st->u.max_boots = (unsigned)v;
    }
    return true;
}

static bool parse_flips(parser_t *p, const kv_t *kv, size_t *nflips, scn_flip_t *flips)
{
    size_t i = 0;
    while (i <= kv->vlen) {
        size_t s = i;
        while (i < kv->vlen && kv->val[i] != ',')
            i++;
        const char *item = kv->val + s;
        size_t len = i - s;
        const char *colon = memchr(item, ':', len);
        uint64_t off, bit = 0;
        size_t olen = colon ? (size_t)(colon - item) : len;
        if (!parse_num(item, olen, true, 16u << 20, &off) ||
            (colon && (!parse_num(colon + 1, len - olen - 1, false, 7, &bit))))
            return perr(p, kv->vcol + (unsigned)s,
                        "expected flip=OFFSET[:BIT] (BIT 0..7), comma-separated, got '%.*s'",
                        (int)len, item);
        if (*nflips >= SCN_MAX_FLIPS)
            return perr(p, kv->vcol + (unsigned)s, "expected at most 8 flips");
        flips[*nflips].offset = (uint32_t)off;
        flips[*nflips].bit = (uint8_t)bit;
        (*nflips)++;
        i++;
    }
    return true;
}

#define UPDATE_ARGS                                                                                \
    "image=, bootloader=, gzip, signed, md5=, sig=, flip=, truncate=, size=, magic=, mode= or "    \
    "reboot="

static bool parse_update(parser_t *p, const scn_tok_t *t, size_t n, scn_step_t *st)
{
    scn_update_t *u = &st->u.update;
    u->flash_mode = -1;
    if (n == 0 || !(tok_is(&t[0], "sketch") || tok_is(&t[0], "fs"))) {
        if (n == 0)
            return perr(p, st->col + 6, "expected 'sketch' or 'fs' after 'update'");
        return unknown_arg(p, &t[0], "update", "'sketch' or 'fs'");
    }
    u->fs = tok_is(&t[0], "fs");
    bool have_image = false;
    for (size_t i = 1; i < n; i++) {
        kv_t kv;
        if (tok_is(&t[i], "gzip")) {
            u->gzip = true;
            continue;
        }
        if (tok_is(&t[i], "signed")) {
            u->sign = true;
            continue;
        }
        if (!split_kv(&t[i], &kv))
            return unknown_arg(p, &t[i], "update", UPDATE_ARGS);
        uint64_t v;
        if (span_is(kv.key, kv.klen, "image")) {
            if (!parse_ref(p, kv.val, kv.vlen, kv.vcol, &u->image))
                return false;
            have_image = true;
        } else if (span_is(kv.key, kv.klen, "bootloader")) {
            if (!val_bootloader(p, &kv, &u->bootloader))
                return false;
        } else if (span_is(kv.key, kv.klen, "md5")) {
            static const char *const md5s[] = {"none", "right", "wrong", NULL};
            int c = val_choice(p, kv.val, kv.vlen, kv.vcol, "an MD5 choice", md5s);
            if (c < 0)
                return false;
            u->md5 = (scn_md5_t)c;
        } else if (span_is(kv.key, kv.klen, "sig")) {
            static const char *const sigs[] = {"keep",   "flip",  "zero", "trailer",
                                               "legacy", "strip", NULL};
            int c = val_choice(p, kv.val, kv.vlen, kv.vcol, "a signature variant", sigs);
            if (c < 0)
                return false;
            u->sig = (scn_sig_t)c;
        } else if (span_is(kv.key, kv.klen, "flip")) {
            if (!parse_flips(p, &kv, &u->nflips, u->flips))
                return false;
        } else if (span_is(kv.key, kv.klen, "truncate")) {
            if (!val_num(p, &kv, true, 16u << 20, &v))
                return false;
            u->has_truncate = true;
            u->truncate = (uint32_t)v;
        } else if (span_is(kv.key, kv.klen, "size")) {
            if (!val_num(p, &kv, true, 0xFFFFFFFFu, &v))
                return false;
            u->has_size = true;
            u->size = (uint32_t)v;
        } else if (span_is(kv.key, kv.klen, "magic")) {
            if (!val_num(p, &kv, false, 255, &v))
                return false;
            u->has_magic = true;
            u->magic = (uint8_t)v;
        } else if (span_is(kv.key, kv.klen, "reboot")) {
            static const char *const yn[] = {"yes", "no", NULL};
            int c = val_choice(p, kv.val, kv.vlen, kv.vcol, "yes or no", yn);
            if (c < 0)
                return false;
            u->no_reboot = c == 1;
        } else if (span_is(kv.key, kv.klen, "mode")) {
            static const char *const modes[] = {"qio", "qout", "dio", "dout", NULL};
            int c = val_choice(p, kv.val, kv.vlen, kv.vcol, "a flash mode", modes);
            if (c < 0)
                return false;
            u->flash_mode = c;
        } else {
            return unknown_arg(p, &t[i], "update", UPDATE_ARGS);
        }
    }
    if (!have_image)
        return perr(p, st->col, "expected image=NAME@VERSION on the update line");
    if (u->sig != SCN_SIG_KEEP && !u->sign)
        return perr(p, st->col, "expected 'signed' with sig= (it changes a signed image)");
    if (u->fs && u->bootloader != SCN_BL_DEVICE)
        return perr(p, st->col, "expected no bootloader= for 'update fs'");
    return true;
}

static bool parse_corrupt(parser_t *p, const scn_tok_t *t, size_t n, scn_step_t *st)
{
    scn_corrupt_t *c = &st->u.corrupt;
    if (n == 0 || !tok_is(&t[0], "stage"))
        return n == 0 ? perr(p, st->col + 7, "expected 'stage' after 'corrupt'")
                      : unknown_arg(p, &t[0], "corrupt", "'stage'");
    for (size_t i = 1; i < n; i++) {
        kv_t kv;
        if (!split_kv(&t[i], &kv) || !span_is(kv.key, kv.klen, "flip"))
            return unknown_arg(p, &t[i], "corrupt stage", "flip=OFFSET[:BIT],...");
        if (!parse_flips(p, &kv, &c->nflips, c->flips))
            return false;
    }
    if (c->nflips == 0)
        return perr(p, st->col, "expected flip=OFFSET[:BIT] on the corrupt line");
    return true;
}

static bool parse_reset(parser_t *p, const scn_tok_t *t, size_t n, scn_step_t *st)
{
    if (n != 1 || !(tok_is(&t[0], "warm") || tok_is(&t[0], "power"))) {
        if (n == 0)
            return perr(p, st->col + 5, "expected 'warm' or 'power' after 'reset'");
        return unknown_arg(p, &t[n == 1 ? 0 : 1], "reset", "'warm' or 'power' (one of them)");
    }
    st->u.reset = tok_is(&t[0], "warm") ? SCN_RESET_WARM : SCN_RESET_POWER;
    return true;
}

#define CUT_ARGS "phase=, at=, stride=, mode=, reset=, rtc= or double="

static bool parse_cut(parser_t *p, const scn_tok_t *t, size_t n, scn_step_t *st)
{
    scn_cut_t *c = &st->u.cut;
    c->each = true;
    c->stride = 1;
    c->modes = SCN_MODE_BEFORE;
    c->reset = SCN_RESET_POWER;
    c->rtc = SCN_RTC_ZERO;
    bool have_phase = false;
    for (size_t i = 0; i < n; i++) {
        kv_t kv;
        if (!split_kv(&t[i], &kv))
            return unknown_arg(p, &t[i], "cut", CUT_ARGS);
        uint64_t v;
        if (span_is(kv.key, kv.klen, "phase")) {
            static const char *const names[] = {"staging", "command", "reboot", "copy",
                                                "journal", "any",     NULL};
            static const unsigned bits[] = {SCN_PHASE_STAGING, SCN_PHASE_COMMAND, SCN_PHASE_REBOOT,
                                            SCN_PHASE_COPY,    SCN_PHASE_JOURNAL, SCN_PHASE_ALL};
            if (!val_list(p, &kv, "a phase", names, bits, &c->phases))
                return false;
            have_phase = true;
        } else if (span_is(kv.key, kv.klen, "at")) {
            if (span_is(kv.val, kv.vlen, "each")) {
                c->each = true;
                continue;
            }
            c->each = false;
            const char *dots = NULL;
            for (size_t k = 0; k + 1 < kv.vlen; k++)
                if (kv.val[k] == '.' && kv.val[k + 1] == '.') {
                    dots = kv.val + k;
                    break;
                }
            uint64_t a, b;
            size_t alen = dots ? (size_t)(dots - kv.val) : kv.vlen;
            if (!parse_num(kv.val, alen, false, 0xFFFFFFFFu, &a) ||
                (dots && !parse_num(dots + 2, kv.vlen - alen - 2, false, 0xFFFFFFFFu, &b)))
                return perr(p, kv.vcol, "expected at=each, at=N or at=N..M, got '%.*s'",
                            (int)kv.vlen, kv.val);
            if (!dots)
                b = a;
            if (b < a)
                return perr(p, kv.vcol, "expected a range N..M with N <= M, got '%.*s'",
                            (int)kv.vlen, kv.val);
            c->from = (uint32_t)a;
            c->to = (uint32_t)b;
        } else if (span_is(kv.key, kv.klen, "stride")) {
            if (!val_num(p, &kv, false, 1u << 20, &v))
                return false;
            if (v == 0)
                return perr(p, kv.vcol, "expected stride= of at least 1");
            c->stride = (uint32_t)v;
        } else if (span_is(kv.key, kv.klen, "mode")) {
            static const char *const names[] = {"before", "after", "torn", "weak", NULL};
            static const unsigned bits[] = {SCN_MODE_BEFORE, SCN_MODE_AFTER, SCN_MODE_TORN,
                                            SCN_MODE_WEAK};
            if (!val_list(p, &kv, "a cut mode", names, bits, &c->modes))
                return false;
        } else if (span_is(kv.key, kv.klen, "reset")) {
            static const char *const names[] = {"power", "warm", NULL};
            int k = val_choice(p, kv.val, kv.vlen, kv.vcol, "what ends the run", names);
            if (k < 0)
                return false;
            c->reset = k == 0 ? SCN_RESET_POWER : SCN_RESET_WARM;
        } else if (span_is(kv.key, kv.klen, "rtc")) {
            static const char *const names[] = {"zero", "garbage", NULL};
            static const unsigned bits[] = {SCN_RTC_ZERO, SCN_RTC_GARBAGE};
            if (!val_list(p, &kv, "what power loss leaves in RTC memory", names, bits, &c->rtc))
                return false;
        } else if (span_is(kv.key, kv.klen, "double")) {
            if (!val_num(p, &kv, false, 100000, &v))
                return false;
            c->doubles = (uint32_t)v;
        } else {
            return unknown_arg(p, &t[i], "cut", CUT_ARGS);
        }
    }
    if (!have_phase)
        return perr(p, st->col,
                    "expected phase=staging|command|reboot|copy|journal|any on the cut line");
    if (c->reset == SCN_RESET_WARM && c->doubles)
        return perr(p, st->col, "expected no double= with reset=warm (double cuts are power cuts)");
    return true;
}

static bool parse_outcome_set(parser_t *p, const scn_tok_t *t, outcome_set_t *set)
{
    memset(set, 0, sizeof(*set));
    if (t->nitems == 0)
        return perr(p, t->col, "expected at least one outcome in the set");
    for (size_t k = 0; k < t->nitems; k++) {
        const char *s = t->items[k].text;
        size_t len = t->items[k].len;
        bool s0 = false;
        const char *at = memchr(s, '@', len);
        if (at) {
            if (!span_is(at + 1, len - (size_t)(at - s) - 1, "sector0"))
                return perr(p, t->items[k].col + (unsigned)(at - s),
                            "expected '@sector0' after an outcome, got '%.*s'",
                            (int)(len - (size_t)(at - s)), at);
            s0 = true;
            len = (size_t)(at - s);
        }
        int o = outcome_from_name(s, len);
        if (o < 0 || o == OUTCOME_INVALID)
            return perr(p, t->items[k].col,
                        "expected an outcome (new, old, brick, wrong-image, hang, corrupt-fs), "
                        "got '%.*s'",
                        (int)len, s);
        if (s0)
            set->sector0 |= 1u << o;
        else
            set->any |= 1u << o;
    }
    return true;
}

static const char *const region_names[] = {"eeprom", "rfcal",   "wifi", "boot",
                                           "fs",     "journal", "all",  NULL};
static const unsigned region_bits[] = {SCN_REG_EEPROM, SCN_REG_RFCAL,   SCN_REG_WIFI, SCN_REG_BOOT,
                                       SCN_REG_FS,     SCN_REG_JOURNAL, SCN_REG_ALL};

#define EXPECT_FORMS                                                                               \
    "boots, app=NAME@V, outcome in {...}, outcome=NAME, fs=all-old|all-new, unchanged=..., "       \
    "erases<=N, console contains|lacks \"...\", error=N|none, flash-mode=... or sweep OUTCOME>=N"

/* expect valve=open|closed | expect valve closed-before-erase (the garden-valve app). */
static bool parse_expect_valve(parser_t *p, const scn_tok_t *t, size_t n, scn_expect_t *e,
                               size_t *used)
{
    kv_t kv;
    e->kind = SCN_EXP_VALVE;
    if (split_kv(&t[0], &kv)) {
        static const char *const st[] = {"closed", "open", NULL};
        int c = val_choice(p, kv.val, kv.vlen, kv.vcol, "a valve state", st);
        if (c < 0)
            return false;
        e->valve = (uint8_t)c;
        *used = 1;
        return true;
    }
    if (n < 2 || !tok_is(&t[1], "closed-before-erase"))
        return perr(p, n >= 2 ? t[1].col : t[0].col + 5,
                    "expected 'closed-before-erase' after 'valve' (or valve=open|closed)");
    e->valve = SCN_VALVE_BEFORE_ERASE;
    *used = 2;
    return true;
}

static bool parse_expect_plain(parser_t *p, const scn_tok_t *t, size_t n, scn_step_t *st)
{
    scn_expect_t *e = &st->u.expect;
    if (n == 0)
        return perr(p, st->col + 6, "expected one of " EXPECT_FORMS " after 'expect'");
    kv_t kv;
    size_t used = 1;
    if (tok_is(&t[0], "boots")) {
        e->kind = SCN_EXP_BOOTS;
    } else if (tok_is(&t[0], "outcome")) {
        e->kind = SCN_EXP_OUTCOME;
        if (n < 3 || !tok_is(&t[1], "in") || t[2].kind != TOK_SET) {
            if (n >= 2 && !tok_is(&t[1], "in"))
                return unknown_arg(p, &t[1], "expect outcome", "'in {...}'");
            return perr(p, n >= 2 ? t[1].col : t[0].col,
                        "expected 'in {outcome, ...}' after 'outcome'");
        }
        if (!parse_outcome_set(p, &t[2], &e->outcomes))
            return false;
        used = 3;
    } else if (tok_is(&t[0], "sweep")) {
        /* expect sweep OUTCOME>=N | OUTCOME<=N | OUTCOME=N: a count over the sweep's branches */
        e->kind = SCN_EXP_SWEEP;
        if (n < 2 || t[1].kind != TOK_WORD)
            return perr(p, n >= 2 ? t[1].col : t[0].col + 5,
                        "expected OUTCOME>=N, OUTCOME<=N or OUTCOME=N after 'sweep'");
        const char *w = t[1].text;
        size_t wl = t[1].len, k = 0;
        while (k < wl && w[k] != '>' && w[k] != '<' && w[k] != '=')
            k++;
        int o = outcome_from_name(w, k);
        if (o < 0)
            return perr(p, t[1].col,
                        "expected an outcome (new, old, brick, wrong-image, hang, corrupt-fs, "
                        "invalid) before the comparison, got '%.*s'",
                        (int)k, w);
        e->sweep_outcome = (uint8_t)o;
        size_t opl = 0;
        if (k + 1 < wl && w[k + 1] == '=' && (w[k] == '>' || w[k] == '<')) {
            e->sweep_cmp = w[k];
            opl = 2;
        } else if (k < wl && w[k] == '=') {
            e->sweep_cmp = '=';
            opl = 1;
        }
        uint64_t v;
        if (!opl || !parse_num(w + k + opl, wl - k - opl, false, 0xFFFFFFFFu, &v))
            return perr(p, t[1].col + (unsigned)k,
                        "expected >=N, <=N or =N after the outcome, got '%.*s'", (int)(wl - k),
                        w + k);
        e->sweep_count = (uint32_t)v;
        used = 2;
    } else if (tok_is(&t[0], "console")) {
        e->kind = SCN_EXP_CONSOLE;
        if (n < 2 || !(tok_is(&t[1], "contains") || tok_is(&t[1], "lacks")))
            return perr(p, n >= 2 ? t[1].col : t[0].col + 7,
                        "expected 'contains' or 'lacks' after 'console'");
        e->lacks = tok_is(&t[1], "lacks");
        if (n < 3 || t[2].kind != TOK_STRING)
            return perr(p, n >= 3 ? t[2].col : t[1].col + (unsigned)t[1].len,
                        "expected a quoted string after '%s'", e->lacks ? "lacks" : "contains");
        if (t[2].len == 0)
            return perr(p, t[2].col, "expected a non-empty string");
        snprintf(e->text, sizeof(e->text), "%s", t[2].str);
        used = 3;
    } else if (t[0].kind == TOK_WORD && t[0].len > 8 && memcmp(t[0].text, "erases<=", 8) == 0) {
        e->kind = SCN_EXP_ERASES;
        uint64_t v;
        if (!parse_num(t[0].text + 8, t[0].len - 8, false, 0xFFFFFFFFu, &v))
            return perr(p, t[0].col + 8, "expected a number after 'erases<=', got '%.*s'",
                        (int)t[0].len - 8, t[0].text + 8);
        e->max_erases = (uint32_t)v;
        e->regions = SCN_REG_ALL;
        if (n >= 2 && split_kv(&t[1], &kv) && span_is(kv.key, kv.klen, "region")) {
            if (!val_list(p, &kv, "a region", region_names, region_bits, &e->regions))
                return false;
            used = 2;
        }
    } else if (tok_is(&t[0], "valve") ||
               (split_kv(&t[0], &kv) && span_is(kv.key, kv.klen, "valve"))) {
        if (!parse_expect_valve(p, t, n, e, &used))
            return false;
    } else if (split_kv(&t[0], &kv)) {
        if (span_is(kv.key, kv.klen, "app")) {
            e->kind = SCN_EXP_APP;
            if (!parse_ref(p, kv.val, kv.vlen, kv.vcol, &e->app))
                return false;
        } else if (span_is(kv.key, kv.klen, "outcome")) {
            e->kind = SCN_EXP_OUTCOME;
            int o = outcome_from_name(kv.val, kv.vlen);
            if (o < 0 || o == OUTCOME_INVALID)
                return perr(p, kv.vcol,
                            "expected an outcome (new, old, brick, wrong-image, hang, corrupt-fs), "
                            "got '%.*s'",
                            (int)kv.vlen, kv.val);
            e->outcomes.any = 1u << o;
        } else if (span_is(kv.key, kv.klen, "fs")) {
            static const char *const fs[] = {"all-old", "all-new", NULL};
            int c = val_choice(p, kv.val, kv.vlen, kv.vcol, "a filesystem state", fs);
            if (c < 0)
                return false;
            e->kind = SCN_EXP_FS;
            e->fs_new = c == 1;
        } else if (span_is(kv.key, kv.klen, "unchanged")) {
            e->kind = SCN_EXP_UNCHANGED;
            if (!val_list(p, &kv, "a region", region_names, region_bits, &e->regions))
                return false;
        } else if (span_is(kv.key, kv.klen, "error")) {
            e->kind = SCN_EXP_ERROR;
            uint64_t v;
            if (span_is(kv.val, kv.vlen, "none"))
                e->error = 0;
            else if (parse_num(kv.val, kv.vlen, false, 255, &v))
                e->error = (int)v;
            else
                return perr(p, kv.vcol,
                            "expected an Updater error code (0..255) or none, got '%.*s'",
                            (int)kv.vlen, kv.val);
        } else if (span_is(kv.key, kv.klen, "flash-mode")) {
            static const char *const modes[] = {"qio", "qout", "dio", "dout", NULL};
            int c = val_choice(p, kv.val, kv.vlen, kv.vcol, "a flash mode", modes);
            if (c < 0)
                return false;
            e->kind = SCN_EXP_FLASH_MODE;
            e->flash_mode = (uint8_t)c;
        } else {
            return unknown_arg(p, &t[0], "expect", EXPECT_FORMS);
        }
    } else {
        return unknown_arg(p, &t[0], "expect", EXPECT_FORMS);
    }
    if (used < n) {
        char d[64];
        return perr(p, t[used].col, "expected the end of the expectation, got %s",
                    tok_desc(&t[used], d, sizeof(d)));
    }
    return true;
}

/* ---- Network updates (scenarios/README.md "Network updates") ---- */

#define NET_ARGS                                                                                   \
    "password=P, auth=P, fault=SPEC, reply=200|304|403|404|500, body=full|no-length|wrong-md5, "   \
    "tls=off|good|wrong-ca|forged|wrong-name|pin|wrong-pin, invite=once|twice or an update "       \
    "argument"

static bool val_text(parser_t *p, const kv_t *kv, char *out, size_t cap)
{
    if (kv->vlen == 0 || kv->vlen >= cap)
        return perr(p, kv->vcol, "expected a value of 1..%zu characters for %.*s=", cap - 1,
                    (int)kv->klen, kv->key);
    memcpy(out, kv->val, kv->vlen);
    out[kv->vlen] = 0;
    return true;
}

/* net espota|web|http sketch|fs ARGS: the network words here, the rest is an update line's
 * (parse_update builds the file description). */
static bool parse_net(parser_t *p, const scn_tok_t *t, size_t n, scn_step_t *st)
{
    scn_net_t *nt = &st->u.net;
    static const char *const transports[] = {"espota", "web", "http", NULL};
    if (n == 0 || t[0].kind != TOK_WORD)
        return perr(p, n ? t[0].col : st->col + 3,
                    "expected a transport (espota, web or http) after 'net'");
    int tr = val_choice(p, t[0].text, t[0].len, t[0].col, "a transport", transports);
    if (tr < 0)
        return false;
    nt->transport = (scn_transport_t)tr;
    static scn_tok_t rest[SCN_MAX_TOKENS];
    size_t k = 0;
    for (size_t i = 1; i < n; i++) {
        kv_t kv;
        if (!split_kv(&t[i], &kv)) {
            rest[k++] = t[i];
            continue;
        }
        if (span_is(kv.key, kv.klen, "password")) {
            if (!val_text(p, &kv, nt->password, sizeof(nt->password)))
                return false;
        } else if (span_is(kv.key, kv.klen, "auth")) {
            if (!val_text(p, &kv, nt->auth, sizeof(nt->auth)))
                return false;
            nt->has_auth = true;
        } else if (span_is(kv.key, kv.klen, "fault")) {
            if (!val_text(p, &kv, nt->fault, sizeof(nt->fault)))
                return false;
        } else if (span_is(kv.key, kv.klen, "reply")) {
            static const char *const replies[] = {"200", "304", "403", "404", "500", NULL};
            int c = val_choice(p, kv.val, kv.vlen, kv.vcol, "an update server reply", replies);
            if (c < 0)
                return false;
            nt->reply = (scn_reply_t)c;
        } else if (span_is(kv.key, kv.klen, "body")) {
            static const char *const bodies[] = {"full", "no-length", "wrong-md5", NULL};
            int c = val_choice(p, kv.val, kv.vlen, kv.vcol, "a response body variant", bodies);
            if (c < 0)
                return false;
            nt->no_length = c == 1;
            nt->wrong_md5 = c == 2;
        } else if (span_is(kv.key, kv.klen, "invite")) {
            static const char *const inv[] = {"once", "twice", NULL};
            int c = val_choice(p, kv.val, kv.vlen, kv.vcol, "once or twice", inv);
            if (c < 0)
                return false;
            nt->second_invite = c == 1;
        } else if (span_is(kv.key, kv.klen, "tls")) {
            static const char *const modes[] = {"off",        "good", "wrong-ca",  "forged",
                                                "wrong-name", "pin",  "wrong-pin", NULL};
            int c = val_choice(p, kv.val, kv.vlen, kv.vcol, "a TLS trust case", modes);
            if (c < 0)
                return false;
            if (nt->transport != SCN_NET_HTTP)
                return perr(p, kv.vcol,
                            "expected tls= only on 'net http' (the device's HTTPS "
                            "update client)");
            nt->tls = (scn_tls_t)c;
        } else {
            rest[k++] = t[i];
        }
    }
    bool http = nt->transport == SCN_NET_HTTP;
    if (http && (nt->password[0] || nt->has_auth))
        return perr(p, st->col, "expected no password=/auth= for 'net http' (the device asks)");
    if (!http && (nt->reply != SCN_REPLY_DB || nt->no_length || nt->wrong_md5))
        return perr(p, st->col, "expected reply=/body= only for 'net http'");
    if (nt->second_invite && nt->transport != SCN_NET_ESPOTA)
        return perr(p, st->col, "expected invite=twice only for 'net espota'");
    scn_step_t u;
    memset(&u, 0, sizeof(u));
    u.line = st->line;
    u.col = st->col;
    if (!parse_update(p, rest, k, &u))
        return false;
    if (u.u.update.no_reboot)
        return perr(p, st->col, "expected no reboot= on a net line (the transport reboots)");
    nt->update = u.u.update;
    return true;
}

static bool is_net_expect(const scn_tok_t *t)
{
    kv_t kv;
    if (tok_is(t, "reply") || tok_is(t, "second-reply") || tok_is(t, "idle"))
        return true;
    if (t->kind == TOK_WORD && t->len > 7 && !memcmp(t->text, "writes", 6))
        return true;
    return split_kv(t, &kv) &&
           (span_is(kv.key, kv.klen, "upload") || span_is(kv.key, kv.klen, "second"));
}

/* expect upload=ok|failed | second=ok|failed | [second-]reply contains|lacks "TEXT" | writes=N
 * | writes<=N | idle: about the last net step. */
static bool parse_expect_net(parser_t *p, const scn_tok_t *t, size_t n, scn_step_t *st)
{
    scn_expect_t *e = &st->u.expect;
    size_t used = 1;
    kv_t kv;
    if (tok_is(&t[0], "idle")) {
        e->kind = SCN_EXP_IDLE;
    } else if (tok_is(&t[0], "reply") || tok_is(&t[0], "second-reply")) {
        e->kind = SCN_EXP_REPLY;
        e->second = tok_is(&t[0], "second-reply");
        if (n < 2 || !(tok_is(&t[1], "contains") || tok_is(&t[1], "lacks")))
            return perr(p, n >= 2 ? t[1].col : t[0].col + (unsigned)t[0].len,
                        "expected 'contains' or 'lacks' after '%.*s'", (int)t[0].len, t[0].text);
        e->lacks = tok_is(&t[1], "lacks");
        if (n < 3 || t[2].kind != TOK_STRING || t[2].str[0] == 0)
            return perr(p, n >= 3 ? t[2].col : t[1].col + (unsigned)t[1].len,
                        "expected a non-empty quoted string after '%s'",
                        e->lacks ? "lacks" : "contains");
        snprintf(e->text, sizeof(e->text), "%s", t[2].str);
        used = 3;
    } else if (!memcmp(t[0].text, "writes", 6)) {
        e->kind = SCN_EXP_WRITES;
        size_t at = 6;
        e->sweep_cmp = '=';
        if (t[0].len > 8 && t[0].text[6] == '<' && t[0].text[7] == '=') {
            e->sweep_cmp = '<';
            at = 8;
        } else if (t[0].text[6] == '=') {
            at = 7;
        } else {
            return perr(p, t[0].col + 6, "expected writes=N or writes<=N");
        }
        uint64_t v;
        if (!parse_num(t[0].text + at, t[0].len - at, false, 0xFFFFFFFFu, &v))
            return perr(p, t[0].col + (unsigned)at, "expected a number, got '%.*s'",
                        (int)(t[0].len - at), t[0].text + at);
        e->max_writes = (uint32_t)v;
    } else if (split_kv(&t[0], &kv)) {
        e->kind = span_is(kv.key, kv.klen, "upload") ? SCN_EXP_UPLOAD : SCN_EXP_SECOND;
        static const char *const res[] = {"ok", "failed", NULL};
        int c = val_choice(p, kv.val, kv.vlen, kv.vcol, "ok or failed", res);
        if (c < 0)
            return false;
        e->upload_ok = c == 0;
    }
    if (used < n) {
        char d[64];
        return perr(p, t[used].col, "expected the end of the expectation, got %s",
                    tok_desc(&t[used], d, sizeof(d)));
    }
    return true;
}

static bool parse_expect(parser_t *p, const scn_tok_t *t, size_t n, scn_step_t *st)
{
    if (n > 0 && is_net_expect(&t[0]))
        return parse_expect_net(p, t, n, st);
    return parse_expect_plain(p, t, n, st);
}

/* ---- Statements and the file ---- */

static const char *const verb_names[] = {"device", "flash",  "boot",    "update", "reset",
                                         "cut",    "expect", "corrupt", "net",    NULL};

const char *scn_verb_name(scn_verb_t v)
{
    return (unsigned)v < 9 ? verb_names[v] : "?";
}

const char *scn_phase_name(scn_phase_t ph)
{
    switch (ph) {
    case SCN_PHASE_STAGING:
        return "staging";
    case SCN_PHASE_COMMAND:
        return "command";
    case SCN_PHASE_REBOOT:
        return "reboot";
    case SCN_PHASE_COPY:
        return "copy";
    case SCN_PHASE_JOURNAL:
        return "journal";
    }
    return "?";
}

const char *scn_mode_name(scn_cut_mode_t m)
{
    switch (m) {
    case SCN_MODE_BEFORE:
        return "before";
    case SCN_MODE_AFTER:
        return "after";
    case SCN_MODE_TORN:
        return "torn";
    case SCN_MODE_WEAK:
        return "weak";
    }
    return "?";
}

static scn_step_t *new_step(parser_t *p)
{
    scenario_t *s = p->scn;
    if (s->nsteps == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        s->steps = realloc(s->steps, p->cap * sizeof(*s->steps));
        if (!s->steps) {
            fprintf(stderr, "otasim: out of memory\n");
            abort();
        }
    }
    scn_step_t *st = &s->steps[s->nsteps++];
    memset(st, 0, sizeof(*st));
    return st;
}

static bool parse_statement(parser_t *p, const scn_tok_t *t, size_t n)
{
    char d[64];
    if (t[0].kind != TOK_WORD)
        return perr(p, t[0].col,
                    "expected a verb (device, flash, boot, update, net, reset, cut, expect or "
                    "corrupt), got %s",
                    tok_desc(&t[0], d, sizeof(d)));
    int v = -1;
    for (int i = 0; verb_names[i]; i++)
        if (tok_is(&t[0], verb_names[i]))
            v = i;
    if (v < 0)
        return perr(p, t[0].col,
                    "expected a verb (device, flash, boot, update, net, reset, cut, expect or "
                    "corrupt), got %s",
                    tok_desc(&t[0], d, sizeof(d)));
    scn_step_t *st = new_step(p);
    st->verb = (scn_verb_t)v;
    st->line = p->line;
    st->col = t[0].col;
    const scn_tok_t *a = t + 1;
    size_t na = n - 1;
    switch (st->verb) {
    case SCN_DEVICE:
        return parse_device(p, a, na, st);
    case SCN_FLASH:
        return parse_flash(p, a, na, st);
    case SCN_BOOT:
        return parse_boot(p, a, na, st);
    case SCN_UPDATE:
        return parse_update(p, a, na, st);
    case SCN_RESET:
        return parse_reset(p, a, na, st);
    case SCN_CUT:
        return parse_cut(p, a, na, st);
    case SCN_EXPECT:
        return parse_expect(p, a, na, st);
    case SCN_CORRUPT:
        return parse_corrupt(p, a, na, st);
    case SCN_NET:
        return parse_net(p, a, na, st);
    }
    return false;
}

/* Whole-file rules: device first and once; flash before anything that runs the device; a cut
 * follows an update (without another update in between); one cut per scenario; outcome
 * expectations after an update. */
static bool check_order(parser_t *p)
{
    scenario_t *s = p->scn;
    s->cut_step = s->cut_update = -1;
    long last_update = -1, last_net = -1;
    bool flashed = false, fs_layout = false;
    for (size_t i = 0; i < s->nsteps; i++) {
        scn_step_t *st = &s->steps[i];
        p->line = st->line;
        if (i == 0 && st->verb != SCN_DEVICE)
            return perr(p, st->col, "expected the scenario to start with a 'device' line, got '%s'",
                        scn_verb_name(st->verb));
        switch (st->verb) {
        case SCN_DEVICE:
            if (i != 0)
                return perr(p, st->col, "expected one 'device' line, at the start");
            {
                flash_layout_t l;
                layout_by_name(st->u.device.layout, 0, &l);
                fs_layout = l.fs_end > l.fs_start;
            }
            break;
        case SCN_FLASH:
            flashed = true;
            if (st->u.flash.has_fs && !fs_layout)
                return perr(p, st->col, "expected a layout with a filesystem for fs=");
            break;
        case SCN_BOOT:
        case SCN_UPDATE:
        case SCN_RESET:
        case SCN_CORRUPT:
        case SCN_NET:
            if (!flashed)
                return perr(p, st->col, "expected a 'flash' line before '%s'",
                            scn_verb_name(st->verb));
            if (st->verb == SCN_NET) {
                if (st->u.net.update.fs && !fs_layout)
                    return perr(p, st->col, "expected a layout with a filesystem for a fs upload");
                last_update = (long)i;
                last_net = (long)i;
            }
            if (st->verb == SCN_UPDATE) {
                if (st->u.update.fs && !fs_layout)
                    return perr(p, st->col, "expected a layout with a filesystem for 'update fs'");
                last_update = (long)i;
                last_net = -1;
            }
            break;
        case SCN_CUT:
            if (s->cut_step >= 0)
                return perr(p, st->col, "expected one 'cut' per scenario (the first is on line %u)",
                            s->steps[s->cut_step].line);
            if (last_update < 0)
                return perr(p, st->col, "expected an 'update' line before 'cut'");
            for (long k = last_update + 1; k < (long)i; k++)
                if (s->steps[k].verb != SCN_EXPECT)
                    return perr(p, st->col,
                                "expected 'cut' right after its 'update' (only expect lines "
                                "between), got '%s' on line %u",
                                scn_verb_name(s->steps[k].verb), s->steps[k].line);
            s->cut_step = (long)i;
            s->cut_update = last_update;
            break;
        case SCN_EXPECT:
            if (!flashed)
                return perr(p, st->col, "expected a 'flash' line before 'expect'");
            if ((st->u.expect.kind == SCN_EXP_OUTCOME || st->u.expect.kind == SCN_EXP_ERROR ||
                 (st->u.expect.kind == SCN_EXP_VALVE &&
                  st->u.expect.valve == SCN_VALVE_BEFORE_ERASE)) &&
                last_update < 0)
                return perr(p, st->col, "expected an 'update' line before this expectation");
            if (st->u.expect.kind >= SCN_EXP_UPLOAD && last_net < 0)
                return perr(p, st->col, "expected a 'net' line before this expectation");
            if (st->u.expect.kind == SCN_EXP_SWEEP && s->cut_step < 0)
                return perr(p, st->col, "expected 'expect sweep' after the 'cut' line");
            if (st->u.expect.kind == SCN_EXP_FS && !fs_layout)
                return perr(p, st->col, "expected a layout with a filesystem for 'expect fs='");
            break;
        }
    }
    if (s->nsteps == 0) {
        p->line = 1;
        return perr(p, 1, "expected a 'device' line, got an empty scenario");
    }
    return true;
}

scenario_t *scenario_parse(const char *text, size_t len, const char *path, char *err, size_t errlen)
{
    scenario_t *s = calloc(1, sizeof(*s));
    if (!s)
        abort();
    snprintf(s->path, sizeof(s->path), "%s", path);
    parser_t p = {.path = path, .err = err, .errlen = errlen, .scn = s};
    static scn_tok_t toks[SCN_MAX_TOKENS];
    bool header = true;
    size_t pos = 0;
    for (unsigned line = 1; pos < len || (pos == len && line == 1); line++) {
        const char *start = text + pos;
        const char *nl = memchr(start, '\n', len - pos);
        size_t llen = nl ? (size_t)(nl - start) : len - pos;
        pos += llen + (nl ? 1 : 0);
        p.line = line;
        if (memchr(start, '\0', llen)) {
            perr(&p, (unsigned)((const char *)memchr(start, '\0', llen) - start) + 1,
                 "expected text, got a NUL byte");
            goto fail;
        }
        /* The first comment line of the header is the scenario's title. */
        size_t k = 0;
        while (k < llen && (start[k] == ' ' || start[k] == '\t'))
            k++;
        if (header && k < llen && start[k] == '#') {
            if (!s->title[0]) {
                k++;
                while (k < llen && start[k] == ' ')
                    k++;
                size_t tl = llen - k;
                while (tl && (start[k + tl - 1] == '\r' || start[k + tl - 1] == ' '))
                    tl--;
                snprintf(s->title, sizeof(s->title), "%.*s", (int)tl, start + k);
            }
            continue;
        }
        unsigned ecol = 0;
        char lerr[160];
        int n = scn_lex_line(start, llen, toks, SCN_MAX_TOKENS, &ecol, lerr, sizeof(lerr));
        if (n < 0) {
            perr(&p, ecol, "%s", lerr);
            goto fail;
        }
        if (n > 0)
            header = false;
        /* Statements separated by ';'. */
        int first = 0;
        for (int i = 0; i <= n; i++) {
            if (i < n && toks[i].kind != TOK_SEMI)
                continue;
            if (i == first) {
                if (i < n) {
                    perr(&p, toks[i].col, "expected a statement before ';'");
                    goto fail;
                }
            } else if (!parse_statement(&p, toks + first, (size_t)(i - first))) {
                goto fail;
            }
            first = i + 1;
        }
        if (!nl)
            break;
    }
    if (!check_order(&p))
        goto fail;
    return s;
fail:
    scenario_free(s);
    return NULL;
}

scenario_t *scenario_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            if (cap >= (1u << 20)) {
                snprintf(err, errlen, "%s: expected a scenario of at most 1 MiB", path);
                free(buf);
                fclose(f);
                return NULL;
            }
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    fclose(f);
    if (!buf)
        abort();
    scenario_t *s = scenario_parse(buf, len, path, err, errlen);
    free(buf);
    return s;
}

void scenario_free(scenario_t *s)
{
    if (!s)
        return;
    free(s->steps);
    free(s);
}

bool scenario_parse_cut(const char *text, const char *what, scn_cut_t *out, char *err,
                        size_t errlen)
{
    scenario_t tmp;
    memset(&tmp, 0, sizeof(tmp));
    parser_t p = {.path = what, .line = 1, .err = err, .errlen = errlen, .scn = &tmp};
    static scn_tok_t toks[SCN_MAX_TOKENS];
    unsigned ecol = 0;
    char lerr[160];
    int n = scn_lex_line(text, strlen(text), toks, SCN_MAX_TOKENS, &ecol, lerr, sizeof(lerr));
    if (n < 0)
        return perr(&p, ecol, "%s", lerr);
    for (int i = 0; i < n; i++)
        if (toks[i].kind == TOK_SEMI)
            return perr(&p, toks[i].col, "expected one cut, got ';'");
    scn_step_t st;
    memset(&st, 0, sizeof(st));
    st.verb = SCN_CUT;
    st.col = 1;
    if (!parse_cut(&p, toks, (size_t)n, &st))
        return false;
    *out = st.u.cut;
    return true;
}
