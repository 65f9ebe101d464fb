/* Parallel workers for independent work items (sweep branches). Items 0..n-1 are handed out
 * through a shared atomic next-index (work stealing: a worker that finishes early takes the
 * next item, so one slow branch does not hold up a fixed share). Each worker is a fork() of
 * the caller, so it starts with the caller's whole state (the recording, the chip, the
 * copy-on-write snapshots) without copying it; it sends each item's result back through a
 * pipe as bytes, and the caller's `done` sees every result in the caller's process. Memory
 * stays bounded: a worker holds one item at a time, the pipe applies back-pressure, and the
 * caller keeps only what `done` keeps.
 *
 * jobs == 0 (or a single item) runs every item in the caller; -j1 forks one worker, so -j1
 * and -jN run items the same way. Either way results go through the same encode/decode path
 * and -j1 and -jN produce the same results; the caller reports them in index order, never in
 * arrival order, so the output is identical too. */
#ifndef OTASIM_HARNESS_WORKERS_H
#define OTASIM_HARNESS_WORKERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer a work function writes its result into. */
typedef struct wbuf {
    uint8_t *data;
    size_t len, cap;
} wbuf_t;

void wbuf_put(wbuf_t *b, const void *p, size_t n);

/* Runs item i (in a worker or in the caller) and appends its encoded result to out. */
typedef void (*work_fn)(void *ctx, size_t i, wbuf_t *out);
/* Receives item i's encoded result, in the caller's process (any order). */
typedef void (*done_fn)(void *ctx, size_t i, const uint8_t *data, size_t len);

/* Runs items [0, n). Items a worker claimed but never reported (the worker died) are run
 * again in the caller. Returns the number of items run in the caller for that reason. */
size_t workers_run(size_t n, unsigned jobs, work_fn work, done_fn done, void *ctx);

/* True in a worker process forked by workers_run() (false in the caller). A
 * worker that dies is replaced by a fresh fork while items remain, and what it claimed but
 * never reported runs again in the caller, so a work function may do things there that
 * risk the process (resident boots, native_device.h). */
bool workers_in_worker(void);

/* The default -j: the number of online cores. */
unsigned workers_default_jobs(void);

#endif
