/* Test support for the bootloader tests (see bootlib.h). */
#include "bootlib.h"

#include <criterion/criterion.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "boot_cmd.h"
#include "boot_internal.h"
#include "image.h"
#include "journal.h"
#include "native_port.h"
#include "testlib.h"
#include "updater.h"

/* test_boot_port.c */
extern jmp_buf *bt_port_jmp;
extern bt_start_t bt_port_start;

uint8_t *bt_pair(const char *name, uint32_t version, uint32_t size, uint32_t seed,
                 const uint8_t *boot_from, size_t *len)
{
    tb_pair_opts_t o;
    tb_pair_defaults(&o);
    o.name = name;
    o.version = version;
    o.seed = seed;
    o.ram_len = 1024;
    o.irom_len = size > 0x1000 + 1024 + 200 ? (size - 0x1000 - 1024 - 64) & ~3u : 128;
    uint8_t *p = tb_build_pair(&o, len);
    if (boot_from != NULL) {
        memcpy(p, boot_from, 0x1000);
        tb_fix_file_crc(p, *len);
    }
    return p;
}

bt_t *bt_new(const char *layout_name, boot_mode_t mode, const uint8_t *old, size_t old_len)
{
    bt_t *b = calloc(1, sizeof(*b));
    cr_assert_not_null(b);
    flash_layout_t l;
    cr_assert(layout_by_name(layout_name, 0, &l), "layout %s", layout_name);
    b->mode = mode;
    b->layout = l;
    if (mode != BOOT_MODE_EBOOT)
        cr_assert(layout_for_safe_boot(&l, l.flash_size, &b->layout));
    flashsim_config_t cfg = {.size = l.flash_size, .seed = 7};
    b->fs = flashsim_new(&cfg);
    cr_assert_not_null(b->fs);
    b->old_pair = malloc(old_len);
    memcpy(b->old_pair, old, old_len);
    b->old_len = old_len;
    flashsim_poke(b->fs, 0, old, (uint32_t)old_len);
    return b;
}

void bt_free(bt_t *b)
{
    flashsim_free(b->fs);
    free(b->old_pair);
    free(b->new_pair);
    free(b);
}

static void attach(bt_t *b)
{
    native_port_config_t cfg;
    native_port_default_config(&cfg);
    cfg.console_buf = b->console;
    cfg.console_cap = sizeof(b->console);
    native_port_attach(b->fs, &cfg);
}

bt_outcome_t bt_boot(bt_t *b)
{
    /* The mask ROM loads sector 0 and checks its checksum before anything runs. */
    uint8_t s0[0x1000];
    image_info_t info;
    flashsim_peek(b->fs, 0, s0, sizeof(s0));
    if (image_parse_buffer(s0, sizeof(s0), IMAGE_PARSE_CHECKSUM, &info) != IMAGE_OK ||
        info.checksum != info.checksum_calc) {
        memset(&b->start, 0, sizeof(b->start));
        b->console[0] = 0;
        return BT_BRICK;
    }
    /* Fresh boot: the bootloader must not depend on what a previous boot left in its RAM. */
    memset(boot_buf, 0x5A, sizeof(boot_buf));
    memset(boot_buf2, 0xA5, sizeof(boot_buf2));
    memset(&boot_inflate, 0x3C, sizeof(boot_inflate));
    attach(b);
    memset(&bt_port_start, 0, sizeof(bt_port_start));
    jmp_buf jb;
    bt_outcome_t out;
    bt_port_jmp = &jb;
    if (setjmp(jb) == 0) {
        b->result = boot_main(b->mode);
        out = BT_RETURNED;
    } else {
        out = BT_APP;
    }
    bt_port_jmp = NULL;
    b->start = bt_port_start;
    if (!flashsim_powered(b->fs))
        out = BT_CUT;
    native_port_detach();
    return out;
}

bt_outcome_t bt_boot_until_app(bt_t *b, unsigned max)
{
    bt_outcome_t o = BT_RETURNED;
    for (unsigned i = 0; i < max; i++) {
        o = bt_boot(b);
        if (o != BT_RETURNED)
            return o;
        flashsim_warm_reset(b->fs); /* the port restarts the chip after boot_main() returns */
    }
    return o;
}

static void set_new(bt_t *b, const uint8_t *pair, size_t pair_len)
{
    free(b->new_pair);
    b->new_pair = malloc(pair_len);
    memcpy(b->new_pair, pair, pair_len);
    b->new_len = pair_len;
}

bool bt_update(bt_t *b, const uint8_t *data, size_t len, int command, bool atomic_fs,
               const uint8_t *pair, size_t pair_len)
{
    static updater_t up;
    static inflate_state_t work;
    set_new(b, pair, pair_len);
    attach(b);
    updater_config_t cfg = {0};
    cfg.layout = &b->layout;
    cfg.atomic_fs_update = atomic_fs;
    cfg.inflate_work = &work;
    cfg.safe_journal = b->mode != BOOT_MODE_EBOOT;
    updater_init(&up, &cfg);
    bool ok = updater_begin(&up, (uint32_t)len, command);
    ok = ok && updater_write(&up, data, (uint32_t)len) == len;
    ok = ok && updater_end(&up, false);
    native_port_detach();
    return ok;
}

void bt_stage(bt_t *b, const uint8_t *data, size_t len, uint32_t src, uint32_t dst,
              const uint8_t *pair, size_t pair_len)
{
    set_new(b, pair, pair_len);
    flashsim_poke(b->fs, src, data, (uint32_t)len);
    attach(b);
    boot_cmd_t cmd;
    boot_cmd_make(&cmd, BOOT_CMD_COPY_RAW, src, dst, (uint32_t)len);
    cr_assert_eq(boot_cmd_write(&cmd), HAL_OK);
    if (b->mode != BOOT_MODE_EBOOT)
        cr_assert_eq(journal_record_pending(src, dst, (uint32_t)len), HAL_OK);
    native_port_detach();
}

static bt_flash_t compare(bt_t *b, uint32_t from, uint32_t to_old, uint32_t to_new)
{
    uint32_t n = to_old > to_new ? to_old : to_new;
    uint8_t *buf = malloc(n);
    flashsim_peek(b->fs, 0, buf, n);
    bt_flash_t r = BT_FLASH_OTHER;
    if (memcmp(buf + from, b->old_pair + from, to_old - from) == 0)
        r = BT_FLASH_OLD;
    else if (b->new_pair && memcmp(buf + from, b->new_pair + from, to_new - from) == 0)
        r = BT_FLASH_NEW;
    free(buf);
    return r;
}

bt_flash_t bt_flash_state(bt_t *b)
{
    return compare(b, 0, (uint32_t)b->old_len, (uint32_t)b->new_len);
}

bt_flash_t bt_sector0_state(bt_t *b)
{
    return compare(b, 0, 0x1000, 0x1000);
}

void bt_plan(bt_t *b, const char *plan)
{
    if (plan == NULL) {
        flashsim_set_plan(b->fs, NULL, 0);
        return;
    }
    char err[128];
    flashsim_plan_t *p = flashsim_plan_parse(plan, err, sizeof(err));
    cr_assert_not_null(p, "plan %s: %s", plan, err);
    cr_assert_eq(flashsim_set_plan(b->fs, p, flashsim_op_count(b->fs)), FLASHSIM_OK);
    flashsim_plan_free(p);
}

bool bt_console_has(const bt_t *b, const char *s)
{
    return strstr(b->console, s) != NULL;
}
