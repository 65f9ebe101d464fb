/* The firmware side of the QEMU bridge (bridge_proto.h), for the port's own files. */
#ifndef OTASIM_QEMU_BRIDGE_H
#define OTASIM_QEMU_BRIDGE_H

#include <stdint.h>

/* Opens the two bridge files (fds kept at QEMU_BRIDGE_FDS); exits QEMU when it cannot. */
void qemu_bridge_open(void);
/* One request: sends op/arg0/arg1 (+ arg1 bytes from `out`), returns the status; the value
 * goes to *value, and on HAL_OK the payload (arg1 bytes, or `value` bytes for a stream read)
 * to `in`. Ends QEMU on a broken bridge or when the host reports the power gone. */
uint32_t qemu_bridge_call(uint32_t op, uint32_t arg0, uint32_t arg1, const void *out, void *in,
                          uint32_t *value);

#endif
