/* Reports rendered from the JSON document (report_json.h): JUnit XML for CI systems and a
 * self-contained HTML page for people. */
#ifndef OTASIM_HARNESS_REPORT_RENDER_H
#define OTASIM_HARNESS_REPORT_RENDER_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

/* One <testcase> per scenario and one per failing branch (its replay id in the message). */
void report_write_junit(json_object *doc, FILE *out);

/* The HTML report: per sweep a strip of every cut point along the operation timeline coloured
 * by outcome, the flash map with the regions the update touched, a wear histogram, the timing
 * model's figures (update flash time, brick window), and every failure with its replay
 * command and console. No external resources. */
void report_write_html(json_object *doc, FILE *out);

/* Writes a report file by kind ("json", "junit", "html"); false with a message in err. */
bool report_write_file(json_object *doc, const char *kind, const char *path, char *err,
                       size_t errsize);

/* The flash time of the recorded update and the part of it during which a power cut left a
 * branch bricked (microseconds, on the timing model): a cut point "bricks" when any branch
 * cut at that operation ended as a brick. */
void report_brick_window(json_object *sweep, unsigned long long *update_us,
                         unsigned long long *brick_us);

#endif
