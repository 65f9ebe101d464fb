/* The HTML report (report_render.h): one self-contained page (inline CSS, SVG and a little
 * script), rendered from the JSON document. Pictures are binned to at most STRIP_W columns so
 * the page stays small for sweeps of tens of thousands of branches. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outcome.h"
#include "report_json.h"
#include "report_render.h"

#define STRIP_W 960
#define ROW_H 14
#define WEAR_BARS 240

static void esc(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
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
            fputc(*s, out);
        }
    }
}

/* Colours and severity: a column shows the worst outcome of the branches binned into it. */
static const char *const colour[OUTCOME_COUNT] = {"#2e9e44", "#4a78c2", "#d62728", "#ff7f0e",
                                                  "#9467bd", "#8c564b", "#c7c7c7"};
static const int severity[OUTCOME_COUNT] = {1, 2, 7, 6, 4, 5, 0};

static int outcome_of(json_object *r)
{
    const char *o = rj_str(r, "outcome");
    int oc = outcome_from_name(o, strlen(o));
    return oc < 0 ? OUTCOME_INVALID : oc;
}

static const char *const modes[] = {"before", "after", "torn", "weak", "double"};
#define NMODES 5

static int mode_row(json_object *r)
{
    if (rj_bool(r, "double"))
        return 4;
    const char *m = rj_str(r, "mode");
    for (int i = 0; i < 4; i++)
        if (!strcmp(m, modes[i]))
            return i;
    return -1; /* reboot points ("at") are not on the op timeline */
}

void report_brick_window(json_object *sw, unsigned long long *update_us,
                         unsigned long long *brick_us)
{
    json_object *ops = rj_get(sw, "ops");
    json_object *res = rj_get(sw, "results");
    size_t nops = ops ? json_object_array_length(ops) : 0;
    *update_us = 0;
    *brick_us = 0;
    if (!nops)
        return;
    unsigned char *bricks = calloc(nops, 1);
    if (!bricks)
        abort();
    for (size_t i = 0; res && i < json_object_array_length(res); i++) {
        json_object *r = json_object_array_get_idx(res, i);
        long long rec = rj_int(r, "cut_rec");
        if (mode_row(r) >= 0 && rec >= 0 && (size_t)rec < nops && outcome_of(r) == OUTCOME_BRICK)
            bricks[rec] = 1;
    }
    for (size_t i = 0; i < nops; i++) {
        long long us =
            json_object_get_int64(json_object_array_get_idx(json_object_array_get_idx(ops, i), 4));
        *update_us += (unsigned long long)us;
        if (bricks[i])
            *brick_us += (unsigned long long)us;
    }
    free(bricks);
}

/* The strip: one row per cut mode, one column per bin of operations. */
static void strip(FILE *out, json_object *sw, size_t sidx)
{
    json_object *ops = rj_get(sw, "ops");
    json_object *res = rj_get(sw, "results");
    size_t nops = json_object_array_length(ops);
    if (nops == 0)
        return;
    size_t cols = nops < STRIP_W ? nops : STRIP_W;
    size_t ncell = cols * NMODES;
    int *worst = malloc(ncell * sizeof(int));
    unsigned(*cnt)[OUTCOME_COUNT] = calloc(ncell, sizeof(*cnt));
    if (!worst || !cnt)
        abort();
    for (size_t i = 0; i < ncell; i++)
        worst[i] = -1;
    bool used[NMODES] = {false};
    size_t off_timeline = 0;
    for (size_t i = 0; i < json_object_array_length(res); i++) {
        json_object *r = json_object_array_get_idx(res, i);
        int row = mode_row(r);
        long long rec = rj_int(r, "cut_rec");
        if (row < 0 || rec < 0 || (size_t)rec >= nops) {
            off_timeline++;
            continue;
        }
        used[row] = true;
        size_t col = (size_t)rec * cols / nops;
        size_t c = (size_t)row * cols + col;
        int oc = outcome_of(r);
        cnt[c][oc]++;
        if (worst[c] < 0 || severity[oc] > severity[worst[c]])
            worst[c] = oc;
    }
    int rows = 0;
    for (int m = 0; m < NMODES; m++)
        rows += used[m];
    double cw = (double)STRIP_W / (double)cols;
    int h = rows * ROW_H + 16;
    fprintf(out, "<svg class=\"strip\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
            STRIP_W + 60, h, STRIP_W + 60, h);
    int y = 0;
    for (int m = 0; m < NMODES; m++) {
        if (!used[m])
            continue;
        fprintf(out, "<text x=\"0\" y=\"%d\" class=\"lbl\">%s</text>\n", y + 11, modes[m]);
        for (size_t col = 0; col < cols; col++) {
            size_t c = (size_t)m * cols + col;
            if (worst[c] < 0)
                continue;
            size_t a = col * nops / cols, b = (col + 1) * nops / cols;
            char info[256];
            int k = snprintf(info, sizeof(info), "%s cut, ops %zu..%zu:", modes[m], a,
                             b > a ? b - 1 : a);
            for (int o = 0; o < OUTCOME_COUNT && k < (int)sizeof(info) - 24; o++)
                if (cnt[c][o])
                    k += snprintf(info + k, sizeof(info) - (size_t)k, " %s %u",
                                  outcome_name((outcome_t)o), cnt[c][o]);
            fprintf(out,
                    "<rect class=\"cell\" data-s=\"%zu\" data-info=\"%s\" x=\"%.2f\" y=\"%d\" "
                    "width=\"%.2f\" height=\"%d\" fill=\"%s\"><title>%s</title></rect>\n",
                    sidx, info, 60 + (double)col * cw, y, cw < 1 ? 1.0 : cw, ROW_H - 2,
                    colour[worst[c]], info);
        }
        y += ROW_H;
    }
    /* The phase band under the strip: which part of the update each column is. */
    static const char *const phase_col[] = {"#9ecae1", "#fdd0a2", "#a1d99b", "#dadaeb"};
    static const char *const phase_names[] = {"staging", "command", "copy", "journal"};
    for (size_t col = 0; col < cols; col++) {
        size_t a = col * nops / cols;
        const char *ph =
            json_object_get_string(json_object_array_get_idx(json_object_array_get_idx(ops, a), 1));
        int p = 0;
        for (int i = 0; i < 4; i++)
            if (!strcmp(ph, phase_names[i]))
                p = i;
        fprintf(out, "<rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"6\" fill=\"%s\"/>\n",
                60 + (double)col * cw, y + 2, cw < 1 ? 1.0 : cw, phase_col[p]);
    }
    fprintf(out, "<text x=\"0\" y=\"%d\" class=\"lbl\">phase</text>\n</svg>\n", y + 9);
    fprintf(
        out,
        "<p class=\"small\">%zu operations; phase band: <span "
        "style=\"color:#3182bd\">staging</span>, "
        "<span style=\"color:#e6550d\">command</span>, <span style=\"color:#31a354\">copy</span>, "
        "<span style=\"color:#756bb1\">journal</span>",
        nops);
    if (off_timeline)
        fprintf(out, "; %zu branches at reboot points (not on the op timeline)", off_timeline);
    fprintf(out,
            ". <span id=\"detail-%zu\" class=\"detail\">click a cell for its counts</span></p>\n",
            sidx);
    free(worst);
    free(cnt);
}

/* The flash map: the layout's regions and the sectors the update wrote or erased. */
static void flash_map(FILE *out, json_object *s)
{
    long long size = rj_int(rj_get(s, "device"), "flash_size");
    if (size <= 0)
        return;
    json_object *regs = rj_get(s, "regions");
    json_object *ops = rj_get(rj_get(s, "sweep"), "ops");
    double sx = (double)STRIP_W / (double)size;
    fprintf(out, "<svg class=\"flashmap\" width=\"%d\" height=\"54\">\n", STRIP_W + 60);
    static const char *const fills[] = {"#f0f0f0", "#e5f5e0", "#fee6ce", "#efedf5",
                                        "#deebf7", "#fde0dd", "#f7fcb9", "#e0f3db"};
    for (size_t i = 0; i < json_object_array_length(regs); i++) {
        json_object *r = json_object_array_get_idx(regs, i);
        long long a = rj_int(r, "start"), b = rj_int(r, "end");
        double x = 60 + (double)a * sx, w = (double)(b - a) * sx;
        fprintf(out,
                "<rect x=\"%.2f\" y=\"0\" width=\"%.2f\" height=\"30\" fill=\"%s\" stroke=\"#888\">"
                "<title>%s 0x%06llx..0x%06llx</title></rect>\n",
                x, w < 1 ? 1 : w, fills[i % 8], rj_str(r, "name"), a, b);
        if (w > 36)
            fprintf(out, "<text x=\"%.2f\" y=\"46\" class=\"lbl\">%s</text>\n", x + 2,
                    rj_str(r, "name"));
    }
    fprintf(out, "<text x=\"0\" y=\"19\" class=\"lbl\">flash</text>\n");
    /* Touched sectors, binned per pixel column. */
    size_t ncols = STRIP_W;
    unsigned char *hit = calloc(ncols, 1);
    if (!hit)
        abort();
    for (size_t i = 0; ops && i < json_object_array_length(ops); i++) {
        json_object *op = json_object_array_get_idx(ops, i);
        const char *k = json_object_get_string(json_object_array_get_idx(op, 0));
        if (k[0] == 'R')
            continue;
        long long a = json_object_get_int64(json_object_array_get_idx(op, 2));
        long long len = json_object_get_int64(json_object_array_get_idx(op, 3));
        if (k[0] == 'E')
            len = 4096;
        if (k[0] == 'B')
            len = 65536;
        const char *ph = json_object_get_string(json_object_array_get_idx(op, 1));
        unsigned char v = !strcmp(ph, "copy") ? 2 : !strcmp(ph, "journal") ? 3 : 1;
        for (long long p = a; p < a + len && p < size; p += 4096) {
            size_t c = (size_t)((double)p * sx);
            if (c < ncols && v > hit[c])
                hit[c] = v;
        }
    }
    static const char *const hc[] = {"", "#3182bd", "#31a354", "#756bb1"};
    for (size_t c = 0; c < ncols; c++)
        if (hit[c])
            fprintf(out, "<rect x=\"%zu\" y=\"30\" width=\"1\" height=\"5\" fill=\"%s\"/>\n",
                    60 + c, hc[hit[c]]);
    free(hit);
    fprintf(out,
            "</svg>\n<p class=\"small\">Regions of the %s layout (%lld KiB); the marks under the "
            "map are "
            "the sectors the recorded update wrote: <span style=\"color:#3182bd\">staging</span>, "
            "<span style=\"color:#31a354\">copy</span>, <span "
            "style=\"color:#756bb1\">journal</span>.</p>\n",
            rj_str(rj_get(s, "device"), "layout"), size / 1024);
}

/* Erases per sector over the scenario (after its flash steps), binned to WEAR_BARS bars. */
static void wear(FILE *out, json_object *s)
{
    json_object *w = rj_get(s, "wear");
    size_t n = w ? json_object_array_length(w) : 0;
    if (!n)
        return;
    size_t bars = n < WEAR_BARS ? n : WEAR_BARS;
    long long *mx = calloc(bars, sizeof(long long));
    if (!mx)
        abort();
    long long top = 0, total = 0;
    size_t worn = 0;
    for (size_t i = 0; i < n; i++) {
        long long v = json_object_get_int64(json_object_array_get_idx(w, i));
        size_t b = i * bars / n;
        if (v > mx[b])
            mx[b] = v;
        if (v > top)
            top = v;
        total += v;
        worn += v > 0;
    }
    int hgt = 60;
    double bw = (double)STRIP_W / (double)bars;
    fprintf(out, "<svg class=\"wear\" width=\"%d\" height=\"%d\">\n", STRIP_W + 60, hgt + 4);
    for (size_t b = 0; b < bars; b++) {
        if (!mx[b])
            continue;
        double bh = top ? (double)mx[b] * hgt / (double)top : 0;
        fprintf(out,
                "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"#636363\">"
                "<title>sectors %zu..%zu: up to %lld erases</title></rect>\n",
                60 + (double)b * bw, (double)hgt - bh, bw < 1 ? 1 : bw * 0.9, bh, b * n / bars,
                (b + 1) * n / bars - 1, mx[b]);
    }
    fprintf(out, "<text x=\"0\" y=\"12\" class=\"lbl\">max %lld</text></svg>\n", top);
    fprintf(
        out,
        "<p class=\"small\">Wear: %lld erases over %zu of %zu sectors (the control run, after the "
        "flash steps); the most-erased sector %lld times.</p>\n",
        total, worn, n, top);
    free(mx);
}

static void failures(FILE *out, json_object *s)
{
    json_object *ctl = rj_get(s, "control");
    if (rj_bool(s, "ran") && !rj_bool(ctl, "passed")) {
        fprintf(out, "<div class=\"fail\"><b>control</b>: ");
        esc(out, rj_str(ctl, "failure"));
        fprintf(out, "<br><code>otasim run ");
        esc(out, rj_str(s, "path"));
        fprintf(out, " --seed %lld --branch control</code><details><summary>console</summary><pre>",
                rj_int(s, "seed"));
        esc(out, rj_str(ctl, "console"));
        fprintf(out, "</pre></details></div>\n");
    }
    json_object *res = rj_get(rj_get(s, "sweep"), "results");
    size_t shown = 0, total = 0;
    for (size_t i = 0; res && i < json_object_array_length(res); i++) {
        json_object *r = json_object_array_get_idx(res, i);
        if (!rj_bool(r, "failed"))
            continue;
        total++;
        if (shown >= 50)
            continue;
        shown++;
        fprintf(out, "<div class=\"fail\"><b>");
        esc(out, rj_str(r, "id"));
        fprintf(out, "</b> <span style=\"color:%s\">%s</span>: ", colour[outcome_of(r)],
                rj_str(r, "outcome"));
        esc(out, rj_str(r, "failure"));
        fprintf(out, "<br><code>otasim replay ");
        esc(out, rj_str(r, "replay"));
        fprintf(out, "</code>");
        if (*rj_str(r, "console")) {
            fprintf(out, "<details><summary>console</summary><pre>");
            esc(out, rj_str(r, "console"));
            fprintf(out, "</pre></details>");
        }
        fprintf(out, "</div>\n");
    }
    if (total > shown)
        fprintf(out, "<p class=\"small\">%zu more failing branches in the JSON report.</p>\n",
                total - shown);
}

static void tally_line(FILE *out, json_object *sw)
{
    json_object *t = rj_get(sw, "tally");
    for (int o = 0; o < OUTCOME_COUNT; o++) {
        long long v = rj_int(t, outcome_name((outcome_t)o));
        if (v)
            fprintf(out, "<span class=\"chip\" style=\"background:%s\">%s %lld</span> ", colour[o],
                    outcome_name((outcome_t)o), v);
    }
}

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}"
    "h1{font-size:20px}h2{font-size:16px;margin-top:28px;border-top:1px solid "
    "#ddd;padding-top:12px}"
    "table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid "
    "#eee;text-align:left}"
    ".pass{color:#2e9e44;font-weight:bold}.failed{color:#d62728;font-weight:bold}"
    ".chip{color:#fff;padding:1px 6px;border-radius:8px;font-size:12px}"
    ".small{font-size:12px;color:#555}.lbl{font-size:11px;fill:#444}"
    ".fail{border-left:3px solid #d62728;padding:4px 8px;margin:6px 0;background:#fff5f5}"
    "code{background:#f4f4f4;padding:1px 4px}pre{max-height:300px;overflow:auto;background:#f8f8f8}"
    "rect.cell{cursor:pointer}.detail{font-weight:bold}";

static const char script[] =
    "document.addEventListener('DOMContentLoaded',function(){"
    "var strips=document.querySelectorAll('svg.strip');"
    "var cells=document.querySelectorAll('svg.strip rect.cell');"
    "cells.forEach(function(c){c.addEventListener('click',function(){"
    "document.getElementById('detail-'+c.dataset.s).textContent=c.dataset.info;});});"
    "var box=document.getElementById('only-failing');"
    "box.addEventListener('change',function(){document.querySelectorAll('section.scn').forEach("
    "function(s){s.style.display=box.checked&&s.dataset.passed==='1'?'none':'';});});"
    "document.getElementById('js-status').textContent=strips.length+' sweeps, '+cells.length+"
    "' strip cells rendered';"
    "document.body.dataset.ready='1';});";

void report_write_html(json_object *doc, FILE *out)
{
    json_object *scns = rj_get(doc, "scenarios");
    json_object *tot = rj_get(doc, "totals");
    size_t n = json_object_array_length(scns);
    fprintf(out,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>otasim report</title><style>%s</style></head>\n<body>\n",
            css);
    fprintf(out, "<h1>otasim %s ", rj_str(doc, "command"));
    esc(out, rj_str(doc, "target"));
    fprintf(
        out,
        "</h1>\n<p><span class=\"%s\">%lld passed, %lld failed</span> of %lld scenarios; "
        "%lld sweep branches, %lld bricks. <span id=\"js-status\" class=\"small\"></span></p>\n",
        rj_int(tot, "failed") ? "failed" : "pass", rj_int(tot, "passed"), rj_int(tot, "failed"),
        rj_int(tot, "scenarios"), rj_int(tot, "branches"), rj_int(tot, "bricks"));
    /* The timing model: how long the update keeps the device at risk, per bootloader mode. */
    unsigned long long up[2] = {0, 0}, br[2] = {0, 0};
    unsigned sweeps[2] = {0, 0};
    for (size_t i = 0; i < n; i++) {
        json_object *s = json_object_array_get_idx(scns, i);
        json_object *sw = rj_get(s, "sweep");
        if (!sw)
            continue;
        int m = !strcmp(rj_str(rj_get(s, "device"), "boot"), "safe");
        unsigned long long u, b;
        report_brick_window(sw, &u, &b);
        up[m] += u;
        br[m] += b;
        sweeps[m]++;
    }
    fprintf(out, "<h2>Timing model</h2><table><tr><th>bootloader</th><th>sweeps</th>"
                 "<th>update flash time</th><th>brick window</th><th>share</th></tr>\n");
    static const char *const mname[] = {"eboot", "safe"};
    for (int m = 0; m < 2; m++)
        fprintf(out,
                "<tr><td>%s</td><td>%u</td><td>%.3f s</td><td>%.3f s</td><td>%.1f %%</td></tr>\n",
                mname[m], sweeps[m], (double)up[m] / 1e6, (double)br[m] / 1e6,
                up[m] ? 100.0 * (double)br[m] / (double)up[m] : 0.0);
    fprintf(out,
            "</table><p class=\"small\">Flash time of the recorded updates on the chip's timing "
            "model (datasheet typical times), and the part of it during which a power cut "
            "bricked the device in at least one branch.</p>\n");
    fprintf(out, "<h2>Scenarios</h2><label><input type=\"checkbox\" id=\"only-failing\"> only "
                 "failing</label><table><tr><th>scenario</th><th>result</th><th>boot</th>"
                 "<th>seed</th><th>branches</th><th>outcomes</th></tr>\n");
    for (size_t i = 0; i < n; i++) {
        json_object *s = json_object_array_get_idx(scns, i);
        json_object *sw = rj_get(s, "sweep");
        fprintf(out, "<tr><td><a href=\"#s%zu\">", i);
        esc(out, rj_str(s, "path"));
        fprintf(out, "</a></td><td class=\"%s\">%s</td><td>%s</td><td>%lld</td><td>%lld</td><td>",
                rj_bool(s, "passed") ? "pass" : "failed", rj_bool(s, "passed") ? "pass" : "FAIL",
                rj_str(rj_get(s, "device"), "boot"), rj_int(s, "seed"), rj_int(sw, "branches"));
        if (sw)
            tally_line(out, sw);
        fprintf(out, "</td></tr>\n");
    }
    fprintf(out, "</table>\n");
    for (size_t i = 0; i < n; i++) {
        json_object *s = json_object_array_get_idx(scns, i);
        json_object *sw = rj_get(s, "sweep");
        fprintf(out, "<section class=\"scn\" data-passed=\"%d\"><h2 id=\"s%zu\">",
                rj_bool(s, "passed"), i);
        esc(out, rj_str(s, "path"));
        fprintf(out, " <span class=\"%s\">%s</span></h2>\n<p>",
                rj_bool(s, "passed") ? "pass" : "failed", rj_bool(s, "passed") ? "pass" : "FAIL");
        esc(out, rj_str(s, "title"));
        fprintf(out, "</p>\n");
        if (!rj_bool(s, "ran")) {
            fprintf(out, "<div class=\"fail\">could not run: ");
            esc(out, rj_str(s, "message"));
            fprintf(out, "</div></section>\n");
            continue;
        }
        json_object *dev = rj_get(s, "device");
        fprintf(out, "<p class=\"small\">boot %s, layout %s, seed %lld", rj_str(dev, "boot"),
                rj_str(dev, "layout"), rj_int(s, "seed"));
        if (sw) {
            unsigned long long u, b;
            report_brick_window(sw, &u, &b);
            fprintf(out,
                    "; %lld branches (invalid %lld, failed %lld); update flash time %.3f s, "
                    "brick window %.3f s",
                    rj_int(sw, "branches"), rj_int(sw, "invalid"), rj_int(sw, "failed"),
                    (double)u / 1e6, (double)b / 1e6);
        }
        fprintf(out, "</p>\n");
        if (sw) {
            tally_line(out, sw);
            strip(out, sw, i);
            json_object *exps = rj_get(sw, "expectations");
            for (size_t j = 0; j < json_object_array_length(exps); j++) {
                json_object *x = json_object_array_get_idx(exps, j);
                fprintf(out,
                        "<p class=\"small\">line %lld: expect sweep %s%s%lld — got %lld <span "
                        "class=\"%s\">%s</span></p>\n",
                        rj_int(x, "line"), rj_str(x, "outcome"), rj_str(x, "cmp"),
                        rj_int(x, "count"), rj_int(x, "got"),
                        rj_bool(x, "passed") ? "pass" : "failed",
                        rj_bool(x, "passed") ? "holds" : "FAILS");
            }
        }
        flash_map(out, s);
        wear(out, s);
        failures(out, s);
        fprintf(out, "</section>\n");
    }
    fprintf(out, "<script>%s</script>\n</body></html>\n", script);
}
