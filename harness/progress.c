/* Progress bar / lines (progress.h). */
#include "progress.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void progress_start(progress_t *p, bool enabled, const char *label, size_t total)
{
    memset(p, 0, sizeof(*p));
    p->on = enabled && total > 0;
    p->out = stderr;
    p->tty = isatty(fileno(stderr));
    snprintf(p->label, sizeof(p->label), "%s", label);
    p->total = total;
    p->t0 = p->last = now_s();
}

int progress_format(const progress_t *p, double now, char *buf, size_t size)
{
    double el = now - p->t0;
    double rate = el > 0 ? (double)p->done / el : 0;
    double eta = rate > 0 ? (double)(p->total - p->done) / rate : 0;
    char bar[22];
    size_t fill = p->total ? p->done * 20 / p->total : 0;
    for (size_t i = 0; i < 20; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[20] = 0;
    return snprintf(buf, size, "%s [%s] %zu/%zu %.1f br/s ETA %.0f s, %u failed", p->label, bar,
                    p->done, p->total, rate, eta, p->failed);
}

void progress_tick(progress_t *p, bool failed)
{
    if (!p->on)
        return;
    p->done++;
    p->failed += failed;
    double t = now_s();
    double every = p->tty ? 0.1 : 5.0;
    if (t - p->last < every && p->done < p->total)
        return;
    if (!p->tty && p->done == p->total && !p->drawn)
        return; /* a short sweep: no line at all */
    p->last = t;
    char line[200];
    progress_format(p, t, line, sizeof(line));
    if (p->tty)
        fprintf(p->out, "\r\033[K%s", line);
    else
        fprintf(p->out, "%s\n", line);
    fflush(p->out);
    p->drawn = true;
}

void progress_end(progress_t *p)
{
    if (p->on && p->tty && p->drawn) {
        fprintf(p->out, "\r\033[K");
        fflush(p->out);
    }
    p->on = false;
}
