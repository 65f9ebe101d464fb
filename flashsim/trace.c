/* The operation trace: a compact in-memory record, optionally mirrored to a text file. */
#include "internal.h"

#include <inttypes.h>
#include <stdlib.h>

const char *flashsim_op_kind_name(flashsim_op_kind_t kind)
{
    static const char *const names[] = {"read",     "program",   "erase4k",    "erase64k",
                                        "rtc-read", "rtc-write", "warm-reset", "power-loss"};
    return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind] : "?";
}

static const char *status_name(unsigned status)
{
    static const char *const names[] = {"ok", "align", "range", "io", "power"};
    return status < sizeof names / sizeof names[0] ? names[status] : "?";
}

void flashsim_trace_entry_print(const flashsim_trace_entry_t *e, FILE *f)
{
    fprintf(f, "%u %s 0x%06x %u %" PRIu64 " %s %u\n", e->op, flashsim_op_kind_name(e->kind),
            e->addr, e->len, e->t_ns, status_name(e->status), e->steps);
}

void fs_trace(flashsim_t *fs, flashsim_op_kind_t kind, uint32_t op, uint32_t addr, uint32_t len,
              uint64_t t_ns, flashsim_status_t status, uint32_t steps)
{
    if (!fs->trace_on)
        return;
    if (fs->trace_n == fs->trace_cap) {
        fs->trace_cap = fs->trace_cap ? fs->trace_cap * 2 : 256;
        fs->trace = fs_xrealloc(fs->trace, fs->trace_cap * sizeof *fs->trace);
    }
    flashsim_trace_entry_t *e = &fs->trace[fs->trace_n++];
    *e = (flashsim_trace_entry_t){.t_ns = t_ns,
                                  .op = op,
                                  .addr = addr,
                                  .len = len,
                                  .kind = (uint8_t)kind,
                                  .status = (uint8_t)status,
                                  .steps = (uint16_t)(steps > UINT16_MAX ? UINT16_MAX : steps)};
    if (fs->trace_file)
        flashsim_trace_entry_print(e, fs->trace_file);
}

void fs_trace_free(flashsim_t *fs)
{
    free(fs->trace);
    fs->trace = NULL;
    fs->trace_n = fs->trace_cap = 0;
}

void flashsim_trace_enable(flashsim_t *fs, bool on)
{
    fs->trace_on = on;
}

const flashsim_trace_entry_t *flashsim_trace(const flashsim_t *fs, size_t *count)
{
    *count = fs->trace_n;
    return fs->trace;
}

void flashsim_trace_clear(flashsim_t *fs)
{
    fs->trace_n = 0;
}

void flashsim_trace_set_file(flashsim_t *fs, FILE *f)
{
    fs->trace_file = f;
}

int flashsim_trace_write(const flashsim_t *fs, FILE *f)
{
    fprintf(f, "# op kind addr len t_ns status steps\n");
    for (size_t i = 0; i < fs->trace_n; i++)
        flashsim_trace_entry_print(&fs->trace[i], f);
    return ferror(f) ? -1 : 0;
}
