/* otasim run | sweep | suite: run scenarios on the native device (engine.h). */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "engine.h"
#include "report_json.h"
#include "report_render.h"
#include "scenario.h"
#include "shard.h"
#include "workers.h"

typedef struct run_args {
    engine_opts_t opts;
    const char *cut_text;
    const char *target;
    const char *json, *junit, *html; /* report files (report_json.h, report_render.h) */
    json_object *doc;                /* the report being built, when one is asked for */
} run_args_t;

static void usage_run(FILE *out, const char *cmd)
{
    if (!strcmp(cmd, "suite")) {
        fprintf(out, "usage: otasim suite DIR [options]\n"
                     "Runs every *.scn file in DIR (sorted by name) on the native device, sweeps\n"
                     "included; prints one summary per scenario and the totals. Exit 0 only when\n"
                     "every expectation of every scenario held.\n\n");
    } else if (!strcmp(cmd, "sweep")) {
        fprintf(
            out,
            "usage: otasim sweep SCENARIO [options]\n"
            "Cuts the scenario's update at every point its cut line selects (or --cut's),\n"
            "recovers, and checks the expectations on every branch and on the control.\n\n"
            "  --cut ARGS       a cut line's arguments replacing the scenario's, e.g.\n"
            "                   --cut 'phase=copy at=0..20 mode=before,torn rtc=garbage'\n"
            "                   (default without a cut line: phase=any mode=before,after,torn)\n");
    } else {
        fprintf(out, "usage: otasim run SCENARIO [options]\n"
                     "Runs one scenario on the native device (with its sweep when it has a cut\n"
                     "line). Exit 0 only when every expectation held.\n\n"
                     "  --branch ID      run only the control and the sweep branch ID (the id a\n"
                     "                   failure prints; 'control' for the control alone)\n");
    }
    if (strcmp(cmd, "run"))
        fprintf(out,
                "  -j N, --jobs N   parallel workers for the branches (default: the number of\n"
                "                   cores); the output is the same for every N\n"
                "  --shard K/N      run only the branches whose ordinal o has o %% N == K-1\n"
                "                   (1 <= K <= N): N shards together run the unsharded set\n"
                "  --no-progress    no progress bar (stderr; a bar on a terminal, else a line\n"
                "                   every 5 s)\n");
    fprintf(out, "  --json FILE      write the JSON report (schema: harness/REPORTS.md)\n"
                 "  --junit FILE     write a JUnit XML report (a test case per scenario and\n"
                 "                   per failing branch)\n"
                 "  --html FILE      write the HTML report\n"
                 "  --seed N         the run's seed (default: the device line's); printed\n"
                 "  --images DIR     the build's images directory (default: $OTASIM_IMAGES,\n"
                 "                   then the build tree's images/)\n"
                 "  --max-fail N     failing branches printed per scenario (default 20)\n"
                 "  --target T       native (default) or qemu: every boot runs the lx106 build\n"
                 "                   under qemu-system-xtensa; what QEMU cannot run is SKIPped\n"
                 "  --qemu-images    flash the QEMU target's images (*-qemu.img) on the native\n"
                 "                   target too, to compare a sweep branch for branch\n"
                 "  -v, --verbose    every branch, and the console of failures\n"
                 "  -h, --help       this text\n");
}

/* Returns 0 to go on, else the exit code. */
static int parse_args(int argc, char **argv, run_args_t *a)
{
    const char *cmd = argv[0];
    static const struct option longs[] = {
        {"seed", required_argument, NULL, 's'},     {"branch", required_argument, NULL, 'b'},
        {"images", required_argument, NULL, 'i'},   {"cut", required_argument, NULL, 'c'},
        {"max-fail", required_argument, NULL, 'm'}, {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},           {"jobs", required_argument, NULL, 'j'},
        {"shard", required_argument, NULL, 'S'},    {"no-progress", no_argument, NULL, 'P'},
        {"json", required_argument, NULL, 'J'},     {"junit", required_argument, NULL, 'U'},
        {"html", required_argument, NULL, 'H'},     {"target", required_argument, NULL, 'T'},
        {"qemu-images", no_argument, NULL, 'Q'},    {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof(*a));
    a->opts.command_name = cmd;
    a->opts.jobs = workers_default_jobs();
    a->opts.progress = 1;
    bool is_run = !strcmp(cmd, "run");
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "vhj:", longs, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'j': {
            unsigned long j = strtoul(optarg, &end, 10);
            if (is_run || *end || !*optarg || j < 1 || j > 256) {
                fprintf(stderr,
                        is_run ? "otasim %s: -j is an option of 'otasim sweep' and 'suite'\n"
                               : "otasim %s: -j expects a number of workers 1..256, got '%s'\n",
                        cmd, optarg);
                usage_run(stderr, cmd);
                return 2;
            }
            a->opts.jobs = (unsigned)j;
            break;
        }
        case 'S': {
            char err[200];
            if (is_run ||
                !shard_parse(optarg, &a->opts.shard_k, &a->opts.shard_n, err, sizeof(err))) {
                fprintf(stderr, "otasim %s: %s\n", cmd,
                        is_run ? "--shard is an option of 'otasim sweep' and 'suite'" : err);
                usage_run(stderr, cmd);
                return 2;
            }
            break;
        }
        case 'P':
            a->opts.progress = 0;
            break;
        case 'T':
            if (strcmp(optarg, "native") && strcmp(optarg, "qemu")) {
                fprintf(stderr, "otasim %s: --target expects native or qemu, got '%s'\n", cmd,
                        optarg);
                usage_run(stderr, cmd);
                return 2;
            }
            a->opts.qemu = !strcmp(optarg, "qemu");
            break;
        case 'Q':
            a->opts.qemu_images = true;
            break;
        case 'J':
            a->json = optarg;
            break;
        case 'U':
            a->junit = optarg;
            break;
        case 'H':
            a->html = optarg;
            break;
        case 's':
            errno = 0;
            a->opts.seed = strtoull(optarg, &end, 0);
            if (errno || *end || !*optarg) {
                fprintf(stderr, "otasim %s: --seed expects a number, got '%s'\n", cmd, optarg);
                usage_run(stderr, cmd);
                return 2;
            }
            a->opts.has_seed = true;
            break;
        case 'b':
            if (strcmp(cmd, "run")) {
                fprintf(stderr, "otasim %s: --branch is an option of 'otasim run'\n", cmd);
                usage_run(stderr, cmd);
                return 2;
            }
            a->opts.branch = optarg;
            break;
        case 'i':
            a->opts.images_dir = optarg;
            break;
        case 'c':
            if (strcmp(cmd, "sweep")) {
                fprintf(stderr, "otasim %s: --cut is an option of 'otasim sweep'\n", cmd);
                usage_run(stderr, cmd);
                return 2;
            }
            a->cut_text = optarg;
            break;
        case 'm':
            a->opts.max_fail_lines = (unsigned)strtoul(optarg, &end, 0);
            if (*end || !*optarg) {
                fprintf(stderr, "otasim %s: --max-fail expects a number, got '%s'\n", cmd, optarg);
                usage_run(stderr, cmd);
                return 2;
            }
            break;
        case 'v':
            a->opts.verbose = true;
            break;
        case 'h':
            usage_run(stdout, cmd);
            return -1;
        default:
            fprintf(stderr, "otasim %s: unknown option '%s'\n\n", cmd, argv[optind - 1]);
            usage_run(stderr, cmd);
            return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "otasim %s: expected one %s\n\n", cmd,
                strcmp(cmd, "suite") ? "SCENARIO file" : "DIR");
        usage_run(stderr, cmd);
        return 2;
    }
    a->target = argv[optind];
    if (a->cut_text) {
        char err[400];
        if (!scenario_parse_cut(a->cut_text, "--cut", &a->opts.cut, err, sizeof(err))) {
            fprintf(stderr, "otasim %s: %s\n\n", cmd, err);
            usage_run(stderr, cmd);
            return 2;
        }
        a->opts.override_cut = true;
    }
    if (a->json || a->junit || a->html) {
        a->opts.keep_results = true;
        a->doc = report_doc_new(cmd, a->target, a->opts.shard_k, a->opts.shard_n);
    }
    return 0;
}

/* Writes the asked-for reports; false if one could not be written (message printed). */
static bool write_reports(run_args_t *a, double seconds)
{
    if (!a->doc)
        return true;
    report_doc_finish(a->doc, seconds);
    const char *kinds[] = {"json", "junit", "html"};
    const char *paths[] = {a->json, a->junit, a->html};
    bool ok = true;
    for (int i = 0; i < 3; i++) {
        char err[600];
        if (paths[i] && !report_write_file(a->doc, kinds[i], paths[i], err, sizeof(err))) {
            fprintf(stderr, "otasim %s: %s\n", a->opts.command_name, err);
            ok = false;
        }
    }
    json_object_put(a->doc);
    a->doc = NULL;
    return ok;
}

/* 0 passed, 1 failed, -1 could not run. */
static int run_one(const char *path, run_args_t *a, engine_report_t *rep)
{
    char err[600];
    scenario_t *s = scenario_load(path, err, sizeof(err));
    if (!s) {
        printf("== %s\n%s\nFAIL %s (does not parse)\n", path, err, path);
        if (a->doc)
            report_doc_add(a->doc, path, "", NULL, false, err);
        return -1;
    }
    engine_opts_t o = a->opts;
    if (!strcmp(a->opts.command_name, "sweep") && !o.override_cut && s->cut_step < 0) {
        /* No cut line: every point of the last update, the three basic modes. */
        memset(&o.cut, 0, sizeof(o.cut));
        o.cut.phases = SCN_PHASE_ALL;
        o.cut.each = true;
        o.cut.stride = 1;
        o.cut.modes = SCN_MODE_BEFORE | SCN_MODE_AFTER | SCN_MODE_TORN;
        o.cut.reset = SCN_RESET_POWER;
        o.cut.rtc = SCN_RTC_ZERO;
        o.override_cut = true;
    }
    int rc = engine_run(s, &o, rep);
    fflush(stdout);
    if (a->doc)
        report_doc_add(a->doc, path, s->title, rep, rc == 0,
                       rc == 0 ? "" : "could not run (see the log)");
    scenario_free(s);
    if (rc != 0) {
        printf("FAIL %s (could not run)\n", path);
        return -1;
    }
    if (rep->skipped)
        return 2;
    return rep->passed ? 0 : 1;
}

static int cmd_one(int argc, char **argv)
{
    run_args_t a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? 0 : rc;
    engine_report_t rep;
    memset(&rep, 0, sizeof(rep));
    int one = run_one(a.target, &a, &rep);
    int r = one == 0 ? 0 : one == 2 ? 77 : 1; /* 77: skipped (the test harnesses' code) */
    if (!write_reports(&a, rep.seconds))
        r = 1;
    engine_report_free(&rep);
    return r;
}

int cmd_run(int argc, char **argv)
{
    return cmd_one(argc, argv);
}

int cmd_sweep(int argc, char **argv)
{
    return cmd_one(argc, argv);
}

static int by_name(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

int cmd_suite(int argc, char **argv)
{
    run_args_t a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? 0 : rc;
    DIR *d = opendir(a.target);
    if (!d) {
        fprintf(stderr, "otasim suite: cannot open directory %s: %s\n", a.target, strerror(errno));
        return 1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *ent;
    while ((ent = readdir(d))) {
        size_t l = strlen(ent->d_name);
        if (l < 5 || strcmp(ent->d_name + l - 4, ".scn"))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            names = realloc(names, cap * sizeof(*names));
            if (!names)
                abort();
        }
        size_t pl = strlen(a.target) + l + 2;
        names[n] = malloc(pl);
        if (!names[n])
            abort();
        snprintf(names[n], pl, "%s%s%s", a.target, a.target[strlen(a.target) - 1] == '/' ? "" : "/",
                 ent->d_name);
        n++;
    }
    closedir(d);
    if (n == 0) {
        fprintf(stderr, "otasim suite: no *.scn file in %s\n", a.target);
        free(names);
        return 1;
    }
    qsort(names, n, sizeof(*names), by_name);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned passed = 0, failed = 0, skipped = 0, branches = 0;
    for (size_t i = 0; i < n; i++) {
        engine_report_t rep;
        memset(&rep, 0, sizeof(rep));
        int one = run_one(names[i], &a, &rep);
        if (one == 0)
            passed++;
        else if (one == 2)
            skipped++;
        else
            failed++;
        branches += rep.branches;
        engine_report_free(&rep);
        free(names[i]);
    }
    free(names);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("\nsuite %s: %zu scenarios, %u passed, %u failed, %u sweep branches (%.1f s)\n",
           a.target, n, passed, failed, branches, secs);
    if (skipped)
        printf("suite %s: %u skipped (%s target: see the SKIP lines)\n", a.target, skipped,
               a.opts.qemu ? "qemu" : "native");
    if (!write_reports(&a, secs))
        return 1;
    return failed ? 1 : 0;
}
