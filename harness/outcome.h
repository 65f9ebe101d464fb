/* Outcomes of a run or sweep branch (issue 4 §3), the sets of acceptable outcomes a scenario
 * lists, and the per-scenario tally the summary prints. */
#ifndef OTASIM_OUTCOME_H
#define OTASIM_OUTCOME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    OUTCOME_NEW = 0,     /* the update's image runs and flash holds exactly it */
    OUTCOME_OLD,         /* the previous image runs and flash holds exactly it */
    OUTCOME_BRICK,       /* no valid app boots (ROM refuses sector 0, boot loop, crash) */
    OUTCOME_WRONG_IMAGE, /* an app boots, but flash holds neither the old nor the new image */
    OUTCOME_HANG,        /* the device stopped making progress (e.g. UART download mode) */
    OUTCOME_CORRUPT_FS,  /* the filesystem is neither all old nor all new */
    OUTCOME_INVALID,     /* the branch's fault did not fire: nothing was tested */
    OUTCOME_COUNT
} outcome_t;

/* A set of acceptable outcomes. `sector0` are outcomes acceptable only for branches whose cut
 * hit an operation on sector 0 (the ROM needs that sector: no bootloader can survive a cut
 * inside its own erase/program). */
typedef struct outcome_set {
    uint32_t any;
    uint32_t sector0;
} outcome_set_t;

const char *outcome_name(outcome_t o);
/* -1 if the name is not an outcome. */
int outcome_from_name(const char *name, size_t len);

static inline bool outcome_set_has(const outcome_set_t *s, outcome_t o, bool cut_in_sector0)
{
    return (s->any >> o & 1u) || (cut_in_sector0 && (s->sector0 >> o & 1u));
}

/* "{new, old, brick@sector0}" (snprintf-style). */
int outcome_set_format(const outcome_set_t *s, char *buf, size_t size);

typedef struct outcome_tally {
    unsigned count[OUTCOME_COUNT];
    unsigned branches;
    unsigned failed; /* branches with a failed expectation (an unacceptable outcome included) */
} outcome_tally_t;

void outcome_tally_add(outcome_tally_t *t, outcome_t o, bool failed);
/* "new 40, old 12, brick 3" (only non-zero counts; "none" when empty). */
int outcome_tally_format(const outcome_tally_t *t, char *buf, size_t size);

#endif
