/* otasim equiv SCENARIO|DIR: runs each scenario's control on the native target and under QEMU
 * (--target qemu), both with the QEMU target's images on flash (the same bytes), and compares,
 * after every step, the flash image (SHA-256), the RTC memory, and the boot outcome (end, app,
 * version). A disagreement prints the first differing step and sector and both consoles; a scenario
 * QEMU cannot run is a SKIP line. */
#include <bearssl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "engine.h"
#include "scenario.h"

#define MAX_STEPS 256

typedef struct step_obs {
    unsigned line;
    uint8_t flash[32], rtc[FLASHSIM_RTC_SIZE];
    flashsim_snapshot_t *snap;
    int end;
    bool app;
    char name[24];
    uint32_t version;
} step_obs_t;

typedef struct obs {
    step_obs_t s[MAX_STEPS];
    size_t n;
    char *console;
} obs_t;

static void on_step(void *ctx, unsigned line, flashsim_t *fs, int end, bool app, const char *name,
                    uint32_t version, const char *console)
{
    obs_t *o = ctx;
    free(o->console);
    o->console = strdup(console ? console : "");
    if (o->n == MAX_STEPS)
        return;
    step_obs_t *s = &o->s[o->n++];
    memset(s, 0, sizeof(*s));
    s->line = line;
    br_sha256_context c;
    br_sha256_init(&c);
    uint8_t buf[4096];
    for (uint32_t a = 0; a < flashsim_size(fs); a += sizeof buf) {
        flashsim_peek(fs, a, buf, sizeof buf);
        br_sha256_update(&c, buf, sizeof buf);
    }
    br_sha256_out(&c, s->flash);
    if (flashsim_rtc_read(fs, 0, s->rtc, sizeof s->rtc) != FLASHSIM_OK)
        memset(s->rtc, 0, sizeof s->rtc);
    s->snap = flashsim_snapshot(fs);
    s->end = end;
    s->app = app;
    snprintf(s->name, sizeof s->name, "%s", name ? name : "");
    s->version = version;
}

static void obs_free(obs_t *o)
{
    for (size_t i = 0; i < o->n; i++)
        flashsim_snapshot_unref(o->s[i].snap);
    free(o->console);
    memset(o, 0, sizeof(*o));
}

static int run_target(const scenario_t *s, bool qemu, const char *images, obs_t *o,
                      engine_report_t *rep)
{
    engine_opts_t opts;
    memset(&opts, 0, sizeof(opts));
    opts.qemu = qemu;
    opts.qemu_images = true;
    opts.images_dir = images;
    opts.branch = "control";
    opts.command_name = "equiv";
    opts.on_step = on_step;
    opts.on_step_ctx = o;
    opts.jobs = 1;
    FILE *null = fopen("/dev/null", "w");
    opts.out = qemu ? stdout : null; /* the SKIP line is the QEMU run's */
    int rc = engine_run(s, &opts, rep);
    if (null)
        fclose(null);
    return rc;
}

/* 0 agree, 1 differ, 2 skipped, -1 could not run. */
static int equiv_one(const char *path, const char *images)
{
    char err[600];
    scenario_t *s = scenario_load(path, err, sizeof(err));
    if (!s) {
        printf("FAIL %s: %s\n", path, err);
        return -1;
    }
    static obs_t nat, qem;
    engine_report_t rn, rq;
    memset(&rn, 0, sizeof(rn));
    int rc = run_target(s, true, images, &qem, &rq); /* first: it says whether QEMU can */
    if (rc == 0 && !rq.skipped)
        rc = run_target(s, false, images, &nat, &rn);
    int res = 0;
    if (rc != 0) {
        printf("FAIL %s (could not run)\n", path);
        res = -1;
    } else if (rq.skipped) {
        res = 2;
    } else {
        size_t n = nat.n < qem.n ? nat.n : qem.n;
        size_t i = 0;
        const char *what = NULL;
        for (; i < n && !what; i++) {
            step_obs_t *a = &nat.s[i], *b = &qem.s[i];
            if (memcmp(a->flash, b->flash, 32))
                what = "flash";
            else if (memcmp(a->rtc, b->rtc, sizeof a->rtc))
                what = "RTC memory";
            else if (a->end != b->end || a->app != b->app || strcmp(a->name, b->name) ||
                     a->version != b->version)
                what = "boot outcome";
        }
        if (!what && nat.n != qem.n)
            what = "number of steps";
        if (!what) {
            printf("AGREE %s (%zu steps: flash, RTC, boot outcome)\n", path, n);
        } else {
            res = 1;
            step_obs_t *a = &nat.s[i - 1], *b = &qem.s[i - 1];
            printf("DIFFER %s: %s after the step at line %u\n", path, what, a->line);
            if (!strcmp(what, "flash")) {
                uint8_t x[4096], y[4096];
                uint32_t size = flashsim_snapshot_size(a->snap);
                for (uint32_t addr = 0; addr < size; addr += 4096) {
                    flashsim_snapshot_peek(a->snap, addr, x, 4096);
                    flashsim_snapshot_peek(b->snap, addr, y, 4096);
                    if (memcmp(x, y, 4096)) {
                        printf("  first differing sector: 0x%06x\n", (unsigned)addr);
                        break;
                    }
                }
            } else if (!strcmp(what, "boot outcome")) {
                printf("  native: end %d app %s@%u; qemu: end %d app %s@%u\n", a->end,
                       a->app ? a->name : "-", (unsigned)a->version, b->end, b->app ? b->name : "-",
                       (unsigned)b->version);
            }
            printf("  native console:\n%s\n  qemu console:\n%s\n", nat.console ? nat.console : "",
                   qem.console ? qem.console : "");
        }
    }
    engine_report_free(&rn);
    if (rc == 0)
        engine_report_free(&rq);
    obs_free(&nat);
    obs_free(&qem);
    scenario_free(s);
    return res;
}

static int by_name(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

int cmd_equiv(int argc, char **argv)
{
    const char *images = NULL, *target = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--images") && i + 1 < argc)
            images = argv[++i];
        else if (argv[i][0] == '-' || target) {
            fprintf(stderr, "usage: otasim equiv SCENARIO|DIR [--images DIR]\n");
            return 2;
        } else
            target = argv[i];
    }
    if (!target) {
        fprintf(stderr, "usage: otasim equiv SCENARIO|DIR [--images DIR]\n");
        return 2;
    }
    char *names[512];
    size_t n = 0;
    DIR *d = opendir(target);
    if (d) {
        struct dirent *ent;
        while ((ent = readdir(d)) && n < 512) {
            size_t l = strlen(ent->d_name);
            if (l < 5 || strcmp(ent->d_name + l - 4, ".scn"))
                continue;
            size_t pl = strlen(target) + l + 2;
            names[n] = malloc(pl);
            if (!names[n])
                abort();
            snprintf(names[n++], pl, "%s/%s", target, ent->d_name);
        }
        closedir(d);
        qsort(names, n, sizeof(*names), by_name);
    } else {
        names[n++] = strdup(target);
    }
    unsigned agree = 0, differ = 0, skipped = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        int r = equiv_one(names[i], images);
        agree += r == 0, differ += r == 1, skipped += r == 2, failed += r < 0;
        free(names[i]);
        fflush(stdout);
    }
    printf("\nequiv %s: %u agree, %u differ, %u skipped, %u could not run\n", target, agree, differ,
           skipped, failed);
    return differ || failed ? 1 : agree ? 0 : 77;
}
