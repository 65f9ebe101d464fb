/* otasim bench sweep --target qemu: the QEMU sweep benchmark of issue 8. One generated
 * scenario — a sketch update of --size bytes (default 1 MiB) in eboot mode on a 4 MiB chip
 * (layout auto-4m: the QEMU app's FLASH_MAP row), a power cut before every sector's erase
 * of the staging and the copy (stride=2: each sector is one erase and one 4 KiB program), so
 * one cut per sector — swept under QEMU, and in the same run the same scenario on the native
 * target with the same image bytes (the QEMU build's images, as `otasim equiv` runs it). The
 * two tallies must be equal; the wall-time ratio QEMU / native is printed.
 * otasim bench boot-insns: the instructions eboot executes for a raw and a gzip copy (below). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "engine.h"
#include "himages.h"
#include "qemu_device.h"
#include "qemu_runner.h"
#include "scenario.h"

int bench_sweep_qemu(unsigned jobs, unsigned long long seed, unsigned long long size)
{
    char text[1024];
    int tl = snprintf(text, sizeof(text),
                      "# otasim bench sweep --target qemu: a %llu-byte sketch update, one cut "
                      "per sector\n"
                      "device layout=auto-4m boot=eboot seed=%llu\n"
                      "flash app=basic@1\n"
                      "update sketch image=basic@2:%llu\n"
                      "expect app=basic@2\n"
                      "cut phase=staging,copy mode=before stride=2\n"
                      "expect outcome in {new, old, brick, wrong-image}\n",
                      size, seed, size);
    char err[600];
    scenario_t *s = scenario_parse(text, (size_t)tl, "<bench-sweep-qemu>", err, sizeof(err));
    if (!s) {
        fprintf(stderr, "otasim bench sweep: the generated scenario does not parse: %s\n", err);
        return 1;
    }
    printf("otasim bench sweep --target qemu: seed %llu, image %llu bytes, -j%u, eboot, layout "
           "auto-4m, a cut before each sector's erase (staging and copy)\n",
           seed, size, jobs);
    fflush(stdout);
    engine_report_t rep[2];
    static const char *const name[2] = {"native", "qemu"};
    for (int t = 0; t < 2; t++) {
        engine_opts_t o;
        memset(&o, 0, sizeof(o));
        o.command_name = "bench";
        o.jobs = jobs;
        o.progress = 0;
        o.qemu = t == 1;
        o.qemu_images = t == 0; /* the same bytes on flash on both targets */
        memset(&rep[t], 0, sizeof(rep[t]));
        if (engine_run(s, &o, &rep[t]) != 0) {
            fprintf(stderr, "otasim bench sweep: the %s sweep could not run\n", name[t]);
            if (t)
                engine_report_free(&rep[0]);
            scenario_free(s);
            return 1;
        }
        if (rep[t].skipped) {
            printf("bench sweep --target qemu: SKIP (%s)\n", rep[t].skip_reason);
            engine_report_free(&rep[0]);
            if (t)
                engine_report_free(&rep[1]);
            scenario_free(s);
            return 77;
        }
    }
    scenario_free(s);
    for (int t = 0; t < 2; t++)
        printf("%-6s: %u branches in %.2f s wall (recording %.2f s, branches %.2f s): %.0f "
               "branches/s\n",
               name[t], rep[t].singles, rep[t].seconds, rep[t].t_record, rep[t].t_singles,
               rep[t].seconds > 0 ? rep[t].singles / rep[t].seconds : 0);
    bool same = memcmp(&rep[0].tally, &rep[1].tally, sizeof(rep[0].tally)) == 0 &&
                rep[0].singles == rep[1].singles;
    char ta[200], tb[200];
    outcome_tally_format(&rep[0].tally, ta, sizeof ta);
    outcome_tally_format(&rep[1].tally, tb, sizeof tb);
    printf("tallies: native %s; qemu %s: %s\n", ta, tb, same ? "equal" : "DIFFER");
    printf("ratio qemu / native wall: %.1fx\n",
           rep[0].seconds > 0 ? rep[1].seconds / rep[0].seconds : 0);
    bool ok = same && rep[0].passed && rep[1].passed && rep[1].invalid == 0 && rep[1].singles > 0;
    printf("%s\n", ok ? "bench sweep --target qemu: PASS" : "bench sweep --target qemu: FAIL");
    engine_report_free(&rep[0]);
    engine_report_free(&rep[1]);
    return ok ? 0 : 1;
}

/* One boot under QEMU with -icount shift=`shift`; false with a message when it failed. */
static bool boot_once(flashsim_t *fs, const char *qemu, unsigned shift, const hbuf_t *file,
                      const char *md5, uint32_t declared, qemu_run_result_t *res)
{
    qemu_run_cfg_t cfg = {.qemu = qemu, .fs = fs, .timeout_ms = 60000, .icount = shift + 1};
    if (file) {
        cfg.offer = true;
        cfg.stream = file->data;
        cfg.stream_len = file->len;
        cfg.offer_declared = declared;
        cfg.offer_md5 = *md5 ? md5 : NULL;
    }
    if (qemu_run(&cfg, res) != 0 || res->power_cut || res->timed_out) {
        fprintf(stderr, "otasim bench boot-insns: the boot failed:\n%s\n", res->console);
        return false;
    }
    flashsim_warm_reset(fs);
    return true;
}

static double insns(uint32_t ccount, unsigned shift)
{
    return (double)ccount * 25.0 / (double)(1u << shift); /* CCOUNT at 40 MHz, 2^shift ns/insn */
}

/* The bootloader's instructions for the boot that copies (update staged, command in RTC) and
 * for the plain boot of the same app after it; copy = the difference. */
static int measure(himages_t *im, const char *qemu, bool gzip, uint32_t size, unsigned shift,
                   double *copy_boot, double *plain_boot, double *wall_ms, size_t *sent)
{
    scn_image_ref_t v1 = {"basic", 1, 0}, v2 = {"basic", 2, size};
    hbuf_t pair = {0}, plain = {0}, file = {0};
    char err[300], md5[33];
    uint32_t declared = 0;
    int rc = 1;
    flashsim_t *fs = flashsim_new(&(flashsim_config_t){.size = 4u << 20, .seed = 1});
    scn_update_t u;
    memset(&u, 0, sizeof u);
    u.image = v2;
    u.gzip = gzip;
    u.flash_mode = -1;
    if (!fs || himages_pair(im, SCN_BL_EBOOT, &v1, 4u << 20, &pair, err, sizeof err) ||
        himages_pair(im, SCN_BL_EBOOT, &v2, 4u << 20, &plain, err, sizeof err) ||
        himages_update_file(im, &u, &plain, &file, md5, &declared, err, sizeof err)) {
        fprintf(stderr, "otasim bench boot-insns: %s\n", fs ? err : "no flash");
        goto done;
    }
    flashsim_poke(fs, 0, pair.data, (uint32_t)pair.len);
    static qemu_run_result_t r;
    *sent = file.len;
    if (!boot_once(fs, qemu, shift, &file, md5, declared, &r))
        goto done;
    if (!r.job_ok) {
        fprintf(stderr, "otasim bench boot-insns: the update was refused: %s\n", r.job_msg);
        goto done;
    }
    bool ok = boot_once(fs, qemu, shift, NULL, md5, 0, &r);
    if (!ok || !r.app_started || r.app_version != 2 || !r.has_boot_ccount) {
        fprintf(stderr, "otasim bench boot-insns: the copy boot did not start basic@2:\n%s\n",
                r.console);
        goto done;
    }
    *copy_boot = insns(r.boot_ccount, shift);
    *wall_ms = r.wall_ms;
    ok = boot_once(fs, qemu, shift, NULL, md5, 0, &r);
    if (!ok || !r.app_started || r.app_version != 2 || !r.has_boot_ccount) {
        fprintf(stderr, "otasim bench boot-insns: the plain boot did not start basic@2\n");
        goto done;
    }
    *plain_boot = insns(r.boot_ccount, shift);
    rc = 0;
done:
    hbuf_free(&pair);
    hbuf_free(&plain);
    hbuf_free(&file);
    flashsim_free(fs);
    return rc;
}

int bench_boot_insns(int argc, char **argv)
{
    uint32_t size = 1u << 20;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            size = 64u << 10;
        } else {
            fprintf(stderr,
                    "usage: otasim bench boot-insns [--quick]\n"
                    "Instructions eboot (QEMU build) executes to copy a 1 MiB sketch update\n"
                    "(raw and gzip) under qemu-system-xtensa -icount, from QEMU's CCOUNT;\n"
                    "--quick: a 64 KiB update. Counts at shift 3 and 5 must agree.\n");
            return !strcmp(argv[i], "-h") || !strcmp(argv[i], "--help") ? 0 : 2;
        }
    }
    const char *qemu = qemu_device_find();
    himages_t im;
    himages_init(&im, NULL);
    im.qemu = true;
    uint8_t *probe = NULL;
    size_t plen;
    char e[256];
    if (!qemu || !im.have_dir ||
        imagekit_load(&im.dir, "boot-eboot-qemu.img", &probe, &plen, e, sizeof e)) {
        printf("bench boot-insns: SKIP (%s)\n",
               !qemu ? "qemu-system-xtensa not found: apt-get install qemu-system-misc"
                     : "no boot-eboot-qemu.img: the lx106 cross build is missing");
        himages_free(&im);
        return 77;
    }
    free(probe);
    printf("otasim bench boot-insns: eboot (QEMU build), a %u-byte sketch update, layout auto-4m; "
           "instructions = CCOUNT x 25 / 2^shift (-icount shift=N, 40 MHz CCOUNT)\n",
           (unsigned)size);
    bool ok = true;
    for (int gz = 0; gz < 2 && ok; gz++) {
        double c[2], p[2], w = 0;
        size_t sent = 0;
        static const unsigned shifts[2] = {3, 5};
        for (int k = 0; k < 2 && ok; k++)
            ok = measure(&im, qemu, gz, size, shifts[k], &c[k], &p[k], &w, &sent) == 0;
        if (!ok)
            break;
        /* Instruction counts must not depend on the shift (CCOUNT follows instructions, not
         * the host's clock); the 2^5 resolution bounds the difference. */
        bool agree = c[0] > 0 && c[1] > 0 && fabs(c[0] - c[1]) <= c[0] * 0.001 + 64;
        ok = agree;
        printf("%-4s (%zu bytes sent): copy boot %.0f, plain boot %.0f, copy %.0f instructions "
               "(%.1f per image byte); shift 5 gives %.0f: %s; copy boot wall %.0f ms\n",
               gz ? "gzip" : "raw", sent, c[0], p[0], c[0] - p[0], (c[0] - p[0]) / size, c[1],
               agree ? "agree" : "DIFFER", w);
    }
    himages_free(&im);
    printf("%s\n", ok ? "bench boot-insns: PASS" : "bench boot-insns: FAIL");
    return ok ? 0 : 1;
}
