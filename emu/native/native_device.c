/* The native device (native_device.h): the parent side. Each boot is a fork()ed child that runs
 * boot_main() over the native port on its copy of the chip; the child streams every flash
 * operation and RTC change through a pipe and the parent applies them to its own chip in
 * order. Message format (host-endian, the two processes are the same program): a msg_t
 * header, then `len` payload bytes. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boot.h"
#include "native_device_internal.h"
#include "image.h"
#include "journal.h"
#include "native_port.h"
#include "reader.h"

typedef struct msg {
    uint8_t tag; /* 'O' operation, 'R' RTC memory, 'E' end of boot */
    uint8_t kind, in_app, pad;
    uint32_t addr, len;
} msg_t;

struct hdev {
    hdev_config_t cfg;
    char *pubkey;
    flashsim_t *fs;
    bool uart_strap;
    unsigned boots_since_reset; /* boots since the straps were last latched */
    bool debug_next;            /* hdev_debug_next_run() */
    /* A backend boot in progress (hdev_backend_note). */
    hdev_recording_t *brec;
    hdev_child_t *bchild;
    unsigned bboot;
    bool brtc_open; /* the last record is an RTC change with no flash op after it */
};

/* Breakpoint places (native_device.h); noinline and with a visible effect so that neither
 * the call nor the function is optimised away. */
volatile uint32_t hdev_gdb_last_op;
__attribute__((noinline)) void hdev_gdb_fork(void)
{
    hdev_gdb_last_op = 0;
}
__attribute__((noinline)) void hdev_gdb_op(uint32_t boot_op, uint32_t addr)
{
    hdev_gdb_last_op = boot_op + (addr & 0);
}

/* The op number is stored in the global before the call so that the breakpoint's condition
 * can test it in a build without debug information (a release build: gdb cannot name the
 * argument there). */
static void gdb_op(uint32_t boot_op, uint32_t addr)
{
    hdev_gdb_last_op = boot_op;
    hdev_gdb_op(boot_op, addr);
}

void hdev_debug_next_run(hdev_t *d)
{
    d->debug_next = true;
}

hdev_child_t *hdev_current_child;

/* Resident boots (hdev_set_resident): the boot runs in this process instead of a fork()ed
 * child. Every boot must still start from fresh program state (a forked child gets a copy of
 * the parent's globals; a boot in this process would see the globals the previous boot left
 * behind), so the executable's whole writable data segment, .data through .bss (GNU ld's
 * __data_start and _end), is saved before the boot and written back after it. The boot runs
 * only firmware, the native port and this file's child side, none of which keeps harness
 * state in globals; flashsim keeps none either. Heap and libc state are not part of it: the
 * firmware does not allocate and does not use stdio. */
extern char __data_start[], _end[];
static bool resident_on;
static bool resident_keep_globals; /* test only: the negative control */
static uint8_t *resident_save;
static size_t resident_cap;

void hdev_set_resident(bool on)
{
    resident_on = on;
}

bool hdev_resident(void)
{
    return resident_on;
}

void hdev_resident_keep_globals_for_test(bool keep)
{
    resident_keep_globals = keep;
}

const char *hdev_end_name(hdev_end_t e)
{
    static const char *const n[] = {"idle", "power-cut", "hang", "brick", "crash", "boot-limit"};
    return (unsigned)e < 6 ? n[e] : "?";
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fprintf(stderr, "otasim: out of memory\n");
        abort();
    }
    return q;
}

hdev_t *hdev_new(const hdev_config_t *cfg)
{
    hdev_t *d = calloc(1, sizeof(*d));
    if (!d)
        abort();
    d->cfg = *cfg;
    if (cfg->signing_pubkey_pem) {
        d->pubkey = strdup(cfg->signing_pubkey_pem);
        d->cfg.signing_pubkey_pem = d->pubkey;
    }
    if (!d->cfg.max_boots)
        d->cfg.max_boots = 8;
    if (!d->cfg.wall_limit_s)
        d->cfg.wall_limit_s = 20;
    flashsim_config_t fc = {.size = cfg->layout.flash_size, .seed = cfg->seed};
    d->fs = flashsim_new(&fc);
    if (!d->fs) {
        free(d->pubkey);
        free(d);
        return NULL;
    }
    flashsim_trace_enable(d->fs, false); /* the records are the trace that matters here */
    return d;
}

void hdev_free(hdev_t *d)
{
    if (!d)
        return;
    flashsim_free(d->fs);
    free(d->pubkey);
    free(d);
}

flashsim_t *hdev_flash(hdev_t *d)
{
    return d->fs;
}

const hdev_config_t *hdev_config(const hdev_t *d)
{
    return &d->cfg;
}

void hdev_set_net(hdev_t *d, const hdev_net_t *net)
{
    d->cfg.net = net;
}

void hdev_set_uart_strap(hdev_t *d, bool uart)
{
    d->uart_strap = uart;
    d->boots_since_reset = 0;
}

bool hdev_uart_strap(const hdev_t *d)
{
    return d->uart_strap;
}

void hdev_external_reset(hdev_t *d)
{
    d->uart_strap = false;
    d->boots_since_reset = 0;
}

int hdev_load_flash_file(hdev_t *d, const char *path, char *err, size_t errlen)
{
    flashsim_status_t st = flashsim_image_load(d->fs, path, 0);
    if (st != FLASHSIM_OK) {
        snprintf(err, errlen, "%s: %s", path,
                 st == FLASHSIM_ERR_RANGE ? "larger than the flash chip" : strerror(errno));
        return -1;
    }
    char sp[4096];
    snprintf(sp, sizeof(sp), "%s.straps", path);
    FILE *f = fopen(sp, "r");
    hdev_external_reset(d);
    if (!f)
        return 0; /* no sidecar: a board that was reset after flashing */
    char line[128];
    bool uart = false, no_reset = false;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "boot_mode=", 10) == 0)
            uart = strtoul(line + 10, NULL, 0) == 1;
        else if (strncmp(line, "reset=", 6) == 0)
            no_reset = strncmp(line + 6, "no", 2) == 0;
    }
    fclose(f);
    hdev_set_uart_strap(d, uart && no_reset);
    return 0;
}

void hdev_recording_free(hdev_recording_t *r)
{
    for (size_t i = 0; i < r->nrecs; i++) {
        free(r->recs[i].data);
        flashsim_snapshot_unref(r->recs[i].before);
    }
    for (size_t i = 0; i < r->nboots; i++)
        flashsim_snapshot_unref(r->boots[i].at_end);
    free(r->recs);
    free(r->boots);
    memset(r, 0, sizeof(*r));
}

void hdev_result_free(hdev_result_t *r)
{
    free(r->console);
    r->console = NULL;
}

/* ---- Child side: reporting ---- */

static void child_write(hdev_child_t *c, const msg_t *m, const void *payload, size_t len)
{
    fwrite(m, sizeof(*m), 1, c->out);
    if (len)
        fwrite(payload, 1, len, c->out);
}

static void child_flush_op(hdev_child_t *c)
{
    if (!c->pending)
        return;
    msg_t m = {.tag = 'O',
               .kind = c->pending_kind,
               .in_app = c->pending_in_app,
               .addr = c->pending_addr,
               .len = c->pending_len};
    child_write(c, &m, c->buf, c->pending_kind == HDEV_REC_PROGRAM ? c->pending_len : 0);
    c->pending = false;
}

static void child_check_rtc(hdev_child_t *c)
{
    uint8_t now[FLASHSIM_RTC_SIZE];
    if (flashsim_rtc_read(c->fs, 0, now, sizeof(now)) != FLASHSIM_OK)
        return; /* unpowered: nothing it writes from now on lands */
    if (memcmp(now, c->rtc_last, sizeof(now)) == 0)
        return;
    memcpy(c->rtc_last, now, sizeof(now));
    msg_t m = {.tag = 'R', .in_app = c->in_app, .len = sizeof(now)};
    child_write(c, &m, now, sizeof(now));
}

static hdev_rec_kind_t rec_kind(flashsim_op_kind_t k)
{
    return k == FLASHSIM_OP_PROGRAM        ? HDEV_REC_PROGRAM
           : k == FLASHSIM_OP_ERASE_SECTOR ? HDEV_REC_ERASE_SECTOR
                                           : HDEV_REC_ERASE_BLOCK;
}

/* Starts a new pending record for op `op` (flushing the previous one). */
static void child_begin_op(hdev_child_t *c, uint32_t op, flashsim_op_kind_t kind, uint32_t addr)
{
    gdb_op(op - c->op0, addr);
    child_flush_op(c);
    child_check_rtc(c); /* RTC changes made before this op come first */
    c->pending = true;
    c->pending_op = op;
    c->pending_kind = (uint8_t)rec_kind(kind);
    c->pending_in_app = c->in_app;
    c->pending_addr = addr;
    c->pending_len = 0;
}

static void child_hook(flashsim_t *fs, const flashsim_hook_event_t *ev, void *ctx)
{
    (void)fs;
    hdev_child_t *c = ctx;
    if (ev->phase == FLASHSIM_HOOK_BEFORE) {
        if (!c->pending || c->pending_op != ev->op)
            child_begin_op(c, ev->op, ev->kind, ev->addr);
        if (ev->kind == FLASHSIM_OP_PROGRAM) {
            size_t need = (size_t)(ev->addr - c->pending_addr) + ev->len;
            if (need > c->buf_cap) {
                c->buf_cap = need * 2;
                c->buf = xrealloc(c->buf, c->buf_cap);
            }
            memcpy(c->buf + (ev->addr - c->pending_addr), ev->data, ev->len);
            c->pending_len = (uint32_t)need;
        } else {
            c->pending_len = ev->len;
        }
        return;
    }
    /* AFTER: the op is over. An op that failed before its first step (a planned failure)
     * had no BEFORE: report it with zero data so the parent consumes the same op number. */
    if (!c->pending || c->pending_op != ev->op) {
        child_begin_op(c, ev->op, ev->kind, ev->addr);
        if (ev->kind == FLASHSIM_OP_PROGRAM) {
            if (ev->len > c->buf_cap) {
                c->buf_cap = ev->len;
                c->buf = xrealloc(c->buf, c->buf_cap);
            }
            memset(c->buf, 0, ev->len);
        }
        c->pending_len = ev->len;
    }
    child_flush_op(c);
}

_Noreturn void hdev_child_finish(child_how_t how)
{
    hdev_child_t *c = hdev_current_child;
    c->end.how = how;
    hdev_outputs_finish(c);
    c->end.console_len = (uint32_t)c->console_len;
    if (c->resident)
        longjmp(*c->resident, 1); /* back into resident_boot(), which undoes the globals */
    child_flush_op(c);
    child_check_rtc(c);
    msg_t m = {.tag = 'E', .len = (uint32_t)(sizeof(c->end) + c->console_len)};
    fwrite(&m, sizeof(m), 1, c->out);
    fwrite(&c->end, sizeof(c->end), 1, c->out);
    if (c->console_len)
        fwrite(c->console, 1, c->console_len, c->out);
    fflush(c->out);
    _exit(0);
}

static void child_console(void *user, const void *buf, size_t len)
{
    hdev_child_t *c = user;
    if (!flashsim_powered(c->fs))
        return; /* the CPU is dead after a cut: nothing more appears on the wire */
    if (c->console_len + len + 1 > c->console_cap) {
        c->console_cap = (c->console_len + len + 1) * 2;
        c->console = xrealloc(c->console, c->console_cap);
    }
    memcpy(c->console + c->console_len, buf, len);
    c->console_len += len;
    if (c->cfg->net && c->cfg->net->console_fd >= 0 && write(c->cfg->net->console_fd, buf, len) < 0)
        return; /* the live copy is best effort */
}

static void child_restart(void *user, hal_restart_t kind)
{
    (void)user;
    (void)kind;
    hdev_child_finish(CHILD_RESTART);
}

static void child_hang(void *user, uint64_t virtual_us)
{
    hdev_child_t *c = user;
    c->end.hang_virtual_us = virtual_us;
    hdev_child_finish(CHILD_HANG);
}

_Noreturn static void child_main(hdev_child_t *c, uint32_t boot_mode, boot_mode_t mode,
                                 unsigned wall_s)
{
    hdev_current_child = c;
    c->op0 = flashsim_op_count(c->fs);
    if (wall_s)
        alarm(wall_s); /* a boot that never ends is killed: the parent reports a hang */
    flashsim_rtc_read(c->fs, 0, c->rtc_last, sizeof(c->rtc_last));
    if (!c->resident)
        flashsim_set_hook(c->fs, child_hook, c); /* resident: the ops land on the chip itself */
    native_port_config_t pc;
    native_port_default_config(&pc);
    pc.boot_mode = boot_mode;
    pc.random_seed = c->cfg->seed;
    pc.console = child_console;
    pc.console_user = c;
    pc.on_restart = child_restart;
    pc.hang_after_ms = c->cfg->hang_virtual_ms ? c->cfg->hang_virtual_ms : 600000u;
    if (c->cfg->net && !c->cfg->net->virtual_watchdog)
        pc.hang_after_ms = 0; /* a networked app waits for people, not for virtual time */
    pc.on_hang = child_hang;
    pc.hang_user = c;
    hdev_outputs_attach(c, &pc);
    native_port_attach(c->fs, &pc);
    c->end.boot_result = boot_main(mode);
    hdev_child_finish(CHILD_RETURNED);
}

/* ---- Parent side ---- */

static void rec_push(hdev_recording_t *rec, const hdev_rec_t *r);

static hdev_phase_t phase_of(const hdev_child_t *c, const msg_t *m)
{
    if (m->tag == 'R')
        return HDEV_PH_COMMAND;
    uint32_t len = m->kind == HDEV_REC_PROGRAM ? m->len : m->len;
    if (c->safe && m->addr < c->journal_hi && m->addr + len > c->journal_lo)
        return HDEV_PH_JOURNAL;
    return m->in_app ? HDEV_PH_STAGING : HDEV_PH_COPY;
}

void hdev_backend_note(hdev_t *d, hdev_rec_kind_t kind, bool in_app, uint32_t addr, uint32_t len,
                       const uint8_t *data)
{
    hdev_recording_t *rec = d->brec;
    bool rtc = kind == HDEV_REC_RTC;
    if (!rec || !d->bchild) {
        d->brtc_open = rtc;
        return;
    }
    size_t n = rtc ? FLASHSIM_RTC_SIZE : kind == HDEV_REC_PROGRAM ? len : 0;
    if (rtc && d->brtc_open && rec->nrecs) {
        memcpy(rec->recs[rec->nrecs - 1].data, data, n); /* the same RTC record, updated */
        return;
    }
    msg_t m = {.tag = rtc ? 'R' : 'O',
               .kind = (uint8_t)kind,
               .in_app = in_app,
               .addr = addr,
               .len = rtc ? FLASHSIM_RTC_SIZE : len};
    hdev_rec_t r = {.kind = kind,
                    .phase = phase_of(d->bchild, &m),
                    .in_app = in_app,
                    .boot = d->bboot,
                    .addr = rtc ? 0 : addr,
                    .len = m.len,
                    .before = flashsim_snapshot(d->fs)};
    if (n) {
        r.data = xrealloc(NULL, n);
        memcpy(r.data, data, n);
    }
    rec_push(rec, &r);
    d->brtc_open = rtc;
}

flashsim_status_t hdev_apply(hdev_t *d, const hdev_rec_t *r)
{
    switch (r->kind) {
    case HDEV_REC_PROGRAM:
        return flashsim_program(d->fs, r->addr, r->data, r->len);
    case HDEV_REC_ERASE_SECTOR:
        return flashsim_erase_sector(d->fs, r->addr / FLASHSIM_SECTOR_SIZE);
    case HDEV_REC_ERASE_BLOCK:
        return flashsim_erase_block(d->fs, r->addr / FLASHSIM_BLOCK_SIZE);
    case HDEV_REC_RTC:
        return flashsim_rtc_write(d->fs, 0, r->data, FLASHSIM_RTC_SIZE);
    }
    return FLASHSIM_ERR_RANGE;
}

static bool read_full(FILE *f, void *buf, size_t len)
{
    return len == 0 || fread(buf, 1, len, f) == len;
}

/* The native ROM: sector 0 must be a valid image carrying a bootloader descriptor. */
static bool rom_check(hdev_t *d, boot_mode_t *mode)
{
    uint8_t s0[FLASHSIM_SECTOR_SIZE];
    flashsim_peek(d->fs, 0, s0, sizeof(s0));
    image_info_t info;
    if (image_parse_buffer(s0, sizeof(s0), IMAGE_PARSE_CHECKSUM, &info) != IMAGE_OK ||
        info.checksum != info.checksum_calc)
        return false;
    mem_reader_t m = {s0, sizeof(s0)};
    reader_t r = mem_reader(&m);
    app_desc_t desc;
    if (!image_find_boot_desc(&r, 0, info.length, &desc))
        return false;
    if (!strcmp(desc.name, BOOT_DESC_NAME_EBOOT))
        *mode = BOOT_MODE_EBOOT;
    else if (!strcmp(desc.name, BOOT_DESC_NAME_SAFE))
        *mode = BOOT_MODE_SAFE;
    else if (!strcmp(desc.name, BOOT_DESC_NAME_SAFE_RAW))
        *mode = BOOT_MODE_SAFE_RAW; /* the host build without the inflater, like the image's;
                                     * the app's Updater stages gzip uploads inflated */
    else
        return false;
    return true;
}

static void rec_push(hdev_recording_t *rec, const hdev_rec_t *r)
{
    if (rec->nrecs == rec->cap) {
        rec->cap = rec->cap ? rec->cap * 2 : 256;
        rec->recs = xrealloc(rec->recs, rec->cap * sizeof(*rec->recs));
    }
    rec->recs[rec->nrecs++] = *r;
}

static void boot_push(hdev_recording_t *rec, const hdev_boot_rec_t *b)
{
    if (rec->nboots == rec->bcap) {
        rec->bcap = rec->bcap ? rec->bcap * 2 : 8;
        rec->boots = xrealloc(rec->boots, rec->bcap * sizeof(*rec->boots));
    }
    rec->boots[rec->nboots++] = *b;
}

static void console_add(hdev_result_t *out, const char *s, size_t n)
{
    out->console = xrealloc(out->console, out->console_len + n + 1);
    memcpy(out->console + out->console_len, s, n);
    out->console_len += n;
    out->console[out->console_len] = 0;
}

/* One boot in this process (resident mode): the firmware works on the device's chip
 * directly, so there is nothing to stream and apply; hdev_child_finish() jumps back here. A
 * crash or a wall-clock hang ends the whole process: resident boots run only in sweep worker
 * processes (workers.c), whose caller reruns an item a dead worker never reported with
 * resident boots off, so the outcome is the fork-per-boot one. */
/* The segment copy. Under AddressSanitizer the segment holds poisoned redzones between the
 * globals, which its memcpy interceptor would report: copy it with an uninstrumented loop
 * there (volatile, so that the compiler does not turn it back into a memcpy call). */
#if defined(__SANITIZE_ADDRESS__)
__attribute__((no_sanitize_address)) static void seg_copy(void *dst, const void *src, size_t n)
{
    volatile uint8_t *d = dst;
    const volatile uint8_t *s = src;
    for (size_t i = 0; i < n; i++)
        d[i] = s[i];
}
#else
#define seg_copy memcpy
#endif

/* setjmp in a frame of its own, so no local of the caller can be clobbered by the longjmp. */
__attribute__((noinline)) static void resident_run(hdev_child_t *c, uint32_t boot_mode,
                                                   boot_mode_t mode, unsigned wall_s)
{
    jmp_buf jb;
    c->resident = &jb;
    if (setjmp(jb) == 0)
        child_main(c, boot_mode, mode, wall_s);
}

static void resident_boot(hdev_child_t *c, uint32_t boot_mode, boot_mode_t mode, unsigned wall_s,
                          child_end_t *end, hdev_result_t *out)
{
    size_t seg = (size_t)(_end - __data_start);
    if (seg > resident_cap) {
        resident_save = xrealloc(resident_save, seg);
        resident_cap = seg;
    }
    uint8_t *save = resident_save; /* a local: the global itself is part of the copy */
    seg_copy(save, __data_start, seg);
    resident_run(c, boot_mode, mode, wall_s);
    alarm(0);
    if (!resident_keep_globals)
        seg_copy(__data_start, save, seg);
    *end = c->end;
    console_add(out, c->console ? c->console : "", c->console_len);
    free(c->console);
    free(c->buf);
}

/* Read and apply the child's messages until its end message (or EOF). Returns true when an
 * end message arrived. */
static bool parent_apply(hdev_t *d, hdev_child_t *c, FILE *in, unsigned boot, hdev_recording_t *rec,
                         child_end_t *end, hdev_result_t *out)
{
    uint8_t *buf = NULL;
    size_t cap = 0;
    msg_t m;
    bool ended = false;
    while (!ended && read_full(in, &m, sizeof(m))) {
        if (m.len > cap) {
            cap = m.len;
            buf = xrealloc(buf, cap);
        }
        size_t payload = (m.tag == 'O' && m.kind != HDEV_REC_PROGRAM) ? 0 : m.len;
        if (!read_full(in, buf, payload))
            break;
        if (m.tag == 'E') {
            if (payload < sizeof(*end))
                break;
            memcpy(end, buf, sizeof(*end));
            console_add(out, (const char *)buf + sizeof(*end), payload - sizeof(*end));
            ended = true;
            break;
        }
        hdev_rec_t r = {.kind = m.tag == 'R' ? HDEV_REC_RTC : (hdev_rec_kind_t)m.kind,
                        .phase = phase_of(c, &m),
                        .in_app = m.in_app,
                        .boot = boot,
                        .addr = m.addr,
                        .len = m.len,
                        .data = buf};
        if (rec) {
            r.before = flashsim_snapshot(d->fs);
            r.data = NULL;
            if (payload) {
                r.data = xrealloc(NULL, payload);
                memcpy(r.data, buf, payload);
            }
            rec_push(rec, &r);
        }
        hdev_apply(d, &r);
    }
    free(buf);
    return ended;
}

/* What a boot's end means for the run; true when the run is over. */
static bool boot_end(hdev_t *d, const child_end_t *e, hdev_result_t *out,
                     const hdev_job_t **pending_job)
{
    child_end_t end = *e;
    hdev_outputs_merge(&out->outputs, &end.outputs, out->boots ? out->boots - 1 : 0);
    if (end.how == CHILD_HANG) {
        out->end = HDEV_END_HANG;
        out->hang_kind = "virtual-time";
        out->hang_virtual_us = end.hang_virtual_us;
        char line[96];
        int n = snprintf(line, sizeof(line),
                         "\nhang: virtual watchdog, no end after %llu.%03llu s of virtual time\n",
                         (unsigned long long)(end.hang_virtual_us / 1000000u),
                         (unsigned long long)(end.hang_virtual_us / 1000u % 1000u));
        console_add(out, line, (size_t)n);
        out->app_running = false;
        return true;
    }
    out->app_running = end.app;
    if (end.app) {
        memcpy(out->app_name, end.app_name, sizeof(out->app_name));
        out->app_name[sizeof(out->app_name) - 1] = 0;
        out->app_version = end.app_version;
    }
    /* A networked boot takes its update from the network, not from a job (the first one
     * reports it). */
    if (end.job_taken && (*pending_job || (d->cfg.net && !out->job_taken))) {
        *pending_job = NULL;
        out->job_taken = true;
        out->job_ok = end.job_ok;
        out->job_error = end.job_error;
        memcpy(out->job_msg, end.job_msg, sizeof(out->job_msg));
        out->job_msg[sizeof(out->job_msg) - 1] = 0;
    }
    if (!flashsim_powered(d->fs)) {
        out->end = HDEV_END_POWER_CUT;
        out->app_running = false;
        return true;
    }
    if (end.how == CHILD_IDLE) {
        out->end = HDEV_END_IDLE;
        return true;
    }
    return false;
}

void hdev_run(hdev_t *d, const hdev_job_t *job, hdev_recording_t *rec, hdev_result_t *out)
{
    memset(out, 0, sizeof(*out));
    console_add(out, "", 0);
    const hdev_job_t *pending_job = job;
    for (unsigned boot = 0;; boot++) {
        if (boot >= d->cfg.max_boots) {
            out->end = HDEV_END_BOOT_LIMIT;
            break;
        }
        boot_mode_t mode;
        if (!rom_check(d, &mode)) {
            out->end = HDEV_END_BRICK;
            out->app_running = false;
            break;
        }
        if (d->uart_strap && d->boots_since_reset > 0) {
            /* Restarted while strapped for UART download: the ROM waits for a flasher. */
            out->end = HDEV_END_HANG;
            out->hang_kind = "download-mode";
            out->app_running = false;
            break;
        }
        out->boots++;
        d->boots_since_reset++;
        hdev_child_t c;
        memset(&c, 0, sizeof(c));
        c.fs = d->fs;
        c.cfg = &d->cfg;
        c.job = pending_job;
        c.safe = mode != BOOT_MODE_EBOOT;
        c.journal_lo = journal_area(d->cfg.layout.flash_size);
        c.journal_hi = c.journal_lo + JOURNAL_AREA_SIZE;
        if (resident_on && !rec && !d->debug_next && !d->cfg.backend) { /* not another target */
            child_end_t end;
            memset(&end, 0, sizeof(end));
            resident_boot(&c, d->uart_strap ? NATIVE_BOOT_MODE_UART : NATIVE_BOOT_MODE_FLASH, mode,
                          d->cfg.wall_limit_s, &end, out);
            if (boot_end(d, &end, out, &pending_job))
                break;
            flashsim_warm_reset(d->fs);
            continue;
        }
        int fds[2];
        if (pipe(fds) != 0) {
            perror("otasim: pipe");
            abort();
        }
        if (d->cfg.backend) {
            size_t first = rec ? rec->nrecs : 0;
            hdev_boot_out_t bo;
            memset(&bo, 0, sizeof(bo));
            d->brec = rec, d->bchild = &c, d->bboot = boot, d->brtc_open = false;
            d->cfg.backend->boot(d->cfg.backend->ctx, d, pending_job,
                                 d->uart_strap ? NATIVE_BOOT_MODE_UART : NATIVE_BOOT_MODE_FLASH,
                                 &bo);
            d->brec = NULL, d->bchild = NULL;
            console_add(out, bo.console ? bo.console : "", bo.console_len);
            hdev_outputs_merge(&out->outputs, &bo.outputs, boot);
            if (rec) {
                hdev_boot_rec_t b = {.first_rec = first,
                                     .nrecs = rec->nrecs - first,
                                     .app = bo.how != 3 && bo.app,
                                     .restarted = bo.how == 1 || bo.how == 2,
                                     .at_end = flashsim_snapshot(d->fs),
                                     .console_end = out->console_len};
                boot_push(rec, &b);
            }
            if (bo.how == 2 || bo.how == 3) {
                out->end = bo.how == 3 ? HDEV_END_HANG : HDEV_END_CRASH;
                out->hang_kind = bo.how == 3 ? (bo.hang_kind ? bo.hang_kind : "wall-clock") : NULL;
                out->app_running = false;
                break;
            }
            out->app_running = bo.app;
            if (bo.app) {
                snprintf(out->app_name, sizeof(out->app_name), "%s", bo.app_name);
                out->app_version = bo.app_version;
            }
            if (bo.job_taken && (pending_job || (d->cfg.net && !out->job_taken))) {
                pending_job = NULL;
                out->job_taken = true;
                out->job_ok = bo.job_ok;
                out->job_error = bo.job_error;
                snprintf(out->job_msg, sizeof(out->job_msg), "%s", bo.job_msg);
            }
            if (!flashsim_powered(d->fs)) {
                out->end = HDEV_END_POWER_CUT;
                out->app_running = false;
                break;
            }
            if (bo.how == 0) {
                out->end = HDEV_END_IDLE;
                break;
            }
            flashsim_warm_reset(d->fs);
            continue;
        }
        fflush(stdout);
        fflush(stderr);
        bool debug = d->debug_next;
        if (debug) {
            d->debug_next = false;
            hdev_gdb_fork(); /* under gdb: follow the child forked next */
        }
        pid_t pid = fork();
        if (pid < 0) {
            perror("otasim: fork");
            abort();
        }
        if (pid == 0) {
            close(fds[0]);
            c.out = fdopen(fds[1], "w");
            if (!c.out)
                _exit(127);
            /* A boot under a debugger gets no wall-clock limit. */
            child_main(&c, d->uart_strap ? NATIVE_BOOT_MODE_UART : NATIVE_BOOT_MODE_FLASH, mode,
                       debug || d->cfg.net ? 0 : d->cfg.wall_limit_s);
        }
        close(fds[1]);
        FILE *in = fdopen(fds[0], "r");
        if (!in)
            abort();
        size_t first = rec ? rec->nrecs : 0;
        child_end_t end;
        memset(&end, 0, sizeof(end));
        bool ended = parent_apply(d, &c, in, boot, rec, &end, out);
        fclose(in);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        if (rec) {
            hdev_boot_rec_t b = {.first_rec = first,
                                 .nrecs = rec->nrecs - first,
                                 .app = ended && end.app,
                                 .restarted = ended && end.how != CHILD_IDLE,
                                 .at_end = flashsim_snapshot(d->fs),
                                 .console_end = out->console_len};
            boot_push(rec, &b);
        }
        if (!ended) {
            bool alarm_hit = WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM;
            out->end = alarm_hit ? HDEV_END_HANG : HDEV_END_CRASH;
            out->hang_kind = alarm_hit ? "wall-clock" : NULL;
            if (alarm_hit) {
                char line[96];
                int n = snprintf(line, sizeof(line),
                                 "\nhang: wall-clock backstop, no end after %u s (a loop "
                                 "without HAL calls)\n",
                                 d->cfg.wall_limit_s);
                console_add(out, line, (size_t)n);
            }
            out->app_running = false;
            break;
        }
        if (boot_end(d, &end, out, &pending_job))
            break;
        /* A software reset: RTC memory is kept, the straps are not latched again. */
        flashsim_warm_reset(d->fs);
    }
}
