/* The child side of a boot on the native device: the native boot port (boot_port.h) and the
 * built-in host apps it "jumps" to by descriptor name.
 *
 * "basic" is the example app of issue 4 §2 (host build; the lx106 apps are in images/): it prints
 * its name and version, takes the run's update job (if any) through the Updater's stream
 * interface exactly as the Arduino core's stream update does (begin(size, command), setMD5,
 * writeStream, end), restarts after a successful end() and otherwise stays idle. Its build
 * options (layout, signing key, ATOMIC_FS_UPDATE) come from the device config; like a real
 * app it uses the safe layout and the journal when sector 0 holds the safe bootloader. */
#include <stdio.h>
#include <string.h>

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

static void say(const char *s)
{
    hal_console_write(s, strlen(s));
}

static void basic_job(hdev_child_t *c)
{
    static updater_t up;
    static inflate_state_t work;
    static rsa_public_key_t key;
    const hdev_job_t *job = c->job;
    c->end.job_taken = 1;

    flash_layout_t layout = c->cfg->layout;
    reader_t r = flash_reader();
    app_desc_t bd;
    bool safe = image_find_boot_desc(&r, 0, HAL_FLASH_SECTOR_SIZE, &bd) &&
                !strcmp(bd.name, BOOT_DESC_NAME_SAFE);
    if (safe && !layout_for_safe_boot(&c->cfg->layout, hal_flash_real_size(), &layout))
        layout = c->cfg->layout;

    updater_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.layout = &layout;
    cfg.atomic_fs_update = c->cfg->atomic_fs;
    cfg.inflate_work = &work;
    cfg.safe_journal = safe;
    if (c->cfg->signing) {
        cfg.require_signature = true;
        const char *pem = c->cfg->signing_pubkey_pem;
        if (pem && rsa_parse_public_key_pem(pem, strlen(pem), &key) == RSA_OK)
            cfg.signing_key = &key;
    }
    updater_init(&up, &cfg);

    job_stream_t js = {job->data, job->len, 0};
    update_stream_t s = {.ctx = &js, .available = js_available, .read = js_read, .peek = js_peek};
    bool ok = updater_begin(&up, job->declared, job->command);
    if (ok && job->has_md5)
        updater_set_md5(&up, job->md5);
    if (ok)
        updater_write_stream(&up, &s, UPDATER_STREAM_TIMEOUT_MS);
    ok = ok && updater_end(&up, false);
    c->end.job_ok = ok;
    c->end.job_error = (int32_t)updater_get_error(&up);
    if (ok && job->no_restart) {
        say("update: ok, not rebooting\n");
        return;
    }
    if (ok) {
        say("update: ok, restarting\n");
        hal_restart(HAL_RESTART_SOFT); /* the port's hook ends the boot */
        hdev_child_finish(CHILD_RESTART);
    }
    if (c->end.job_error == 0 && !ok)
        c->end.job_error = -1; /* refused without a code (the original's silent cases) */
    updater_format_error(&up, c->end.job_msg, sizeof(c->end.job_msg));
    say("update: ");
    say(c->end.job_msg);
}

static void basic_main(uint32_t version)
{
    hdev_child_t *c = hdev_current_child;
    char line[64];
    snprintf(line, sizeof(line), "basic@%u: running\n", (unsigned)version);
    say(line);
    if (c->job)
        basic_job(c);
    hdev_child_finish(CHILD_IDLE);
}

bool hdev_app_run(const char *name, uint32_t version)
{
    if (strcmp(name, "basic") != 0)
        return false;
    basic_main(version);
    return true;
}
