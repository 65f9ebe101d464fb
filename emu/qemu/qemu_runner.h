/* emu/qemu: runs one boot of lx106 firmware under qemu-system-xtensa (-M sim -cpu lx106) and
 * serves its flash/RTC bridge (firmware/ports/qemu/bridge_proto.h) from a flashsim device, so
 * fault plans, traces, wear and timing are the same objects as on the native target. A power
 * cut (flashsim reports FLASHSIM_ERR_POWER for a bridged operation) kills QEMU while the CPU
 * waits in that operation's simcall. */
#ifndef OTASIM_EMU_QEMU_RUNNER_H
#define OTASIM_EMU_QEMU_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flashsim.h"
#include "native_device.h" /* hdev_outputs_t: the same record as the native device's */

typedef struct {
    const char *qemu; /* qemu-system-xtensa binary */
    /* lx106 ELF loaded by QEMU's generic loader (PC = its entry). NULL: play the mask ROM,
     * i.e. load the segments of the bootloader image at flash offset 0 (qemu_rom.h) and start
     * at its entry, so the bootloader that boots is the one in the flashsim device. */
    const char *elf;
    flashsim_t *fs;        /* the device's flash and RTC memory */
    uint32_t boot_mode;    /* hal_boot_mode() straps; 0 = 3 (normal flash boot) */
    const uint8_t *stream; /* update bytes served to QB_STREAM_READ (may be NULL) */
    size_t stream_len;
    /* The update offered to the app (QB_OFFER; the native device's hdev_job_t fields). */
    bool offer;
    uint32_t offer_declared;
    int offer_command;     /* U_FLASH (0) or U_FS */
    const char *offer_md5; /* 32 hex or NULL */
    bool offer_no_restart;
    /* The app's build options (QB_BUILD): none when build_layout is NULL (the app then uses
     * the FLASH_MAP auto row, no signing, no ATOMIC_FS_UPDATE). */
    const char *build_layout;     /* layout name */
    bool build_signing;           /* with build_pubkey_pem (PEM text) */
    const char *build_pubkey_pem; /* NULL/too long: signing fails closed in the app */
    bool build_atomic_fs;
    unsigned timeout_ms; /* wall-clock hang limit; 0 = 10 s */
    /* Called before each flash program/erase and RTC change is applied to fs (may be NULL):
     * kind 0 program (data, len), 1 sector erase (addr = its address), 3 RTC (data = the
     * whole RTC memory after the change; not called when it changes nothing); in_app: the
     * app had started (QB_APP_START). */
    void (*on_write)(void *ctx, int kind, bool in_app, uint32_t addr, uint32_t len,
                     const uint8_t *data);
    void *on_write_ctx;
    struct qemu_req_log *log; /* if not NULL: every request served is appended (below) */
    /* -icount shift=N (icount = N + 1; 0 = off): each instruction is 2^N ns of virtual time,
     * so CCOUNT (40 MHz on QEMU's lx106) counts instructions: insns = CCOUNT * 25 / 2^N. */
    unsigned icount;
    /* Virtual-time hang limit (0 = none): when the app's virtual milliseconds (QB_MILLIS: the
     * chip's time plus every QB_DELAY) reach it, QEMU is killed and the boot is a hang, as the
     * native device's virtual watchdog does for an app that polls forever. */
    unsigned hang_virtual_ms;
} qemu_run_cfg_t;

/* The requests of one boot, for qemu_device.c's repeat of a boot that only read (a brick
 * looping in its bootloader): each answer's status, value and a hash of its payload. `pure`
 * stays true while every request is one whose answer depends only on the flash and RTC
 * contents, the straps and the chip (reads, info, boot mode, app start, ping, a read longer
 * than any chip: op 0x100, refused). */
typedef struct qemu_req {
    uint32_t op, a0, a1, status, value;
    uint64_t hash;      /* FNV-1a of the payload returned (0 bytes: the offset basis) */
    size_t console_len; /* console captured when it was answered */
} qemu_req_t;

typedef struct qemu_req_log {
    qemu_req_t *reqs;
    size_t n, cap;
    bool pure;
} qemu_req_log_t;

uint64_t qemu_hash(const void *data, size_t len);

/* QB_APP_START's check (the native boot port's): valid headers and app checksum, a
 * descriptor, the entry the bootloader read. Reads flash with flashsim_peek (no side
 * effects); name/version from the descriptor when it passes. */
bool qemu_app_check(flashsim_t *fs, uint32_t image_addr, uint32_t entry, char *name,
                    size_t name_len, uint32_t *version);

typedef struct {
    int exit_code;      /* QEMU's exit status (semihosting exit code), -1 when killed */
    bool rom_refused;   /* ROM mode: no valid image at flash offset 0 (QEMU was not started) */
    uint32_t rom_entry; /* ROM mode: the entry the CPU started at */
    bool power_cut;     /* a bridged operation hit a power cut: QEMU was killed there */
    bool timed_out;     /* hang: the wall-clock limit passed */
    bool virtual_hang;  /* hang: cfg.hang_virtual_ms of virtual time passed (virtual_ms) */
    uint64_t virtual_ms;
    bool bridge_error;    /* a malformed request or a broken FIFO: QEMU was killed */
    int term_signal;      /* QEMU ended by this signal (0 = it exited) */
    uint32_t requests;    /* bridge requests served */
    bool has_boot_ccount; /* QB_CCOUNT: the bootloader's CCOUNT when it started the app */
    uint32_t boot_ccount;
    size_t stream_pos; /* stream bytes delivered */
    bool app_started;  /* QB_APP_START accepted: an app runs (name/version from its descriptor) */
    char app_name[24];
    uint32_t app_version;
    bool job_taken, job_ok; /* QB_OFFER answered with the offer; QB_REPORT's outcome */
    int job_error;
    char job_msg[200];
    /* The app's outputs (QB_OUTPUT), recorded by the native device's recorder
     * (hdev_outputs_*): each change with its place among this boot's flash program/erase
     * requests, and the levels at the end (0 after a power cut); `pins` is the levels now. */
    hdev_outputs_t outputs;
    uint32_t pins;
    double wall_ms;     /* fork to exit */
    char console[8192]; /* what the firmware printed (NUL-terminated, truncated) */
    size_t console_len;
} qemu_run_result_t;

/* One boot. Returns 0 when QEMU ran (whatever its outcome), -1 when it could not be started
 * (message in res->console). */
int qemu_run(const qemu_run_cfg_t *cfg, qemu_run_result_t *res);

/* A device under QEMU: boots from the flashsim state until the app is idle or max_boots boots
 * ran; each restart exit (QB_EXIT_RESTART_*) is a software reset (flashsim_warm_reset: RTC
 * memory kept) and a fresh QEMU started by the ROM step from flash. The offer is made until an
 * app takes it. `res` is the last boot's; boots counts them all; console holds every boot's, and
 * outputs every boot's events (numbered by boot, from 0) with the last boot's levels. */
int qemu_run_device(const qemu_run_cfg_t *cfg, unsigned max_boots, qemu_run_result_t *res,
                    unsigned *boots);

#endif
