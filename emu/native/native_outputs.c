/* The app's outputs on the native device (native_device.h: hdev_outputs_t): the port calls
 * these from the boot's process before every flash program/erase and at every output change,
 * in forked and resident boots alike, so an event's place in the flash operation sequence is
 * exact. Each change is also a console line, so a person (or a test reading `otasim device`)
 * sees where it fell: "gpio5: off (flash ops this boot: 0, app erases: 0)". */
#include <stdio.h>

#include "hal.h"
#include "native_device_internal.h"
#include "native_port.h"

static void on_flash_op(void *user, bool erase, uint32_t addr)
{
    (void)addr;
    hdev_child_t *c = user;
    hdev_outputs_t *o = &c->end.outputs;
    uint32_t now = native_port_outputs();
    if (erase && c->in_app) {
        if (!o->app_erase) {
            o->app_erase = true;
            o->app_erase_op = o->ops;
            o->state_at_app_erase = now;
            o->on_before_app_erase = o->ever_on;
        }
        o->app_erases++;
    }
    if (now) {
        if (!o->ops_on) {
            o->first_on_op = o->ops;
            o->first_on_pins = now;
        }
        o->ops_on++;
    }
    o->ops++;
}

static void on_output(void *user, uint32_t pin, bool on)
{
    hdev_child_t *c = user;
    if (!flashsim_powered(c->fs))
        return; /* a dead CPU drives nothing */
    hdev_outputs_t *o = &c->end.outputs;
    if (on)
        o->ever_on |= 1u << pin;
    if (o->nev < HDEV_OUTPUT_EVENTS)
        o->ev[o->nev++] =
            (hdev_output_event_t){.op = o->ops, .pin = (uint8_t)pin, .on = on, .in_app = c->in_app};
    else
        o->nlost++;
    char line[96];
    int n = snprintf(line, sizeof(line), "gpio%u: %s (flash ops this boot: %u, app erases: %u)\n",
                     (unsigned)pin, on ? "on" : "off", (unsigned)o->ops, (unsigned)o->app_erases);
    hal_console_write(line, (size_t)n);
}

void hdev_outputs_attach(hdev_child_t *c, native_port_config_t *pc)
{
    pc->on_output = on_output;
    pc->on_flash_op = on_flash_op;
    pc->io_user = c;
}

void hdev_outputs_finish(hdev_child_t *c)
{
    hdev_outputs_t *o = &c->end.outputs;
    /* Power cut: every output is off (nothing drives the pins). */
    o->state = flashsim_powered(c->fs) ? native_port_outputs() : 0;
    if (!o->ever_on)
        return;
    /* The boot's summary, for people and for tests that read the console of a networked
     * device (whose run ends only when it is stopped). */
    char line[128];
    int n = snprintf(line, sizeof(line),
                     "outputs: boot end, %u flash ops while an output was on, app erases: %u\n",
                     (unsigned)o->ops_on, (unsigned)o->app_erases);
    hal_console_write(line, (size_t)n);
}

void hdev_outputs_merge(hdev_outputs_t *run, const hdev_outputs_t *b, unsigned boot_no)
{
    for (uint32_t i = 0; i < b->nev; i++) {
        if (run->nev < HDEV_OUTPUT_EVENTS) {
            run->ev[run->nev] = b->ev[i];
            run->ev[run->nev++].boot = boot_no;
        } else {
            run->nlost++;
        }
    }
    run->nlost += b->nlost;
    run->state = b->state;
    run->ops += b->ops;
    run->app_erases += b->app_erases;
    run->ever_on |= b->ever_on;
    if (!run->app_erase && b->app_erase) {
        run->app_erase = true;
        run->app_erase_boot = boot_no;
        run->app_erase_op = b->app_erase_op;
        run->state_at_app_erase = b->state_at_app_erase;
        run->on_before_app_erase = b->on_before_app_erase;
    }
    if (b->ops_on && !run->ops_on) {
        run->first_on_boot = boot_no;
        run->first_on_op = b->first_on_op;
        run->first_on_pins = b->first_on_pins;
    }
    run->ops_on += b->ops_on;
}
