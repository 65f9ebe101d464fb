/* The scenario engine, step by step: device set-up, serial flash, boots, updates, resets, the
 * expectations and the outcome of an update (engine.h). The sweep driver is sweep.c. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "engine_net.h"
#include "boot_cmd.h"
#include "journal.h"
#include "updater.h"
#include "qemu_device.h"

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "otasim: out of memory\n");
        abort();
    }
    return p;
}

const hbuf_t *engine_keep(engine_t *e, hbuf_t *b)
{
    if (e->npool == e->pool_cap) {
        e->pool_cap = e->pool_cap ? e->pool_cap * 2 : 16;
        e->pool = realloc(e->pool, e->pool_cap * sizeof(*e->pool));
        if (!e->pool)
            abort();
    }
    hbuf_t *k = xmalloc(sizeof(*k));
    *k = *b;
    memset(b, 0, sizeof(*b));
    e->pool[e->npool++] = k;
    return k;
}

/* ---- Branch state ---- */

void bstate_init(bstate_t *s)
{
    memset(s, 0, sizeof(*s));
    s->console = xmalloc(1);
    s->console[0] = 0;
}

void bstate_copy(bstate_t *dst, const bstate_t *src)
{
    *dst = *src;
    dst->console = xmalloc(src->console_len + 1);
    memcpy(dst->console, src->console, src->console_len + 1);
}

void bstate_free(bstate_t *s)
{
    free(s->console);
    s->console = NULL;
}

void bstate_console(bstate_t *s, const char *text, size_t len)
{
    s->console = realloc(s->console, s->console_len + len + 1);
    if (!s->console)
        abort();
    memcpy(s->console + s->console_len, text, len);
    s->console_len += len;
    s->console[s->console_len] = 0;
}

void bstate_fail(bstate_t *s, const scn_step_t *st, const char *fmt, ...)
{
    s->failures++;
    if (s->failures > 1)
        return;
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(s->first_failure, sizeof(s->first_failure), "line %u: %s", st->line, msg);
}

void engine_note_run(bstate_t *s, const hdev_result_t *r)
{
    s->end = r->end;
    s->app_running = r->app_running && r->end == HDEV_END_IDLE;
    snprintf(s->app_name, sizeof(s->app_name), "%s", r->app_name);
    s->app_version = r->app_version;
    s->need_boot = false;
    s->boots += r->boots;
    s->outputs = r->outputs;
    bstate_console(s, r->console ? r->console : "", r->console_len);
}

/* ---- Comparing flash ---- */

/* Flash [addr, addr + len) equals buf; byte `alt_at` (if < len) may also equal alt. */
static bool flash_equals(engine_t *e, uint32_t addr, const uint8_t *buf, size_t len, size_t alt_at,
                         uint8_t alt)
{
    uint8_t chunk[4096];
    for (size_t off = 0; off < len; off += sizeof(chunk)) {
        size_t n = len - off < sizeof(chunk) ? len - off : sizeof(chunk);
        flashsim_peek(e->fs, addr + (uint32_t)off, chunk, (uint32_t)n);
        if (alt_at >= off && alt_at < off + n && chunk[alt_at - off] == alt)
            chunk[alt_at - off] = buf[alt_at];
        if (memcmp(chunk, buf + off, n) != 0)
            return false;
    }
    return true;
}

static bool flash_is_erased(engine_t *e, uint32_t addr, size_t len)
{
    uint8_t chunk[4096];
    for (size_t off = 0; off < len; off += sizeof(chunk)) {
        size_t n = len - off < sizeof(chunk) ? len - off : sizeof(chunk);
        flashsim_peek(e->fs, addr + (uint32_t)off, chunk, (uint32_t)n);
        for (size_t i = 0; i < n; i++)
            if (chunk[i] != 0xFF)
                return false;
    }
    return true;
}

/* The FS content equals `img` (NULL: erased) over `len` bytes. */
static bool fs_equals(engine_t *e, const hbuf_t *img, size_t len)
{
    if (!img)
        return flash_is_erased(e, e->eff_layout.fs_start, len);
    if (img->len < len)
        return flash_equals(e, e->eff_layout.fs_start, img->data, img->len, SIZE_MAX, 0) &&
               flash_is_erased(e, e->eff_layout.fs_start + (uint32_t)img->len, len - img->len);
    return flash_equals(e, e->eff_layout.fs_start, img->data, len, SIZE_MAX, 0);
}

outcome_t engine_classify(engine_t *e, const bstate_t *s)
{
    if (s->end == HDEV_END_HANG)
        return OUTCOME_HANG;
    if (!s->app_running)
        return OUTCOME_BRICK;
    const tx_t *t = &s->tx;
    if (t->fs) {
        size_t len = t->new_->len;
        if (t->old && t->old->len > len)
            len = t->old->len;
        bool app_ok = flash_equals(e, 0, t->app->data, t->app->len, 2, t->old_byte2) &&
                      !strcmp(s->app_name, t->old_name) && s->app_version == t->old_version;
        if (!app_ok)
            return OUTCOME_WRONG_IMAGE;
        if (fs_equals(e, t->new_, len))
            return OUTCOME_NEW;
        if (fs_equals(e, t->old, len))
            return OUTCOME_OLD;
        return OUTCOME_CORRUPT_FS;
    }
    if (!strcmp(s->app_name, t->new_name) && s->app_version == t->new_version &&
        flash_equals(e, 0, t->new_->data, t->new_->len, 2, t->old_byte2))
        return OUTCOME_NEW;
    if (!strcmp(s->app_name, t->old_name) && s->app_version == t->old_version &&
        flash_equals(e, 0, t->old->data, t->old->len, SIZE_MAX, 0))
        return OUTCOME_OLD;
    return OUTCOME_WRONG_IMAGE;
}

/* ---- Steps ---- */

static scn_bootloader_t resolve_bl(engine_t *e, scn_bootloader_t bl)
{
    if (bl != SCN_BL_DEVICE)
        return bl;
    if (e->dev_cfg.boot != SCN_BOOT_SAFE)
        return SCN_BL_EBOOT;
    return e->dev_cfg.safe_raw ? SCN_BL_SAFE_RAW : SCN_BL_SAFE;
}

static int step_flash(engine_t *e, bstate_t *s, const scn_step_t *st)
{
    const scn_flash_t *f = &st->u.flash;
    char err[300];
    hbuf_t pair, fsimg = {0};
    if (himages_pair(&e->images, resolve_bl(e, f->bootloader), &f->app, e->layout.flash_size, &pair,
                     err, sizeof(err))) {
        fprintf(e->out, "%s:%u: %s\n", e->scn->path, st->line, err);
        return -1;
    }
    if (pair.len > e->eff_layout.fs_start) {
        fprintf(e->out, "%s:%u: the %zu-byte image does not fit below the filesystem\n",
                e->scn->path, st->line, pair.len);
        hbuf_free(&pair);
        return -1;
    }
    /* A serial flasher erases the sectors it writes, then writes the file. */
    uint32_t end = (uint32_t)((pair.len + 4095) & ~(size_t)4095);
    uint8_t ff[4096];
    memset(ff, 0xFF, sizeof(ff));
    for (uint32_t a = 0; a < end; a += 4096)
        flashsim_poke(e->fs, a, ff, 4096);
    flashsim_poke(e->fs, 0, pair.data, (uint32_t)pair.len);
    s->cur_pair = engine_keep(e, &pair);
    snprintf(s->cur_name, sizeof(s->cur_name), "%s", f->app.name);
    s->cur_version = f->app.version;
    if (f->has_fs) {
        if (himages_fs(&f->fs, &fsimg, err, sizeof(err))) {
            fprintf(e->out, "%s:%u: %s\n", e->scn->path, st->line, err);
            return -1;
        }
        if (fsimg.len > e->eff_layout.fs_end - e->eff_layout.fs_start) {
            fprintf(e->out, "%s:%u: the %zu-byte FS image is larger than the filesystem\n",
                    e->scn->path, st->line, fsimg.len);
            hbuf_free(&fsimg);
            return -1;
        }
        flashsim_poke(e->fs, e->eff_layout.fs_start, fsimg.data, (uint32_t)fsimg.len);
        s->cur_fs = engine_keep(e, &fsimg);
    }
    hdev_set_uart_strap(e->dev, !f->reset);
    s->need_boot = true; /* the flasher leaves the chip to boot (expect lines boot it) */
    flashsim_snapshot_unref(e->baseline);
    e->baseline = flashsim_snapshot(e->fs);
    for (uint32_t i = 0; i < e->nsectors; i++)
        e->baseline_erases[i] = flashsim_erase_count(e->fs, i);
    return 0;
}

int engine_update_prepare(engine_t *e, bstate_t *s, const scn_step_t *st, hdev_job_t *job)
{
    const scn_update_t *u = &st->u.update;
    char err[300];
    /* What the previous update left is now the "old" side. */
    if (s->tx.active) {
        outcome_t o = engine_classify(e, s);
        if (o == OUTCOME_NEW && !s->tx.fs) {
            s->cur_pair = s->tx.new_;
            snprintf(s->cur_name, sizeof(s->cur_name), "%s", s->tx.new_name);
            s->cur_version = s->tx.new_version;
        } else if (o == OUTCOME_NEW && s->tx.fs) {
            s->cur_fs = s->tx.new_;
        }
    }
    hbuf_t plain, file;
    if (u->fs) {
        if (himages_fs(&u->image, &plain, err, sizeof(err)))
            goto fail;
    } else if (himages_pair(&e->images, resolve_bl(e, u->bootloader), &u->image,
                            e->layout.flash_size, &plain, err, sizeof(err))) {
        goto fail;
    }
    char md5[33];
    uint32_t declared;
    if (himages_update_file(&e->images, u, &plain, &file, md5, &declared, err, sizeof(err))) {
        hbuf_free(&plain);
        goto fail;
    }
    tx_t *t = &s->tx;
    memset(t, 0, sizeof(*t));
    t->active = true;
    t->fs = u->fs;
    uint8_t b2 = 0xFF;
    flashsim_peek(e->fs, 2, &b2, 1);
    t->old_byte2 = b2;
    snprintf(t->old_name, sizeof(t->old_name), "%s", s->cur_name);
    t->old_version = s->cur_version;
    if (u->fs) {
        t->old = s->cur_fs;
        t->app = s->cur_pair;
        snprintf(t->new_name, sizeof(t->new_name), "%s", s->cur_name);
        t->new_version = s->cur_version;
    } else {
        t->old = s->cur_pair;
        snprintf(t->new_name, sizeof(t->new_name), "%s", u->image.name);
        t->new_version = u->image.version;
    }
    t->new_ = engine_keep(e, &plain);
    const hbuf_t *sent = engine_keep(e, &file);
    memset(job, 0, sizeof(*job));
    job->data = sent->data;
    job->len = sent->len;
    job->declared = declared;
    job->command = u->fs ? U_FS : U_FLASH;
    job->has_md5 = md5[0] != 0;
    job->no_restart = u->no_reboot;
    memcpy(job->md5, md5, sizeof(job->md5));
    return 0;
fail:
    fprintf(e->out, "%s:%u: %s\n", e->scn->path, st->line, err);
    return -1;
}

void engine_note_job(bstate_t *s, const hdev_result_t *res)
{
    s->tx.job_known = res->job_taken;
    s->tx.job_ok = res->job_ok;
    s->tx.job_error = res->job_error;
    s->upd_outputs = res->outputs; /* expect valve closed-before-erase */
}

static int step_update(engine_t *e, bstate_t *s, const scn_step_t *st, hdev_recording_t *rec,
                       hdev_result_t *res)
{
    hdev_job_t job;
    if (engine_update_prepare(e, s, st, &job))
        return -1;
    hdev_run(e->dev, &job, rec, res);
    engine_note_job(s, res);
    engine_note_run(s, res);
    return 0;
}

static void region_range(engine_t *e, scn_region_t r, uint32_t *lo, uint32_t *hi)
{
    const flash_layout_t *l = &e->eff_layout;
    switch (r) {
    case SCN_REG_EEPROM:
        *lo = l->eeprom_start, *hi = l->eeprom_start + 4096;
        break;
    case SCN_REG_RFCAL:
        *lo = l->rfcal_start, *hi = l->rfcal_start + 4096;
        break;
    case SCN_REG_WIFI:
        *lo = l->wifi_start, *hi = l->flash_size;
        break;
    case SCN_REG_BOOT:
        *lo = 0, *hi = 4096;
        break;
    case SCN_REG_FS:
        *lo = l->fs_start, *hi = l->fs_end;
        break;
    case SCN_REG_JOURNAL:
        *lo = journal_area(l->flash_size), *hi = *lo + JOURNAL_AREA_SIZE;
        break;
    default:
        *lo = 0, *hi = l->flash_size;
    }
}

static const char *region_name(scn_region_t r)
{
    switch (r) {
    case SCN_REG_EEPROM:
        return "eeprom";
    case SCN_REG_RFCAL:
        return "rfcal";
    case SCN_REG_WIFI:
        return "wifi";
    case SCN_REG_BOOT:
        return "boot";
    case SCN_REG_FS:
        return "fs";
    case SCN_REG_JOURNAL:
        return "journal";
    default:
        return "all";
    }
}

static void expect_unchanged(engine_t *e, bstate_t *s, const scn_step_t *st, unsigned regions)
{
    for (unsigned bit = 1; bit <= SCN_REG_ALL; bit <<= 1) {
        if (!(regions & bit))
            continue;
        uint32_t lo, hi;
        region_range(e, (scn_region_t)bit, &lo, &hi);
        uint8_t a[4096], b[4096];
        for (uint32_t addr = lo; addr < hi; addr += 4096) {
            uint32_t n = hi - addr < 4096 ? hi - addr : 4096;
            flashsim_peek(e->fs, addr, a, n);
            flashsim_snapshot_peek(e->baseline, addr, b, n);
            if (memcmp(a, b, n) != 0) {
                bstate_fail(s, st, "expected %s unchanged, but sector 0x%06x changed",
                            region_name((scn_region_t)bit), (unsigned)addr);
                return;
            }
        }
    }
}

static void expect_erases(engine_t *e, bstate_t *s, const scn_step_t *st)
{
    const scn_expect_t *x = &st->u.expect;
    for (unsigned bit = 1; bit <= SCN_REG_ALL; bit <<= 1) {
        if (!(x->regions & bit))
            continue;
        uint32_t lo, hi;
        region_range(e, (scn_region_t)bit, &lo, &hi);
        for (uint32_t sec = lo / 4096; sec < (hi + 4095) / 4096 && sec < e->nsectors; sec++) {
            uint32_t n = flashsim_erase_count(e->fs, sec) - e->baseline_erases[sec];
            if (n > x->max_erases) {
                bstate_fail(s, st,
                            "expected at most %u erases per sector (%s), sector 0x%06x "
                            "was erased %u times",
                            (unsigned)x->max_erases, region_name((scn_region_t)bit),
                            (unsigned)sec * 4096, (unsigned)n);
                return;
            }
        }
    }
}

static const char *mode_names[] = {"qio", "qout", "dio", "dout"};

static void step_expect(engine_t *e, bstate_t *s, const scn_step_t *st)
{
    const scn_expect_t *x = &st->u.expect;
    char buf[200];
    switch (x->kind) {
    case SCN_EXP_BOOTS:
        if (!s->app_running)
            bstate_fail(s, st, "expected an app to boot, the device ended: %s",
                        hdev_end_name(s->end));
        break;
    case SCN_EXP_APP:
        if (!s->app_running)
            bstate_fail(s, st, "expected app %s@%u, but no app runs (%s)", x->app.name,
                        (unsigned)x->app.version, hdev_end_name(s->end));
        else if (strcmp(s->app_name, x->app.name) || s->app_version != x->app.version)
            bstate_fail(s, st, "expected app %s@%u, got %s@%u", x->app.name,
                        (unsigned)x->app.version, s->app_name, (unsigned)s->app_version);
        break;
    case SCN_EXP_OUTCOME: {
        outcome_t o = engine_classify(e, s);
        if (!outcome_set_has(&x->outcomes, o, s->cut_sector0)) {
            outcome_set_format(&x->outcomes, buf, sizeof(buf));
            bstate_fail(s, st, "expected outcome in %s, got %s", buf, outcome_name(o));
        }
        break;
    }
    case SCN_EXP_FS: {
        size_t len = s->tx.new_ ? s->tx.new_->len : 0;
        const hbuf_t *want = x->fs_new ? s->tx.new_ : s->tx.old;
        if (!s->tx.fs) {
            want = s->cur_fs;
            len = want ? want->len : 0;
        } else if (s->tx.old && s->tx.old->len > len) {
            len = s->tx.old->len;
        }
        if (len && !fs_equals(e, want, len))
            bstate_fail(s, st, "expected the filesystem %s", x->fs_new ? "all new" : "all old");
        break;
    }
    case SCN_EXP_UNCHANGED:
        expect_unchanged(e, s, st, x->regions);
        break;
    case SCN_EXP_ERASES:
        expect_erases(e, s, st);
        break;
    case SCN_EXP_CONSOLE: {
        bool has = strstr(s->console, x->text) != NULL;
        if (has == x->lacks)
            bstate_fail(s, st, "expected the console %s \"%s\"",
                        x->lacks ? "to lack" : "to contain", x->text);
        break;
    }
    case SCN_EXP_ERROR:
        if (!s->tx.job_known)
            bstate_fail(s, st, "expected Updater error %d, but the update did not finish",
                        x->error);
        else if (s->tx.job_error != x->error)
            bstate_fail(s, st, "expected Updater error %d, got %d", x->error, s->tx.job_error);
        break;
    case SCN_EXP_SWEEP:
        break; /* judged once, over all branches (sweep.c) */
    case SCN_EXP_UPLOAD:
    case SCN_EXP_SECOND:
    case SCN_EXP_REPLY:
    case SCN_EXP_WRITES:
    case SCN_EXP_IDLE:
        engine_net_expect(e, s, st);
        break;
    case SCN_EXP_VALVE:
        engine_expect_valve(s, st);
        break;
    case SCN_EXP_FLASH_MODE: {
        uint8_t b = 0xFF;
        flashsim_peek(e->fs, 2, &b, 1);
        if (b != x->flash_mode)
            bstate_fail(s, st, "expected flash mode %s at flash 0, got %s",
                        mode_names[x->flash_mode & 3], b < 4 ? mode_names[b] : "unknown");
        break;
    }
    }
}

/* Flip bits of the staged update the RTC boot command points at (COPY_RAW src, size). */
static int step_corrupt(engine_t *e, bstate_t *s, const scn_step_t *st)
{
    (void)s;
    uint8_t raw[BOOT_CMD_SIZE];
    if (flashsim_rtc_read(e->fs, BOOT_CMD_RTC_OFFSET, raw, sizeof(raw)) != FLASHSIM_OK)
        memset(raw, 0, sizeof(raw));
    boot_cmd_t cmd;
    boot_cmd_decode(raw, &cmd);
    if (!boot_cmd_valid(&cmd) || cmd.action != BOOT_CMD_COPY_RAW) {
        fprintf(e->out,
                "%s:%u: corrupt stage: no staged update (RTC memory holds no valid COPY_RAW "
                "command; use 'update ... reboot=no' before it)\n",
                e->scn->path, st->line);
        return -1;
    }
    const scn_corrupt_t *c = &st->u.corrupt;
    for (size_t i = 0; i < c->nflips; i++) {
        if (c->flips[i].offset >= cmd.args[2]) {
            fprintf(e->out, "%s:%u: corrupt stage: flip=%u is past the %u-byte stage\n",
                    e->scn->path, st->line, (unsigned)c->flips[i].offset, (unsigned)cmd.args[2]);
            return -1;
        }
        uint32_t a = cmd.args[0] + c->flips[i].offset;
        uint8_t b;
        flashsim_peek(e->fs, a, &b, 1);
        b ^= (uint8_t)(1u << c->flips[i].bit);
        flashsim_poke(e->fs, a, &b, 1);
    }
    return 0;
}

int engine_steps(engine_t *e, bstate_t *s, size_t from, size_t to, hdev_recording_t *rec,
                 hdev_result_t *update_result)
{
    for (size_t i = from; i < to; i++) {
        const scn_step_t *st = &e->scn->steps[i];
        hdev_result_t r;
        switch (st->verb) {
        case SCN_DEVICE:
        case SCN_CUT:
            break;
        case SCN_FLASH:
            if (step_flash(e, s, st))
                return -1;
            break;
        case SCN_BOOT:
            hdev_run(e->dev, NULL, NULL, &r);
            engine_note_run(s, &r);
            hdev_result_free(&r);
            break;
        case SCN_UPDATE: {
            hdev_result_t own;
            hdev_result_t *res = update_result ? update_result : &own;
            if (step_update(e, s, st, rec, res))
                return -1;
            if (!update_result)
                hdev_result_free(&own);
            break;
        }
        case SCN_NET: {
            hdev_result_t own;
            hdev_result_t *res = update_result ? update_result : &own;
            if (engine_net_step(e, s, st, rec, res))
                return -1;
            engine_note_job(s, res);
            engine_note_run(s, res);
            if (!update_result)
                hdev_result_free(&own);
            break;
        }
        case SCN_RESET:
            if (st->u.reset == SCN_RESET_WARM)
                flashsim_warm_reset(e->fs);
            else
                flashsim_power_loss(e->fs);
            hdev_external_reset(e->dev); /* the reset pin / power-on latches the straps */
            s->end = HDEV_END_IDLE;
            s->app_running = false;
            s->need_boot = true;
            break;
        case SCN_CORRUPT:
            if (step_corrupt(e, s, st))
                return -1;
            break;
        case SCN_EXPECT:
            if (s->need_boot) { /* judge a device that has booted again */
                hdev_run(e->dev, NULL, NULL, &r);
                engine_note_run(s, &r);
                hdev_result_free(&r);
            }
            step_expect(e, s, st);
            break;
        }
        if (e->opts->on_step)
            e->opts->on_step(e->opts->on_step_ctx, st->line, e->fs, (int)s->end, s->app_running,
                             s->app_name, s->app_version, s->console);
    }
    return 0;
}

/* ---- Set-up ---- */

/* EEPROM, RF calibration and WiFi settings hold data on a real device: fill them with seeded
 * bytes so that "unchanged" means something. */
static void prefill(engine_t *e)
{
    const flash_layout_t *l = &e->layout;
    uint64_t x = e->seed ^ 0xE5E5E5E5ull;
    uint8_t buf[4096];
    uint32_t from = l->eeprom_start;
    for (uint32_t a = from; a < l->flash_size; a += 4096) {
        for (size_t i = 0; i < sizeof(buf); i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            buf[i] = (uint8_t)(x >> 56);
        }
        flashsim_poke(e->fs, a, buf, sizeof(buf));
    }
}

int engine_fresh(engine_t *n, const engine_t *e)
{
    *n = *e;
    n->pool = NULL;
    n->npool = n->pool_cap = 0;
    n->dev = hdev_new(hdev_config(e->dev));
    if (!n->dev)
        return -1;
    n->fs = hdev_flash(n->dev);
    n->baseline_erases = calloc(n->nsectors, sizeof(uint32_t));
    if (!n->baseline_erases)
        abort();
    prefill(n);
    n->baseline = flashsim_snapshot(n->fs);
    return 0;
}

void engine_fresh_free(engine_t *n)
{
    flashsim_snapshot_unref(n->baseline);
    free(n->baseline_erases);
    hdev_free(n->dev);
    for (size_t i = 0; i < n->npool; i++) {
        hbuf_free(n->pool[i]);
        free(n->pool[i]);
    }
    free(n->pool);
}

int engine_run(const scenario_t *scn, const engine_opts_t *opts, engine_report_t *rep)
{
    memset(rep, 0, sizeof(*rep));
    engine_t e;
    memset(&e, 0, sizeof(e));
    e.scn = scn;
    e.opts = opts;
    e.out = opts->out ? opts->out : stdout;
    e.dev_cfg = scn->steps[0].u.device;
    e.seed = opts->has_seed ? opts->seed : e.dev_cfg.seed;
    rep->seed = e.seed;
    if (!layout_by_name(e.dev_cfg.layout, 0, &e.layout)) {
        fprintf(e.out, "%s: unknown layout %s\n", scn->path, e.dev_cfg.layout);
        return -1;
    }
    e.eff_layout = e.layout;
    if (e.dev_cfg.boot == SCN_BOOT_SAFE &&
        !layout_for_safe_boot(&e.layout, e.layout.flash_size, &e.eff_layout)) {
        fprintf(e.out, "%s: layout %s has no room for the safe bootloader's journal\n", scn->path,
                e.dev_cfg.layout);
        return -1;
    }
    himages_init(&e.images, opts->images_dir);
    static qemu_device_t qdev;
    e.images.qemu = opts->qemu_images;
    if (opts->qemu) {
        e.images.qemu = true;
        if (target_qemu_check(scn, &e.images, rep->skip_reason, sizeof(rep->skip_reason))) {
            rep->skipped = true;
            fprintf(e.out, "== %s\nSKIP %s (qemu: %s)\n", scn->path, scn->path, rep->skip_reason);
            himages_free(&e.images);
            return 0;
        }
        qemu_device_init(&qdev, qemu_device_find());
    }
    if (e.dev_cfg.signing && !e.images.pubkey_pem) {
        fprintf(e.out, "%s: signing=on needs the build's test-signing.pub.pem (--images DIR)\n",
                scn->path);
        himages_free(&e.images);
        return -1;
    }
    hdev_config_t dc = {.layout = e.layout,
                        .seed = e.seed,
                        .signing = e.dev_cfg.signing,
                        .signing_pubkey_pem = e.images.pubkey_pem,
                        .atomic_fs = e.dev_cfg.atomic_fs,
                        .backend = opts->qemu ? &qdev.backend : NULL};
    e.dev = hdev_new(&dc);
    if (!e.dev) {
        fprintf(e.out, "%s: cannot create the device\n", scn->path);
        himages_free(&e.images);
        return -1;
    }
    e.fs = hdev_flash(e.dev);
    e.nsectors = e.layout.flash_size / 4096;
    e.baseline_erases = calloc(e.nsectors, sizeof(uint32_t));
    prefill(&e);
    e.baseline = flashsim_snapshot(e.fs);
    int rc = sweep_run(&e, rep);
    flashsim_snapshot_unref(e.baseline);
    free(e.baseline_erases);
    hdev_free(e.dev);
    for (size_t i = 0; i < e.npool; i++) {
        hbuf_free(e.pool[i]);
        free(e.pool[i]);
    }
    free(e.pool);
    himages_free(&e.images);
    return rc;
}
