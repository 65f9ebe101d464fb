/* emu/qemu runner: the bridge probe (firmware/ports/qemu/bridge_probe.c) under
 * qemu-system-xtensa, served from flashsim. Paths from the environment (tests/emu/meson.build):
 * OTASIM_QEMU, OTASIM_QEMU_PROBE, OTASIM_QEMU_EBOOT. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "qemu_runner.h"

static flashsim_t *new_fs(void)
{
    flashsim_config_t c = {.size = 4u * 1024u * 1024u, .seed = 1};
    flashsim_t *fs = flashsim_new(&c);
    cr_assert_not_null(fs);
    return fs;
}

static qemu_run_cfg_t cfg_for(const char *elf_env, flashsim_t *fs)
{
    qemu_run_cfg_t cfg = {.qemu = getenv("OTASIM_QEMU"), .elf = getenv(elf_env), .fs = fs};
    cr_assert_not_null(cfg.qemu);
    cr_assert_not_null(cfg.elf);
    return cfg;
}

Test(qemu_runner, probe_reaches_flashsim)
{
    flashsim_t *fs = new_fs();
    qemu_run_cfg_t cfg = cfg_for("OTASIM_QEMU_PROBE", fs);
    qemu_run_result_t res;
    cr_assert_eq(qemu_run(&cfg, &res), 0, "%s", res.console);
    cr_assert_eq(res.exit_code, 7, "exit %d, console: %s", res.exit_code, res.console);
    cr_assert_not(res.power_cut);
    cr_assert(strstr(res.console, "probe ok"), "%s", res.console);
    /* What the firmware wrote is in flashsim, byte for byte (little-endian words). */
    uint8_t b[8];
    flashsim_peek(fs, 0x2000, b, 8);
    const uint8_t want[8] = {0xA5, 0x5A, 0x00, 0xFF, 0xA5, 0x5B, 0x00, 0xFF};
    cr_assert_arr_eq(b, want, 8);
    uint8_t r[4];
    cr_assert_eq(flashsim_rtc_read(fs, 0x100, r, 4), FLASHSIM_OK);
    cr_assert_eq(r[0], 0x78);
    cr_assert_eq(r[3], 0x12);
    cr_assert_eq(flashsim_erase_count(fs, 2), 1);
    /* 1000 pings + the probe's 6 other requests (the misaligned read fails in the HAL) + 5
     * output requests (3 changes, a refused pin, a level that is no change). */
    cr_assert_eq(res.requests, 1011, "requests %u", res.requests);
    fprintf(stderr, "qemu probe: %.1f ms wall for %u bridge requests\n", res.wall_ms, res.requests);
    flashsim_free(fs);
}

/* QB_OUTPUT: each change recorded with its place in the flash op sequence (the native
 * device's recorder), its console line where the firmware was then; no event for a refused
 * pin or a level that is no change. */
Test(qemu_runner, outputs_are_placed_in_the_flash_op_sequence)
{
    flashsim_t *fs = new_fs();
    qemu_run_cfg_t cfg = cfg_for("OTASIM_QEMU_PROBE", fs);
    qemu_run_result_t res;
    cr_assert_eq(qemu_run(&cfg, &res), 0, "%s", res.console);
    cr_assert_eq(res.exit_code, 7, "exit %d, console: %s", res.exit_code, res.console);
    const hdev_outputs_t *o = &res.outputs;
    cr_assert_eq(o->nev, 3, "%u events", o->nev);
    cr_expect(o->ev[0].pin == 4 && o->ev[0].on && o->ev[0].op == 0);
    cr_expect(o->ev[1].pin == 5 && o->ev[1].on && o->ev[1].op == 0);
    cr_expect(o->ev[2].pin == 5 && !o->ev[2].on && o->ev[2].op == 2, "off at op %u", o->ev[2].op);
    cr_expect(!o->ev[0].in_app, "no app started: the events are the bootloader's");
    cr_expect_eq(o->ops, 2);
    cr_expect_eq(o->ops_on, 2);
    cr_expect_eq(o->first_on_op, 0);
    cr_expect_eq(o->first_on_pins, 0x30u);
    cr_expect_eq(o->ever_on, 0x30u);
    cr_expect_eq(o->state, 0x10u, "GPIO4 is left on: state 0x%x", o->state);
    cr_expect_not(o->app_erase, "the erase was not an app's");
    const char *start = strstr(res.console, "probe start");
    const char *on = strstr(res.console, "gpio4: on (flash ops this boot: 0, app erases: 0)");
    const char *off = strstr(res.console, "gpio5: off (flash ops this boot: 2, app erases: 0)");
    const char *ok = strstr(res.console, "probe ok");
    cr_assert(start && on && off && ok, "%s", res.console);
    cr_expect(start < on && on < off && off < ok, "lines out of order: %s", res.console);
    cr_expect(strstr(res.console, "outputs: boot end, 2 flash ops while an output was on"), "%s",
              res.console);
    flashsim_free(fs);
}

Test(qemu_runner, power_cut_kills_at_the_op)
{
    flashsim_t *fs = new_fs();
    char err[128];
    /* op 0 = the erase of sector 2, op 1 = the write: cut before the write. */
    flashsim_plan_t *plan = flashsim_plan_parse("cut@op=1", err, sizeof err);
    cr_assert_not_null(plan, "%s", err);
    cr_assert_eq(flashsim_set_plan(fs, plan, 0), FLASHSIM_OK);
    qemu_run_cfg_t cfg = cfg_for("OTASIM_QEMU_PROBE", fs);
    qemu_run_result_t res;
    cr_assert_eq(qemu_run(&cfg, &res), 0);
    cr_assert(res.power_cut, "exit %d console %s", res.exit_code, res.console);
    cr_assert_eq(res.exit_code, -1);
    cr_assert_null(strstr(res.console, "probe ok"));
    cr_assert_eq(flashsim_faults_unfired(fs), 0);
    uint8_t b[4];
    flashsim_peek(fs, 0x2000, b, 4);
    cr_assert_eq(b[0], 0xFF, "the cut write must not have landed");
    /* The cut leaves every output off (GPIO4 and GPIO5 were on) and prints no summary. */
    cr_expect_eq(res.outputs.state, 0, "state 0x%x", res.outputs.state);
    cr_expect_eq(res.outputs.ops, 2, "the erase and the cut write: %u", res.outputs.ops);
    cr_expect_null(strstr(res.console, "outputs: boot end"), "%s", res.console);
    flashsim_plan_free(plan);
    flashsim_free(fs);
}

Test(qemu_runner, eboot_on_blank_flash_restarts)
{
    /* The QEMU build of eboot, loaded as an ELF, finds no app on erased flash and restarts
     * (exit code QB_EXIT_RESTART_SOFT = 0x50) after reading flash through the bridge. */
    flashsim_t *fs = new_fs();
    qemu_run_cfg_t cfg = cfg_for("OTASIM_QEMU_EBOOT", fs);
    qemu_run_result_t res;
    cr_assert_eq(qemu_run(&cfg, &res), 0);
    cr_assert_eq(res.exit_code, 0x50, "exit %d sig %d bridge_error %d timeout %d console %s",
                 res.exit_code, res.term_signal, res.bridge_error, res.timed_out, res.console);
    cr_assert_gt(res.requests, 0);
    cr_assert(strstr(res.console, "vffffffff"), "%s", res.console); /* read over the bridge */
    fprintf(stderr, "qemu eboot blank-flash boot: %.1f ms wall, %u bridge requests\n", res.wall_ms,
            res.requests);
    flashsim_free(fs);
}

Test(qemu_runner, hang_is_detected)
{
    /* A program that never talks to the bridge nor exits: the smoke ELF's entry is fine, so
     * use the probe with a 1 ms budget instead: it cannot finish 1000 round trips in it. */
    flashsim_t *fs = new_fs();
    qemu_run_cfg_t cfg = cfg_for("OTASIM_QEMU_PROBE", fs);
    cfg.timeout_ms = 1;
    qemu_run_result_t res;
    cr_assert_eq(qemu_run(&cfg, &res), 0);
    cr_assert(res.timed_out);
    cr_assert_eq(res.exit_code, -1);
    flashsim_free(fs);
}

/* The mask-ROM step: the QEMU eboot image at flash offset 0 (cfg.elf = NULL) is what boots. */
static flashsim_t *fs_with_eboot_image(size_t *len)
{
    const char *path = getenv("OTASIM_QEMU_EBOOT_IMG");
    cr_assert_not_null(path);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    static uint8_t img[4096];
    *len = fread(img, 1, sizeof img, f);
    fclose(f);
    cr_assert_gt(*len, 64);
    flashsim_t *fs = new_fs();
    flashsim_poke(fs, 0, img, (uint32_t)*len);
    return fs;
}

Test(qemu_runner, rom_boots_the_image_in_flash)
{
    size_t len;
    flashsim_t *fs = fs_with_eboot_image(&len);
    qemu_run_cfg_t cfg = {.qemu = getenv("OTASIM_QEMU"), .fs = fs};
    qemu_run_result_t res;
    cr_assert_eq(qemu_run(&cfg, &res), 0, "%s", res.console);
    cr_assert_not(res.rom_refused, "%s", res.console);
    /* The entry the ROM started at is the bootloader ELF's (e_entry, ELF offset 24). */
    FILE *ef = fopen(getenv("OTASIM_QEMU_EBOOT"), "rb");
    cr_assert_not_null(ef);
    uint8_t eh[28];
    cr_assert_eq(fread(eh, 1, sizeof eh, ef), sizeof eh);
    fclose(ef);
    uint32_t want =
        (uint32_t)eh[24] | (uint32_t)eh[25] << 8 | (uint32_t)eh[26] << 16 | (uint32_t)eh[27] << 24;
    cr_assert_eq(res.rom_entry, want, "entry 0x%08x, ELF 0x%08x", res.rom_entry, want);
    /* eboot from flash: no app at 0x1000 (erased), it restarts after reading flash. */
    cr_assert_eq(res.exit_code, 0x50, "exit %d console %s", res.exit_code, res.console);
    cr_assert(strstr(res.console, "vffffffff"), "%s", res.console);
    cr_assert_gt(res.requests, 0);
    fprintf(stderr, "qemu rom boot of eboot from flash: %.1f ms wall\n", res.wall_ms);
    flashsim_free(fs);
}

Test(qemu_runner, rom_refuses_bad_flash)
{
    /* Negative controls: erased flash, and one flipped byte of the bootloader's code (its
     * checksum no longer matches): the ROM starts nothing, as the native ROM check. */
    flashsim_t *fs = new_fs();
    qemu_run_cfg_t cfg = {.qemu = getenv("OTASIM_QEMU"), .fs = fs};
    qemu_run_result_t res;
    cr_assert_eq(qemu_run(&cfg, &res), 0);
    cr_assert(res.rom_refused, "%s", res.console);
    cr_assert_eq(res.requests, 0);
    flashsim_free(fs);

    size_t len;
    fs = fs_with_eboot_image(&len);
    cfg.fs = fs;
    uint8_t b;
    flashsim_peek(fs, 0x20, &b, 1);
    b ^= 0x10;
    flashsim_poke(fs, 0x20, &b, 1); /* inside segment 0 (header 8 + segment header 8) */
    cr_assert_eq(qemu_run(&cfg, &res), 0);
    cr_assert(res.rom_refused, "%s", res.console);
    cr_assert(strstr(res.console, "checksum"), "%s", res.console);
    flashsim_free(fs);
}

static uint8_t *load(const char *env, size_t *len)
{
    const char *path = getenv(env);
    cr_assert_not_null(path, "%s", env);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(*len);
    cr_assert_eq(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

/* A chip holding the bootloader + app pair the environment variable names. */
static flashsim_t *fs_with_pair(const char *env)
{
    size_t len;
    uint8_t *pair = load(env, &len);
    flashsim_t *fs = new_fs();
    flashsim_poke(fs, 0, pair, (uint32_t)len);
    free(pair);
    return fs;
}

Test(qemu_runner, app_prints_its_version_and_idles)
{
    flashsim_t *fs = fs_with_pair("OTASIM_QEMU_PAIR1");
    qemu_run_cfg_t cfg = {.qemu = getenv("OTASIM_QEMU"), .fs = fs};
    qemu_run_result_t res;
    unsigned boots;
    cr_assert_eq(qemu_run_device(&cfg, 4, &res, &boots), 0, "%s", res.console);
    cr_assert_eq(res.exit_code, 0x52, "exit %d app %d requests %u console %s", res.exit_code,
                 res.app_started, res.requests, res.console);
    cr_assert_eq(boots, 1);
    cr_assert(res.app_started);
    cr_assert_str_eq(res.app_name, "basic");
    cr_assert_eq(res.app_version, 1);
    cr_assert(strstr(res.console, "basic@1: running"), "%s", res.console);
    cr_assert_not(res.job_taken);
    fprintf(stderr, "qemu boot eboot -> basic@1 prints its version: %.1f ms wall\n", res.wall_ms);
    flashsim_free(fs);
}

/* The valve app's QEMU build (firmware/apps/valve over basic_qemu.c): it closes the valve
 * (explicitly, no change: no event), opens it for its watering slot, finds no offer and idles
 * with the valve open; the event is the app's, after the bootloader's reads (no flash op). */
Test(qemu_runner, valve_app_opens_its_valve_and_idles)
{
    flashsim_t *fs = fs_with_pair("OTASIM_QEMU_VALVE1");
    qemu_run_cfg_t cfg = {.qemu = getenv("OTASIM_QEMU"), .fs = fs};
    qemu_run_result_t res;
    unsigned boots;
    cr_assert_eq(qemu_run_device(&cfg, 4, &res, &boots), 0, "%s", res.console);
    cr_assert_eq(res.exit_code, 0x52, "exit %d console %s", res.exit_code, res.console);
    cr_assert_str_eq(res.app_name, "valve");
    const hdev_outputs_t *o = &res.outputs;
    cr_assert_eq(o->nev, 1, "%u events: %s", o->nev, res.console);
    cr_expect(o->ev[0].pin == 5 && o->ev[0].on && o->ev[0].in_app && o->ev[0].op == 0);
    cr_expect_eq(o->state, 1u << 5);
    cr_expect_eq(o->ops, 0);
    const char *on = strstr(res.console, "gpio5: on (flash ops this boot: 0, app erases: 0)");
    const char *opened = strstr(res.console, "valve: open (watering)");
    cr_assert(on && opened && on < opened, "%s", res.console);
    fprintf(stderr, "qemu boot eboot -> valve@1 opens its valve and idles: %.1f ms wall\n",
            res.wall_ms);
    flashsim_free(fs);
}

/* The v1 pair `from` offered the v2 pair `to` over the bridge: boot 1 stages it and restarts,
 * boot 2 is eboot's copy and v2 running idle. Returns the chip; *to and *len hold v2's bytes. */
static flashsim_t *run_update(const char *from, const char *to_env, uint8_t **to, size_t *len,
                              qemu_run_result_t *res)
{
    flashsim_t *fs = fs_with_pair(from);
    *to = load(to_env, len);
    qemu_run_cfg_t cfg = {.qemu = getenv("OTASIM_QEMU"),
                          .fs = fs,
                          .stream = *to,
                          .stream_len = *len,
                          .offer = true,
                          .offer_declared = (uint32_t)*len};
    unsigned boots;
    cr_assert_eq(qemu_run_device(&cfg, 4, res, &boots), 0, "%s", res->console);
    cr_assert(res->job_taken && res->job_ok, "err %d %s console %s", res->job_error, res->job_msg,
              res->console);
    cr_assert_eq(boots, 2, "boots %u console %s", boots, res->console);
    cr_assert_eq(res->exit_code, 0x52, "exit %d console %s", res->exit_code, res->console);
    cr_assert_eq(res->app_version, 2, "console %s", res->console);
    return fs;
}

Test(qemu_runner, app_takes_an_update_over_the_bridge)
{
    size_t l2;
    uint8_t *p2;
    qemu_run_result_t res;
    flashsim_t *fs = run_update("OTASIM_QEMU_PAIR1", "OTASIM_QEMU_PAIR2", &p2, &l2, &res);
    cr_assert(strstr(res.console, "update: ok, restarting"), "%s", res.console);
    cr_assert(strstr(res.console, "basic@2: running"), "%s", res.console);
    /* What the flash holds at 0 is the v2 pair, byte for byte. */
    uint8_t *now = malloc(l2);
    flashsim_peek(fs, 0, now, (uint32_t)l2);
    cr_assert_arr_eq(now, p2, l2);
    free(now);
    free(p2);
    flashsim_free(fs);
}

/* valve@1 takes valve@2 over the bridge: boot 0 opens the valve, closes it before its first
 * erase and stages; boot 1 is eboot's copy and valve@2 opening it again. The run's outputs
 * hold both boots' events, numbered by boot (not only the last boot's). */
Test(qemu_runner, outputs_of_every_boot_are_kept)
{
    size_t l2;
    uint8_t *p2;
    qemu_run_result_t res;
    flashsim_t *fs = run_update("OTASIM_QEMU_VALVE1", "OTASIM_QEMU_VALVE2", &p2, &l2, &res);
    const hdev_outputs_t *o = &res.outputs;
    cr_assert_eq(o->nev, 3, "%u events: %s", o->nev, res.console);
    cr_expect(o->ev[0].boot == 0 && o->ev[0].pin == 5 && o->ev[0].on);
    cr_expect(o->ev[1].boot == 0 && o->ev[1].pin == 5 && !o->ev[1].on);
    cr_expect(o->ev[2].boot == 1 && o->ev[2].pin == 5 && o->ev[2].on);
    cr_expect(o->app_erase && o->app_erase_boot == 0 && o->state_at_app_erase == 0,
              "app erase %d boot %u state 0x%x", o->app_erase, o->app_erase_boot,
              o->state_at_app_erase);
    cr_expect_eq(o->state, 1u << 5);
    cr_expect_eq(o->ops_on, 0, "flash ops with the valve open: %u", o->ops_on);
    cr_expect_gt(o->ops, o->app_erases, "eboot's copy ops are counted too");
    free(p2);
    flashsim_free(fs);
}

Test(qemu_runner, app_rejects_a_bad_md5)
{
    /* Negative control of the update path: a wrong MD5 is refused (ERROR[7]) and v1 stays. */
    size_t l1, l2;
    uint8_t *p1 = load("OTASIM_QEMU_PAIR1", &l1), *p2 = load("OTASIM_QEMU_PAIR2", &l2);
    flashsim_t *fs = new_fs();
    flashsim_poke(fs, 0, p1, (uint32_t)l1);
    qemu_run_cfg_t cfg = {.qemu = getenv("OTASIM_QEMU"),
                          .fs = fs,
                          .stream = p2,
                          .stream_len = l2,
                          .offer = true,
                          .offer_declared = (uint32_t)l2,
                          .offer_md5 = "00000000000000000000000000000000"};
    qemu_run_result_t res;
    unsigned boots;
    cr_assert_eq(qemu_run_device(&cfg, 4, &res, &boots), 0, "%s", res.console);
    cr_assert(res.job_taken);
    cr_assert_not(res.job_ok);
    cr_assert_eq(res.job_error, 7, "err %d %s", res.job_error, res.job_msg);
    cr_assert_eq(boots, 1);
    cr_assert_eq(res.app_version, 1);
    free(p1);
    free(p2);
    flashsim_free(fs);
}
