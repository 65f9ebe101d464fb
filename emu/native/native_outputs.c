/* The app's outputs (native_device.h: hdev_outputs_t). The recorder itself is target-neutral
 * (hdev_outputs_flash_op/_change/_end/_merge): the native device's port hooks call it from the
 * boot's process before every flash program/erase and at every output change, in forked and
 * resident boots alike, and the QEMU runner (emu/qemu/qemu_runner.c) calls it as it serves
 * the bridge's flash requests and QB_OUTPUT, so an event's place in the flash operation
 * sequence is exact on both targets. Each change is also a console line, so a person (or a
 * test reading `otasim device`) sees where it fell: "gpio5: off (flash ops this boot: 0, app
 * erases: 0)". */
#include <stdio.h>

#include "hal.h"
#include "native_device_internal.h"
#include "native_port.h"

void hdev_outputs_flash_op(hdev_outputs_t *o, uint32_t pins, bool erase, bool in_app)
{
    if (erase && in_app) {
        if (!o->app_erase) {
            o->app_erase = true;
            o->app_erase_op = o->ops;
            o->state_at_app_erase = pins;
            o->on_before_app_erase = o->ever_on;
        }
        o->app_erases++;
    }
    if (pins) {
        if (!o->ops_on) {
            o->first_on_op = o->ops;
            o->first_on_pins = pins;
        }
        o->ops_on++;
    }
    o->ops++;
}

size_t hdev_outputs_change(hdev_outputs_t *o, uint32_t pin, bool on, bool in_app, char *line,
                           size_t cap)
{
    if (on)
        o->ever_on |= 1u << pin;
    if (o->nev < HDEV_OUTPUT_EVENTS)
        o->ev[o->nev++] =
            (hdev_output_event_t){.op = o->ops, .pin = (uint8_t)pin, .on = on, .in_app = in_app};
    else
        o->nlost++;
    int n = snprintf(line, cap, "gpio%u: %s (flash ops this boot: %u, app erases: %u)\n",
                     (unsigned)pin, on ? "on" : "off", (unsigned)o->ops, (unsigned)o->app_erases);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

size_t hdev_outputs_end(hdev_outputs_t *o, uint32_t pins, char *line, size_t cap)
{
    o->state = pins;
    if (!o->ever_on)
        return 0;
    /* The boot's summary, for people and for tests that read the console of a networked
     * device (whose run ends only when it is stopped). */
    int n = snprintf(line, cap,
                     "outputs: boot end, %u flash ops while an output was on, app erases: %u\n",
                     (unsigned)o->ops_on, (unsigned)o->app_erases);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static void on_flash_op(void *user, bool erase, uint32_t addr)
{
    (void)addr;
    hdev_child_t *c = user;
    hdev_outputs_flash_op(&c->end.outputs, native_port_outputs(), erase, c->in_app);
}

static void on_output(void *user, uint32_t pin, bool on)
{
    hdev_child_t *c = user;
    if (!flashsim_powered(c->fs))
        return; /* a dead CPU drives nothing */
    char line[96];
    size_t n = hdev_outputs_change(&c->end.outputs, pin, on, c->in_app, line, sizeof line);
    hal_console_write(line, n);
}

void hdev_outputs_attach(hdev_child_t *c, native_port_config_t *pc)
{
    pc->on_output = on_output;
    pc->on_flash_op = on_flash_op;
    pc->io_user = c;
}

void hdev_outputs_finish(hdev_child_t *c)
{
    /* Power cut: every output is off (nothing drives the pins). */
    char line[128];
    size_t n = hdev_outputs_end(
        &c->end.outputs, flashsim_powered(c->fs) ? native_port_outputs() : 0, line, sizeof line);
    if (n)
        hal_console_write(line, n);
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
