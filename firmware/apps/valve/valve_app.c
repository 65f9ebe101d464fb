/* See valve_app.h. */
#include "valve_app.h"

#include <string.h>

#include "hal.h"

/* Static: one app per boot, and the Updater's callbacks carry only a user pointer. */
static struct {
    const basic_port_t *inner;
    valve_variant_t v;
    bool open;
    bool locked;  /* an update began or was attempted: closed until the next boot */
    bool started; /* the Updater's onStart fired (VALVE_LATE) */
} app;

static void say(const char *s)
{
    hal_console_write(s, strlen(s));
}

int valve_variant_by_name(const char *name)
{
    static const char *const names[] = {"valve", "valve-late", "valve-never", "valve-reopen"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, names[i]))
            return i;
    return -1;
}

bool valve_locked(void)
{
    return app.locked;
}

static void valve_set(bool open, const char *why)
{
    hal_output_set(VALVE_GPIO, open);
    if (open == app.open)
        return;
    app.open = open;
    say(open ? "valve: open (" : "valve: closed (");
    say(why);
    say(")\n");
}

/* The first sign of an update: close and lock (the safe app). */
static void update_starts(void)
{
    if (app.v == VALVE_SAFE || app.v == VALVE_REOPEN) {
        app.locked = true;
        valve_set(false, "update starting");
    }
}

static void cb_start(void *user)
{
    (void)user;
    app.started = true;
    update_starts();
}

/* onEnd fires at every Updater reset, begin() included (spec §2.8): VALVE_LATE closes at the
 * first one after onStart, i.e. when the update is over, after it erased and wrote. */
static void cb_end(void *user)
{
    (void)user;
    if (app.v == VALVE_LATE && app.started) {
        app.locked = true;
        valve_set(false, "update over");
    }
}

static void cb_error(void *user, update_error_t e)
{
    (void)e;
    cb_end(user);
    if (app.v == VALVE_REOPEN && app.locked) {
        app.locked = false;
        valve_set(true, "update failed, watering again");
    } else if (app.locked) {
        say("valve: update failed, locked closed until the next boot\n");
    }
}

static void attempt(void *user)
{
    (void)user;
    update_starts();
}

static void configure(void *ctx, updater_config_t *cfg)
{
    (void)ctx;
    if (app.inner->configure)
        app.inner->configure(app.inner->ctx, cfg);
    cfg->callbacks.on_start = cb_start;
    cfg->callbacks.on_end = cb_end;
    cfg->callbacks.on_error = cb_error;
    cfg->callbacks.user = &app;
}

/* Offers and their results pass through; the schedule waters before the first offer. */
static bool next_offer(void *ctx, basic_offer_t *o)
{
    (void)ctx;
    return app.inner->next_offer && app.inner->next_offer(app.inner->ctx, o);
}

static void report(void *ctx, const basic_result_t *res)
{
    (void)ctx;
    if (app.inner->report)
        app.inner->report(app.inner->ctx, res);
}

static bool serve(void *ctx, updater_t *up, const flash_layout_t *layout)
{
    (void)ctx;
    return app.inner->serve(app.inner->ctx, up, layout);
}

void valve_app_run(const basic_port_t *port, valve_variant_t v, valve_hooks_t *hooks)
{
    memset(&app, 0, sizeof(app));
    app.inner = port;
    app.v = v;
    hal_output_set(VALVE_GPIO, false); /* as at reset; explicit */
    if (hooks)
        *hooks = (valve_hooks_t){attempt, &app};
    /* The schedule: a slot starts at boot (the firmware that runs decides, after a restart). */
    valve_set(true, "watering");
    hal_delay_ms(VALVE_WATER_BEFORE_OFFER_MS);
    basic_port_t p = *port;
    p.ctx = &app;
    p.configure = configure;
    p.next_offer = next_offer;
    p.report = report;
    p.serve = port->serve ? serve : NULL;
    basic_app_run(&p);
    /* Idle: the rest of the slot passes with the valve as it is (locked closed after a failed
     * update, else open). */
}
