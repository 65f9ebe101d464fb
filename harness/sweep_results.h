/* The per-branch results of a sweep, for reports (harness/report_*.c) and replay. sweep.c
 * fills one entry per branch it ran, in the deterministic branch order (the same for every
 * -j and, restricted to its share, for every --shard), into engine_report_t.results. */
#ifndef OTASIM_HARNESS_SWEEP_RESULTS_H
#define OTASIM_HARNESS_SWEEP_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "outcome.h"

typedef struct sweep_branch_result {
    char id[96];     /* the branch id (engine.h), e.g. "copy:12:torn/3:zero" */
    size_t ordinal;  /* position in the unsharded branch list (singles, then doubles) */
    char phase[12];  /* staging|command|reboot|copy|journal */
    unsigned index;  /* the point's index within its phase */
    size_t cut_rec;  /* record index of the cut op in the recording (reboot points: boot) */
    uint32_t cut_op; /* flashsim op count at the cut op (0 for reboot points) */
    char mode[16];   /* before|after|torn|weak|at */
    int32_t page;    /* torn/weak programs: the torn page, else -1 */
    char reset[8];   /* zero|garbage|warm */
    bool dbl;        /* a double cut; dbl_op: its op within the recovery boot */
    uint32_t dbl_op;
    outcome_t outcome;
    bool failed;           /* an expectation failed on this branch */
    bool expected;         /* !failed and not invalid */
    uint32_t recovery_ops; /* flash ops of the recovery */
    char failure[400];     /* the first failed expectation ("" when none) */
    char replay[640];      /* the replay id: `otasim replay ID` reruns this branch */
    char *console_tail;    /* malloc'd: the last 4 KiB of the console (failed branches; all
                              branches with -v), else NULL */
} sweep_branch_result_t;

#endif
