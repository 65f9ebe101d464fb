/* otasim replay ID [--gdb]: rerun exactly one sweep branch from its replay id (replay.h). */
#include "replay.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "engine.h"

static const char *const phase_names[] = {"staging", "command", "reboot", "copy", "journal"};
static const scn_phase_t phase_bits[] = {SCN_PHASE_STAGING, SCN_PHASE_COMMAND, SCN_PHASE_REBOOT,
                                         SCN_PHASE_COPY, SCN_PHASE_JOURNAL};

/* The phase a branch id starts with (-1: none). */
static int branch_phase(const char *b)
{
    for (int i = 0; i < 5; i++) {
        size_t l = strlen(phase_names[i]);
        if (!strncmp(b, phase_names[i], l) && b[l] == ':')
            return i;
    }
    return -1;
}

bool replay_parse(const char *text, replay_id_t *id, char *err, size_t errsize)
{
    memset(id, 0, sizeof(*id));
    const char *rest = text;
    /* The target: a branch of a --target qemu sweep replays under QEMU. */
    if (!strncmp(rest, "qemu", 4) && (rest[4] == ':' || rest[4] == '-')) {
        id->qemu = true;
        rest += 4;
    } else if (!strncmp(rest, "native", 6) && (rest[6] == ':' || rest[6] == '-')) {
        rest += 6;
    } else {
        rest = NULL;
    }
    if (rest && !strncmp(rest, "-cut:", 5)) {
        rest += 5;
        id->cmdline_cut = true;
    } else if (rest && *rest == ':') {
        rest++;
    } else {
        snprintf(err, errsize,
                 "replay id '%s': expected native:SCENARIO:SEED:BRANCH, native-cut:..., qemu:... "
                 "or qemu-cut:... (the id a failing branch prints)",
                 text);
        return false;
    }
    /* SCENARIO may contain ':'; the seed is the first ":DIGITS:" followed by a branch id. */
    for (const char *p = strchr(rest, ':'); p; p = strchr(p + 1, ':')) {
        const char *d = p + 1;
        const char *q = d;
        while (*q >= '0' && *q <= '9')
            q++;
        if (q == d || *q != ':')
            continue;
        const char *b = q + 1;
        if (branch_phase(b) < 0 && strcmp(b, "control"))
            continue;
        size_t pl = (size_t)(p - rest);
        if (pl == 0 || pl >= sizeof(id->path) || strlen(b) >= sizeof(id->branch))
            break;
        memcpy(id->path, rest, pl);
        id->path[pl] = 0;
        errno = 0;
        id->seed = strtoull(d, NULL, 10);
        if (errno)
            break;
        snprintf(id->branch, sizeof(id->branch), "%s", b);
        goto parsed;
    }
    snprintf(err, errsize,
             "replay id '%s': expected SCENARIO:SEED:BRANCH after the target, BRANCH like "
             "copy:3:torn/0:zero or control",
             text);
    return false;
parsed:;
    const char *plus = strchr(id->branch, '+');
    if (plus) {
        char *end;
        id->dbl_op = (uint32_t)strtoul(plus + 1, &end, 10);
        id->dbl = end != plus + 1;
    }
    if (id->cmdline_cut) {
        int ph = branch_phase(id->branch);
        if (ph < 0) {
            snprintf(err, errsize, "replay id '%s': a native-cut id names a branch, not %s", text,
                     id->branch);
            return false;
        }
        /* The cut that selects this branch: its phase, every point, every mode; the reset and
         * RTC contents the id names. The branch filter picks the one branch. */
        scn_cut_t *c = &id->cut;
        c->phases = phase_bits[ph];
        c->each = true;
        c->stride = 1;
        c->modes = SCN_MODE_BEFORE | SCN_MODE_AFTER | SCN_MODE_TORN | SCN_MODE_WEAK;
        size_t bl = plus ? (size_t)(plus - id->branch) : strlen(id->branch);
        const char *last = id->branch + bl;
        while (last > id->branch && last[-1] != ':')
            last--;
        size_t ll = (size_t)(id->branch + bl - last);
        if (ll == 4 && !strncmp(last, "warm", 4)) {
            c->reset = SCN_RESET_WARM;
        } else if ((ll == 4 && !strncmp(last, "zero", 4)) ||
                   (ll == 7 && !strncmp(last, "garbage", 7))) {
            c->reset = SCN_RESET_POWER;
            c->rtc = ll == 4 ? SCN_RTC_ZERO : SCN_RTC_GARBAGE;
        } else {
            snprintf(err, errsize,
                     "replay id '%s': the branch's reset must be zero, garbage or warm", text);
            return false;
        }
    }
    return true;
}

int replay_gdb_script(const replay_id_t *id, char *buf, size_t size)
{
    /* A single cut: the recovery boot's first flash op; a double cut: the op the second cut
     * hits (counted from the recovery boot's start, as in the id). */
    unsigned op = id->dbl ? id->dbl_op : 0;
    return snprintf(buf, size,
                    "set pagination off\n"
                    "set breakpoint pending on\n"
                    "set detach-on-fork on\n"
                    "break hdev_gdb_fork\n"
                    "commands\n"
                    "  silent\n"
                    "  set follow-fork-mode child\n"
                    "  break hdev_gdb_op if (unsigned int)hdev_gdb_last_op == %u\n"
                    "  continue\n"
                    "end\n"
                    "echo otasim: running to flash op %u of the recovery boot "
                    "(hdev_gdb_op; 'up' to the bootloader)\\n\n"
                    "run\n",
                    op, op);
}

int replay_gdb_command(const char *exe, const char *id_text, const replay_id_t *id,
                       const char *script_path, const char **argv, size_t n)
{
    (void)id;
    const char *v[] = {"gdb", "-q",     "-x",          script_path, "--args",
                       exe,   "replay", "--gdb-child", id_text,     NULL};
    size_t k = sizeof(v) / sizeof(v[0]);
    if (k > n)
        return -1;
    memcpy(argv, v, sizeof(v));
    return (int)k - 1;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: otasim replay ID [options]\n"
            "Reruns exactly the sweep branch ID (the replay id a failing branch prints after\n"
            "'reproduce: otasim replay') and prints its outcome as the sweep did. Exit 0 when\n"
            "every expectation held on it, 1 when one failed.\n\n"
            "  --gdb            run it under gdb, stopped at the flash op of interest of the\n"
            "                   recovery boot (a double cut: the second cut's op; else its\n"
            "                   first op), inside the boot's fork()ed process\n"
            "  --gdb-print      print the gdb command line and script instead of running it\n"
            "  --images DIR     the build's images directory\n"
            "  -v, --verbose    the console of the branch even when it passes\n"
            "  -h, --help       this text\n");
}

int cmd_replay(int argc, char **argv)
{
    static const struct option longs[] = {
        {"gdb", no_argument, NULL, 'g'},
        {"gdb-print", no_argument, NULL, 'p'},
        {"gdb-child", no_argument, NULL, 'c'},
        {"images", required_argument, NULL, 'i'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool gdb = false, gdb_print = false, gdb_child = false, verbose = false;
    const char *images = NULL;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "vh", longs, NULL)) != -1) {
        switch (c) {
        case 'g':
            gdb = true;
            break;
        case 'p':
            gdb = gdb_print = true;
            break;
        case 'c':
            gdb_child = true;
            break;
        case 'i':
            images = optarg;
            break;
        case 'v':
            verbose = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            fprintf(stderr, "otasim replay: unknown option '%s'\n\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "otasim replay: expected one replay ID\n\n");
        usage(stderr);
        return 2;
    }
    const char *text = argv[optind];
    replay_id_t id;
    char err[700];
    if (!replay_parse(text, &id, err, sizeof(err))) {
        fprintf(stderr, "otasim replay: %s\n\n", err);
        usage(stderr);
        return 2;
    }
    if (gdb && id.qemu) {
        fprintf(stderr, "otasim replay: --gdb follows the native device's fork()ed boot; a qemu "
                        "id's boot runs in qemu-system-xtensa (replay it without --gdb)\n");
        return 2;
    }
    if (gdb) {
        char exe[4096];
        ssize_t l = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (l <= 0) {
            perror("otasim replay: /proc/self/exe");
            return 1;
        }
        exe[l] = 0;
        char script[4096];
        replay_gdb_script(&id, script, sizeof(script));
        char spath[] = "/tmp/otasim-gdb-XXXXXX";
        const char *path = gdb_print ? "SCRIPT" : spath;
        if (!gdb_print) {
            int fd = mkstemp(spath);
            if (fd < 0 || write(fd, script, strlen(script)) != (ssize_t)strlen(script)) {
                perror("otasim replay: gdb script");
                return 1;
            }
            close(fd);
        }
        const char *av[16];
        int ac = replay_gdb_command(exe, text, &id, path, av, 16);
        if (gdb_print) {
            for (int i = 0; i < ac; i++)
                printf("%s%s", i ? " " : "", av[i]);
            printf("\n-- SCRIPT:\n%s", script);
            return 0;
        }
        execvp(av[0], (char *const *)av);
        fprintf(stderr, "otasim replay: cannot run gdb: %s\n", strerror(errno));
        unlink(spath);
        return 1;
    }
    char perr[600];
    scenario_t *s = scenario_load(id.path, perr, sizeof(perr));
    if (!s) {
        printf("== %s\n%s\nFAIL %s (does not parse)\n", id.path, perr, id.path);
        return 1;
    }
    engine_opts_t o;
    memset(&o, 0, sizeof(o));
    o.images_dir = images;
    o.has_seed = true;
    o.seed = id.seed;
    o.branch = id.branch;
    o.verbose = verbose;
    o.command_name = "replay";
    o.jobs = 1;
    o.debug_recovery = gdb_child;
    o.qemu = id.qemu;
    if (id.cmdline_cut) {
        o.override_cut = true;
        o.cut = id.cut;
    }
    engine_report_t rep;
    int rc = engine_run(s, &o, &rep);
    engine_report_free(&rep);
    scenario_free(s);
    fflush(stdout);
    if (rc != 0) {
        printf("FAIL %s (could not run)\n", id.path);
        return 1;
    }
    return rep.passed ? 0 : 1;
}
