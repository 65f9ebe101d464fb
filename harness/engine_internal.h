/* Engine internals shared by engine.c (steps, expectations, outcomes) and sweep.c (the
 * control, the branches, the summary). */
#ifndef OTASIM_HARNESS_ENGINE_INTERNAL_H
#define OTASIM_HARNESS_ENGINE_INTERNAL_H

#include "native_device.h"
#include "engine.h"
#include "himages.h"

#define SCN_REPLY_LEN 1024 /* what a net step's uploader was told (kept per branch) */

/* The update the outcome of a run is judged against. Buffers belong to the engine's pool
 * (immutable once made), so states can be copied by value. */
typedef struct tx {
    bool active;
    bool fs;            /* an FS update: new/old are FS images, `app` must stay */
    const hbuf_t *old;  /* pair (sketch) or FS content before (fs) */
    const hbuf_t *new_; /* pair sent, decompressed and without signature (or FS image) */
    const hbuf_t *app;  /* fs updates: the installed pair */
    uint8_t old_byte2;  /* flash-mode byte before: the Updater may patch the new one to it */
    char old_name[24], new_name[24];
    uint32_t old_version, new_version;
    bool job_known; /* the app finished its part (staging + end()) */
    bool job_ok;
    int job_error;
} tx_t;

/* Everything a run/branch changes besides the chip (copied per branch). */
typedef struct bstate {
    const hbuf_t *cur_pair; /* what the flash holds as the app (pair) */
    char cur_name[24];
    uint32_t cur_version;
    const hbuf_t *cur_fs; /* the FS content (NULL: erased) */
    tx_t tx;
    hdev_end_t end; /* of the last run */
    bool app_running;
    char app_name[24];
    uint32_t app_version;
    bool need_boot; /* a cut happened and no boot ran since */
    bool cut_sector0;
    char *console; /* malloc'd (copied per branch) */
    size_t console_len;
    unsigned failures;
    char first_failure[400];
    uint64_t boots;             /* device boots noted by engine_note_run */
    hdev_outputs_t outputs;     /* the app's outputs in the last run */
    hdev_outputs_t upd_outputs; /* ... in the last update step's run */
    /* The last net step (engine_net.c). */
    bool net_ran, net_ok, net_idle, second_ran, second_ok;
    uint32_t net_writes; /* flash programs + erases by the app during it */
    char net_reply[SCN_REPLY_LEN], second_reply[SCN_REPLY_LEN];
} bstate_t;

typedef struct engine {
    const scenario_t *scn;
    const engine_opts_t *opts;
    FILE *out;
    uint64_t seed;
    scn_device_t dev_cfg;
    flash_layout_t layout;     /* the device line's layout */
    flash_layout_t eff_layout; /* the app's (safe layout in safe mode) */
    himages_t images;
    hdev_t *dev;
    flashsim_t *fs;
    hbuf_t **pool;
    size_t npool, pool_cap;
    flashsim_snapshot_t *baseline; /* after the last flash step */
    uint32_t *baseline_erases;     /* per sector */
    uint32_t nsectors;
} engine_t;

const hbuf_t *engine_keep(engine_t *e, hbuf_t *b); /* takes ownership */

void bstate_init(bstate_t *s);
void bstate_copy(bstate_t *dst, const bstate_t *src);
void bstate_free(bstate_t *s);
void bstate_console(bstate_t *s, const char *text, size_t len);
void bstate_fail(bstate_t *s, const scn_step_t *st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Run steps [from, to) (cut steps are skipped: the sweep driver handles them). update steps
 * record into `rec` when it is given. -1 on a setup error (message printed). */
int engine_steps(engine_t *e, bstate_t *s, size_t from, size_t to, hdev_recording_t *rec,
                 hdev_result_t *update_result);

/* An update step up to the run: its file built, the transaction (old/new) set in `s`. */
int engine_update_prepare(engine_t *e, bstate_t *s, const scn_step_t *st, hdev_job_t *job);
/* The report's view of the run (report_info.c): device, control (its state s), the recorded
 * update (rec, NULL when the scenario has no sweep), regions, wear, sweep expectations. */
void report_info_fill(const engine_t *e, const bstate_t *s, const hdev_recording_t *rec,
                      report_scenario_info_t *info);

/* The app's part of the update (job taken, ok, error) from a run into the transaction. */
void engine_note_job(bstate_t *s, const hdev_result_t *res);

/* The outcome of the last update given the chip now and the last run. */
outcome_t engine_classify(engine_t *e, const bstate_t *s);

/* After a run: its end and app into the state. */
void engine_note_run(bstate_t *s, const hdev_result_t *r);

int sweep_run(engine_t *e, engine_report_t *rep);

/* expect valve ... (expect_valve.c). */
void engine_expect_valve(bstate_t *s, const scn_step_t *st);

/* --target qemu: 0 when the scenario can run under QEMU, else 1 with the reason in why
 * (target_qemu.c). */
int target_qemu_check(const scenario_t *s, const himages_t *im, char *why, size_t n);

/* A fresh engine for the same scenario: a new device (same config), prefilled, no images
 * kept yet (the naive baseline of otasim bench: nothing is reused from `e`'s run). */
int engine_fresh(engine_t *n, const engine_t *e);
void engine_fresh_free(engine_t *n);

#endif
