/* The JSON report (json-c): the one document every other report is rendered from. Schema
 * "otasim-report/1", documented in harness/REPORTS.md. A run of `otasim run|sweep|suite`
 * writes one document; `otasim report merge` joins the documents of shards into the one an
 * unsharded run writes (timing fields aside). */
#ifndef OTASIM_HARNESS_REPORT_JSON_H
#define OTASIM_HARNESS_REPORT_JSON_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine.h"
#include "scenario.h"

#define REPORT_SCHEMA "otasim-report/1"

/* A new document for a command ("run", "sweep", "suite") on a target (file or directory);
 * shard_n > 1 records the shard K/N it covers. */
json_object *report_doc_new(const char *command, const char *target, unsigned shard_k,
                            unsigned shard_n);
/* Adds one scenario: the engine's report (with keep_results) or, when ran is false, a scenario
 * that could not run (parse error, setup error) with its message. */
void report_doc_add(json_object *doc, const char *path, const char *title,
                    const engine_report_t *rep, bool ran, const char *message);
/* Recomputes the totals (and each scenario's sweep tally and pass/fail from its results and
 * expectations) and records the wall time; call before writing. */
void report_doc_finish(json_object *doc, double seconds);

/* Writes / loads a document; false with a message in err. load checks the schema and the
 * shape of every field a report reads. */
bool report_doc_write(json_object *doc, const char *path, char *err, size_t errsize);
json_object *report_doc_load(const char *path, char *err, size_t errsize);

/* Small accessors for the renderers (NULL / 0 / "" when absent). */
json_object *rj_get(json_object *o, const char *key);
const char *rj_str(json_object *o, const char *key);
long long rj_int(json_object *o, const char *key);
bool rj_bool(json_object *o, const char *key);

#endif
