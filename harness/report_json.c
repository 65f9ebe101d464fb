/* The JSON report document (report_json.h; schema in harness/REPORTS.md). */
#include "report_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outcome.h"

json_object *rj_get(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, &v))
        return v;
    return NULL;
}

const char *rj_str(json_object *o, const char *key)
{
    json_object *v = rj_get(o, key);
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

long long rj_int(json_object *o, const char *key)
{
    json_object *v = rj_get(o, key);
    return v ? (long long)json_object_get_int64(v) : 0;
}

bool rj_bool(json_object *o, const char *key)
{
    json_object *v = rj_get(o, key);
    return v && json_object_get_boolean(v);
}

static void put_str(json_object *o, const char *key, const char *s)
{
    json_object_object_add(o, key, json_object_new_string(s ? s : ""));
}

static void put_int(json_object *o, const char *key, long long v)
{
    json_object_object_add(o, key, json_object_new_int64(v));
}

static void put_bool(json_object *o, const char *key, bool v)
{
    json_object_object_add(o, key, json_object_new_boolean(v));
}

json_object *report_doc_new(const char *command, const char *target, unsigned shard_k,
                            unsigned shard_n)
{
    json_object *doc = json_object_new_object();
    put_str(doc, "schema", REPORT_SCHEMA);
    put_str(doc, "command", command);
    put_str(doc, "target", target);
    if (shard_n > 1) {
        json_object *sh = json_object_new_object();
        put_int(sh, "k", shard_k);
        put_int(sh, "n", shard_n);
        json_object_object_add(doc, "shard", sh);
    }
    json_object_object_add(doc, "scenarios", json_object_new_array());
    return doc;
}

static json_object *result_json(const sweep_branch_result_t *r)
{
    json_object *o = json_object_new_object();
    put_str(o, "id", r->id);
    put_int(o, "ordinal", (long long)r->ordinal);
    put_str(o, "phase", r->phase);
    put_int(o, "index", r->index);
    put_int(o, "cut_rec", (long long)r->cut_rec);
    put_int(o, "cut_op", r->cut_op);
    put_str(o, "mode", r->mode);
    put_int(o, "page", r->page);
    put_str(o, "reset", r->reset);
    put_bool(o, "double", r->dbl);
    put_int(o, "double_op", r->dbl ? r->dbl_op : 0);
    put_str(o, "outcome", outcome_name(r->outcome));
    put_bool(o, "failed", r->failed);
    put_str(o, "failure", r->failure);
    put_str(o, "replay", r->replay);
    put_int(o, "recovery_ops", r->recovery_ops);
    if (r->console_tail)
        put_str(o, "console", r->console_tail);
    return o;
}

static json_object *sweep_json(const engine_report_t *rep)
{
    const report_scenario_info_t *in = &rep->info;
    json_object *sw = json_object_new_object();
    json_object *exps = json_object_new_array();
    for (size_t i = 0; i < in->nexps; i++) {
        json_object *x = json_object_new_object();
        put_int(x, "line", in->exps[i].line);
        put_str(x, "outcome", outcome_name((outcome_t)in->exps[i].outcome));
        char cmp[3] = {0};
        memcpy(cmp, in->exps[i].cmp == '>' ? ">=" : in->exps[i].cmp == '<' ? "<=" : "=", 2);
        put_str(x, "cmp", cmp);
        put_int(x, "count", in->exps[i].count);
        json_object_array_add(exps, x);
    }
    json_object_object_add(sw, "expectations", exps);
    /* The recorded update, compact: [kind, phase, addr, len, time_us] per operation. */
    static const char *const phases[] = {"staging", "command", "copy", "journal"};
    json_object *ops = json_object_new_array_ext((int)in->nops);
    for (size_t i = 0; i < in->nops; i++) {
        const report_op_t *op = &in->ops[i];
        json_object *a = json_object_new_array_ext(5);
        char k[2] = {op->kind, 0};
        json_object_array_add(a, json_object_new_string(k));
        json_object_array_add(a, json_object_new_string(op->phase < 4 ? phases[op->phase] : "?"));
        json_object_array_add(a, json_object_new_int64(op->addr));
        json_object_array_add(a, json_object_new_int64(op->len));
        json_object_array_add(a, json_object_new_int64(op->time_us));
        json_object_array_add(ops, a);
    }
    json_object_object_add(sw, "ops", ops);
    json_object *res = json_object_new_array_ext((int)rep->nresults);
    for (size_t i = 0; i < rep->nresults; i++)
        json_object_array_add(res, result_json(&rep->results[i]));
    json_object_object_add(sw, "results", res);
    return sw;
}

void report_doc_add(json_object *doc, const char *path, const char *title,
                    const engine_report_t *rep, bool ran, const char *message)
{
    json_object *s = json_object_new_object();
    put_str(s, "path", path);
    put_str(s, "title", title);
    put_str(s, "target", "native");
    put_bool(s, "ran", ran && rep && rep->info.filled);
    put_str(s, "message", message);
    put_int(s, "seed", rep ? (long long)rep->seed : 0);
    put_bool(s, "passed", false); /* report_doc_finish decides */
    json_object_object_add(s, "seconds", json_object_new_double(rep ? rep->seconds : 0.0));
    if (ran && rep && rep->info.filled) {
        const report_scenario_info_t *in = &rep->info;
        json_object *dev = json_object_new_object();
        put_str(dev, "boot", in->boot);
        put_str(dev, "layout", in->layout);
        put_int(dev, "flash_size", in->flash_size);
        json_object_object_add(s, "device", dev);
        json_object *ctl = json_object_new_object();
        put_bool(ctl, "passed", in->control_passed);
        put_str(ctl, "failure", in->control_failure);
        put_str(ctl, "console", in->control_console);
        json_object_object_add(s, "control", ctl);
        json_object *regs = json_object_new_array();
        for (size_t i = 0; i < in->nregions; i++) {
            json_object *r = json_object_new_object();
            put_str(r, "name", in->regions[i].name);
            put_int(r, "start", in->regions[i].start);
            put_int(r, "end", in->regions[i].end);
            json_object_array_add(regs, r);
        }
        json_object_object_add(s, "regions", regs);
        json_object *wear = json_object_new_array_ext((int)in->nsectors);
        for (uint32_t i = 0; i < in->nsectors; i++)
            json_object_array_add(wear, json_object_new_int64(in->wear[i]));
        json_object_object_add(s, "wear", wear);
        if (in->sweep)
            json_object_object_add(s, "sweep", sweep_json(rep));
    }
    json_object_array_add(rj_get(doc, "scenarios"), s);
}

/* The sweep's tally, counts and pass/fail from its results and expectations: the same code
 * for one run and for merged shards, so both judge a scenario alike. */
static bool sweep_finish(json_object *sw)
{
    unsigned count[OUTCOME_COUNT] = {0};
    unsigned branches = 0, invalid = 0, failed = 0;
    json_object *res = rj_get(sw, "results");
    size_t n = res ? json_object_array_length(res) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *r = json_object_array_get_idx(res, i);
        const char *o = rj_str(r, "outcome");
        int oc = outcome_from_name(o, strlen(o));
        if (oc >= 0)
            count[oc]++;
        branches++;
        if (oc == OUTCOME_INVALID)
            invalid++;
        if (rj_bool(r, "failed"))
            failed++;
    }
    json_object *tally = json_object_new_object();
    for (int o = 0; o < OUTCOME_COUNT; o++)
        put_int(tally, outcome_name((outcome_t)o), count[o]);
    json_object_object_add(sw, "tally", tally);
    put_int(sw, "branches", branches);
    put_int(sw, "invalid", invalid);
    put_int(sw, "failed", failed);
    bool ok = failed == 0 && branches > invalid;
    json_object *exps = rj_get(sw, "expectations");
    size_t ne = exps ? json_object_array_length(exps) : 0;
    for (size_t i = 0; i < ne; i++) {
        json_object *x = json_object_array_get_idx(exps, i);
        const char *o = rj_str(x, "outcome");
        int oc = outcome_from_name(o, strlen(o));
        long long want = rj_int(x, "count");
        long long got = oc >= 0 ? count[oc] : 0;
        const char *cmp = rj_str(x, "cmp");
        bool hold = !strcmp(cmp, ">=")   ? got >= want
                    : !strcmp(cmp, "<=") ? got <= want
                                         : got == want;
        put_bool(x, "passed", hold);
        put_int(x, "got", got);
        ok = ok && hold;
    }
    return ok;
}

void report_doc_finish(json_object *doc, double seconds)
{
    json_object *scns = rj_get(doc, "scenarios");
    size_t n = scns ? json_object_array_length(scns) : 0;
    long long passed = 0, failed = 0, branches = 0, bricks = 0;
    for (size_t i = 0; i < n; i++) {
        json_object *s = json_object_array_get_idx(scns, i);
        bool ok = rj_bool(s, "ran") && rj_bool(rj_get(s, "control"), "passed");
        json_object *sw = rj_get(s, "sweep");
        if (sw) {
            ok = sweep_finish(sw) && ok;
            branches += rj_int(sw, "branches");
            bricks += rj_int(rj_get(sw, "tally"), "brick");
        }
        put_bool(s, "passed", ok);
        if (ok)
            passed++;
        else
            failed++;
    }
    json_object *tot = json_object_new_object();
    put_int(tot, "scenarios", (long long)n);
    put_int(tot, "passed", passed);
    put_int(tot, "failed", failed);
    put_int(tot, "branches", branches);
    put_int(tot, "bricks", bricks);
    json_object_object_add(doc, "totals", tot);
    json_object_object_add(doc, "seconds", json_object_new_double(seconds));
}

bool report_doc_write(json_object *doc, const char *path, char *err, size_t errsize)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errsize, "cannot write %s: %s", path, strerror(errno));
        return false;
    }
    const char *text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
    bool ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    ok = fclose(f) == 0 && ok;
    if (!ok)
        snprintf(err, errsize, "cannot write %s: %s", path, strerror(errno));
    return ok;
}

/* Shape checks: what the renderers and merge read must be there with the right type. */
static bool need(json_object *o, const char *key, json_type t, const char *where, char *err,
                 size_t errsize)
{
    json_object *v = rj_get(o, key);
    if (v && json_object_is_type(v, t))
        return true;
    snprintf(err, errsize, "%s: expected \"%s\" (%s)", where, key, json_type_to_name(t));
    return false;
}

static bool check_doc(json_object *doc, const char *path, char *err, size_t errsize)
{
    char where[600];
    if (!json_object_is_type(doc, json_type_object)) {
        snprintf(err, errsize, "%s: expected a JSON object", path);
        return false;
    }
    if (strcmp(rj_str(doc, "schema"), REPORT_SCHEMA)) {
        snprintf(err, errsize, "%s: expected \"schema\": \"%s\", got \"%s\"", path, REPORT_SCHEMA,
                 rj_str(doc, "schema"));
        return false;
    }
    if (!need(doc, "scenarios", json_type_array, path, err, errsize) ||
        !need(doc, "command", json_type_string, path, err, errsize))
        return false;
    json_object *scns = rj_get(doc, "scenarios");
    for (size_t i = 0; i < json_object_array_length(scns); i++) {
        json_object *s = json_object_array_get_idx(scns, i);
        snprintf(where, sizeof(where), "%s: scenarios[%zu]", path, i);
        if (!need(s, "path", json_type_string, where, err, errsize) ||
            !need(s, "ran", json_type_boolean, where, err, errsize))
            return false;
        if (!rj_bool(s, "ran"))
            continue;
        if (!need(s, "control", json_type_object, where, err, errsize) ||
            !need(s, "device", json_type_object, where, err, errsize) ||
            !need(s, "regions", json_type_array, where, err, errsize) ||
            !need(s, "wear", json_type_array, where, err, errsize))
            return false;
        json_object *sw = rj_get(s, "sweep");
        if (!sw)
            continue;
        if (!need(sw, "results", json_type_array, where, err, errsize) ||
            !need(sw, "ops", json_type_array, where, err, errsize) ||
            !need(sw, "expectations", json_type_array, where, err, errsize))
            return false;
        json_object *res = rj_get(sw, "results");
        for (size_t j = 0; j < json_object_array_length(res); j++) {
            json_object *r = json_object_array_get_idx(res, j);
            snprintf(where, sizeof(where), "%s: scenarios[%zu].sweep.results[%zu]", path, i, j);
            if (!need(r, "id", json_type_string, where, err, errsize) ||
                !need(r, "ordinal", json_type_int, where, err, errsize) ||
                !need(r, "outcome", json_type_string, where, err, errsize) ||
                !need(r, "failed", json_type_boolean, where, err, errsize))
                return false;
            const char *o = rj_str(r, "outcome");
            if (outcome_from_name(o, strlen(o)) < 0) {
                snprintf(err, errsize, "%s: unknown outcome \"%s\"", where, o);
                return false;
            }
        }
        json_object *ops = rj_get(sw, "ops");
        for (size_t j = 0; j < json_object_array_length(ops); j++) {
            json_object *a = json_object_array_get_idx(ops, j);
            if (!json_object_is_type(a, json_type_array) || json_object_array_length(a) != 5) {
                snprintf(
                    err, errsize,
                    "%s: scenarios[%zu].sweep.ops[%zu]: expected [kind, phase, addr, len, time_us]",
                    path, i, j);
                return false;
            }
        }
    }
    return true;
}

json_object *report_doc_load(const char *path, char *err, size_t errsize)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errsize, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    json_tokener *tok = json_tokener_new_ex(64);
    json_object *doc = NULL;
    char buf[65536];
    size_t n;
    enum json_tokener_error jerr = json_tokener_continue;
    size_t line = 1;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        doc = json_tokener_parse_ex(tok, buf, (int)n);
        jerr = json_tokener_get_error(tok);
        if (jerr != json_tokener_continue) {
            size_t off = json_tokener_get_parse_end(tok);
            for (size_t i = 0; i < off && i < n; i++)
                line += buf[i] == '\n';
            break;
        }
        for (size_t i = 0; i < n; i++)
            line += buf[i] == '\n';
    }
    fclose(f);
    json_tokener_free(tok);
    if (jerr != json_tokener_success || !doc) {
        snprintf(err, errsize, "%s:%zu: not a JSON report (%s)", path, line,
                 jerr == json_tokener_continue ? "unexpected end of file"
                                               : json_tokener_error_desc(jerr));
        json_object_put(doc);
        return NULL;
    }
    if (!check_doc(doc, path, err, errsize)) {
        json_object_put(doc);
        return NULL;
    }
    return doc;
}
