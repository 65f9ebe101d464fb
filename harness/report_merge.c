/* report merge / report diff (report_merge.h). */
#include "report_merge.h"

#include <stdlib.h>
#include <string.h>

#include "outcome.h"
#include "report_json.h"

static json_object *scenario_by_path(json_object *doc, const char *path)
{
    json_object *scns = rj_get(doc, "scenarios");
    for (size_t i = 0; i < json_object_array_length(scns); i++) {
        json_object *s = json_object_array_get_idx(scns, i);
        if (!strcmp(rj_str(s, "path"), path))
            return s;
    }
    return NULL;
}

static int by_ordinal(const void *a, const void *b)
{
    long long x = rj_int(*(json_object *const *)a, "ordinal");
    long long y = rj_int(*(json_object *const *)b, "ordinal");
    return x < y ? -1 : x > y;
}

json_object *report_merge(json_object **docs, size_t n, char *err, size_t errsize)
{
    if (n == 0) {
        snprintf(err, errsize, "no report to merge");
        return NULL;
    }
    long long shard_n = rj_int(rj_get(docs[0], "shard"), "n");
    if (shard_n < 1)
        shard_n = 1;
    if ((size_t)shard_n != n) {
        snprintf(err, errsize, "the first report is shard %lld/%lld, but %zu reports were given",
                 rj_int(rj_get(docs[0], "shard"), "k"), shard_n, n);
        return NULL;
    }
    bool *seen = calloc(n + 1, sizeof(bool));
    if (!seen)
        abort();
    for (size_t i = 0; i < n; i++) {
        json_object *sh = rj_get(docs[i], "shard");
        long long k = rj_int(sh, "k"), nn = rj_int(sh, "n");
        if (n > 1 && (nn != shard_n || k < 1 || k > shard_n || seen[k])) {
            snprintf(err, errsize, "report %zu: expected a distinct shard K/%lld, got %lld/%lld",
                     i + 1, shard_n, k, nn);
            free(seen);
            return NULL;
        }
        if (n > 1)
            seen[k] = true;
        if (strcmp(rj_str(docs[i], "command"), rj_str(docs[0], "command")) ||
            strcmp(rj_str(docs[i], "target"), rj_str(docs[0], "target"))) {
            snprintf(err, errsize, "report %zu is of 'otasim %s %s', the first of 'otasim %s %s'",
                     i + 1, rj_str(docs[i], "command"), rj_str(docs[i], "target"),
                     rj_str(docs[0], "command"), rj_str(docs[0], "target"));
            free(seen);
            return NULL;
        }
    }
    free(seen);
    json_object *out = report_doc_new(rj_str(docs[0], "command"), rj_str(docs[0], "target"), 0, 0);
    json_object *scns0 = rj_get(docs[0], "scenarios");
    double seconds = 0;
    for (size_t i = 0; i < n; i++)
        seconds += json_object_get_double(rj_get(docs[i], "seconds"));
    for (size_t si = 0; si < json_object_array_length(scns0); si++) {
        json_object *s0 = json_object_array_get_idx(scns0, si);
        json_object *s = NULL;
        if (json_object_deep_copy(s0, &s, NULL) != 0)
            abort();
        json_object *sw = rj_get(s, "sweep");
        json_object *res = sw ? rj_get(sw, "results") : NULL;
        double secs = json_object_get_double(rj_get(s0, "seconds"));
        for (size_t d = 1; d < n; d++) {
            json_object *o = scenario_by_path(docs[d], rj_str(s0, "path"));
            if (!o || rj_int(o, "seed") != rj_int(s0, "seed") ||
                rj_bool(o, "ran") != rj_bool(s0, "ran") || !rj_get(o, "sweep") != !sw) {
                snprintf(err, errsize,
                         "report %zu: scenario %s is missing or differs (seed, ran, sweep)", d + 1,
                         rj_str(s0, "path"));
                json_object_put(s);
                json_object_put(out);
                return NULL;
            }
            secs += json_object_get_double(rj_get(o, "seconds"));
            json_object *ores = rj_get(rj_get(o, "sweep"), "results");
            for (size_t j = 0; ores && j < json_object_array_length(ores); j++)
                json_object_array_add(res, json_object_get(json_object_array_get_idx(ores, j)));
        }
        if (res) {
            size_t nr = json_object_array_length(res);
            json_object **v = malloc((nr ? nr : 1) * sizeof(*v));
            if (!v)
                abort();
            for (size_t j = 0; j < nr; j++)
                v[j] = json_object_get(json_object_array_get_idx(res, j));
            qsort(v, nr, sizeof(*v), by_ordinal);
            json_object *sorted = json_object_new_array_ext((int)nr);
            for (size_t j = 0; j < nr; j++) {
                if (j && rj_int(v[j], "ordinal") == rj_int(v[j - 1], "ordinal")) {
                    snprintf(err, errsize, "scenario %s: branch ordinal %lld is in two shards",
                             rj_str(s0, "path"), rj_int(v[j], "ordinal"));
                    for (size_t k = j; k < nr; k++)
                        json_object_put(v[k]);
                    free(v);
                    json_object_put(sorted);
                    json_object_put(s);
                    json_object_put(out);
                    return NULL;
                }
                json_object_array_add(sorted, v[j]);
            }
            free(v);
            json_object_object_add(sw, "results", sorted);
        }
        json_object_object_add(s, "seconds", json_object_new_double(secs));
        json_object_array_add(rj_get(out, "scenarios"), s);
    }
    report_doc_finish(out, seconds);
    return out;
}

/* ---- diff ---- */

/* id -> result, for lookups in O(1) (json-c objects are hash tables). */
static json_object *index_results(json_object *sw)
{
    json_object *idx = json_object_new_object();
    json_object *res = rj_get(sw, "results");
    for (size_t i = 0; res && i < json_object_array_length(res); i++) {
        json_object *r = json_object_array_get_idx(res, i);
        json_object_object_add(idx, rj_str(r, "id"), json_object_get(r));
    }
    return idx;
}

long report_diff(json_object *base, json_object *cur, FILE *out, char *err, size_t errsize)
{
    (void)err;
    (void)errsize;
    long regressions = 0, fixed = 0, changed = 0;
    json_object *scns = rj_get(cur, "scenarios");
    for (size_t i = 0; i < json_object_array_length(scns); i++) {
        json_object *s = json_object_array_get_idx(scns, i);
        const char *path = rj_str(s, "path");
        json_object *b = scenario_by_path(base, path);
        if (!b) {
            fprintf(out, "new scenario %s: %s\n", path, rj_bool(s, "passed") ? "pass" : "FAIL");
            if (!rj_bool(s, "passed"))
                regressions++;
            continue;
        }
        bool bp = rj_bool(b, "passed"), np = rj_bool(s, "passed");
        if (bp && !np) {
            fprintf(out, "REGRESSION %s: passed, now fails\n", path);
            regressions++;
        } else if (!bp && np) {
            fprintf(out, "fixed %s: failed, now passes\n", path);
            fixed++;
        }
        json_object *bs = rj_get(b, "sweep"), *ns = rj_get(s, "sweep");
        json_object *bidx = index_results(bs), *nidx = index_results(ns);
        json_object *res = rj_get(ns, "results");
        for (size_t j = 0; res && j < json_object_array_length(res); j++) {
            json_object *r = json_object_array_get_idx(res, j);
            json_object *br = rj_get(bidx, rj_str(r, "id"));
            bool was = br && rj_bool(br, "failed"), is = rj_bool(r, "failed");
            if (is && !was) {
                fprintf(out,
                        "  REGRESSION %s %s: %s%s, now %s: %s\n      reproduce: otasim replay %s\n",
                        path, rj_str(r, "id"), br ? "was " : "a new branch",
                        br ? rj_str(br, "outcome") : "", rj_str(r, "outcome"), rj_str(r, "failure"),
                        rj_str(r, "replay"));
                regressions++;
            }
        }
        json_object *bres = rj_get(bs, "results");
        for (size_t j = 0; bres && j < json_object_array_length(bres); j++) {
            json_object *br = json_object_array_get_idx(bres, j);
            json_object *r = rj_get(nidx, rj_str(br, "id"));
            if (rj_bool(br, "failed") && r && !rj_bool(r, "failed")) {
                fprintf(out, "  fixed %s %s: was %s, now %s\n", path, rj_str(br, "id"),
                        rj_str(br, "outcome"), rj_str(r, "outcome"));
                fixed++;
            }
        }
        json_object_put(bidx);
        json_object_put(nidx);
        /* Outcome rates: the share of each outcome among the branches, before and after. */
        long long nb = rj_int(bs, "branches"), nn = rj_int(ns, "branches");
        if (nb > 0 && nn > 0) {
            for (int o = 0; o < OUTCOME_COUNT; o++) {
                const char *on = outcome_name((outcome_t)o);
                long long cb = rj_int(rj_get(bs, "tally"), on),
                          cn = rj_int(rj_get(ns, "tally"), on);
                double rb = 100.0 * (double)cb / (double)nb, rn = 100.0 * (double)cn / (double)nn;
                if (cb != cn) {
                    fprintf(out, "  rate %s %s: %.1f%% (%lld/%lld) -> %.1f%% (%lld/%lld)\n", path,
                            on, rb, cb, nb, rn, cn, nn);
                    changed++;
                }
            }
        }
    }
    json_object *bscns = rj_get(base, "scenarios");
    for (size_t i = 0; i < json_object_array_length(bscns); i++) {
        json_object *b = json_object_array_get_idx(bscns, i);
        if (!scenario_by_path(cur, rj_str(b, "path")))
            fprintf(out, "removed scenario %s (was %s)\n", rj_str(b, "path"),
                    rj_bool(b, "passed") ? "pass" : "FAIL");
    }
    fprintf(out, "diff: %ld regressions, %ld fixed, %ld outcome-rate changes\n", regressions, fixed,
            changed);
    return regressions;
}
