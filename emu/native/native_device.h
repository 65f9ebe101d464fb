/* The native device: a simulated ESP8266 (flashsim chip + RTC memory) that boots the real
 * bootloader (firmware/boot, host build) and the app its descriptor names. The harness's engine
 * drives it; anything else that needs a native device can too:
 *   - every boot runs in a fresh fork()ed child (DESIGN.md: no C state survives a reset); the
 *     child reports every flash operation (address, data) and RTC change in order through a
 *     pipe, and the parent applies them to its own chip, so the parent's chip, op counter,
 *     wear and RTC evolve exactly as the child's did (flashsim is deterministic per seed and
 *     history, and the fault plan armed on the parent is inherited by the child);
 *   - the native "ROM": sector 0 must hold an image with a valid checksum and a bootloader
 *     descriptor ("eboot"/"safeboot") naming the mode, else the device is a brick;
 *   - the boot port checks the app image (headers, checksum, descriptor) and runs the app the
 *     descriptor names from a registry of host-built apps (native_apps.c: "basic", any
 *     version, the minimal stream-update app of issue 4 §2);
 *   - while recording, the parent snapshots (copy on write) before applying each record, so
 *     a sweep can rebuild the state at any cut point without replaying the prefix. */
#ifndef OTASIM_NATIVE_DEVICE_H
#define OTASIM_NATIVE_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flashsim.h"
#include "layout.h"

typedef struct hdev hdev_t;
typedef struct hdev_backend hdev_backend_t;

/* A networked device (emu/native/native_net.c): the app's loop runs the network transports
 * on lwIP + libslirp (netsim.h) in each boot's process, until an update succeeds (restart)
 * or stop_fd becomes readable (the boot ends idle). Such boots have no wall-clock backstop
 * and no virtual watchdog (they wait for people). */
typedef struct hdev_net {
    uint16_t web_port; /* 127.0.0.1:web_port -> the web update server (device :80); 0: off */
    uint16_t ota_port; /* 127.0.0.1:ota_port (UDP) -> espota (device :8266); 0: off */
    /* 127.0.0.1:mdns_port (UDP) -> the mDNS responder (device :5353; legacy unicast queries:
     * slirp carries no multicast, so the device never sends to the group here); 0: off. */
    uint16_t mdns_port;
    const char *user;                  /* web update server Basic/Digest auth (NULL: "admin") */
    const char *password;              /* web and espota password; NULL/"": none */
    int stop_fd;                       /* readable (or EOF): stop; -1: never */
    int console_fd;                    /* the console also goes here as it is written; -1: not */
    uint8_t mac[6];                    /* all zero: 02:00:00:00:00:01 */
    const struct netfault_cfg *faults; /* netfault.h; NULL: a clean link */
    const char *update_url; /* the HTTP update client asks it at every boot (NULL: off) */
    /* https update URLs (tls_bearssl.h): the PEM file of the CA certificate(s) the device
     * trusts, or of the pinned public key (one of them; read at every boot, as if built in),
     * and the record buffer sizes (0: BearSSL's 16709 + 16469 bytes). */
    const char *update_ca, *update_pin;
    const char *update_fingerprint; /* or a certificate's SHA-1/SHA-256 hex (setFingerprint) */
    uint32_t tls_rx_buf, tls_tx_buf;
    bool update_fs; /* the HTTP update client asks for the filesystem (mode spiffs) */
    /* Keep the virtual watchdog (hang_virtual_ms) on: a scenario's short networked run, where
     * an app that hangs must end as a hang (a person's `otasim device` runs for hours). */
    bool virtual_watchdog;
} hdev_net_t;

typedef struct hdev_config {
    flash_layout_t layout; /* the app's layout (the board menu); safe apps derive theirs */
    uint64_t seed;
    /* The app's build options. */
    bool signing;                   /* ARDUINO_SIGNING: updates must be signed with this key */
    const char *signing_pubkey_pem; /* PEM text (copied) */
    bool atomic_fs;                 /* ATOMIC_FS_UPDATE */
    unsigned max_boots;             /* per hdev_run(); 0 = 8 */
    /* Hangs. A boot whose virtual time (native_port.h: delays, the flash chip's operation
     * times, 1 us per other HAL call) reaches hang_virtual_ms is a hang (0 = 600 s: a 1 MiB copy
     * at the chip's maximum erase times fits); wall_limit_s is only the backstop for a loop
     * that makes no HAL call (0 = 20 s). */
    uint32_t hang_virtual_ms;
    unsigned wall_limit_s;
    const hdev_net_t *net; /* NULL: no network; else not copied, must outlive the device */
    /* Another target runs each boot (emu/qemu/qemu_device.h); NULL: the native fork()ed boot.
     * The ROM check, restarts, straps, records and results stay this file's. */
    const hdev_backend_t *backend;
} hdev_config_t;

/* An update the app receives through the Updater's stream interface (its first boot in a
 * run takes it). */
typedef struct hdev_job {
    const uint8_t *data;
    size_t len;        /* bytes that arrive on the stream */
    uint32_t declared; /* the size given to Update.begin() */
    int command;       /* U_FLASH or U_FS */
    bool has_md5;
    char md5[33];
    bool no_restart; /* after a successful end() the app stays idle (rebootOnUpdate=false) */
} hdev_job_t;

typedef enum {
    HDEV_END_IDLE = 0,   /* an app runs and has nothing (more) to do */
    HDEV_END_POWER_CUT,  /* the armed plan cut power: the device is unpowered */
    HDEV_END_HANG,       /* no progress: UART download mode after a restart, the virtual
                            watchdog, or the wall-clock backstop (hang_kind says which) */
    HDEV_END_BRICK,      /* the ROM found no valid bootloader image in sector 0 */
    HDEV_END_CRASH,      /* the boot's process died (a signal) */
    HDEV_END_BOOT_LIMIT, /* max_boots boots without an app running (boot loop) */
} hdev_end_t;

const char *hdev_end_name(hdev_end_t e);

/* Where a record comes from (the cut phases of the scenario language). */
typedef enum {
    HDEV_PH_STAGING = 0, /* the app's flash writes outside the journal area */
    HDEV_PH_COMMAND,     /* RTC memory changes (boot command write / clear) */
    HDEV_PH_COPY,        /* the bootloader's flash writes outside the journal area */
    HDEV_PH_JOURNAL,     /* flash writes to the journal area (either side) */
} hdev_phase_t;

typedef enum {
    HDEV_REC_PROGRAM = 0,
    HDEV_REC_ERASE_SECTOR,
    HDEV_REC_ERASE_BLOCK,
    HDEV_REC_RTC, /* the whole RTC memory after a change (FLASHSIM_RTC_SIZE bytes) */
} hdev_rec_kind_t;

typedef struct hdev_rec {
    hdev_rec_kind_t kind;
    hdev_phase_t phase;
    bool in_app;   /* written while the app ran (else the bootloader) */
    unsigned boot; /* boot number inside its hdev_run(), from 0 */
    uint32_t addr, len;
    uint8_t *data;               /* PROGRAM: len bytes; RTC: FLASHSIM_RTC_SIZE bytes */
    flashsim_snapshot_t *before; /* recording: the state just before this record */
} hdev_rec_t;

/* One boot's end, recorded. */
typedef struct hdev_boot_rec {
    size_t first_rec, nrecs;     /* its records */
    bool app;                    /* an app ran */
    bool restarted;              /* it ended in a restart (software reset) */
    flashsim_snapshot_t *at_end; /* the state after its last record (before the reset) */
    size_t console_end;          /* console length (of the run) at its end */
} hdev_boot_rec_t;

typedef struct hdev_recording {
    hdev_rec_t *recs;
    size_t nrecs, cap;
    hdev_boot_rec_t *boots;
    size_t nboots, bcap;
} hdev_recording_t;

void hdev_recording_free(hdev_recording_t *r);

/* The app's outputs (hal_output_set(): a valve, a relay) placed in the flash operation sequence
 * (native_outputs.c). Every output is off at each boot's start (a reset), and at a power cut.
 * "op" counts the boot's flash program/erase HAL calls before the event. */
#define HDEV_OUTPUT_EVENTS 32
typedef struct hdev_output_event {
    uint32_t boot; /* in the run, from 0 */
    uint32_t op;
    uint8_t pin, on, in_app, pad;
} hdev_output_event_t;

typedef struct hdev_outputs {
    hdev_output_event_t ev[HDEV_OUTPUT_EVENTS]; /* the first changes */
    uint32_t nev, nlost;                        /* kept, and not kept (more than the array) */
    uint32_t state;                             /* levels (bit per pin) at the end */
    uint32_t ops;                               /* flash program/erase calls */
    uint32_t app_erases;                        /* erases made while an app ran */
    /* The first erase made by an app (the start of an update's staging): its boot and op,
     * the levels then, and the pins that were on at some time in that boot before it. */
    bool app_erase;
    uint32_t app_erase_boot, app_erase_op, state_at_app_erase, on_before_app_erase;
    /* Flash program/erase calls made while some output was on (an actuator running during a
     * flash operation), and the first one. */
    uint32_t ops_on, first_on_boot, first_on_op, first_on_pins;
    uint32_t ever_on; /* pins on at some time */
} hdev_outputs_t;

/* The recorder of a boot's outputs (native_outputs.c), target-neutral: each device calls it
 * (the native port's hooks; the QEMU runner as it serves the bridge). `pins` is the levels
 * now (bit per pin), `in_app` whether an app (not the bootloader) runs. */
/* Before a flash program (erase false) or sector erase HAL call. */
void hdev_outputs_flash_op(hdev_outputs_t *o, uint32_t pins, bool erase, bool in_app);
/* A pin (< HAL_OUTPUT_PINS) changed to `on`: recorded; its console line goes to `line`
 * ("gpio5: off (flash ops this boot: 0, app erases: 0)"), returns its length (0: none). */
size_t hdev_outputs_change(hdev_outputs_t *o, uint32_t pin, bool on, bool in_app, char *line,
                           size_t cap);
/* The boot's end: its levels (0 after a power cut); the summary line when an output was ever
 * on ("outputs: boot end, ..."), returns its length (0: none). */
size_t hdev_outputs_end(hdev_outputs_t *o, uint32_t pins, char *line, size_t cap);
/* A boot's record (boot numbers 0) into the run's, as boot `boot_no` of the run. */
void hdev_outputs_merge(hdev_outputs_t *run, const hdev_outputs_t *boot, unsigned boot_no);

typedef struct hdev_result {
    hdev_end_t end;
    unsigned boots;
    bool app_running; /* an app was started in the last boot */
    char app_name[24];
    uint32_t app_version;
    /* The job, if an app took it. */
    bool job_taken;
    bool job_ok;              /* end() succeeded (the app then restarted) */
    int job_error;            /* updater error code (0 = none) */
    char job_msg[200];        /* "ERROR[n]: ..." line, or "" */
    const char *hang_kind;    /* HDEV_END_HANG: "download-mode", "virtual-time", "wall-clock" or
                                 (QEMU) "instruction-budget" */
    uint64_t hang_virtual_us; /* "virtual-time": the boot's virtual time when it was stopped */
    char *console;            /* malloc'd, every boot of the run, NUL-terminated */
    size_t console_len;
    hdev_outputs_t outputs; /* the run's (every target: its backend records them too) */
} hdev_result_t;

void hdev_result_free(hdev_result_t *r);

hdev_t *hdev_new(const hdev_config_t *cfg);
void hdev_free(hdev_t *d);
flashsim_t *hdev_flash(hdev_t *d);
const hdev_config_t *hdev_config(const hdev_t *d);

/* The device's network from the next hdev_run() on (NULL: none; not copied, must outlive its
 * runs): a scenario's net step networks one run of a device that otherwise boots offline. */
void hdev_set_net(hdev_t *d, const hdev_net_t *net);

/* Strap pins: after a serial flash without reset the chip stays in UART download boot mode
 * (hal_boot_mode() == 1): the app runs once, and a software restart leaves the chip waiting
 * in the ROM's download mode (a hang) until a reset or power cycle (#3915). */
void hdev_set_uart_strap(hdev_t *d, bool uart);

/* Resident boots, process-wide: hdev_run() without a recording runs each boot in this process
 * (no fork), with the program's globals reset to what they were before the boot, so each boot
 * still starts from the state a fresh fork would see. A crash or wall-clock hang of the
 * firmware then ends this process: turn it on only in a worker process whose caller reruns
 * what the worker left unfinished with it off (harness/workers.c). Off by default. */
void hdev_set_resident(bool on);
bool hdev_resident(void);
/* Test only (the negative control of the globals reset): resident boots leave the globals
 * as the boot left them. */
void hdev_resident_keep_globals_for_test(bool keep);
bool hdev_uart_strap(const hdev_t *d);
/* A reset pin / power cycle: the straps are latched again (flash boot). Call after
 * flashsim_warm_reset()/flashsim_power_loss() when the reset re-latches them. */
void hdev_external_reset(hdev_t *d);

/* A board's flash file as `otasim romloader` leaves it: the raw image into the chip and, when
 * FILE.straps exists, its strap state ("boot_mode=1" with "reset=no": flashed over serial and
 * not reset, so the first boot is in UART boot mode, #3915; anything else: latched for flash
 * boot). Returns 0, or -1 with a message in err. */
int hdev_load_flash_file(hdev_t *d, const char *path, char *err, size_t errlen);

/* Boot from the current state until the app is idle or the run ends otherwise. `job` may be
 * NULL. With `rec`, every record is appended to it (with snapshots). */
void hdev_run(hdev_t *d, const hdev_job_t *job, hdev_recording_t *rec, hdev_result_t *out);

/* Debugging (otasim replay --gdb): after hdev_debug_next_run(), the next hdev_run() calls
 * hdev_gdb_fork() right before it forks its first boot (a place for `set follow-fork-mode
 * child`), and that boot has no wall-clock limit. Every boot's child calls hdev_gdb_op(n, addr)
 * before its n-th flash operation (n from 0 at the boot's start). Both do nothing: they are
 * places for breakpoints. */
void hdev_debug_next_run(hdev_t *d);
void hdev_gdb_fork(void);
void hdev_gdb_op(uint32_t boot_op, uint32_t addr);

/* Apply one record to the chip as the parent does during a run (used by sweeps to replay the
 * op at a cut point under a plan). Returns the flashsim status of the operation. */
flashsim_status_t hdev_apply(hdev_t *d, const hdev_rec_t *r);

/* A boot on another target: what it reports back (the native child's end message). */
typedef struct hdev_boot_out {
    int how; /* 0 idle, 1 restart, 2 ended otherwise (crash), 3 hang (wall clock) */
    bool app;
    char app_name[24];
    uint32_t app_version;
    bool job_taken, job_ok;
    int job_error;
    char job_msg[200];
    const char *console; /* this boot's */
    size_t console_len;
    const char *hang_kind;  /* how == 3: the kind (NULL: "wall-clock"), e.g. "instruction-budget" */
    hdev_outputs_t outputs; /* this boot's (boot numbers 0; hdev_outputs_* recorded them) */
} hdev_boot_out_t;

struct hdev_backend {
    void *ctx;
    /* One boot from the chip's state (hdev_flash(d)); every program/erase/RTC change goes
     * through hdev_backend_note() before it is applied to the chip. `boot_mode` is the straps. */
    void (*boot)(void *ctx, hdev_t *d, const hdev_job_t *job, uint32_t boot_mode,
                 hdev_boot_out_t *out);
};

/* For a backend, before it applies a write to the chip: records it (with a snapshot) when the
 * run records. kind HDEV_REC_RTC: data = the whole RTC memory after the change; consecutive
 * RTC changes without a flash operation between them are one record, as on the native target. */
void hdev_backend_note(hdev_t *d, hdev_rec_kind_t kind, bool in_app, uint32_t addr, uint32_t len,
                       const uint8_t *data);

#endif
