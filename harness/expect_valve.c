/* expect valve=open|closed and expect valve closed-before-erase: the garden-valve app's output
 * (firmware/apps/valve, VALVE_GPIO) as the device recorded it (hdev_outputs_t: the native
 * device, and the QEMU runner from the bridge's QB_OUTPUT, with the same recorder). An app
 * that never drives the valve fails the checks ("never open"): they cannot pass vacuously.
 * The checks read only the run's outputs, so any step that runs the device — the
 * stream update, or a network transport's run — can feed them by filling the result. */
#include "engine_internal.h"
#include "valve_app.h"

#define VALVE_BIT (1u << VALVE_GPIO)

static void before_erase(bstate_t *s, const scn_step_t *st)
{
    const hdev_outputs_t *o = &s->upd_outputs;
    if (!o->app_erase)
        bstate_fail(s, st,
                    "expected the update to erase flash with the valve closed, but the "
                    "app erased nothing");
    else if (!(o->on_before_app_erase & VALVE_BIT))
        bstate_fail(s, st,
                    "expected the valve open before the update (watering), but it never "
                    "opened in boot %u",
                    (unsigned)o->app_erase_boot);
    else if (o->state_at_app_erase & VALVE_BIT)
        bstate_fail(s, st,
                    "expected the valve closed before the first erase, but it was open at "
                    "flash op %u of boot %u",
                    (unsigned)o->app_erase_op, (unsigned)o->app_erase_boot);
    else if (o->ops_on)
        bstate_fail(s, st,
                    "expected no flash operation while the valve is open, got %u (the "
                    "first: op %u of boot %u)",
                    (unsigned)o->ops_on, (unsigned)o->first_on_op, (unsigned)o->first_on_boot);
}

void engine_expect_valve(bstate_t *s, const scn_step_t *st)
{
    const scn_expect_t *x = &st->u.expect;
    if (x->valve == SCN_VALVE_BEFORE_ERASE) {
        before_erase(s, st);
        return;
    }
    bool open = (s->outputs.state & VALVE_BIT) != 0;
    if (open != (x->valve == SCN_VALVE_OPEN))
        bstate_fail(s, st, "expected the valve %s, but it is %s (%s)",
                    x->valve == SCN_VALVE_OPEN ? "open" : "closed", open ? "open" : "closed",
                    hdev_end_name(s->end));
}
