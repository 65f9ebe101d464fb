/* otasim bench sweep --target qemu: the QEMU sweep benchmark of issue 8. One generated
 * scenario — a sketch update of --size bytes (default 1 MiB) in eboot mode on a 4 MiB chip
 * (layout auto-4m: the QEMU app's FLASH_MAP row), a power cut before every sector's erase
 * of the staging and the copy (stride=2: each sector is one erase and one 4 KiB program), so
 * one cut per sector — swept under QEMU, and in the same run the same scenario on the native
 * target with the same image bytes (the QEMU build's images, as `otasim equiv` runs it). The
 * two tallies must be equal; the wall-time ratio QEMU / native is printed. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "engine.h"
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
