/* Joining and comparing JSON reports (report_json.h). */
#ifndef OTASIM_HARNESS_REPORT_MERGE_H
#define OTASIM_HARNESS_REPORT_MERGE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

/* Joins the documents of the shards of one run into the document of the unsharded run:
 * scenarios in order, each scenario's branch results united and sorted by ordinal, tallies and
 * pass/fail recomputed (report_doc_finish), seconds summed. Every shard must come from the
 * same command and target, name the same scenarios with the same seeds, and together cover
 * shards 1..N once each; false with a message otherwise. */
json_object *report_merge(json_object **docs, size_t n, char *err, size_t errsize);

/* The regression report BASE -> NEW: newly failing branches (and scenarios), fixed ones, and
 * per-scenario outcome-rate changes, printed to out. Returns the number of regressions (newly
 * failing scenarios or branches); -1 with a message in err when the documents cannot be
 * compared. */
long report_diff(json_object *base, json_object *cur, FILE *out, char *err, size_t errsize);

#endif
