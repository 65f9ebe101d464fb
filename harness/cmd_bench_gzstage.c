/* otasim bench gzstage: what a gzip update costs when the bootloader cannot inflate and the
 * Updater inflates it into the stage (safeboot-raw, updater_gzstage.c), against the same gzip
 * file on the gzip-capable safe bootloader (the bootloader inflates: the baseline) and the raw
 * file on safeboot-raw, in the same run on the native device. Per case: bytes sent, sector
 * erases, bytes programmed and the chip's virtual busy time over the whole update (staging,
 * boot command, the bootloader's copy), and whether v2 then runs with flash holding exactly
 * the v2 .bin (a case that does not is reported FAILED and the command exits 1). Images are
 * synthesized (their contents follow from name and version, nearly incompressible) or, with
 * --apps DIR, the build's lx106 app images DIR/basic-v1.img and DIR/basic-v2.img (real code,
 * which compresses); the bootloader images are always synthesized. The device seed is --seed. */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "flashsim.h"
#include "imagekit.h"
#include "layout.h"
#include "native_device.h"

typedef struct gz_case {
    const char *name;
    const char *boot;
    bool gzip;
} gz_case_t;

static const gz_case_t cases[] = {
    {"gzip, bootloader inflates (safeboot)", "safeboot", true},
    {"gzip, Updater inflates (safeboot-raw)", "safeboot-raw", true},
    {"raw (safeboot-raw)", "safeboot-raw", false},
};

typedef struct gz_row {
    size_t sent;
    flashsim_stats_t st;
    uint64_t busy_us;
    bool ok;
} gz_row_t;

static const char *apps_dir; /* --apps: real app images */

/* App image v`version`: DIR/basic-vN.img with --apps, else synthesized. */
static int app_image(uint32_t version, size_t size, uint8_t **out, size_t *len)
{
    if (apps_dir == NULL)
        return imagekit_synth_app("basic", version, size, out, len);
    char path[1024], e[200];
    snprintf(path, sizeof(path), "%s/basic-v%u.img", apps_dir, (unsigned)version);
    if (imagekit_read_file(path, out, len, e, sizeof(e)) != 0) {
        fprintf(stderr, "otasim bench gzstage: %s\n", e);
        return -1;
    }
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: otasim bench gzstage [--size BYTES] [--seed N] [--layout NAME] [--apps DIR]\n"
            "  Cost of a gzip sketch update on the raw-only safe bootloader (the Updater\n"
            "  inflates into the stage) vs the gzip-capable one, and a raw update.\n"
            "  --size    approximate app image size (default 262144)\n"
            "  --seed    device seed (default 1)\n"
            "  --layout  flash layout (default 4m1m)\n"
            "  --apps    use DIR/basic-v1.img and DIR/basic-v2.img (e.g. build/images)\n");
}

static int run_case(const gz_case_t *c, const char *layout, uint64_t seed, size_t size,
                    gz_row_t *row)
{
    uint8_t *boot = NULL, *a1 = NULL, *a2 = NULL, *p1 = NULL, *p2 = NULL, *gz = NULL;
    size_t bl, l1, l2, pl1, pl2, gzl = 0;
    char e[200];
    int rc = 1;
    memset(row, 0, sizeof(*row));
    if (imagekit_synth_boot(c->boot, &boot, &bl) != 0 || app_image(1, size, &a1, &l1) != 0 ||
        app_image(2, size, &a2, &l2) != 0 ||
        imagekit_pack_pair(boot, bl, a1, l1, &p1, &pl1, e, sizeof(e)) != 0 ||
        imagekit_pack_pair(boot, bl, a2, l2, &p2, &pl2, e, sizeof(e)) != 0 ||
        imagekit_gzip(p2, pl2, &gz, &gzl, e, sizeof(e)) != 0) {
        fprintf(stderr, "otasim bench gzstage: cannot build the images\n");
        goto out;
    }
    hdev_config_t cfg = {.seed = seed};
    if (!layout_by_name(layout, 4u << 20, &cfg.layout)) {
        fprintf(stderr, "otasim bench gzstage: unknown layout '%s'\n", layout);
        goto out;
    }
    hdev_t *d = hdev_new(&cfg);
    flashsim_t *fs = hdev_flash(d);
    flashsim_poke(fs, 0, p1, (uint32_t)pl1);
    const uint8_t *data = c->gzip ? gz : p2;
    size_t len = c->gzip ? gzl : pl2;
    flashsim_stats_t s0 = flashsim_stats(fs);
    uint64_t t0 = flashsim_time_us(fs);
    hdev_job_t job = {.data = data, .len = len, .declared = (uint32_t)len, .command = 0};
    hdev_result_t r;
    hdev_run(d, &job, NULL, &r);
    flashsim_stats_t s1 = flashsim_stats(fs);
    row->sent = len;
    row->st.sector_erases = s1.sector_erases - s0.sector_erases;
    row->st.block_erases = s1.block_erases - s0.block_erases;
    row->st.program_bytes = s1.program_bytes - s0.program_bytes;
    row->busy_us = flashsim_time_us(fs) - t0;
    uint8_t *got = malloc(pl2);
    if (got != NULL) {
        flashsim_peek(fs, 0, got, (uint32_t)pl2);
        row->ok = r.job_ok && r.app_version == 2 && memcmp(got, p2, pl2) == 0;
        free(got);
    }
    if (!row->ok)
        fprintf(stderr, "otasim bench gzstage: %s: error %d %s\n", c->name, r.job_error, r.job_msg);
    hdev_result_free(&r);
    hdev_free(d);
    rc = 0;
out:
    free(boot), free(a1), free(a2), free(p1), free(p2), free(gz);
    return rc;
}

int cmd_bench_gzstage(int argc, char **argv)
{
    static const struct option opts[] = {
        {"size", required_argument, 0, 's'},   {"seed", required_argument, 0, 'r'},
        {"layout", required_argument, 0, 'l'}, {"apps", required_argument, 0, 'a'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    size_t size = 262144;
    uint64_t seed = 1;
    const char *layout = "4m1m";
    optind = 1;
    for (int ch; (ch = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
        char *end;
        switch (ch) {
        case 's':
            size = strtoul(optarg, &end, 0);
            if (*end || size == 0 || size > (4u << 20)) {
                fprintf(stderr, "otasim bench gzstage: --size wants 1..4194304, got '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'r':
            seed = strtoull(optarg, &end, 0);
            if (*end) {
                fprintf(stderr, "otasim bench gzstage: --seed wants a number, got '%s'\n", optarg);
                return 2;
            }
            break;
        case 'l':
            layout = optarg;
            break;
        case 'a':
            apps_dir = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    printf("bench gzstage: layout %s, apps %s, seed %llu\n", layout,
           apps_dir ? apps_dir : "synthesized", (unsigned long long)seed);
    if (apps_dir == NULL)
        printf("app size ~%zu\n", size);
    printf("%-40s %9s %8s %11s %11s %7s %s\n", "case", "sent", "erases", "programmed", "busy (ms)",
           "x base", "result");
    gz_row_t rows[sizeof(cases) / sizeof(cases[0])];
    int failed = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (run_case(&cases[i], layout, seed, size, &rows[i]) != 0)
            return 1;
        failed += !rows[i].ok;
        double ratio = rows[0].busy_us ? (double)rows[i].busy_us / (double)rows[0].busy_us : 0;
        printf("%-40s %9zu %8llu %11llu %11.1f %7.2f %s\n", cases[i].name, rows[i].sent,
               (unsigned long long)(rows[i].st.sector_erases + rows[i].st.block_erases),
               (unsigned long long)rows[i].st.program_bytes, (double)rows[i].busy_us / 1000.0,
               ratio, rows[i].ok ? "v2" : "FAILED");
    }
    return failed ? 1 : 0;
}
