/* The scenario engine: runs a parsed scenario on the native device (emu/native/native_device.h),
 * with its sweep if it has a cut line, checks every expectation on the control run and on every
 * branch, and prints a plain-text summary.
 *
 * A sweep (DESIGN.md "Power, resets and sweeps"): the update the cut belongs to runs once,
 * recorded (every flash op and RTC change, with a copy-on-write snapshot before each); that
 * run, continued with the rest of the scenario, is the unfaulted control. Then, for every cut
 * point the cut line selects, the state at that point is rebuilt from its snapshot, the op at
 * the point is replayed under a one-item fault plan (before / after / torn / weak), which must
 * fire (else the branch is `invalid`), power is lost (RTC zeroed or garbage) or the chip is
 * warm-reset, and only the rest of the scenario runs: the recovery boot and the expectations.
 * Double cuts add a second planned cut inside the recovery boot, sampled by seed.
 *
 * Branch ids (also the replay ids' last part; `otasim run SCN --seed S --branch ID` reruns one):
 *   PHASE:INDEX:MODE[/PAGE]:RESET[+INDEX2:MODE2[/PAGE2]]
 *   PHASE  staging|command|reboot|copy|journal; INDEX counts that phase's points from 0
 *   MODE   before|after|torn|weak (reboot points: at); PAGE the torn page of a program
 *   RESET  zero|garbage (power lost, what RTC memory holds) or warm (RTC kept)
 *   +...   a double cut: the second cut at op INDEX2 of the recovery boot
 * Replay id (replay.h; `otasim replay ID` reruns the branch):
 *   native:SCENARIO-PATH:SEED:BRANCH-ID      the scenario's own cut line
 *   native-cut:SCENARIO-PATH:SEED:BRANCH-ID  a cut from the command line (sweep's default or
 *                                            --cut): replay builds the cut from the id */
#ifndef OTASIM_HARNESS_ENGINE_H
#define OTASIM_HARNESS_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "flashsim.h"
#include "outcome.h"
#include "report_model.h"
#include "scenario.h"
#include "sweep_results.h"

typedef struct engine_opts {
    const char *images_dir; /* NULL: $OTASIM_IMAGES, then the build's */
    bool has_seed;          /* --seed: overrides the device line's seed */
    uint64_t seed;
    const char *branch; /* --branch ID: run only this branch of the sweep (and the control) */
    bool override_cut;  /* otasim sweep --phase/--modes/...: use this cut instead */
    scn_cut_t cut;
    bool verbose;              /* every branch, consoles of failures */
    unsigned max_fail_lines;   /* failing branches printed (0 = 20) */
    FILE *out;                 /* NULL = stdout */
    const char *command_name;  /* "run" or "sweep": for the reproduction lines */
    unsigned jobs;             /* -j: parallel workers for the branches (0 = 1) */
    unsigned shard_k, shard_n; /* --shard K/N: run branch ordinals o with o % N == K-1 */
    int progress;              /* 1 progress bar / lines on stderr, 0 none */
    bool keep_results;         /* fill engine_report_t.results */
    bool debug_recovery;       /* mark each branch's recovery boot for gdb (native_device.h) */
    /* otasim bench sweep: after the single cuts, rerun this many of them (a seeded, evenly
     * spaced sample of the flash-op cuts) the naive way, from a fresh device through the
     * whole scenario prefix, and compare their outcomes (engine_report_t.naive_*). */
    unsigned naive_sample;
    /* Run every boot of a sweep branch in its own fork() (the pre-resident model) instead
     * of resident in the worker process (native_device.h hdev_set_resident): the bench's
     * before/after comparison; outcomes are the same either way. */
    bool fork_boots;
    int naive_skew; /* test only (negative control): arm the naive cut this many ops late */
    /* --target qemu: every boot (recorded run, control, every recovery boot) runs the lx106
     * build under qemu-system-xtensa (emu/qemu/qemu_device.h); images are the *-qemu ones.
     * A scenario QEMU cannot run is skipped (engine_report_t.skipped), never passed. */
    bool qemu;
    /* The native target on the QEMU target's images (otasim equiv: the same bytes on flash,
     * so flash hashes compare; the native device runs apps by their descriptor). */
    bool qemu_images;
    /* otasim equiv: called after every step of the control run (flash, RTC, the last boot's
     * end and app, the console so far). Use with branch = "control". */
    void (*on_step)(void *ctx, unsigned line, flashsim_t *fs, int end, bool app_running,
                    const char *app_name, uint32_t app_version, const char *console);
    void *on_step_ctx;
} engine_opts_t;

typedef struct engine_report {
    bool passed;
    bool skipped; /* --target qemu: not run, skip_reason says why */
    char skip_reason[300];
    bool control_passed;
    unsigned branches;
    unsigned invalid;
    unsigned failed; /* branches (control included) with a failed expectation */
    outcome_tally_t tally;
    double seconds;
    uint64_t seed;
    /* Timing of the sweep's parts (record = the recorded control run). */
    double t_record, t_singles, t_doubles;
    unsigned singles, doubles;
    uint64_t recovery_boots; /* boots run by the branches' recoveries (singles + doubles) */
    /* opts->naive_sample: the naive reruns, their wall time and outcome mismatches. */
    unsigned naive_runs, naive_mismatch;
    unsigned naive_candidates; /* the flash-op single cuts the sample was drawn from */
    double t_naive;
    /* The flash timing model's time summed over the naive reruns, and its part after the cut
     * (the recovery, which a branch runs as well): their ratio bounds the speed-up of any
     * method that still runs each branch's recovery, whatever its implementation. */
    uint64_t naive_chip_ns, naive_recovery_chip_ns;
    char naive_first_mismatch[200];
    /* With opts->keep_results: every branch run, in branch order (sweep_results.h). */
    sweep_branch_result_t *results;
    size_t nresults;
    /* With opts->keep_results: the device, the control, the recorded update (report_model.h). */
    report_scenario_info_t info;
} engine_report_t;

/* Frees report->results (and their console tails) and report->info. */
void engine_report_free(engine_report_t *report);

/* Runs the scenario; prints its summary to opts->out. Returns 0 when it ran (see
 * report->passed), -1 when it could not run (the message was printed). */
int engine_run(const scenario_t *s, const engine_opts_t *opts, engine_report_t *report);

#endif
