/* The sweep driver (engine.h): the control run, the cut points of the recorded update, one
 * branch per selected point x mode x reset, optional double cuts, and the summary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_internal.h"
#include "engine_net.h"
#include "progress.h"
#include "workers.h"

/* One place the update can be cut: a record of the recording, or (reboot) the end of a boot
 * in which the app restarted after its last write. */
typedef struct point {
    scn_phase_t phase;
    unsigned index; /* within its phase */
    size_t rec;     /* record index; reboot points: boot index */
    bool reboot;
} point_t;

/* One branch to run: a point, a mode, a reset, and optionally a second cut. */
typedef struct branch {
    const point_t *pt;
    scn_cut_mode_t mode; /* 0 for reboot points ("at") */
    int32_t page;        /* torn programs: the page the cut tears; else -1 */
    scn_rtc_t rtc;       /* power cuts: what RTC memory holds; 0 for warm resets */
    bool dbl;
    uint32_t dbl_op; /* the second cut: op of the recovery boot (counted from its start) */
} branch_t;

typedef struct sweep {
    engine_t *e;
    const scn_cut_t *cut;
    long upd;           /* the update step swept */
    bstate_t at_update; /* the state with the update prepared, before its run */
    hdev_recording_t rec;
    hdev_result_t res; /* the control's update run */
    size_t job_boot;   /* the boot in which the app took the job (SIZE_MAX: none) */
    point_t *pts;
    size_t npts;
    outcome_tally_t tally;
    unsigned invalid, failed, printed;
    uint64_t recovery_boots;
    double t_singles, t_doubles;
    unsigned nsingles, ndoubles;
    unsigned naive_runs, naive_mismatch, naive_candidates;
    double t_naive;
    uint64_t naive_chip_ns, naive_recovery_chip_ns;
    char naive_first_mismatch[200];
    sweep_branch_result_t *results; /* opts->keep_results */
    size_t nresults, rcap;
} sweep_t;

static uint64_t mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static scn_phase_t phase_bit(hdev_phase_t p)
{
    switch (p) {
    case HDEV_PH_STAGING:
        return SCN_PHASE_STAGING;
    case HDEV_PH_COMMAND:
        return SCN_PHASE_COMMAND;
    case HDEV_PH_COPY:
        return SCN_PHASE_COPY;
    default:
        return SCN_PHASE_JOURNAL;
    }
}

static unsigned phase_slot(scn_phase_t p)
{
    unsigned i = 0;
    while (p > 1u) {
        p >>= 1;
        i++;
    }
    return i;
}

static void points_build(sweep_t *w)
{
    unsigned counts[5] = {0};
    size_t cap = w->rec.nrecs + w->rec.nboots + 1;
    w->pts = calloc(cap, sizeof(*w->pts));
    if (!w->pts)
        abort();
    for (size_t b = 0; b < w->rec.nboots; b++) {
        const hdev_boot_rec_t *br = &w->rec.boots[b];
        for (size_t i = br->first_rec; i < br->first_rec + br->nrecs; i++) {
            scn_phase_t ph = phase_bit(w->rec.recs[i].phase);
            w->pts[w->npts++] = (point_t){.phase = ph, .index = counts[phase_slot(ph)]++, .rec = i};
        }
        if (br->app && br->restarted)
            w->pts[w->npts++] = (point_t){.phase = SCN_PHASE_REBOOT,
                                          .index = counts[phase_slot(SCN_PHASE_REBOOT)]++,
                                          .rec = b,
                                          .reboot = true};
    }
}

static bool point_selected(const scn_cut_t *c, const point_t *p)
{
    if (!(c->phases & p->phase))
        return false;
    if (!c->each && (p->index < c->from || p->index > c->to))
        return false;
    uint32_t first = c->each ? 0 : c->from;
    return c->stride <= 1 || (p->index - first) % c->stride == 0;
}

/* The modes a point supports among the cut's. */
static unsigned point_modes(const sweep_t *w, const point_t *p, unsigned want)
{
    if (p->reboot)
        return 1; /* one "at" branch */
    const hdev_rec_t *r = &w->rec.recs[p->rec];
    switch (r->kind) {
    case HDEV_REC_RTC:
        return want & (SCN_MODE_BEFORE | SCN_MODE_AFTER);
    case HDEV_REC_PROGRAM:
        return want & (SCN_MODE_BEFORE | SCN_MODE_AFTER | SCN_MODE_TORN);
    default:
        return want;
    }
}

static unsigned program_pages(const hdev_rec_t *r)
{
    uint32_t first = r->addr / FLASHSIM_PAGE_SIZE;
    uint32_t last = (r->addr + (r->len ? r->len : 1) - 1) / FLASHSIM_PAGE_SIZE;
    return last - first + 1;
}

static int branch_id(const sweep_t *w, const branch_t *b, char *buf, size_t size)
{
    char mode[32];
    if (b->pt->reboot)
        snprintf(mode, sizeof(mode), "at");
    else if (b->page >= 0)
        snprintf(mode, sizeof(mode), "%s/%d", scn_mode_name(b->mode), (int)b->page);
    else
        snprintf(mode, sizeof(mode), "%s", scn_mode_name(b->mode));
    const char *reset = w->cut->reset == SCN_RESET_WARM ? "warm"
                        : b->rtc == SCN_RTC_GARBAGE     ? "garbage"
                                                        : "zero";
    int n =
        snprintf(buf, size, "%s:%u:%s:%s", scn_phase_name(b->pt->phase), b->pt->index, mode, reset);
    if (b->dbl && n >= 0 && (size_t)n < size)
        n += snprintf(buf + n, size - (size_t)n, "+%u:before", (unsigned)b->dbl_op);
    return n;
}

typedef struct branch_result {
    outcome_t outcome;
    bool failed;
    char failure[400];
    uint32_t recovery_ops;
    uint32_t cut_op; /* flashsim op count at the cut op */
    uint32_t boots;  /* boots of the recovery (both runs of a double cut) */
    char *console;   /* malloc'd */
} branch_result_t;

static void power_cycle(engine_t *e, const scn_cut_t *c)
{
    if (c->reset == SCN_RESET_WARM)
        flashsim_warm_reset(e->fs);
    else
        flashsim_power_loss(e->fs);
    flashsim_set_plan(e->fs, NULL, 0);
    hdev_external_reset(e->dev);
}

static void branch_run(sweep_t *w, const branch_t *b, branch_result_t *out)
{
    engine_t *e = w->e;
    const scenario_t *scn = e->scn;
    memset(out, 0, sizeof(*out));
    bstate_t s;
    bstate_copy(&s, &w->at_update);
    uint64_t boots0 = s.boots;
    const hdev_rec_t *r = b->pt->reboot ? NULL : &w->rec.recs[b->pt->rec];
    size_t boot = b->pt->reboot ? b->pt->rec : r->boot;
    /* The console the device printed before the boot the cut hits. */
    size_t upto = boot == 0 ? 0 : w->rec.boots[boot - 1].console_end;
    if (b->pt->reboot)
        upto = w->rec.boots[boot].console_end;
    bstate_console(&s, w->res.console ? w->res.console : "", upto);
    /* The app's part of the update is known when the cut comes after the boot that took it. */
    if (w->job_boot != SIZE_MAX && (boot > w->job_boot || (b->pt->reboot && boot == w->job_boot)))
        engine_note_job(&s, &w->res);

    flashsim_restore(e->fs, b->pt->reboot ? w->rec.boots[boot].at_end : r->before);
    out->cut_op = r ? flashsim_op_count(e->fs) : 0;
    flashsim_plan_t *plan = flashsim_plan_new();
    flashsim_plan_set_seed(plan, mix64(e->seed ^ (uint64_t)b->pt->rec << 8));
    flashsim_plan_set_rtc_garbage(plan, b->rtc == SCN_RTC_GARBAGE);
    bool fired = true;
    if (r && r->kind != HDEV_REC_RTC) {
        flashsim_fault_t f = {.kind = FLASHSIM_FAULT_CUT,
                              .at_op = true,
                              .op = 0,
                              .page = b->page,
                              .mode = b->mode == SCN_MODE_BEFORE  ? FLASHSIM_CUT_BEFORE
                                      : b->mode == SCN_MODE_AFTER ? FLASHSIM_CUT_AFTER
                                                                  : FLASHSIM_CUT_TORN,
                              .weak = b->mode == SCN_MODE_WEAK};
        flashsim_plan_add(plan, &f);
        flashsim_set_plan(e->fs, plan, flashsim_op_count(e->fs));
        hdev_apply(e->dev, r);
        fired = flashsim_fault_fired(e->fs, 0) > 0 && !flashsim_powered(e->fs);
    } else {
        flashsim_set_plan(e->fs, plan, flashsim_op_count(e->fs));
        if (r && b->mode == SCN_MODE_AFTER)
            hdev_apply(e->dev, r);
    }
    s.cut_sector0 = r && r->kind != HDEV_REC_RTC && r->addr < FLASHSIM_SECTOR_SIZE;
    power_cycle(e, w->cut);
    s.end = HDEV_END_IDLE;
    s.app_running = false;
    s.need_boot = true;
    if (e->opts->debug_recovery)
        hdev_debug_next_run(e->dev);

    if (fired && b->dbl) {
        /* The second cut: inside the recovery boot, at its op dbl_op. */
        flashsim_fault_t f2 = {.kind = FLASHSIM_FAULT_CUT,
                               .at_op = true,
                               .op = b->dbl_op,
                               .page = -1,
                               .mode = FLASHSIM_CUT_BEFORE};
        flashsim_plan_t *p2 = flashsim_plan_new();
        flashsim_plan_set_seed(p2, mix64(e->seed ^ b->dbl_op));
        flashsim_plan_add(p2, &f2);
        flashsim_set_plan(e->fs, p2, flashsim_op_count(e->fs));
        hdev_result_t rr;
        hdev_run(e->dev, NULL, NULL, &rr);
        out->boots += rr.boots;
        fired = flashsim_fault_fired(e->fs, 0) > 0;
        bstate_console(&s, rr.console ? rr.console : "", rr.console_len);
        hdev_result_free(&rr);
        power_cycle(e, w->cut);
        flashsim_plan_free(p2);
    }
    flashsim_plan_free(plan);
    if (!fired) {
        out->outcome = OUTCOME_INVALID;
        bstate_free(&s);
        return;
    }
    uint32_t ops0 = flashsim_op_count(e->fs);
    size_t from =
        e->opts->override_cut || scn->cut_step < 0 ? (size_t)w->upd + 1 : (size_t)scn->cut_step + 1;
    engine_steps(e, &s, from, scn->nsteps, NULL, NULL);
    if (s.need_boot) {
        hdev_result_t rr;
        hdev_run(e->dev, NULL, NULL, &rr);
        out->boots += rr.boots;
        engine_note_run(&s, &rr);
        hdev_result_free(&rr);
    }
    out->recovery_ops = flashsim_op_count(e->fs) - ops0;
    out->boots += (uint32_t)(s.boots - boots0);
    out->outcome = engine_classify(e, &s);
    out->failed = s.failures > 0;
    snprintf(out->failure, sizeof(out->failure), "%s", s.first_failure);
    out->console = s.console;
    s.console = NULL;
    bstate_free(&s);
}

static void replay_id(const sweep_t *w, const char *id, char *buf, size_t size)
{
    const engine_t *e = w->e;
    snprintf(buf, size, "%s%s:%s:%llu:%s", e->opts->qemu ? "qemu" : "native",
             e->opts->override_cut ? "-cut" : "", e->scn->path, (unsigned long long)e->seed, id);
}

/* Keep a branch's result for the report (sweep_results.h). */
static void result_keep(sweep_t *w, const branch_t *b, const branch_result_t *br, size_t ordinal,
                        const char *id)
{
    if (w->nresults == w->rcap) {
        w->rcap = w->rcap ? w->rcap * 2 : 64;
        w->results = realloc(w->results, w->rcap * sizeof(*w->results));
        if (!w->results)
            abort();
    }
    sweep_branch_result_t *r = &w->results[w->nresults++];
    memset(r, 0, sizeof(*r));
    snprintf(r->id, sizeof(r->id), "%s", id);
    r->ordinal = ordinal;
    snprintf(r->phase, sizeof(r->phase), "%s", scn_phase_name(b->pt->phase));
    r->index = b->pt->index;
    r->cut_rec = b->pt->rec;
    r->cut_op = br->cut_op;
    snprintf(r->mode, sizeof(r->mode), "%s", b->pt->reboot ? "at" : scn_mode_name(b->mode));
    r->page = b->page;
    snprintf(r->reset, sizeof(r->reset), "%s",
             w->cut->reset == SCN_RESET_WARM ? "warm"
             : b->rtc == SCN_RTC_GARBAGE     ? "garbage"
                                             : "zero");
    r->dbl = b->dbl;
    r->dbl_op = b->dbl_op;
    r->outcome = br->outcome;
    r->failed = br->failed;
    r->expected = !br->failed && br->outcome != OUTCOME_INVALID;
    r->recovery_ops = br->recovery_ops;
    snprintf(r->failure, sizeof(r->failure), "%s", br->failure);
    replay_id(w, id, r->replay, sizeof(r->replay));
    if (br->console) {
        size_t len = strlen(br->console);
        size_t from = len > 4096 ? len - 4096 : 0;
        r->console_tail = strdup(br->console + from);
    }
}

/* Tally a branch, print it if it failed (or always when verbose). */
static void branch_report(sweep_t *w, const branch_t *b, const branch_result_t *br, size_t ordinal)
{
    engine_t *e = w->e;
    char id[96];
    branch_id(w, b, id, sizeof(id));
    outcome_tally_add(&w->tally, br->outcome, br->failed);
    if (br->outcome == OUTCOME_INVALID)
        w->invalid++;
    if (br->failed)
        w->failed++;
    w->recovery_boots += br->boots;
    if (e->opts->keep_results)
        result_keep(w, b, br, ordinal, id);
    unsigned max = e->opts->max_fail_lines ? e->opts->max_fail_lines : 20;
    bool show = e->opts->verbose || e->opts->branch || (br->failed && w->printed < max);
    if (!show)
        return;
    if (br->failed)
        w->printed++;
    fprintf(e->out, "  %s %-32s %-11s %s\n", br->failed ? "FAIL" : "ok  ", id,
            outcome_name(br->outcome), br->failed ? br->failure : "");
    if (br->failed) {
        char rid[640];
        replay_id(w, id, rid, sizeof(rid));
        fprintf(e->out, "      reproduce: otasim replay %s\n", rid);
        if ((e->opts->verbose || e->opts->branch) && br->console)
            fprintf(e->out, "      console:\n%s\n", br->console);
    }
}

/* Parse "+K:before" from a --branch id: the double cut it names. */
static bool parse_double(const char *id, uint32_t *op)
{
    const char *plus = strchr(id, '+');
    if (!plus)
        return false;
    char *end;
    unsigned long v = strtoul(plus + 1, &end, 10);
    *op = (uint32_t)v;
    return end != plus + 1;
}

/* A set of branches run by the workers (workers.h), results by index. */
typedef struct bset {
    sweep_t *w;
    const branch_t *list;
    const size_t *which;  /* run list[which[i]] */
    branch_result_t *res; /* indexed like list */
    bool *known;          /* indexed like list */
    progress_t *prog;
} bset_t;

/* What a branch keeps of its console: all of it when it is printed (verbose, --branch),
 * the tail of a failure for the report, nothing otherwise (bounded memory). */
static void bset_work(void *ctx, size_t i, wbuf_t *out)
{
    bset_t *s = ctx;
    const engine_opts_t *o = s->w->e->opts;
    /* In a worker process, recovery boots run in it (resident), not one fork() each. */
    hdev_set_resident(workers_in_worker() && !o->fork_boots);
    /* Test only (tests/harness/run_scale.sh): a worker dies on this branch, as a crashing
     * resident boot would kill it; the caller must replace it and rerun the branch. */
    const char *die = getenv("OTASIM_TEST_WORKER_DIE_AT");
    if (die && workers_in_worker() && (size_t)atol(die) == i)
        abort();
    branch_result_t br;
    branch_run(s->w, &s->list[s->which[i]], &br);
    size_t clen = br.console ? strlen(br.console) : 0;
    size_t cfrom = 0;
    if (!(o->verbose || o->branch)) {
        if (!br.failed)
            clen = 0;
        else if (clen > 4096) {
            cfrom = clen - 4096;
            clen = 4096;
        }
    }
    int32_t outcome = (int32_t)br.outcome;
    uint8_t failed = br.failed;
    uint8_t has_console = br.console && (o->verbose || o->branch || br.failed);
    uint32_t flen = (uint32_t)strlen(br.failure), cl = (uint32_t)clen;
    wbuf_put(out, &outcome, sizeof(outcome));
    wbuf_put(out, &failed, 1);
    wbuf_put(out, &has_console, 1);
    wbuf_put(out, &br.recovery_ops, sizeof(br.recovery_ops));
    wbuf_put(out, &br.cut_op, sizeof(br.cut_op));
    wbuf_put(out, &br.boots, sizeof(br.boots));
    wbuf_put(out, &flen, sizeof(flen));
    wbuf_put(out, br.failure, flen);
    wbuf_put(out, &cl, sizeof(cl));
    if (cl)
        wbuf_put(out, br.console + cfrom, cl);
    free(br.console);
}

static void bset_done(void *ctx, size_t i, const uint8_t *d, size_t len)
{
    bset_t *s = ctx;
    size_t k = s->which[i];
    branch_result_t *br = &s->res[k];
    memset(br, 0, sizeof(*br));
    int32_t outcome;
    uint8_t failed, has_console;
    uint32_t flen, cl;
    size_t off = 0;
#define TAKE(p, n)                                                                                 \
    do {                                                                                           \
        if (off + (n) > len)                                                                       \
            abort();                                                                               \
        memcpy((p), d + off, (n));                                                                 \
        off += (n);                                                                                \
    } while (0)
    TAKE(&outcome, sizeof(outcome));
    TAKE(&failed, 1);
    TAKE(&has_console, 1);
    TAKE(&br->recovery_ops, sizeof(br->recovery_ops));
    TAKE(&br->cut_op, sizeof(br->cut_op));
    TAKE(&br->boots, sizeof(br->boots));
    TAKE(&flen, sizeof(flen));
    if (flen >= sizeof(br->failure))
        abort();
    TAKE(br->failure, flen);
    br->failure[flen] = 0;
    TAKE(&cl, sizeof(cl));
    if (has_console) {
        br->console = malloc((size_t)cl + 1);
        if (!br->console)
            abort();
        TAKE(br->console, cl);
        br->console[cl] = 0;
    }
#undef TAKE
    br->outcome = (outcome_t)outcome;
    br->failed = failed;
    s->known[k] = true;
    if (s->prog)
        progress_tick(s->prog, br->failed);
}

static void bset_run(sweep_t *w, const branch_t *list, const size_t *which, size_t n,
                     branch_result_t *res, bool *known, progress_t *prog)
{
    bset_t s = {.w = w, .list = list, .which = which, .res = res, .known = known, .prog = prog};
    unsigned jobs = w->e->opts->jobs ? w->e->opts->jobs : 1;
    if (w->e->opts->debug_recovery)
        jobs = 0; /* in this process: gdb follows the boot's fork from here (replay --gdb) */
    size_t again = workers_run(n, jobs, bset_work, bset_done, &s);
    if (again)
        fprintf(stderr,
                "otasim: a sweep worker died; %zu branch(es) it left unfinished were rerun "
                "in this process\n",
                again);
}

static bool in_shard(const engine_opts_t *o, size_t ordinal)
{
    return o->shard_n <= 1 || ordinal % o->shard_n == o->shard_k - 1;
}

/* Enumerates the single cuts the cut line selects, in order (the branch order). */
static size_t singles_build(sweep_t *w, branch_t **out)
{
    engine_t *e = w->e;
    const scn_cut_t *c = w->cut;
    unsigned rtcs[2];
    size_t nrtc = 0;
    if (c->reset == SCN_RESET_WARM) {
        rtcs[nrtc++] = 0;
    } else {
        if (c->rtc & SCN_RTC_ZERO || !(c->rtc & SCN_RTC_GARBAGE))
            rtcs[nrtc++] = SCN_RTC_ZERO;
        if (c->rtc & SCN_RTC_GARBAGE)
            rtcs[nrtc++] = SCN_RTC_GARBAGE;
    }
    branch_t *list = calloc(w->npts * 4 * 2 + 1, sizeof(*list));
    if (!list)
        abort();
    size_t n = 0;
    uint32_t want_dbl = 0;
    bool only_dbl = e->opts->branch && parse_double(e->opts->branch, &want_dbl);
    for (size_t i = 0; i < w->npts; i++) {
        const point_t *p = &w->pts[i];
        if (!point_selected(c, p))
            continue;
        unsigned modes = point_modes(w, p, c->modes);
        for (unsigned m = 1; m <= SCN_MODE_WEAK; m <<= 1) {
            if (!(modes & m) && !(p->reboot && m == 1))
                continue;
            for (size_t k = 0; k < nrtc; k++) {
                branch_t b = {.pt = p,
                              .mode = p->reboot ? 0 : (scn_cut_mode_t)m,
                              .page = -1,
                              .rtc = (scn_rtc_t)rtcs[k]};
                if (!p->reboot && (m == SCN_MODE_TORN || m == SCN_MODE_WEAK)) {
                    const hdev_rec_t *r = &w->rec.recs[p->rec];
                    b.page = r->kind == HDEV_REC_PROGRAM
                                 ? (int32_t)(mix64(e->seed + p->rec) % program_pages(r))
                                 : 0;
                }
                if (e->opts->branch) {
                    char id[96];
                    branch_id(w, &b, id, sizeof(id));
                    size_t len = strcspn(e->opts->branch, "+");
                    if (strlen(id) != len || strncmp(id, e->opts->branch, len) != 0)
                        continue;
                    if (only_dbl) {
                        b.dbl = true;
                        b.dbl_op = want_dbl;
                    }
                }
                list[n++] = b;
            }
        }
    }
    *out = list;
    return n;
}

/* Runs list[i] for the i (of n) in this shard, reports them in order; ordinals from base. */
static void run_reported(sweep_t *w, const branch_t *list, size_t n, size_t base,
                         branch_result_t *res, bool *known, const char *label)
{
    const engine_opts_t *o = w->e->opts;
    size_t *which = calloc(n + 1, sizeof(*which));
    if (!which)
        abort();
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (in_shard(o, base + i))
            which[m++] = i;
    progress_t prog;
    progress_start(&prog, o->progress > 0, label, m);
    bset_run(w, list, which, m, res, known, &prog);
    progress_end(&prog);
    for (size_t j = 0; j < m; j++) {
        size_t i = which[j];
        branch_report(w, &list[i], &res[i], base + i);
        free(res[i].console);
        res[i].console = NULL;
    }
    free(which);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- The naive baseline (otasim bench sweep) ----
 * A branch rerun the way a replaying simulator does it (MCUboot's): no snapshot, no recording.
 * A fresh device, every scenario line before the update run again, the update run with its
 * one-item fault plan armed at the branch's absolute op number (the device is deterministic,
 * so op N of the fresh run is the recording's op N), then the same recovery as branch_run.
 * Only flash-op cuts (program / erase) are sampled: an RTC-write cut has no op to arm.
 * chip_ns / recovery_ns: the flash timing model's time of the whole rerun and of its part after
 * the cut — the chip's work a naive rerun does, and the part a branch does too. */
static outcome_t naive_run(sweep_t *w, const branch_t *b, uint32_t cut_op, uint64_t *chip_ns,
                           uint64_t *recovery_ns)
{
    *chip_ns = *recovery_ns = 0;
    engine_t n;
    if (engine_fresh(&n, w->e))
        return OUTCOME_INVALID;
    const scenario_t *scn = n.scn;
    const hdev_rec_t *r = &w->rec.recs[b->pt->rec];
    bstate_t s;
    bstate_init(&s);
    outcome_t out = OUTCOME_INVALID;
    hdev_job_t job;
    if (engine_steps(&n, &s, 0, (size_t)w->upd, NULL, NULL) ||
        engine_update_prepare(&n, &s, &scn->steps[w->upd], &job))
        goto done;
    flashsim_plan_t *plan = flashsim_plan_new();
    flashsim_plan_set_seed(plan, mix64(n.seed ^ (uint64_t)b->pt->rec << 8));
    flashsim_plan_set_rtc_garbage(plan, b->rtc == SCN_RTC_GARBAGE);
    flashsim_fault_t f = {.kind = FLASHSIM_FAULT_CUT,
                          .at_op = true,
                          .op = cut_op + (uint32_t)w->e->opts->naive_skew,
                          .page = b->page,
                          .mode = b->mode == SCN_MODE_BEFORE  ? FLASHSIM_CUT_BEFORE
                                  : b->mode == SCN_MODE_AFTER ? FLASHSIM_CUT_AFTER
                                                              : FLASHSIM_CUT_TORN,
                          .weak = b->mode == SCN_MODE_WEAK};
    flashsim_plan_add(plan, &f);
    flashsim_set_plan(n.fs, plan, 0);
    hdev_result_t res;
    hdev_run(n.dev, &job, NULL, &res);
    bool fired = flashsim_fault_fired(n.fs, 0) > 0 && !flashsim_powered(n.fs);
    /* The app's part is known when the cut came after the boot that took the job. */
    if (w->job_boot != SIZE_MAX && r->boot > w->job_boot)
        engine_note_job(&s, &res);
    hdev_result_free(&res);
    flashsim_plan_free(plan);
    if (!fired)
        goto done;
    uint64_t at_cut = flashsim_time_ns(n.fs);
    s.cut_sector0 = r->addr < FLASHSIM_SECTOR_SIZE;
    power_cycle(&n, w->cut);
    s.end = HDEV_END_IDLE;
    s.app_running = false;
    s.need_boot = true;
    size_t from =
        n.opts->override_cut || scn->cut_step < 0 ? (size_t)w->upd + 1 : (size_t)scn->cut_step + 1;
    engine_steps(&n, &s, from, scn->nsteps, NULL, NULL);
    if (s.need_boot) {
        hdev_result_t rr;
        hdev_run(n.dev, NULL, NULL, &rr);
        engine_note_run(&s, &rr);
        hdev_result_free(&rr);
    }
    out = engine_classify(&n, &s);
    *chip_ns = flashsim_time_ns(n.fs);
    *recovery_ns = *chip_ns - at_cut;
done:
    bstate_free(&s);
    engine_fresh_free(&n);
    return out;
}

/* One naive rerun's answer from its worker. */
typedef struct naive_msg {
    int32_t outcome;
    uint64_t chip_ns, recovery_ns;
} naive_msg_t;

typedef struct nset {
    sweep_t *w;
    const branch_t *list;
    const size_t *which;
    const branch_result_t *res; /* the record-and-branch results (cut_op) */
    outcome_t *got;
    uint64_t chip_ns, recovery_ns; /* sums over the reruns */
} nset_t;

static void nset_work(void *ctx, size_t i, wbuf_t *out)
{
    nset_t *s = ctx;
    size_t k = s->which[i];
    hdev_set_resident(workers_in_worker() && !s->w->e->opts->fork_boots); /* as bset_work */
    naive_msg_t m;
    memset(&m, 0, sizeof(m));
    m.outcome = (int32_t)naive_run(s->w, &s->list[k], s->res[k].cut_op, &m.chip_ns, &m.recovery_ns);
    wbuf_put(out, &m, sizeof(m));
}

static void nset_done(void *ctx, size_t i, const uint8_t *d, size_t len)
{
    nset_t *s = ctx;
    naive_msg_t m;
    if (len != sizeof(m))
        abort();
    memcpy(&m, d, sizeof(m));
    s->got[i] = (outcome_t)m.outcome;
    s->chip_ns += m.chip_ns;
    s->recovery_ns += m.recovery_ns;
}

/* Reruns a seeded, evenly spaced sample of the flash-op singles naively and compares each
 * outcome with the record-and-branch one. */
static void naive_sample(sweep_t *w, const branch_t *list, size_t n, const branch_result_t *res)
{
    engine_t *e = w->e;
    size_t *cand = calloc(n + 1, sizeof(*cand));
    if (!cand)
        abort();
    size_t nc = 0;
    for (size_t i = 0; i < n; i++)
        if (!list[i].pt->reboot && w->rec.recs[list[i].pt->rec].kind != HDEV_REC_RTC &&
            !list[i].dbl && res[i].outcome != OUTCOME_INVALID)
            cand[nc++] = i;
    size_t k = e->opts->naive_sample < nc ? e->opts->naive_sample : nc;
    w->naive_candidates = (unsigned)nc;
    size_t *which = calloc(k + 1, sizeof(*which));
    outcome_t *got = calloc(k + 1, sizeof(*got));
    if (!which || !got)
        abort();
    size_t off = k ? (size_t)(mix64(e->seed ^ 0x4A1BEull) % (nc / k)) : 0;
    for (size_t j = 0; j < k; j++)
        which[j] = cand[off + j * (nc / k)];
    nset_t ns = {.w = w, .list = list, .which = which, .res = res, .got = got};
    double t0 = now_s();
    workers_run(k, e->opts->jobs ? e->opts->jobs : 1, nset_work, nset_done, &ns);
    w->t_naive = now_s() - t0;
    w->naive_runs = (unsigned)k;
    w->naive_chip_ns = ns.chip_ns;
    w->naive_recovery_chip_ns = ns.recovery_ns;
    for (size_t j = 0; j < k; j++) {
        size_t i = which[j];
        if (got[j] == res[i].outcome)
            continue;
        if (!w->naive_mismatch++) {
            char id[96];
            branch_id(w, &list[i], id, sizeof(id));
            snprintf(w->naive_first_mismatch, sizeof(w->naive_first_mismatch),
                     "%s: record-and-branch %s, naive %s", id, outcome_name(res[i].outcome),
                     outcome_name(got[j]));
        }
    }
    free(cand);
    free(which);
    free(got);
}

static void run_branches(sweep_t *w)
{
    engine_t *e = w->e;
    const scn_cut_t *c = w->cut;
    branch_t *list;
    size_t n = singles_build(w, &list);
    branch_result_t *res = calloc(n + 1, sizeof(*res));
    bool *known = calloc(n + 1, sizeof(*known));
    if (!res || !known)
        abort();
    char label[80];
    const char *base = strrchr(e->scn->path, '/');
    snprintf(label, sizeof(label), "%.60s", base ? base + 1 : e->scn->path);
    double t0 = now_s();
    run_reported(w, list, n, 0, res, known, label);
    w->t_singles = now_s() - t0;
    w->nsingles = (unsigned)n;
    /* The naive rerun replays an update through the stream interface; a net step's update
     * came over the network (the bench's scenario has none). */
    if (e->opts->naive_sample && !e->opts->branch && e->scn->steps[w->upd].verb != SCN_NET)
        naive_sample(w, list, n, res);

    /* Double cuts: a sample of the singles (the valid ones whose recovery wrote something),
     * each cut again inside its recovery boot. The sample depends only on the seed and the
     * singles' results, so every shard draws the same one: a shard first runs (unreported)
     * the sampled singles of other shards it needs. */
    if (!e->opts->branch && c->doubles && n) {
        branch_t *dl = calloc(c->doubles + 1, sizeof(*dl));
        size_t *need = calloc(c->doubles + 1, sizeof(*need));
        if (!dl || !need)
            abort();
        size_t nd = 0;
        uint64_t x = mix64(e->seed ^ 0xD0B1Eull);
        uint32_t k = 0;
        t0 = now_s();
        while (k < c->doubles * 4 && nd < c->doubles) {
            size_t batch = c->doubles - nd, nneed = 0;
            uint64_t xx = x;
            for (size_t t = 0; t < batch && k + t < c->doubles * 4; t++) {
                xx = mix64(xx);
                size_t i = (size_t)(xx % n);
                if (!known[i]) {
                    known[i] = true; /* pending; bset_done sets it again */
                    need[nneed++] = i;
                }
            }
            if (nneed) {
                bset_run(w, list, need, nneed, res, known, NULL);
                for (size_t t = 0; t < nneed; t++) {
                    free(res[need[t]].console);
                    res[need[t]].console = NULL;
                }
            }
            for (size_t t = 0; t < batch && k < c->doubles * 4 && nd < c->doubles; t++, k++) {
                x = mix64(x);
                size_t i = (size_t)(x % n);
                if (res[i].outcome == OUTCOME_INVALID || list[i].dbl || res[i].recovery_ops == 0)
                    continue; /* nothing tested, or a recovery that writes nothing */
                branch_t b = list[i];
                b.dbl = true;
                b.dbl_op = (uint32_t)(mix64(x) % res[i].recovery_ops);
                dl[nd++] = b;
            }
        }
        branch_result_t *dres = calloc(nd + 1, sizeof(*dres));
        bool *dknown = calloc(nd + 1, sizeof(*dknown));
        if (!dres || !dknown)
            abort();
        snprintf(label + strlen(label), sizeof(label) - strlen(label), " doubles");
        run_reported(w, dl, nd, n, dres, dknown, label);
        w->t_doubles = now_s() - t0;
        w->ndoubles = (unsigned)nd;
        free(dres);
        free(dknown);
        free(dl);
        free(need);
    }
    free(res);
    free(known);
    free(list);
}

/* The 'expect sweep' lines, over the tally (skipped when one branch was asked for). */
static unsigned sweep_expectations(sweep_t *w)
{
    engine_t *e = w->e;
    if (e->opts->branch)
        return 0;
    unsigned fails = 0;
    for (size_t i = 0; i < e->scn->nsteps; i++) {
        const scn_step_t *st = &e->scn->steps[i];
        if (st->verb != SCN_EXPECT || st->u.expect.kind != SCN_EXP_SWEEP)
            continue;
        const scn_expect_t *x = &st->u.expect;
        /* A shard sees part of the branches: only upper bounds hold for a part (the merged
         * report checks the rest). */
        bool upper = x->sweep_cmp == '<' || (x->sweep_cmp != '>' && x->sweep_count == 0);
        if (e->opts->shard_n > 1 && !upper)
            continue;
        unsigned got = w->tally.count[x->sweep_outcome];
        bool ok = x->sweep_cmp == '>'   ? got >= x->sweep_count
                  : x->sweep_cmp == '<' ? got <= x->sweep_count
                                        : got == x->sweep_count;
        if (!ok) {
            fails++;
            fprintf(e->out, "  FAIL sweep: line %u: expected %s %s%u branches, got %u\n", st->line,
                    outcome_name((outcome_t)x->sweep_outcome),
                    x->sweep_cmp == '>'   ? ">="
                    : x->sweep_cmp == '<' ? "<="
                                          : "=",
                    (unsigned)x->sweep_count, got);
        }
    }
    return fails;
}

static void print_summary(engine_t *e, engine_report_t *rep, const char *control_msg)
{
    char tally[256];
    outcome_tally_format(&rep->tally, tally, sizeof(tally));
    fprintf(e->out, "  seed %llu  control: %s", (unsigned long long)e->seed,
            rep->control_passed ? "pass" : control_msg);
    if (rep->branches)
        fprintf(e->out, "  branches %u: %s  (invalid %u, failed %u)", rep->branches, tally,
                rep->invalid, rep->failed);
    fprintf(e->out, "\n%s %s (%.2f s)\n", rep->passed ? "PASS" : "FAIL", e->scn->path,
            rep->seconds);
}

void engine_report_free(engine_report_t *rep)
{
    for (size_t i = 0; i < rep->nresults; i++)
        free(rep->results[i].console_tail);
    free(rep->results);
    rep->results = NULL;
    rep->nresults = 0;
    report_scenario_info_free(&rep->info);
}

int sweep_run(engine_t *e, engine_report_t *rep)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    const scenario_t *scn = e->scn;
    fprintf(e->out, "== %s%s%s\n", scn->path, scn->title[0] ? " — " : "", scn->title);
    const scn_cut_t *cut = NULL;
    if (e->opts->override_cut)
        cut = &e->opts->cut;
    else if (scn->cut_step >= 0)
        cut = &scn->steps[scn->cut_step].u.cut;
    long upd = scn->cut_update;
    if (cut && upd < 0) {
        for (size_t i = 0; i < scn->nsteps; i++)
            if (scn->steps[i].verb == SCN_UPDATE || scn->steps[i].verb == SCN_NET)
                upd = (long)i;
        if (upd < 0) {
            fprintf(e->out, "%s: nothing to sweep: the scenario has no 'update' line\n", scn->path);
            return -1;
        }
    }
    bstate_t s;
    bstate_init(&s);
    int rc = 0;
    char control_msg[480] = "";
    if (!cut) {
        rc = engine_steps(e, &s, 0, scn->nsteps, NULL, NULL);
        if (rc == 0) {
            rep->control_passed = s.failures == 0;
            snprintf(control_msg, sizeof(control_msg), "FAIL %s", s.first_failure);
        }
        rep->passed = rc == 0 && rep->control_passed;
        if (rc == 0 && e->opts->keep_results)
            report_info_fill(e, &s, NULL, &rep->info);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        rep->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        if (rc == 0) {
            if (!rep->control_passed || e->opts->verbose)
                fprintf(e->out, "  console:\n%s\n", s.console);
            print_summary(e, rep, control_msg);
        }
        bstate_free(&s);
        return rc;
    }

    sweep_t w;
    memset(&w, 0, sizeof(w));
    w.e = e;
    w.cut = cut;
    w.upd = upd;
    w.job_boot = SIZE_MAX;
    hdev_job_t job;
    rc = engine_steps(e, &s, 0, (size_t)upd, NULL, NULL);
    /* A net step sweeps like an update: its networked run is recorded (engine_net.c), and
     * the branches rebuild the chip at each cut point of it; the recovery boots are offline
     * (power was lost: the connection is gone with it). */
    const scn_step_t *ust = &scn->steps[upd];
    scn_step_t net_as_update;
    if (ust->verb == SCN_NET) {
        net_as_update = *ust;
        net_as_update.verb = SCN_UPDATE;
        net_as_update.u.update = ust->u.net.update;
        ust = &net_as_update;
    }
    if (rc == 0)
        rc = engine_update_prepare(e, &s, ust, &job);
    if (rc != 0) {
        bstate_free(&s);
        return -1;
    }
    bstate_copy(&w.at_update, &s);
    /* The control: the update recorded, then the rest of the scenario unfaulted. */
    double t_rec0 = now_s();
    if (scn->steps[upd].verb == SCN_NET) {
        if (engine_net_step(e, &s, &scn->steps[upd], &w.rec, &w.res)) {
            bstate_free(&s);
            return -1;
        }
    } else {
        hdev_run(e->dev, &job, &w.rec, &w.res);
    }
    double t_record = now_s() - t_rec0;
    engine_note_job(&s, &w.res);
    engine_note_run(&s, &w.res);
    if (e->opts->on_step) /* otasim equiv: the recorded update is a step too */
        e->opts->on_step(e->opts->on_step_ctx, scn->steps[upd].line, e->fs, (int)s.end,
                         s.app_running, s.app_name, s.app_version, s.console);
    for (size_t b = 0; b < w.rec.nboots; b++)
        if (w.rec.boots[b].app) {
            w.job_boot = b;
            break;
        }
    /* The control checks the lines between the update and the cut; the lines after the cut
     * are the branches' (a scenario's own cut line), or everything after the update when the
     * cut comes from the command line. */
    size_t ctl_end =
        e->opts->override_cut || scn->cut_step < 0 ? scn->nsteps : (size_t)scn->cut_step;
    rc = engine_steps(e, &s, (size_t)upd + 1, ctl_end, NULL, NULL);
    if (rc == 0) {
        rep->control_passed = s.failures == 0;
        snprintf(control_msg, sizeof(control_msg), "FAIL %s", s.first_failure);
        if (!rep->control_passed) {
            fprintf(e->out, "  control FAIL %s\n      console:\n%s\n", s.first_failure, s.console);
            fprintf(e->out, "      reproduce: otasim run %s --seed %llu --branch control\n",
                    scn->path, (unsigned long long)e->seed);
        }
        if (e->opts->keep_results)
            report_info_fill(e, &s, &w.rec, &rep->info);
        if (e->opts->branch && !strcmp(e->opts->branch, "control")) {
            fprintf(e->out, "  control console:\n%s\n", s.console);
        } else {
            points_build(&w);
            run_branches(&w);
        }
        unsigned sweep_fail = sweep_expectations(&w);
        rep->tally = w.tally;
        rep->t_record = t_record;
        rep->t_singles = w.t_singles;
        rep->t_doubles = w.t_doubles;
        rep->singles = w.nsingles;
        rep->doubles = w.ndoubles;
        rep->recovery_boots = w.recovery_boots;
        rep->naive_runs = w.naive_runs;
        rep->naive_mismatch = w.naive_mismatch;
        rep->t_naive = w.t_naive;
        rep->naive_chip_ns = w.naive_chip_ns;
        rep->naive_recovery_chip_ns = w.naive_recovery_chip_ns;
        rep->naive_candidates = w.naive_candidates;
        memcpy(rep->naive_first_mismatch, w.naive_first_mismatch,
               sizeof(rep->naive_first_mismatch));
        rep->branches = w.tally.branches;
        rep->invalid = w.invalid;
        rep->failed = w.failed + (rep->control_passed ? 0 : 1);
        bool branch_asked = e->opts->branch && strcmp(e->opts->branch, "control");
        if (branch_asked && rep->branches == 0) {
            fprintf(e->out, "%s: no branch %s in this sweep\n", scn->path, e->opts->branch);
            rc = -1;
        }
        /* A sweep that tested nothing did not pass. */
        bool tested = rep->branches > rep->invalid || (e->opts->branch && !branch_asked);
        rep->passed = rc == 0 && rep->control_passed && w.failed == 0 && tested && sweep_fail == 0;
        if (rc == 0 && !tested)
            fprintf(e->out, "  no valid branch: the cut selects no point that fired\n");
        clock_gettime(CLOCK_MONOTONIC, &t1);
        rep->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        if (rc == 0)
            print_summary(e, rep, control_msg);
    }
    rep->results = w.results;
    rep->nresults = w.nresults;
    free(w.pts);
    hdev_recording_free(&w.rec);
    hdev_result_free(&w.res);
    bstate_free(&w.at_update);
    bstate_free(&s);
    return rc;
}
