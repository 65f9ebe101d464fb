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

static void boot(void *ctx, hdev_t *d, const hdev_job_t *job, uint32_t boot_mode,
                 hdev_boot_out_t *out)
{
    qemu_device_t *q = ctx;
    static qemu_run_result_t res; /* large: kept off the stack; one boot at a time per process */
    qemu_run_cfg_t cfg = {.qemu = q->qemu,
                          .fs = hdev_flash(d),
                          .boot_mode = boot_mode,
                          .timeout_ms = q->timeout_ms ? q->timeout_ms : 20000u,
                          .on_write = note,
                          .on_write_ctx = d};
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
    if (qemu_run(&cfg, &res) != 0) {
        out->how = 2;
        out->console = res.console;
        out->console_len = res.console_len;
        return;
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
    if (res.power_cut)
        out->how = 0; /* the device checks the power: a cut ends the run */
    else if (res.timed_out)
        out->how = 3;
    else if (res.exit_code == QB_EXIT_RESTART_SOFT || res.exit_code == QB_EXIT_RESTART_WDT)
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
