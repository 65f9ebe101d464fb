/* See qemu_device.h. */
#include "qemu_device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridge_proto.h"
#include "qemu_runner.h"

static void note(void *ctx, int kind, bool in_app, uint32_t addr, uint32_t len, const uint8_t *data)
{
    hdev_backend_note(ctx, (hdev_rec_kind_t)kind, in_app, addr, len, data);
}

/* A repeat: a boot with no job, from the same chip and straps, after a boot that only read
 * (qemu_req_log_t.pure) and restarted. The guest's only inputs are the ROM step (sector 0) and
 * the bridge's answers, so if every answer the last boot got is still the same (checked
 * without side effects: flashsim_peek, the RTC bytes, the app check), QEMU would run it again
 * request for request. The reads are then applied to flashsim in order (op counts, timing,
 * trace, fault plans as a real run; a power cut there ends the boot at that request, the
 * console cut where it was then) and the last boot's result is returned. Brick loops (a
 * bootloader that restarts on a bad app, up to the boot limit) cost one QEMU process. */
static bool repeat_matches(qemu_device_t *q, flashsim_t *fs, uint32_t mode, uint8_t **buf,
                           size_t *cap)
{
    if (q->no_repeat || !q->memo_ok || q->memo_fs != fs || q->memo_mode != mode)
        return false;
    uint8_t s0[4096];
    flashsim_peek(fs, 0, s0, sizeof s0);
    if (qemu_hash(s0, sizeof s0) != q->memo_rom)
        return false;
    for (size_t i = 0; i < q->memo_log.n; i++) {
        const qemu_req_t *r = &q->memo_log.reqs[i];
        uint64_t h = qemu_hash(NULL, 0);
        if (r->op == QB_FLASH_READ || r->op == QB_RTC_READ) {
            if (r->status != 0)
                return false; /* an error answer: not worth proving it would repeat */
            if (r->a1 > *cap) {
                uint8_t *b = realloc(*buf, r->a1);
                if (!b)
                    return false;
                *buf = b, *cap = r->a1;
            }
            if (r->op == QB_FLASH_READ)
                flashsim_peek(fs, r->a0, *buf, r->a1);
            else if (!flashsim_rtc_peek(fs, r->a0, *buf, r->a1))
                return false;
            h = qemu_hash(*buf, r->a1);
        } else if (r->op == QB_APP_START) {
            char name[24];
            uint32_t v;
            if ((qemu_app_check(fs, r->a0, r->a1, name, sizeof name, &v) ? 0u : 1u) != r->status)
                return false;
        }
        if (h != r->hash)
            return false;
    }
    return true;
}

/* Applies the reads; false (state restored) when one answers otherwise than in the last boot
 * (weak bits read randomly, an injected read error): then QEMU runs the boot for real. */
static bool repeat_boot(qemu_device_t *q, flashsim_t *fs, uint8_t *buf, qemu_run_result_t *res)
{
    flashsim_snapshot_t *before = flashsim_snapshot(fs);
    for (size_t i = 0; i < q->memo_log.n; i++) {
        const qemu_req_t *r = &q->memo_log.reqs[i];
        flashsim_status_t st = FLASHSIM_OK;
        if (r->op == QB_FLASH_READ)
            st = flashsim_read(fs, r->a0, buf, r->a1);
        else if (r->op == QB_RTC_READ)
            st = flashsim_rtc_read(fs, r->a0, buf, r->a1);
        else
            continue;
        if (st == FLASHSIM_ERR_POWER) {
            res->power_cut = true;
            res->app_started = res->job_taken = false;
            res->exit_code = -1;
            res->console_len = r->console_len;
            res->console[r->console_len] = '\0';
            break;
        }
        if (st != FLASHSIM_OK || qemu_hash(buf, r->a1) != r->hash) {
            flashsim_restore(fs, before);
            flashsim_snapshot_unref(before);
            return false;
        }
    }
    flashsim_snapshot_unref(before);
    q->repeats++;
    return true;
}

static void boot(void *ctx, hdev_t *d, const hdev_job_t *job, uint32_t boot_mode,
                 hdev_boot_out_t *out)
{
    qemu_device_t *q = ctx;
    static qemu_run_result_t res; /* large: kept off the stack; one boot at a time per process */
    qemu_run_cfg_t cfg = {.qemu = q->qemu,
                          .fs = hdev_flash(d),
                          .boot_mode = boot_mode,
                          .timeout_ms = q->timeout_ms ? q->timeout_ms : 60000u,
                          .on_write = note,
                          .on_write_ctx = d,
                          /* -icount: CCOUNT counts instructions, so the app's watchdog
                           * (firmware/ports/qemu/app_start_qemu.c) is an instruction budget */
                          .icount = QEMU_DEVICE_ICOUNT_SHIFT + 1,
                          /* the native device's default virtual watchdog */
                          .hang_virtual_ms = 600000u};
    /* The app's build options are the device's (as the native target's app gets them). */
    const hdev_config_t *dc = hdev_config(d);
    cfg.build_layout = dc->layout.name;
    cfg.build_signing = dc->signing;
    cfg.build_pubkey_pem = dc->signing_pubkey_pem;
    cfg.build_atomic_fs = dc->atomic_fs;
    if (job) {
        cfg.stream = job->data;
        cfg.stream_len = job->len;
        cfg.offer = true;
        cfg.offer_declared = job->declared;
        cfg.offer_command = job->command;
        cfg.offer_md5 = job->has_md5 ? job->md5 : NULL;
        cfg.offer_no_restart = job->no_restart;
    }
    memset(out, 0, sizeof(*out));
    static uint8_t *buf;
    static size_t cap;
    static qemu_run_result_t memo;
    flashsim_t *fs = hdev_flash(d);
    bool repeated = false;
    if (!job && repeat_matches(q, fs, boot_mode, &buf, &cap)) {
        res = memo;
        repeated = repeat_boot(q, fs, buf, &res);
    }
    if (!repeated) {
        cfg.log = &q->log;
        q->runs++;
        if (qemu_run(&cfg, &res) != 0) {
            out->how = 2;
            out->console = res.console;
            out->console_len = res.console_len;
            q->memo_ok = false;
            return;
        }
        q->memo_ok =
            !job && q->log.pure && !res.power_cut && !res.timed_out &&
            (res.exit_code == QB_EXIT_RESTART_SOFT || res.exit_code == QB_EXIT_RESTART_WDT);
        if (q->memo_ok) {
            qemu_req_log_t t = q->memo_log;
            q->memo_log = q->log, q->log = t; /* keep this boot's requests */
            q->memo_fs = fs, q->memo_mode = boot_mode, memo = res;
            uint8_t s0[4096];
            flashsim_peek(fs, 0, s0, sizeof s0);
            q->memo_rom = qemu_hash(s0, sizeof s0);
        }
    }
    out->app = res.app_started;
    snprintf(out->app_name, sizeof(out->app_name), "%s", res.app_name);
    out->app_version = res.app_version;
    out->job_taken = res.job_taken;
    out->job_ok = res.job_ok;
    out->job_error = res.job_error;
    snprintf(out->job_msg, sizeof(out->job_msg), "%s", res.job_msg);
    out->console = res.console;
    out->console_len = res.console_len;
    out->outputs = res.outputs;
    if (res.power_cut)
        out->how = 0; /* the device checks the power: a cut ends the run */
    else if (res.timed_out)
        out->how = 3;
    else if (res.virtual_hang) {
        out->how = 3;
        out->hang_kind = "virtual-time";
        char line[96];
        int n = snprintf(line, sizeof line,
                         "\nhang: virtual watchdog, no end after %llu.%03llu s of virtual time\n",
                         (unsigned long long)(res.virtual_ms / 1000u),
                         (unsigned long long)(res.virtual_ms % 1000u));
        if (n > 0 && res.console_len + (size_t)n < sizeof res.console) {
            memcpy(res.console + res.console_len, line, (size_t)n + 1);
            res.console_len += (size_t)n;
        }
        out->console_len = res.console_len;
    } else if (res.exit_code == QB_EXIT_HANG) {
        out->how = 3;
        out->hang_kind = "instruction-budget";
        static const char line[] = "\nhang: QEMU watchdog, 50 M instructions "
                                   "without a bridge call (-icount instruction budget)\n";
        size_t n = sizeof line - 1;
        if (res.console_len + n < sizeof res.console) {
            memcpy(res.console + res.console_len, line, n + 1);
            res.console_len += n;
        }
        out->console_len = res.console_len;
    } else if (res.exit_code == QB_EXIT_RESTART_SOFT || res.exit_code == QB_EXIT_RESTART_WDT)
        out->how = 1;
    else if (res.exit_code == QB_EXIT_IDLE)
        out->how = 0;
    else
        out->how = 2; /* a crash, a broken bridge, or QEMU's own failure */
}

void qemu_device_init(qemu_device_t *q, const char *qemu)
{
    memset(q, 0, sizeof(*q));
    q->qemu = qemu;
    q->backend.ctx = q;
    q->backend.boot = boot;
    const char *nr = getenv("OTASIM_QEMU_NO_REPEAT");
    q->no_repeat = nr && *nr && strcmp(nr, "0") != 0;
}

const char *qemu_device_find(void)
{
    const char *env = getenv("OTASIM_QEMU_BIN");
    if (env && *env)
        return access(env, X_OK) == 0 ? env : NULL;
    static char path[4096];
    const char *p = getenv("PATH");
    if (!p)
        p = "/usr/bin:/bin";
    while (*p) {
        size_t n = strcspn(p, ":");
        snprintf(path, sizeof(path), "%.*s/qemu-system-xtensa", (int)n, p);
        if (access(path, X_OK) == 0)
            return path;
        p += n + (p[n] == ':');
    }
    return NULL;
}
