/* The firmware side of the QEMU bridge (bridge_proto.h), for the port's own files. */
#ifndef OTASIM_QEMU_BRIDGE_H
#define OTASIM_QEMU_BRIDGE_H

#include <stdint.h>

/* Opens the two bridge files (fds kept at QEMU_BRIDGE_FDS); exits QEMU when it cannot. */
void qemu_bridge_open(void);
/* One request: sends op/arg0/arg1 (+ arg1 bytes from `out`), returns the status; the value
 * goes to *value, and on HAL_OK the payload (arg1 bytes, or `value` bytes for a stream read)
 * to `in`. Ends QEMU on a broken bridge or when the host reports the power gone. */
/* The apps' watchdog (app_start_qemu.c): CCOUNT ticks without a bridge call before the timer
 * interrupt ends the run as a hang. Every bridge call feeds it (moves CCOMPARE0 on), as
 * yield() feeds the ESP8266's. Under the QEMU target's -icount shift=3 (0.32 CCOUNT per
 * instruction) 16 M ticks are a budget of 50 M instructions without I/O: the longest stretch
 * of real work, an RSA-2048 verify, is 15.5 M (BENCHMARKS.md). In the bootloader (interrupts
 * never enabled) the feed is harmless. */
#define QEMU_WDT_TICKS 16000000u
uint32_t qemu_bridge_call(uint32_t op, uint32_t arg0, uint32_t arg1, const void *out, void *in,
                          uint32_t *value);

#endif
