/* The QEMU port of the basic app (firmware/apps/basic): the update offered is the runner's
 * (QB_OFFER: the native device's job, same fields), its bytes arrive over the bridge's stream
 * channel (QB_STREAM_READ), and the outcome goes back to the runner (QB_REPORT). The build
 * options (layout, signing key, ATOMIC_FS_UPDATE) are the runner's (QB_BUILD: what the
 * scenario's app was built with, so one image serves every scenario); without them the layout
 * is the FLASH_MAP auto row for the chip's real size, unsigned, no ATOMIC_FS_UPDATE.
 * Built with QEMU_APP_VALVE=1 it is the port of the garden-valve app (firmware/apps/valve) as
 * well: the same port under valve_app_run, the variant named by APP_NAME ("valve",
 * "valve-late", ...), as the native device picks it by descriptor name; the valve's output
 * reaches the runner through hal_output_set (hal_qemu.c, QB_OUTPUT). */
#include <string.h>

#include "app_port_qemu.h"
#include "basic_app.h"
#include "bridge_proto.h"
#include "hal.h"
#include "layout.h"
#include "qemu_bridge.h"
#include "rsa_verify.h"
#if QEMU_APP_VALVE
#include "valve_app.h"
#endif

/* The stream: a small buffer refilled over the bridge. */
typedef struct qstream {
    uint8_t buf[512];
    uint32_t pos, len;
    bool ended; /* the runner said 0 bytes: its stream is a fixed buffer, nothing more comes */
} qstream_t;

static qstream_t qs;

static uint32_t qs_available(void *ctx)
{
    qstream_t *s = ctx;
    if (s->pos == s->len && !s->ended) {
        uint32_t n = 0;
        s->pos = s->len = 0;
        if (qemu_bridge_call(QB_STREAM_READ, 0, sizeof s->buf, 0, s->buf, &n) == 0)
            s->len = n;
        s->ended = s->len == 0;
    }
    return s->len - s->pos;
}

static uint32_t qs_read(void *ctx, uint8_t *buf, uint32_t len)
{
    qstream_t *s = ctx;
    uint32_t n = qs_available(ctx);
    if (n > len)
        n = len;
    memcpy(buf, s->buf + s->pos, n);
    s->pos += n;
    return n;
}

static int qs_peek(void *ctx)
{
    qstream_t *s = ctx;
    return qs_available(ctx) ? s->buf[s->pos] : -1;
}

static bool next_offer(void *ctx, basic_offer_t *o)
{
    static bool offered;
    (void)ctx;
    if (offered)
        return false;
    offered = true;
    static uint32_t raw[QB_OFFER_SIZE / 4];
    uint32_t have = 0;
    if (qemu_bridge_call(QB_OFFER, 0, QB_OFFER_SIZE, 0, raw, &have) != 0 || !have)
        return false;
    qb_offer_t q;
    memcpy(&q, raw, sizeof q);
    memset(o, 0, sizeof(*o));
    o->declared = q.declared;
    o->command = (int)q.command;
    o->has_md5 = (q.flags & QB_OFFER_HAS_MD5) != 0;
    memcpy(o->md5, q.md5, 32);
    o->md5[32] = '\0';
    o->no_restart = (q.flags & QB_OFFER_NO_RESTART) != 0;
    o->stream = (update_stream_t){.ctx = &qs,
                                  .available = qs_available,
                                  .read = qs_read,
                                  .peek = qs_peek,
                                  .timeout_ms = UPDATER_STREAM_TIMEOUT_MS};
    return true;
}

static void report(void *ctx, const basic_result_t *res)
{
    (void)ctx;
    static uint32_t out[1 + sizeof(res->msg) / 4 + 1];
    memset(out, 0, sizeof out);
    out[0] = (uint32_t)res->error;
    size_t n = strlen(res->msg);
    memcpy(out + 1, res->msg, n);
    qemu_bridge_call(QB_REPORT, res->ok, (uint32_t)(4 + n), out, 0, 0);
}

/* The build options (QB_BUILD); zero = none given. Static: large, and kept for the Updater. */
static qb_build_t build;
static rsa_public_key_t key;

/* As the esp8266 port's signing_esp8266.c: with signing on, a key that does not parse leaves
 * the Updater without one, and it refuses every update (fail closed). */
static void configure(void *ctx, updater_config_t *cfg)
{
    (void)ctx;
    if (!(build.flags & QB_BUILD_SIGNING))
        return;
    cfg->require_signature = true;
    build.pem[sizeof build.pem - 1] = '\0';
    if (rsa_parse_public_key_pem(build.pem, strlen(build.pem), &key) == RSA_OK)
        cfg->signing_key = &key;
}

int qemu_app_main(void)
{
    static flash_layout_t layout;
    static uint32_t raw[QB_BUILD_SIZE / 4];
    uint32_t have = 0;
    if (qemu_bridge_call(QB_BUILD, 0, QB_BUILD_SIZE, 0, raw, &have) == 0 && have)
        memcpy(&build, raw, sizeof build);
    build.layout[sizeof build.layout - 1] = '\0';
    bool ok = build.layout[0] ? layout_by_name(build.layout, hal_flash_real_size(), &layout)
                              : layout_auto(hal_flash_real_size(), &layout);
    if (!ok) {
        hal_console_write("basic: no layout for this flash size\n", 37);
        return 1;
    }
    basic_port_t port = {.name = APP_NAME,
                         .version = APP_VERSION,
                         .layout = &layout,
                         .atomic_fs = (build.flags & QB_BUILD_ATOMIC_FS) != 0,
                         .configure = configure,
                         .next_offer = next_offer,
                         .report = report};
#if QEMU_APP_VALVE
    int variant = valve_variant_by_name(APP_NAME);
    if (variant < 0) {
        hal_console_write("valve: not a valve app name: " APP_NAME "\n",
                          sizeof("valve: not a valve app name: " APP_NAME "\n") - 1);
        return 1;
    }
    /* No update-attempt hook: the QEMU port has no transport that refuses before begin(). */
    valve_app_run(&port, (valve_variant_t)variant, NULL);
#else
    basic_app_run(&port);
#endif
    return 0;
}
