/* What a report knows about one scenario run beyond its branch results (sweep_results.h): the
 * device, the control, the recorded update's operations on the timing model's clock, the
 * layout's regions and the wear the run caused. The engine fills it when the caller asks for
 * results (engine_opts_t.keep_results); report_json.c writes it, and every other report is
 * rendered from that JSON (so merged shards render like one run). */
#ifndef OTASIM_HARNESS_REPORT_MODEL_H
#define OTASIM_HARNESS_REPORT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One flash operation (or RTC change) of the recorded update, in order. */
typedef struct report_op {
    char kind;     /* 'P' page program, 'E' sector erase, 'B' block erase, 'R' RTC change */
    uint8_t phase; /* hdev_phase_t */
    uint32_t addr, len;
    uint32_t time_us; /* the op's duration on the timing model (typical times) */
} report_op_t;

typedef struct report_region {
    char name[12];
    uint32_t start, end; /* [start, end) */
} report_region_t;

/* An 'expect sweep' line: checked again over the merged tally of shards. */
typedef struct report_sweep_exp {
    unsigned line;
    uint8_t outcome; /* outcome_t */
    char cmp;        /* '>' (>=), '<' (<=), '=' */
    uint32_t count;
} report_sweep_exp_t;

#define REPORT_MAX_REGIONS 10
#define REPORT_MAX_SWEEP_EXPS 16

typedef struct report_scenario_info {
    bool filled;
    char boot[12]; /* eboot | safe | safe-raw */
    char layout[16];
    uint32_t flash_size;
    bool sweep; /* the scenario had a sweep */
    bool control_passed;
    char control_failure[400];
    char *control_console; /* malloc'd */
    report_op_t *ops;      /* malloc'd: the recorded update */
    size_t nops;
    report_region_t regions[REPORT_MAX_REGIONS];
    size_t nregions;
    uint32_t *wear; /* malloc'd: erases per sector during the scenario (after its flash steps) */
    uint32_t nsectors;
    report_sweep_exp_t exps[REPORT_MAX_SWEEP_EXPS];
    size_t nexps;
} report_scenario_info_t;

void report_scenario_info_free(report_scenario_info_t *info);

#endif
