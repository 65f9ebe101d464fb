/* JUnit XML from the JSON report (report_render.h). The layout CI systems read: one
 * <testsuite> for the run, a <testcase> per scenario (classname "otasim.<dir>") and one per
 * failing branch (classname "otasim.<scenario>"), the replay command in each failure. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "report_json.h"
#include "report_render.h"

/* XML text / attribute escaping; control characters other than tab and newline (which XML 1.0
 * cannot carry) become '?'. */
static void xml(FILE *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '&':
            fputs("&amp;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        default:
            fputc(c < 0x20 && c != '\n' && c != '\t' ? '?' : c, out);
        }
    }
}

/* "scenarios/sketch_raw_safe_sweep.scn" -> "sketch_raw_safe_sweep". */
static void stem(const char *path, char *buf, size_t size)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(buf, size, "%s", b);
    char *dot = strrchr(buf, '.');
    if (dot && !strcmp(dot, ".scn"))
        *dot = 0;
}

void report_write_junit(json_object *doc, FILE *out)
{
    json_object *scns = rj_get(doc, "scenarios");
    size_t n = json_object_array_length(scns);
    long long tests = 0, failures = 0;
    for (size_t i = 0; i < n; i++) {
        json_object *s = json_object_array_get_idx(scns, i);
        tests++;
        failures += !rj_bool(s, "passed");
        json_object *res = rj_get(rj_get(s, "sweep"), "results");
        for (size_t j = 0; res && j < json_object_array_length(res); j++)
            if (rj_bool(json_object_array_get_idx(res, j), "failed")) {
                tests++;
                failures++;
            }
    }
    json_object *secs = rj_get(doc, "seconds");
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(out, "<testsuites name=\"otasim\" tests=\"%lld\" failures=\"%lld\" time=\"%.3f\">\n",
            tests, failures, secs ? json_object_get_double(secs) : 0.0);
    fprintf(out, "  <testsuite name=\"otasim ");
    xml(out, rj_str(doc, "command"));
    fputc(' ', out);
    xml(out, rj_str(doc, "target"));
    fprintf(out, "\" tests=\"%lld\" failures=\"%lld\" errors=\"0\" skipped=\"0\">\n", tests,
            failures);
    for (size_t i = 0; i < n; i++) {
        json_object *s = json_object_array_get_idx(scns, i);
        const char *path = rj_str(s, "path");
        char name[256];
        stem(path, name, sizeof(name));
        json_object *sw = rj_get(s, "sweep");
        json_object *t = rj_get(s, "seconds");
        fprintf(out, "    <testcase classname=\"otasim.scenarios\" name=\"");
        xml(out, path);
        fprintf(out, "\" time=\"%.3f\">\n", t ? json_object_get_double(t) : 0.0);
        json_object *ctl = rj_get(s, "control");
        if (!rj_bool(s, "passed")) {
            char msg[700];
            if (!rj_bool(s, "ran"))
                snprintf(msg, sizeof(msg), "could not run: %s", rj_str(s, "message"));
            else if (!rj_bool(ctl, "passed"))
                snprintf(msg, sizeof(msg),
                         "control: %s | reproduce: otasim run %s --seed %lld --branch control",
                         rj_str(ctl, "failure"), path, rj_int(s, "seed"));
            else
                snprintf(msg, sizeof(msg), "sweep: %lld failing branches of %lld (seed %lld)",
                         rj_int(sw, "failed"), rj_int(sw, "branches"), rj_int(s, "seed"));
            fprintf(out, "      <failure message=\"");
            xml(out, msg);
            fprintf(out, "\">");
            xml(out, rj_str(ctl, "console"));
            fprintf(out, "</failure>\n");
        }
        fprintf(out, "      <system-out>seed %lld, boot %s, layout %s", rj_int(s, "seed"),
                rj_str(rj_get(s, "device"), "boot"), rj_str(rj_get(s, "device"), "layout"));
        if (sw)
            fprintf(out, ", %lld branches (invalid %lld, failed %lld)", rj_int(sw, "branches"),
                    rj_int(sw, "invalid"), rj_int(sw, "failed"));
        fprintf(out, "</system-out>\n    </testcase>\n");
        json_object *res = rj_get(sw, "results");
        for (size_t j = 0; res && j < json_object_array_length(res); j++) {
            json_object *r = json_object_array_get_idx(res, j);
            if (!rj_bool(r, "failed"))
                continue;
            fprintf(out, "    <testcase classname=\"otasim.");
            xml(out, name);
            fprintf(out, "\" name=\"");
            xml(out, rj_str(r, "id"));
            fprintf(out, "\" time=\"0\">\n      <failure message=\"");
            char msg[1200];
            snprintf(msg, sizeof(msg), "%s: %s | reproduce: otasim replay %s", rj_str(r, "outcome"),
                     rj_str(r, "failure"), rj_str(r, "replay"));
            xml(out, msg);
            fprintf(out, "\" type=\"");
            xml(out, rj_str(r, "outcome"));
            fprintf(out, "\">");
            xml(out, rj_str(r, "console"));
            fprintf(out, "</failure>\n    </testcase>\n");
        }
    }
    fprintf(out, "  </testsuite>\n</testsuites>\n");
}

bool report_write_file(json_object *doc, const char *kind, const char *path, char *err,
                       size_t errsize)
{
    if (!strcmp(kind, "json"))
        return report_doc_write(doc, path, err, errsize);
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errsize, "cannot write %s: %s", path, strerror(errno));
        return false;
    }
    if (!strcmp(kind, "junit"))
        report_write_junit(doc, f);
    else
        report_write_html(doc, f);
    bool ok = !ferror(f);
    ok = fclose(f) == 0 && ok;
    if (!ok)
        snprintf(err, errsize, "cannot write %s: %s", path, strerror(errno));
    return ok;
}
