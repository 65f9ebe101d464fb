/* The garden-valve app (firmware/apps/valve) through the stream transport on the native
 * device: the valve is open while the app waters, the close event comes before the first
 * flash erase of the update and no flash operation happens while it is open; a failed update
 * (wrong MD5, a connection that drops mid-image, a refused image) leaves it closed and the old
 * firmware running. The broken variants (valve-late, valve-never, valve-reopen) must fail the
 * same checks: the negative controls. Seeds: the device's seed is 1 (printed on failure). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "flashsim.h"
#include "imagekit.h"
#include "layout.h"
#include "native_device.h"
#include "valve_app.h"

typedef enum { UPD_OK, UPD_WRONG_MD5, UPD_DROP, UPD_BAD_MAGIC } upd_t;

static void run(const char *app, upd_t how, hdev_result_t *r)
{
    uint8_t *boot, *a1, *a2, *p1, *p2;
    size_t bl, l1, l2, pl1, pl2;
    char e[200];
    cr_assert_eq(imagekit_synth_boot("eboot", &boot, &bl), 0);
    cr_assert_eq(imagekit_synth_app(app, 1, 0, &a1, &l1), 0);
    cr_assert_eq(imagekit_synth_app(app, 2, 64 * 1024, &a2, &l2), 0);
    cr_assert_eq(imagekit_pack_pair(boot, bl, a1, l1, &p1, &pl1, e, sizeof(e)), 0, "%s", e);
    cr_assert_eq(imagekit_pack_pair(boot, bl, a2, l2, &p2, &pl2, e, sizeof(e)), 0, "%s", e);
    hdev_config_t cfg = {.seed = 1};
    cr_assert(layout_by_name("4m1m", 4u << 20, &cfg.layout));
    hdev_t *d = hdev_new(&cfg);
    flashsim_poke(hdev_flash(d), 0, p1, (uint32_t)pl1);
    hdev_job_t job = {.data = p2, .len = pl2, .declared = (uint32_t)pl2};
    if (how == UPD_WRONG_MD5) {
        job.has_md5 = true;
        imagekit_md5_hex(p2, pl2, job.md5);
        job.md5[0] = job.md5[0] == '0' ? '1' : '0';
    } else if (how == UPD_DROP) {
        job.len = pl2 / 2; /* the rest never arrives: writeStream times out */
    } else if (how == UPD_BAD_MAGIC) {
        p2[0] = 0x00; /* refused at the first byte, after begin() */
    }
    hdev_run(d, &job, NULL, r);
    hdev_free(d);
    free(boot), free(a1), free(a2), free(p1), free(p2);
}

static const uint32_t V = 1u << VALVE_GPIO;

/* The valve check of an update that reached flash: open before, closed at the first erase,
 * no flash operation while open. NULL when it holds, else why not. */
static const char *closed_before_erase(const hdev_outputs_t *o)
{
    if (!o->app_erase)
        return "no flash erase by the app";
    if (!(o->on_before_app_erase & V))
        return "the valve was never open before the update";
    if (o->state_at_app_erase & V)
        return "the valve was open at the first erase";
    if (o->ops_on)
        return "flash operations while the valve was open";
    return NULL;
}

Test(valve, stream_update_closes_before_first_erase)
{
    hdev_result_t r;
    run("valve", UPD_OK, &r);
    cr_assert(r.job_ok, "error %d: %s\n%s", r.job_error, r.job_msg, r.console);
    const char *why = closed_before_erase(&r.outputs);
    cr_expect_null(why, "%s (seed 1)\n%s", why, r.console);
    /* The close event itself: an off for the valve in the update's boot at or before the
     * erase's op index, after an on. */
    bool on = false, closed = false;
    for (uint32_t i = 0; i < r.outputs.nev; i++) {
        const hdev_output_event_t *ev = &r.outputs.ev[i];
        if (ev->pin != VALVE_GPIO || ev->boot != r.outputs.app_erase_boot)
            continue;
        if (ev->on)
            on = true;
        else if (on && ev->op <= r.outputs.app_erase_op)
            closed = true;
    }
    cr_expect(closed, "no close event before op %u\n%s", r.outputs.app_erase_op, r.console);
    /* The new firmware decided again: it waters. */
    cr_expect_eq(r.app_version, 2, "%s", r.console);
    cr_expect(r.outputs.state & V, "v2 does not water after the update\n%s", r.console);
    hdev_result_free(&r);
}

Test(valve, control_late_close_fails_the_check)
{
    hdev_result_t r;
    run("valve-late", UPD_OK, &r);
    cr_assert(r.job_ok, "%s", r.console);
    cr_expect_not_null(closed_before_erase(&r.outputs), "valve-late passed\n%s", r.console);
    cr_expect_gt(r.outputs.ops_on, 0);
    hdev_result_free(&r);
}

Test(valve, control_never_close_fails_the_check)
{
    hdev_result_t r;
    run("valve-never", UPD_OK, &r);
    cr_assert(r.job_ok, "%s", r.console);
    cr_expect_not_null(closed_before_erase(&r.outputs), "valve-never passed\n%s", r.console);
    hdev_result_free(&r);
}

static void expect_failed_safe(const char *app, upd_t how, bool want_safe)
{
    hdev_result_t r;
    run(app, how, &r);
    cr_assert(r.job_taken, "%s", r.console);
    cr_expect_not(r.job_ok, "%s", r.console);
    cr_expect_eq(r.end, HDEV_END_IDLE, "%s", hdev_end_name(r.end));
    cr_expect_eq(r.app_version, 1, "the old firmware runs: %s", r.console);
    cr_expect_eq(r.boots, 1, "%s", r.console);
    bool closed = !(r.outputs.state & V);
    bool safe = closed && r.outputs.ops_on == 0 && (r.outputs.ever_on & V);
    cr_expect_eq(safe, want_safe, "%s: valve %s at the end, %u flash ops while open\n%s", app,
                 closed ? "closed" : "open", (unsigned)r.outputs.ops_on, r.console);
    hdev_result_free(&r);
}

Test(valve, wrong_md5_leaves_valve_closed_old_firmware)
{
    expect_failed_safe("valve", UPD_WRONG_MD5, true);
}

Test(valve, dropped_stream_leaves_valve_closed_old_firmware)
{
    expect_failed_safe("valve", UPD_DROP, true);
}

Test(valve, refused_image_leaves_valve_closed_old_firmware)
{
    expect_failed_safe("valve", UPD_BAD_MAGIC, true);
}

Test(valve, control_reopen_fails_the_failed_update_check)
{
    expect_failed_safe("valve-reopen", UPD_WRONG_MD5, false);
}

Test(valve, control_never_fails_the_failed_update_check)
{
    expect_failed_safe("valve-never", UPD_DROP, false);
}

/* Without an update the valve stays open (normal operation), and nothing else is recorded. */
Test(valve, no_update_keeps_watering)
{
    uint8_t *boot, *a1, *p1;
    size_t bl, l1, pl1;
    char e[200];
    cr_assert_eq(imagekit_synth_boot("eboot", &boot, &bl), 0);
    cr_assert_eq(imagekit_synth_app("valve", 1, 0, &a1, &l1), 0);
    cr_assert_eq(imagekit_pack_pair(boot, bl, a1, l1, &p1, &pl1, e, sizeof(e)), 0, "%s", e);
    hdev_config_t cfg = {.seed = 1};
    cr_assert(layout_by_name("4m1m", 4u << 20, &cfg.layout));
    hdev_t *d = hdev_new(&cfg);
    flashsim_poke(hdev_flash(d), 0, p1, (uint32_t)pl1);
    hdev_result_t r;
    hdev_run(d, NULL, NULL, &r);
    cr_expect(r.outputs.state & V, "%s", r.console);
    cr_expect_eq(r.outputs.nev, 1, "%s", r.console);
    cr_expect_not(r.outputs.app_erase);
    cr_expect_not_null(strstr(r.console, "valve@1: running"), "%s", r.console);
    hdev_result_free(&r);
    hdev_free(d);
    free(boot), free(a1), free(p1);
}
