/* Shared by the parent (native_device.c) and the child side of a boot (native_apps.c: the boot
 * port and the built-in apps). Internal to the native device. */
#ifndef OTASIM_NATIVE_DEVICE_INTERNAL_H
#define OTASIM_NATIVE_DEVICE_INTERNAL_H

#include <setjmp.h>
#include <stdio.h>

#include "native_device.h"
#include "valve_app.h"

/* How a boot ended, as the child reports it. */
typedef enum {
    CHILD_IDLE = 0,     /* the app has nothing (more) to do */
    CHILD_RESTART = 1,  /* hal_restart() (software reset / watchdog): RTC kept */
    CHILD_RETURNED = 2, /* boot_main() returned (no app could start): eboot resets the chip */
    CHILD_HANG = 3,     /* the virtual watchdog fired (native_port.h) */
} child_how_t;

typedef struct child_end {
    int32_t how;
    int32_t boot_result;
    uint8_t app, job_taken, job_ok, pad;
    char app_name[24];
    uint32_t app_version;
    int32_t job_error;
    char job_msg[200];
    uint32_t console_len;
    uint64_t hang_virtual_us; /* CHILD_HANG */
    hdev_outputs_t outputs;   /* this boot's (boot numbers 0) */
} child_end_t;

/* The child's context: set up by the parent right before fork(). */
typedef struct hdev_child {
    flashsim_t *fs;
    FILE *out;
    const hdev_config_t *cfg;
    const hdev_job_t *job; /* offered to the app of this boot (NULL: none) */
    bool safe;             /* sector 0 holds the safe bootloader */
    uint32_t journal_lo, journal_hi;
    bool in_app;
    uint32_t op0; /* the chip's op count when the boot started */
    /* The operation being reported (pieces arrive page by page). */
    bool pending;
    uint32_t pending_op;
    uint8_t pending_kind, pending_in_app;
    uint32_t pending_addr, pending_len;
    uint8_t *buf;
    size_t buf_cap;
    uint8_t rtc_last[FLASHSIM_RTC_SIZE];
    char *console;
    size_t console_len, console_cap;
    child_end_t end;
    jmp_buf *resident; /* a resident boot (hdev_set_resident): where its end jumps to */
    /* The app's hooks for the port's transports (the valve app's update-attempt hook: an
     * espota invitation or a web upload that fails authentication); zero: none. */
    valve_hooks_t app_hooks;
} hdev_child_t;

extern hdev_child_t *hdev_current_child;

/* Report the end of the boot and leave the child process. */
_Noreturn void hdev_child_finish(child_how_t how);

/* The built-in apps (native_apps.c). Returns false if `name` is not one. Does not return
 * when the app exists. */
bool hdev_app_run(const char *name, uint32_t version);

/* Outputs (native_outputs.c): hooks the boot's port config to the child's records; at the end
 * of a boot the parent merges them into the run's (hdev_outputs_merge, native_device.h). */
struct native_port_config;
void hdev_outputs_attach(hdev_child_t *c, struct native_port_config *pc);
void hdev_outputs_finish(hdev_child_t *c);

/* The networked app's loop (native_net.c): returns true when the app should restart. */
struct updater;
bool hdev_net_serve(hdev_child_t *c, struct updater *up, const flash_layout_t *layout);

#endif
