/* The QEMU target as a native-device backend (native_device.h hdev_backend_t): every boot of
 * an hdev_t runs under qemu-system-xtensa from the chip's state (the ROM step loads the
 * bootloader image at flash 0), its writes recorded through hdev_backend_note(), so the
 * harness's engine, sweeps and workers run unchanged on this target. */
#ifndef OTASIM_EMU_QEMU_DEVICE_H
#define OTASIM_EMU_QEMU_DEVICE_H

#include "native_device.h"
#include "qemu_runner.h"

/* The -icount shift of every boot on the QEMU target (2^3 ns of virtual time per instruction:
 * CCOUNT advances 0.32 per instruction). */
#define QEMU_DEVICE_ICOUNT_SHIFT 3

typedef struct qemu_device {
    hdev_backend_t backend; /* pass &backend as hdev_config_t.backend */
    const char *qemu;       /* qemu-system-xtensa */
    /* per boot wall-clock backstop (0 = 60 s): an app hang ends by its instruction budget
     * first (firmware/ports/qemu/app_start_qemu.c); a bootloader hang only by this */
    unsigned timeout_ms;
    /* The repeat of a read-only boot (qemu_device.c): the last boot, when it only read and
     * restarted; `repeats` counts boots answered from it, `runs` the QEMU processes. */
    bool no_repeat; /* $OTASIM_QEMU_NO_REPEAT: every boot is a QEMU process */
    bool memo_ok;
    flashsim_t *memo_fs;
    uint32_t memo_mode;
    uint64_t memo_rom; /* hash of sector 0, which the ROM step loads */
    qemu_req_log_t log, memo_log;
    unsigned long runs, repeats;
} qemu_device_t;

void qemu_device_init(qemu_device_t *q, const char *qemu);

/* The qemu-system-xtensa to use: $OTASIM_QEMU_BIN, else qemu-system-xtensa on PATH; NULL
 * when there is none (install Debian's qemu-system-misc). */
const char *qemu_device_find(void);

#endif
