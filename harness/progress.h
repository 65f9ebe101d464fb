/* Progress of a sweep on stderr: on a terminal a bar redrawn in place (done/total, branches
 * per second, ETA, failures so far); otherwise a plain line every few seconds, so logs stay
 * short and stdout (the report) is never touched. */
#ifndef OTASIM_HARNESS_PROGRESS_H
#define OTASIM_HARNESS_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct progress {
    bool on, tty;
    FILE *out;
    char label[64];
    size_t done, total;
    unsigned failed;
    double t0, last;
    bool drawn;
} progress_t;

/* enabled=false makes every call a no-op. */
void progress_start(progress_t *p, bool enabled, const char *label, size_t total);
void progress_tick(progress_t *p, bool failed);
void progress_end(progress_t *p);
/* The line progress_tick draws ("label 120/792 37.5 br/s ETA 18 s, 2 failed"), for tests. */
int progress_format(const progress_t *p, double now, char *buf, size_t size);

#endif
