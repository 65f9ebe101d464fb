/* otasim bench sweep: the sweep benchmark of issue 5. One generated scenario (a sketch update
 * of --size bytes in safe mode (--boot), every staging, command and copy op a cut point
 * (--phase), modes before and torn, plus --pairs sampled double cuts) swept by record-and-branch
 * (sweep.c), and in the same run a seeded sample of its single cuts rerun the naive way (a fresh
 * device replaying the whole prefix for each cut point, as MCUboot's simulator does), whose
 * outcomes must equal the record-and-branch ones. `bench` dispatches on its first word so that
 * other benchmarks can join it (`otasim bench primitives`). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "commands.h"
#include "engine.h"
#include "scenario.h"
#include "workers.h"

static void usage_bench(FILE *out)
{
    fprintf(out,
            "usage: otasim bench sweep [options]\n"
            "       otasim bench primitives [options]   (see otasim bench primitives --help)\n"
            "       otasim bench gzstage [options]      (see otasim bench gzstage --help)\n"
            "       otasim bench boot-insns [--quick]   (eboot's instructions for a 1 MiB raw\n"
            "                            and gzip copy under QEMU -icount)\n"
            "       otasim bench flash [--size B] [--seed N] [--baud B]   (otasim flash into\n"
            "                            otasim romloader, line rate honoured)\n"
            "       otasim bench net [--size B] [--seed N]   (espota and web uploads into a\n"
            "                            networked device vs loopback TCP; --help)\n"
            "Sweeps a generated sketch update (layout 4m, safe mode) with a power cut before\n"
            "and torn at every staging, command and copy op (record-and-branch), reruns a\n"
            "sample of those cuts the naive way (fresh device, whole prefix replayed) and\n"
            "checks that both give the same outcomes, then runs sampled double cuts.\n"
            "Prints wall times, recovery boots/s, peak memory and the naive/record ratio.\n\n"
            "  -j N, --jobs N       parallel workers (default: the number of cores)\n"
            "  --seed N             the seed (default 1); printed\n"
            "  --size BYTES         the update's image size (default 1048576; N, Nk, NM)\n"
            "  --pairs N            sampled double cuts (default 100000; 0: none)\n"
            "  --naive-sample N|all single cuts rerun naively (default all: every flash-op\n"
            "                       cut, measured; N: a seeded sample, extrapolated)\n"
            "  --phase LIST         the phases cut (default staging,command,copy): one phase\n"
            "                       alone shows where the ratio comes from\n"
            "  --boot safe|eboot    the bootloader (default safe; eboot bricks on a copy cut)\n"
            "  --fork-boots         every boot in its own fork() (the old model), not resident\n"
            "                       in the worker process: the before/after comparison\n"
            "  --quick              a tiny run (64k image, 40 pairs, 6 naive samples) for tests\n"
            "  --target qemu        the QEMU benchmark instead: eboot, layout auto-4m, a cut\n"
            "                       before each sector's erase (staging, copy), swept under\n"
            "                       QEMU and on native (same images) in one run: both\n"
            "                       tallies must agree; prints the wall-time ratio (uses\n"
            "                       -j, --seed, --size, --quick)\n"
            "  -h, --help           this text\n");
}

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-')
        return false;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno)
        return false;
    if (*end == 'k' || *end == 'K') {
        v *= 1024;
        end++;
    } else if (*end == 'M') {
        v *= 1024 * 1024;
        end++;
    }
    if (*end)
        return false;
    *out = v;
    return true;
}

/* --phase: a comma list of the sweep's phases, each at most once. */
static bool phase_list_ok(const char *list)
{
    static const char *const names[] = {"staging", "command", "copy"};
    unsigned seen = 0;
    for (const char *p = list;;) {
        size_t n = strcspn(p, ",");
        unsigned i = 0;
        while (i < 3 && !(strlen(names[i]) == n && !strncmp(p, names[i], n)))
            i++;
        if (i == 3 || (seen & (1u << i)))
            return false;
        seen |= 1u << i;
        if (!p[n])
            return true;
        p += n + 1;
    }
}

static int bench_sweep(int argc, char **argv)
{
    static const struct option longs[] = {
        {"jobs", required_argument, NULL, 'j'},
        {"seed", required_argument, NULL, 's'},
        {"size", required_argument, NULL, 'z'},
        {"pairs", required_argument, NULL, 'p'},
        {"naive-sample", required_argument, NULL, 'n'},
        {"quick", no_argument, NULL, 'q'},
        {"fork-boots", no_argument, NULL, 'f'},
        {"target", required_argument, NULL, 't'},
        {"phase", required_argument, NULL, 'P'},
        {"boot", required_argument, NULL, 'B'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    uint64_t jobs = workers_default_jobs(), seed = 1, size = 1024 * 1024, pairs = 100000,
             naive = UINT32_MAX; /* all */
    bool quick = false, fork_boots = false, qemu = false, set_size = false, set_pairs = false,
         set_naive = false;
    const char *phase = "staging,command,copy", *boot = "safe";
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "j:h", longs, NULL)) != -1) {
        uint64_t v = 0;
        bool ok = c == 'q' || c == 'h' || c == 'f' || c == 't' || c == 'P' || c == 'B' ||
                  (optarg && parse_u64(optarg, &v));
        const char *what = NULL;
        switch (c) {
        case 'j':
            what = ok && v >= 1 && v <= 256 ? NULL : "-j expects a number of workers 1..256";
            jobs = v;
            break;
        case 's':
            what = ok ? NULL : "--seed expects a number";
            seed = v;
            break;
        case 'z':
            what =
                ok && v >= 4096 && v <= 1024 * 1024 ? NULL : "--size expects 4096..1048576 bytes";
            size = v;
            set_size = true;
            break;
        case 'p':
            what = ok && v <= 10000000 ? NULL : "--pairs expects a number 0..10000000";
            pairs = v;
            set_pairs = true;
            break;
        case 'n':
            if (optarg && !strcmp(optarg, "all")) {
                naive = UINT32_MAX;
                ok = true;
                what = NULL;
            } else {
                what =
                    ok && v >= 1 && v <= 100000 ? NULL : "--naive-sample expects 1..100000 or all";
                naive = v;
            }
            set_naive = true;
            break;
        case 'q':
            quick = true;
            break;
        case 'f':
            fork_boots = true;
            break;
        case 't':
            what = !strcmp(optarg, "qemu") || !strcmp(optarg, "native")
                       ? NULL
                       : "--target expects native or qemu";
            qemu = !strcmp(optarg, "qemu");
            break;
        case 'P':
            what = phase_list_ok(optarg) ? NULL
                                         : "--phase expects a comma list of staging, command, copy";
            phase = optarg;
            break;
        case 'B':
            what = !strcmp(optarg, "safe") || !strcmp(optarg, "eboot")
                       ? NULL
                       : "--boot expects safe or eboot";
            boot = optarg;
            break;
        case 'h':
            usage_bench(stdout);
            return 0;
        default:
            fprintf(stderr, "otasim bench sweep: unknown option '%s'\n\n", argv[optind - 1]);
            usage_bench(stderr);
            return 2;
        }
        if (what) {
            fprintf(stderr, "otasim bench sweep: %s, got '%s'\n\n", what, optarg);
            usage_bench(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "otasim bench sweep: unexpected argument '%s'\n\n", argv[optind]);
        usage_bench(stderr);
        return 2;
    }
    if (qemu)
        return bench_sweep_qemu((unsigned)jobs, (unsigned long long)seed,
                                quick && !set_size ? 64 * 1024 : (unsigned long long)size);
    if (quick) {
        size = set_size ? size : 64 * 1024;
        pairs = set_pairs ? pairs : 40;
        naive = set_naive ? naive : 6;
    }

    char text[1024];
    int tl =
        snprintf(text, sizeof(text),
                 "# otasim bench sweep: a %llu-byte sketch update, every op a cut point\n"
                 "device layout=4m boot=%s seed=%llu\n"
                 "flash app=basic@1\n"
                 "update sketch image=basic@2:%llu\n"
                 "expect app=basic@2\n"
                 "cut phase=%s mode=before,torn%s%.0llu\n"
                 "expect outcome in {new, old}\n"
                 "expect sweep brick=0\n",
                 (unsigned long long)size, boot, (unsigned long long)seed, (unsigned long long)size,
                 phase, pairs ? " double=" : "", (unsigned long long)pairs);
    char err[600];
    scenario_t *s = scenario_parse(text, (size_t)tl, "<bench-sweep>", err, sizeof(err));
    if (!s) {
        fprintf(stderr, "otasim bench sweep: the generated scenario does not parse: %s\n", err);
        return 1;
    }
    char nv[24];
    if (naive == UINT32_MAX)
        snprintf(nv, sizeof(nv), "all");
    else
        snprintf(nv, sizeof(nv), "%llu", (unsigned long long)naive);
    printf("otasim bench sweep: seed %llu, image %llu bytes, -j%llu, %llu double-cut pairs, "
           "%s naive samples\n",
           (unsigned long long)seed, (unsigned long long)size, (unsigned long long)jobs,
           (unsigned long long)pairs, nv);
    fflush(stdout);
    engine_opts_t o;
    memset(&o, 0, sizeof(o));
    o.command_name = "bench";
    o.jobs = (unsigned)jobs;
    o.progress = 0;
    o.naive_sample = (unsigned)naive;
    o.fork_boots = fork_boots;
    printf("boots: %s\n",
           fork_boots ? "one fork() per boot (--fork-boots)" : "resident in the worker processes");
    /* The negative control of the outcome check (tests/harness/run_bench.sh): the naive
     * reruns cut the wrong op, so their outcomes must differ. */
    const char *skew = getenv("OTASIM_BENCH_NAIVE_SKEW");
    o.naive_skew = skew ? atoi(skew) : 0;
    if (o.naive_skew)
        printf("OTASIM_BENCH_NAIVE_SKEW=%d: the naive cuts are %d ops late (a negative "
               "control)\n",
               o.naive_skew, o.naive_skew);
    engine_report_t rep;
    memset(&rep, 0, sizeof(rep));
    int rc = engine_run(s, &o, &rep);
    scenario_free(s);
    if (rc != 0) {
        fprintf(stderr, "otasim bench sweep: the sweep could not run\n");
        return 1;
    }
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);

    double single_wall = rep.seconds - rep.t_naive - rep.t_doubles;
    double per_naive = rep.naive_runs ? rep.t_naive / rep.naive_runs : 0;
    /* Every flash-op cut rerun: the naive time is measured, and set against the time of all
     * the singles (RTC-write cuts included, which the naive way cannot arm): conservative. */
    bool all_naive = rep.naive_runs > 0 && rep.naive_runs == rep.naive_candidates;
    double naive_total = all_naive ? rep.t_naive : per_naive * rep.singles;
    printf("\nsingle cuts (record-and-branch): %u branches in %.2f s wall (recording %.2f s, "
           "branches %.2f s): %.0f branches/s\n",
           rep.singles, single_wall, rep.t_record, rep.t_singles,
           single_wall > 0 ? rep.singles / single_wall : 0);
    printf("recovery boots: %llu (singles + doubles) in %.2f s: %.0f boots/s\n",
           (unsigned long long)rep.recovery_boots, rep.t_singles + rep.t_doubles,
           rep.t_singles + rep.t_doubles > 0
               ? (double)rep.recovery_boots / (rep.t_singles + rep.t_doubles)
               : 0);
    printf("naive baseline: %u of the %u single cuts rerun from a fresh device in %.2f s wall "
           "(-j%llu): %.3f s per branch\n",
           rep.naive_runs, rep.singles, rep.t_naive, (unsigned long long)jobs, per_naive);
    if (all_naive)
        printf("naive total, MEASURED over all %u flash-op cuts: %.1f s; ratio naive / "
               "record-and-branch (all %u singles): %.1fx\n",
               rep.naive_runs, naive_total, rep.singles,
               single_wall > 0 ? naive_total / single_wall : 0);
    else
        printf("naive total, EXTRAPOLATED from %u samples to %u branches: %.1f s; ratio naive / "
               "record-and-branch: %.1fx\n",
               rep.naive_runs, rep.singles, naive_total,
               single_wall > 0 ? naive_total / single_wall : 0);
    /* The bound: what the chip does in the naive reruns vs after their cuts (the recovery, which
     * a branch runs too). Skipping the prefix saves at most this factor of chip work. */
    if (rep.naive_recovery_chip_ns)
        printf("chip work of the naive reruns (flash timing model): %.1f s, of which after the "
               "cut (the recovery a branch runs too) %.1f s: skipping the prefix can save at "
               "most %.1fx of the chip's work\n",
               (double)rep.naive_chip_ns / 1e9, (double)rep.naive_recovery_chip_ns / 1e9,
               (double)rep.naive_chip_ns / (double)rep.naive_recovery_chip_ns);
    printf("naive vs record-and-branch outcomes: %u of %u sampled branches differ%s%s\n",
           rep.naive_mismatch, rep.naive_runs, rep.naive_mismatch ? ": first " : "",
           rep.naive_first_mismatch);
    printf("double cuts: %u pairs in %.2f s: %.0f pairs/s\n", rep.doubles, rep.t_doubles,
           rep.t_doubles > 0 ? rep.doubles / rep.t_doubles : 0);
    printf("peak RSS: %.1f MiB (this process), %.1f MiB (largest child)\n", self.ru_maxrss / 1024.0,
           kids.ru_maxrss / 1024.0);
    bool ok = rep.passed && rep.naive_mismatch == 0 && rep.naive_runs > 0 &&
              (pairs == 0 || rep.doubles > 0);
    printf("%s\n", ok ? "bench sweep: PASS" : "bench sweep: FAIL");
    engine_report_free(&rep);
    return ok ? 0 : 1;
}

int cmd_bench(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage_bench(stdout);
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "sweep"))
        return bench_sweep(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "primitives"))
        return cmd_bench_primitives(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "gzstage"))
        return cmd_bench_gzstage(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "net"))
        return cmd_bench_net(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "boot-insns"))
        return bench_boot_insns(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "flash"))
        return cmd_bench_flash(argc - 1, argv + 1);
    fprintf(stderr,
            argc < 2 ? "otasim bench: expected a benchmark name\n\n"
                     : "otasim bench: unknown benchmark '%s'\n\n",
            argc < 2 ? "" : argv[1]);
    usage_bench(stderr);
    return 2;
}
