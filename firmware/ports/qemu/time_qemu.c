/* Virtual time of an app under QEMU, without a bridge round trip per call.
 *
 * The runner's clock is the flash timing model's time plus the sum of the app's delays
 * (emu/qemu/qemu_runner.c, QB_MILLIS/QB_DELAY), so between two other bridge calls it moves
 * only by the delays. hal_delay_ms adds to `pending_ms`; hal_millis answers `known_ms +
 * pending_ms` — what the runner would answer. The pending delay goes to the runner before any
 * other bridge call (qemu_time_sync, called by qemu_bridge_call; the runner may end the boot
 * there at its virtual hang limit) and whenever DELAY_FLUSH_MS have gathered, and every other
 * call forgets `known_ms` (a flash operation advances the model's time).
 *
 * Why: Stream::readBytes waits 1 ms at a time; a truncated upload's 60 s stall timeout made
 * three round trips per virtual millisecond (60,000 of each, ~8 s of wall time per scenario).
 * Apps only: the bootloader keeps no state in .bss while it loads the app over it. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bridge_proto.h"
#include "hal.h"
#include "qemu_bridge.h"

#define DELAY_FLUSH_MS 100u

static uint32_t known_ms, pending_ms;
static bool have_ms;

static void send_pending(void)
{
    if (!pending_ms)
        return;
    uint32_t ms = pending_ms;
    pending_ms = 0; /* before the call: its qemu_time_sync finds nothing pending */
    known_ms += ms;
    qemu_bridge_call(QB_DELAY, ms, 0, NULL, NULL, NULL);
}

void qemu_time_sync(uint32_t op)
{
    send_pending();
    if (op != QB_MILLIS && op != QB_DELAY) /* neither moves the model's flash time */
        have_ms = false;
}

uint32_t hal_millis(void)
{
    if (!have_ms) {
        uint32_t v = 0;
        qemu_bridge_call(QB_MILLIS, 0, 0, NULL, NULL, &v); /* sends the pending delay first */
        known_ms = v;
        have_ms = true;
    }
    return known_ms + pending_ms;
}

void hal_delay_ms(uint32_t ms)
{
    pending_ms += ms;
    if (pending_ms >= DELAY_FLUSH_MS)
        send_pending();
}
