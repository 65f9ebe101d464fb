/* See basic_app.h. */
#include "basic_app.h"

#include <string.h>

#include "app_desc.h"
#include "boot_cmd.h"
#include "fs_check.h"
#include "image.h"
#include "reader.h"
#include "strbuf.h"

/* Static: the Updater's state and the inflater's window are too big for an lx106 stack. The
 * inflater's state is only in use while an update runs; sector 0 is read into the same RAM
 * for the boot-descriptor search, which runs only while none does (effective_layout), so the
 * search costs no RAM of its own (4 KiB less .bss on the ESP8266). */
static updater_t up;
static union {
    inflate_state_t inflate;
    uint8_t sector0[HAL_FLASH_SECTOR_SIZE];
} scratch __attribute__((aligned(4)));

static void say(const char *s)
{
    hal_console_write(s, strlen(s));
}

/* With the safe bootloader in sector 0 the app uses the safe layout and the journal (the
 * bootloader must find the pending update in flash, not only in RTC memory). *raw: it is the
 * safe bootloader built without the inflater (the ESP8266's), which cannot copy gzip images:
 * the Updater then inflates them itself (inflate_to_stage). */
static flash_layout_t effective_layout(const flash_layout_t *built, bool *safe, bool *raw)
{
    /* Sector 0 in one read, then searched in RAM: the descriptor search reads word by word,
     * and under QEMU every flash read is a bridge round trip (~870 of them per boot; a 256 B
     * read cache still cost 13 extra round trips, BENCHMARKS "Sector-0 search: read cache vs
     * one read"). The RAM is the inflater's (see scratch): this runs at boot and before
     * updater_init(), never while an update streams. (Not guarded by updater_is_running(): on
     * the native target boots run resident, and `up` still holds the state of an update a
     * power cut ended.) */
    app_desc_t bd;
    flash_layout_t l = *built;
    bool found = false;
    if (hal_flash_read(0, scratch.sector0, sizeof scratch.sector0) == HAL_OK) {
        mem_reader_t m = {scratch.sector0, sizeof scratch.sector0};
        reader_t r = mem_reader(&m);
        found = image_find_boot_desc(&r, 0, HAL_FLASH_SECTOR_SIZE, &bd);
    }
    *raw = found && !strcmp(bd.name, BOOT_DESC_NAME_SAFE_RAW);
    *safe = found && (*raw || !strcmp(bd.name, BOOT_DESC_NAME_SAFE));
    if (*safe && !layout_for_safe_boot(built, hal_flash_real_size(), &l))
        l = *built;
    return l;
}

/* The Updater as the build configures it (static: the Updater keeps the layout pointer). */
static const flash_layout_t *prepare_updater(const basic_port_t *port)
{
    static flash_layout_t layout;
    bool safe, raw;
    layout = effective_layout(port->layout, &safe, &raw);
    updater_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.layout = &layout;
    cfg.atomic_fs_update = port->atomic_fs;
    cfg.inflate_work = &scratch.inflate;
    /* The bootloader cannot inflate: the Updater inflates a gzip upload into the stage. */
    cfg.inflate_to_stage = raw;
    cfg.safe_journal = safe;
    if (port->configure)
        port->configure(port->ctx, &cfg);
    updater_init(&up, &cfg);
    return &layout;
}

/* One offer through the stream interface; true when the app should restart. */
static bool take_offer(const basic_port_t *port, const basic_offer_t *o)
{
    prepare_updater(port);

    bool ok = updater_begin(&up, o->declared, o->command);
    if (ok && o->has_md5)
        updater_set_md5(&up, o->md5);
    if (ok)
        updater_write_stream(&up, &o->stream, o->stream.timeout_ms);
    ok = ok && updater_end(&up, false);

    basic_result_t res;
    memset(&res, 0, sizeof(res));
    res.ok = ok;
    res.error = (int32_t)updater_get_error(&up);
    if (!ok && res.error == 0)
        res.error = -1;
    if (!ok)
        updater_format_error(&up, res.msg, sizeof(res.msg));
    if (port->report)
        port->report(port->ctx, &res);
    if (ok) {
        say(o->no_restart ? "update: ok, not rebooting\n" : "update: ok, restarting\n");
        return !o->no_restart;
    }
    say("update: ");
    say(res.msg);
    return false;
}

void basic_app_run(const basic_port_t *port)
{
    char line[96];
    strbuf_t sb;
    sb_init(&sb, line, sizeof(line));
    sb_puts(&sb, port->name);
    sb_putc(&sb, '@');
    sb_put_u32(&sb, port->version);
    sb_puts(&sb, ": running\n");
    say(line);

    char label[40];
    bool safe, raw;
    flash_layout_t layout = effective_layout(port->layout, &safe, &raw);
    fs_check_t fs = fs_check(&layout, label, sizeof(label));
    fs_check_line(fs, label, line, sizeof(line));
    say(line);

    basic_offer_t offer;
    while (port->next_offer && port->next_offer(port->ctx, &offer)) {
        if (take_offer(port, &offer)) {
            hal_restart(HAL_RESTART_SOFT);
            return; /* ports whose restart returns end the boot themselves */
        }
        if (offer.no_restart)
            return;
    }
    if (port->serve) {
        const flash_layout_t *l = prepare_updater(port);
        if (port->serve(port->ctx, &up, l))
            hal_restart(HAL_RESTART_SOFT);
    }
}
