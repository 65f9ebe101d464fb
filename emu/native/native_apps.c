/* The child side of a boot on the native device: the native boot port (boot_port.h) and the
 * built-in host apps it "jumps" to by descriptor name.
 *
 * "basic" is the example app (firmware/apps/basic, the same source as the lx106 images): this
 * file is its native port — the run's update job is the one update offered (all its bytes
 * available at once, as a full UART buffer), and the device config holds its build options
 * (layout, signing key, ATOMIC_FS_UPDATE).
 *
 * "valve" is the garden-valve app (firmware/apps/valve) on the same port, and "valve-late",
 * "valve-never", "valve-reopen" its broken variants (the negative controls of its checks).
 *
 * "spin" is a broken app for the harness's own tests: it hangs in its set-up (waits forever
 * for a peripheral that never answers, polling the clock), so the virtual watchdog must
 * report the boot as a hang (native_port.h) in virtual time. */
#include <stdio.h>
#include <string.h>

#include "basic_app.h"
#include "boot_port.h"
#include "native_device_internal.h"
#include "image.h"
#include "reader.h"
#include "rsa_verify.h"
#include "updater.h"

#define PORT_BAD_IMAGE 20 /* the image at image_addr is not a bootable app */
#define PORT_UNKNOWN_APP 21

hal_status_t boot_port_load_segment(uint32_t load_addr, uint32_t flash_addr, uint32_t len)
{
    if (!image_segment_loaded_by_eboot(load_addr))
        return HAL_ERR_RANGE;
    uint8_t chunk[256]; /* read it as SPIRead into RAM would */
    for (uint32_t off = 0; off < len; off += sizeof(chunk)) {
        uint32_t n = len - off < sizeof(chunk) ? len - off : (uint32_t)sizeof(chunk);
        hal_status_t st = flash_read_any(flash_addr + off, chunk, n);
        if (st != HAL_OK)
            return st;
    }
    return HAL_OK;
}

int boot_port_start_app(uint32_t image_addr, uint32_t entry)
{
    if (image_addr < IMAGE_APP_OFFSET)
        return PORT_BAD_IMAGE;
    static image_pair_info_t info;
    reader_t r = flash_reader();
    uint32_t base = image_addr - IMAGE_APP_OFFSET;
    /* What a real jump needs: valid headers and app checksum (garbage would crash). The file
     * CRC is not a boot condition: a flash-mode-patched update fails it (#7307) and boots. */
    image_status_t st =
        image_parse_pair(&r, base, hal_flash_real_size() - base, IMAGE_PARSE_CHECKSUM, &info);
    if ((st != IMAGE_OK && st != IMAGE_ERR_CRC) || info.app.entry != entry || !info.has_desc)
        return PORT_BAD_IMAGE;
    hdev_child_t *c = hdev_current_child;
    c->end.app = 1;
    snprintf(c->end.app_name, sizeof(c->end.app_name), "%s", info.desc.name);
    c->end.app_version = info.desc.version;
    c->in_app = true;
    if (!hdev_app_run(info.desc.name, info.desc.version)) {
        c->end.app = 0;
        c->in_app = false;
        return PORT_UNKNOWN_APP;
    }
    return 0; /* not reached: apps end the boot */
}

/* ---- The update stream: the job's bytes, all available at once (a full UART buffer);
 * after the last byte nothing more arrives, so a declared size beyond it times out. ---- */

typedef struct job_stream {
    const uint8_t *data;
    size_t len, pos;
} job_stream_t;

static uint32_t js_available(void *ctx)
{
    job_stream_t *s = ctx;
    size_t n = s->len - s->pos;
    return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

static uint32_t js_read(void *ctx, uint8_t *buf, uint32_t len)
{
    job_stream_t *s = ctx;
    uint32_t n = js_available(ctx);
    if (n > len)
        n = len;
    memcpy(buf, s->data + s->pos, n);
    s->pos += n;
    return n;
}

static int js_peek(void *ctx)
{
    job_stream_t *s = ctx;
    return s->pos < s->len ? s->data[s->pos] : -1;
}

/* The native port of the basic app (firmware/apps/basic): the run's job is its one offer,
 * the device config its build options. */
typedef struct native_basic {
    hdev_child_t *c;
    job_stream_t js;
    rsa_public_key_t key;
    bool offered;
} native_basic_t;

static void nb_configure(void *ctx, updater_config_t *cfg)
{
    native_basic_t *nb = ctx;
    if (!nb->c->cfg->signing)
        return;
    cfg->require_signature = true;
    const char *pem = nb->c->cfg->signing_pubkey_pem;
    if (pem && rsa_parse_public_key_pem(pem, strlen(pem), &nb->key) == RSA_OK)
        cfg->signing_key = &nb->key;
}

static bool nb_next_offer(void *ctx, basic_offer_t *o)
{
    native_basic_t *nb = ctx;
    const hdev_job_t *job = nb->c->job;
    if (!job || nb->offered)
        return false;
    nb->offered = true;
    nb->c->end.job_taken = 1;
    nb->js = (job_stream_t){job->data, job->len, 0};
    memset(o, 0, sizeof(*o));
    o->declared = job->declared;
    o->command = job->command;
    o->has_md5 = job->has_md5;
    memcpy(o->md5, job->md5, sizeof(o->md5));
    o->no_restart = job->no_restart;
    o->stream = (update_stream_t){.ctx = &nb->js,
                                  .available = js_available,
                                  .read = js_read,
                                  .peek = js_peek,
                                  .timeout_ms = UPDATER_STREAM_TIMEOUT_MS};
    return true;
}

static void nb_report(void *ctx, const basic_result_t *res)
{
    native_basic_t *nb = ctx;
    nb->c->end.job_ok = res->ok;
    nb->c->end.job_error = res->error;
    snprintf(nb->c->end.job_msg, sizeof(nb->c->end.job_msg), "%s", res->msg);
}

static bool nb_serve(void *ctx, updater_t *up, const flash_layout_t *layout)
{
    native_basic_t *nb = ctx;
    return hdev_net_serve(nb->c, up, layout);
}

/* The basic app, or the valve app on top of it (variant >= 0, valve_app.h). */
static void basic_main(const char *name, uint32_t version, int variant)
{
    static native_basic_t nb;
    hdev_child_t *c = hdev_current_child;
    memset(&nb, 0, sizeof(nb));
    nb.c = c;
    basic_port_t port = {.name = name,
                         .version = version,
                         .layout = &c->cfg->layout,
                         .atomic_fs = c->cfg->atomic_fs,
                         .ctx = &nb,
                         .configure = nb_configure,
                         .next_offer = nb_next_offer,
                         .report = nb_report,
                         .serve = c->cfg->net ? nb_serve : NULL};
    if (variant >= 0)
        valve_app_run(&port, (valve_variant_t)variant, &c->app_hooks);
    else
        basic_app_run(&port);
    /* hal_restart() returned: the port's hook ends the boot on a restart, so here the app
     * simply has nothing (more) to do. */
    hdev_child_finish(nb.c->end.job_ok && nb.c->job && !nb.c->job->no_restart ? CHILD_RESTART
                                                                              : CHILD_IDLE);
}

_Noreturn static void spin_main(uint32_t version)
{
    char line[48];
    int n = snprintf(line, sizeof(line), "spin@%u: waiting for the sensor\n", (unsigned)version);
    hal_console_write(line, (size_t)n);
    for (;;) {
        (void)hal_millis(); /* the sensor's ready bit never comes */
        hal_delay_ms(1);
    }
}

bool hdev_app_run(const char *name, uint32_t version)
{
    if (strcmp(name, "spin") == 0)
        spin_main(version);
    int valve = valve_variant_by_name(name);
    if (strcmp(name, "basic") != 0 && valve < 0)
        return false;
    basic_main(name, version, valve);
    return true;
}
