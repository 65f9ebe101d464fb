/* otasim report merge | diff | html | junit: work on the JSON reports that run, sweep and
 * suite write with --json (report_json.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "report_json.h"
#include "report_merge.h"
#include "report_render.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: otasim report merge -o OUT.json [--junit F] [--html F] SHARD.json...\n"
                 "       otasim report diff BASE.json NEW.json\n"
                 "       otasim report html REPORT.json -o OUT.html\n"
                 "       otasim report junit REPORT.json -o OUT.xml\n"
                 "merge  joins the reports of the shards of one run (--shard K/N) into the report\n"
                 "       of the unsharded run (same branches, tallies and verdicts)\n"
                 "diff   newly failing scenarios and branches, fixed ones, outcome-rate changes;\n"
                 "       exit 1 when anything regressed\n"
                 "html, junit  render a JSON report\n");
}

static int misuse(const char *msg)
{
    fprintf(stderr, "otasim report: %s\n\n", msg);
    usage(stderr);
    return 2;
}

/* Reads "-o F", "--junit F", "--html F" and positional files from argv[first..). */
typedef struct rargs {
    const char *out, *junit, *html;
    const char **files;
    size_t nfiles;
} rargs_t;

static int parse(int argc, char **argv, int first, rargs_t *a)
{
    memset(a, 0, sizeof(*a));
    a->files = calloc((size_t)argc, sizeof(char *));
    if (!a->files)
        abort();
    for (int i = first; i < argc; i++) {
        const char **slot = !strcmp(argv[i], "-o")        ? &a->out
                            : !strcmp(argv[i], "--junit") ? &a->junit
                            : !strcmp(argv[i], "--html")  ? &a->html
                                                          : NULL;
        if (slot) {
            if (i + 1 >= argc) {
                fprintf(stderr, "otasim report: %s expects a file name\n\n", argv[i]);
                usage(stderr);
                return 2;
            }
            *slot = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "otasim report: unknown option '%s'\n\n", argv[i]);
            usage(stderr);
            return 2;
        } else {
            a->files[a->nfiles++] = argv[i];
        }
    }
    return 0;
}

static bool write_kind(json_object *doc, const char *kind, const char *path)
{
    char err[600];
    if (!path)
        return true;
    if (!report_write_file(doc, kind, path, err, sizeof(err))) {
        fprintf(stderr, "otasim report: %s\n", err);
        return false;
    }
    return true;
}

int cmd_report(int argc, char **argv)
{
    if (argc < 2)
        return misuse("expected merge, diff, html or junit");
    const char *sub = argv[1];
    if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) {
        usage(stdout);
        return 0;
    }
    bool is_merge = !strcmp(sub, "merge"), is_diff = !strcmp(sub, "diff");
    bool is_html = !strcmp(sub, "html"), is_junit = !strcmp(sub, "junit");
    if (!is_merge && !is_diff && !is_html && !is_junit) {
        fprintf(stderr, "otasim report: unknown subcommand '%s'\n\n", sub);
        usage(stderr);
        return 2;
    }
    rargs_t a;
    if (parse(argc, argv, 2, &a)) {
        free(a.files);
        return 2;
    }
    int rc = 0;
    char err[800];
    json_object **docs = calloc(a.nfiles + 1, sizeof(*docs));
    if (!docs)
        abort();
    if (is_diff && (a.nfiles != 2 || a.out || a.junit || a.html)) {
        rc = misuse("diff expects BASE.json NEW.json and no options");
        goto done;
    }
    if ((is_html || is_junit) && (a.nfiles != 1 || !a.out || a.junit || a.html)) {
        rc = misuse("expected one REPORT.json and -o OUT");
        goto done;
    }
    if (is_merge && (a.nfiles < 1 || !a.out)) {
        rc = misuse("merge expects -o OUT.json and at least one shard report");
        goto done;
    }
    for (size_t i = 0; i < a.nfiles; i++) {
        docs[i] = report_doc_load(a.files[i], err, sizeof(err));
        if (!docs[i]) {
            fprintf(stderr, "otasim report: %s\n", err);
            rc = 1;
            goto done;
        }
    }
    if (is_merge) {
        json_object *m = report_merge(docs, a.nfiles, err, sizeof(err));
        if (!m) {
            fprintf(stderr, "otasim report merge: %s\n", err);
            rc = 1;
            goto done;
        }
        bool ok = write_kind(m, "json", a.out) && write_kind(m, "junit", a.junit) &&
                  write_kind(m, "html", a.html);
        json_object *tot = rj_get(m, "totals");
        printf("merged %zu reports: %lld scenarios, %lld passed, %lld failed, %lld branches\n",
               a.nfiles, rj_int(tot, "scenarios"), rj_int(tot, "passed"), rj_int(tot, "failed"),
               rj_int(tot, "branches"));
        json_object_put(m);
        rc = ok ? 0 : 1;
    } else if (is_diff) {
        long r = report_diff(docs[0], docs[1], stdout, err, sizeof(err));
        if (r < 0) {
            fprintf(stderr, "otasim report diff: %s\n", err);
            rc = 2;
        } else {
            rc = r > 0 ? 1 : 0;
        }
    } else {
        rc = write_kind(docs[0], is_html ? "html" : "junit", a.out) ? 0 : 1;
    }
done:
    for (size_t i = 0; i < a.nfiles; i++)
        json_object_put(docs[i]);
    free(docs);
    free(a.files);
    return rc;
}
