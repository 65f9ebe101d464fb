/* --shard K/N: which share of a sweep's branches this run takes. Branch ordinals (the
 * position in the unsharded branch list: singles, then doubles) are dealt round-robin, so
 * every shard gets a similar mix of phases and the N shards together run exactly the
 * unsharded set, each branch once (sweep.c; tested by tests/harness/run_scale.sh). */
#ifndef OTASIM_HARNESS_SHARD_H
#define OTASIM_HARNESS_SHARD_H

#include <stdbool.h>
#include <stddef.h>

/* Parses "K/N" (1 <= K <= N <= 100000). On error false and a message in err. */
bool shard_parse(const char *text, unsigned *k, unsigned *n, char *err, size_t errsize);

#endif
