/* Scenarios: the parsed form of a .scn file (grammar in scenarios/README.md). A scenario is a
 * list of steps; each step is one line (or one ';'-separated statement) of the file and
 * remembers where it came from, so the engine can name file:line in its messages too. */
#ifndef OTASIM_SCENARIO_H
#define OTASIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "outcome.h"

#define SCN_NAME_LEN 24
#define SCN_MAX_FLIPS 8
#define SCN_TEXT_LEN 160

typedef enum {
    SCN_DEVICE,
    SCN_FLASH,
    SCN_BOOT,
    SCN_UPDATE,
    SCN_RESET,
    SCN_CUT,
    SCN_EXPECT,
    SCN_CORRUPT,
    SCN_NET, /* a networked update (scenarios/README.md "Network updates") */
} scn_verb_t;

typedef enum { SCN_BOOT_EBOOT = 0, SCN_BOOT_SAFE = 1 } scn_boot_mode_t;

/* Which bootloader image a flash or update step puts in sector 0. */
typedef enum {
    SCN_BL_DEVICE = 0, /* the device's mode (device boot=...) */
    SCN_BL_EBOOT,
    SCN_BL_SAFE,
    SCN_BL_SAFE_REV2,     /* the safe bootloader, a different build (sector 0 changes) */
    SCN_BL_SAFE_RAW,      /* the safe bootloader without the inflater ("safeboot-raw") */
    SCN_BL_SAFE_RAW_REV2, /* the same, a different build (sector 0 changes) */
} scn_bootloader_t;

/* An image reference: app@version[:size] (an app image), or fs@version[:size] (a filesystem
 * image). size 0 = the build's image (apps) or the default size (fs). */
typedef struct scn_image_ref {
    char name[SCN_NAME_LEN];
    uint32_t version;
    uint32_t size;
} scn_image_ref_t;

typedef struct scn_device {
    char layout[16];
    scn_boot_mode_t boot;
    bool safe_raw; /* boot=safe-raw: boot is SCN_BOOT_SAFE, the build without the inflater */
    uint64_t seed;
    bool signing;   /* the app requires signed updates (ARDUINO_SIGNING with the test key) */
    bool atomic_fs; /* the app is built with ATOMIC_FS_UPDATE */
} scn_device_t;

typedef struct scn_flash {
    scn_image_ref_t app;
    scn_bootloader_t bootloader;
    bool has_fs;
    scn_image_ref_t fs;
    bool reset; /* false: "reset=no", the chip stays strapped for UART download (#3915) */
} scn_flash_t;

typedef enum { SCN_MD5_NONE = 0, SCN_MD5_RIGHT, SCN_MD5_WRONG } scn_md5_t;

typedef enum {
    SCN_SIG_KEEP = 0, /* as signed (or unsigned when not signed) */
    SCN_SIG_FLIP,     /* one bit of the signature inverted */
    SCN_SIG_ZERO,     /* signature bytes all zero */
    SCN_SIG_TRAILER,  /* the length field says 255 instead of the real length */
    SCN_SIG_LEGACY,   /* signed in the legacy format (raw digest, cores <= 2.5.2) */
    SCN_SIG_STRIP,    /* signature and length removed (an unsigned image, #8707) */
} scn_sig_t;

typedef struct scn_flip {
    uint32_t offset;
    uint8_t bit;
} scn_flip_t;

typedef struct scn_update {
    bool fs; /* update fs (U_FS) rather than update sketch (U_FLASH) */
    scn_image_ref_t image;
    scn_bootloader_t bootloader;
    bool gzip, sign;
    int flash_mode; /* -1: as built; else header byte 2 of the pair sent (0 QIO .. 3 DOUT) */
    scn_md5_t md5;
    scn_sig_t sig;
    size_t nflips;
    scn_flip_t flips[SCN_MAX_FLIPS];
    bool has_truncate;
    uint32_t truncate; /* send only the first N bytes (declared size follows unless size=) */
    bool has_size;
    uint32_t size; /* declared size (Update.begin) */
    bool has_magic;
    uint8_t magic;  /* first byte of the file replaced */
    bool no_reboot; /* reboot=no: after end() the app does not restart (rebootOnUpdate=false) */
} scn_update_t;

/* net espota|web|http sketch|fs image=... : the update file (built as for `update`, in
 * `update`) goes over the simulated network (lwIP + libslirp) through one transport; the
 * scenario is the uploader (espota, web) or starts the update server (http). */
typedef enum { SCN_NET_ESPOTA = 0, SCN_NET_WEB, SCN_NET_HTTP } scn_transport_t;

/* http: what the update server answers. */
typedef enum {
    SCN_REPLY_DB = 0, /* otasim serve's decision logic: the image is newer -> 200 */
    SCN_REPLY_304,    /* the database names the running version: 304 */
    SCN_REPLY_403,    /* a fixed 403 */
    SCN_REPLY_404,    /* the device is not in the database: 404 */
    SCN_REPLY_500,    /* a fixed 500 */
} scn_reply_t;

/* http: HTTPS and what the device is given to trust (tools/make_tls_certs.sh's set). */
typedef enum {
    SCN_TLS_OFF = 0,    /* plain HTTP */
    SCN_TLS_GOOD,       /* the server's certificate is by the CA the device trusts */
    SCN_TLS_WRONG_CA,   /* the device trusts another CA */
    SCN_TLS_FORGED,     /* issuer named as the trusted CA, signed by another key */
    SCN_TLS_WRONG_NAME, /* by the trusted CA, for another host name */
    SCN_TLS_PIN,        /* the device pins the server's public key */
    SCN_TLS_WRONG_PIN,  /* the device pins an unrelated key */
} scn_tls_t;

typedef struct scn_net {
    scn_transport_t transport;
    scn_update_t update;         /* the file sent (fs, image, variants) */
    char password[SCN_NAME_LEN]; /* the device's (espota, web); "" none */
    bool has_auth;               /* auth=: what the uploader sends (else the password) */
    char auth[SCN_NAME_LEN];
    char fault[SCN_TEXT_LEN];  /* netfault.h spec; drop=/stall= may be N% of the file */
    scn_reply_t reply;         /* http */
    bool no_length, wrong_md5; /* http: body without Content-Length, x-MD5 of others */
    bool second_invite;        /* espota: a second uploader starts during the upload */
    scn_tls_t tls;             /* http: tls= */
} scn_net_t;

/* corrupt stage flip=...: bits of the staged update flip in flash (bit rot, a disturbed
 * write) after end() and before the bootloader copies it; offsets from the stage start. */
typedef struct scn_corrupt {
    size_t nflips;
    scn_flip_t flips[SCN_MAX_FLIPS];
} scn_corrupt_t;

typedef enum { SCN_RESET_WARM, SCN_RESET_POWER } scn_reset_kind_t;

typedef enum {
    SCN_PHASE_STAGING = 1u << 0, /* the app's Updater writing the stage */
    SCN_PHASE_COMMAND = 1u << 1, /* RTC boot command writes (Updater end(), bootloader clear) */
    SCN_PHASE_REBOOT = 1u << 2,  /* after the app's last write, before it restarts */
    SCN_PHASE_COPY = 1u << 3,    /* the bootloader's writes outside the journal area */
    SCN_PHASE_JOURNAL = 1u << 4, /* writes to the journal area (Updater or bootloader) */
} scn_phase_t;
#define SCN_PHASE_ALL 0x1Fu

typedef enum {
    SCN_MODE_BEFORE = 1u << 0,
    SCN_MODE_AFTER = 1u << 1,
    SCN_MODE_TORN = 1u << 2,
    SCN_MODE_WEAK = 1u << 3, /* torn, and a torn erase leaves weak bits */
} scn_cut_mode_t;

typedef enum { SCN_RTC_ZERO = 1u << 0, SCN_RTC_GARBAGE = 1u << 1 } scn_rtc_t;

typedef struct scn_cut {
    unsigned phases; /* scn_phase_t bits */
    bool each;       /* at=each: every point; else [from, to] */
    uint32_t from, to;
    uint32_t stride; /* take every stride-th point (1 = all) */
    unsigned modes;  /* scn_cut_mode_t bits */
    scn_reset_kind_t reset;
    unsigned rtc;     /* scn_rtc_t bits (power cuts) */
    uint32_t doubles; /* sampled double cuts (a second cut during the recovery boot) */
} scn_cut_t;

typedef enum {
    SCN_EXP_BOOTS,      /* an app boots */
    SCN_EXP_APP,        /* that app is name@version */
    SCN_EXP_OUTCOME,    /* the outcome of the last update is in a set */
    SCN_EXP_FS,         /* filesystem all old / all new */
    SCN_EXP_UNCHANGED,  /* regions kept their content since the flash step */
    SCN_EXP_ERASES,     /* erases per sector since the flash step <= N */
    SCN_EXP_CONSOLE,    /* console contains / lacks a text */
    SCN_EXP_ERROR,      /* the Updater's error code of the last update */
    SCN_EXP_FLASH_MODE, /* header byte 2 at flash 0 */
    SCN_EXP_SWEEP,      /* the sweep's count of branches with an outcome (>=, <=, =) */
    SCN_EXP_VALVE,      /* the valve app's output: valve=open|closed, valve closed-before-erase */
    /* Of the last net step: */
    SCN_EXP_UPLOAD, /* the uploader's (or client's) result: ok / failed */
    SCN_EXP_SECOND, /* the second uploader's result (invite=twice) */
    SCN_EXP_REPLY,  /* what the uploader was told contains / lacks a text */
    SCN_EXP_WRITES, /* flash programs + erases by the app <= N */
    SCN_EXP_IDLE,   /* the transport ended by itself and the device was back in its loop */
} scn_expect_kind_t;

/* Regions (bits) for unchanged= and erases region=. */
typedef enum {
    SCN_REG_EEPROM = 1u << 0,
    SCN_REG_RFCAL = 1u << 1,
    SCN_REG_WIFI = 1u << 2,
    SCN_REG_BOOT = 1u << 3,    /* sector 0 */
    SCN_REG_FS = 1u << 4,      /* [fs_start, fs_end) */
    SCN_REG_JOURNAL = 1u << 5, /* the safe bootloader's journal area */
    SCN_REG_ALL = 1u << 6,     /* the whole chip */
} scn_region_t;

typedef struct scn_expect {
    scn_expect_kind_t kind;
    scn_image_ref_t app;     /* APP */
    outcome_set_t outcomes;  /* OUTCOME */
    bool fs_new;             /* FS: all-new (else all-old) */
    unsigned regions;        /* UNCHANGED, ERASES */
    uint32_t max_erases;     /* ERASES */
    bool lacks;              /* CONSOLE: must not contain */
    char text[SCN_TEXT_LEN]; /* CONSOLE */
    int error;               /* ERROR: 0 = none */
    uint8_t flash_mode;      /* FLASH_MODE */
    uint8_t sweep_outcome;   /* SWEEP: an outcome_t */
    char sweep_cmp;          /* SWEEP: '>' (>=), '<' (<=) or '=' */
    uint32_t sweep_count;    /* SWEEP */
    bool upload_ok;          /* UPLOAD, SECOND */
    bool second;             /* REPLY: the second uploader's (second-reply) */
    uint32_t max_writes;     /* WRITES */
    uint8_t valve;           /* VALVE: an scn_valve_t */
} scn_expect_t;

/* expect valve ...: the garden-valve app's output (firmware/apps/valve). */
typedef enum {
    SCN_VALVE_CLOSED = 0,       /* closed when the last run ended */
    SCN_VALVE_OPEN = 1,         /* open when the last run ended */
    SCN_VALVE_BEFORE_ERASE = 2, /* the last update: open before, closed at its first erase,
                                   no flash operation while open */
} scn_valve_t;

typedef struct scn_step {
    scn_verb_t verb;
    unsigned line, col;
    union {
        scn_device_t device;
        scn_flash_t flash;
        unsigned max_boots; /* BOOT: 0 = default */
        scn_update_t update;
        scn_reset_kind_t reset;
        scn_cut_t cut;
        scn_expect_t expect;
        scn_corrupt_t corrupt;
        scn_net_t net;
    } u;
} scn_step_t;

typedef struct scenario {
    char path[512];
    char title[SCN_TEXT_LEN]; /* the first header comment line (without "# ") */
    scn_step_t *steps;
    size_t nsteps;
    /* Derived by the parser's checks: */
    long cut_step;   /* index of the cut step, -1 without */
    long cut_update; /* index of the update step the cut belongs to, -1 without */
} scenario_t;

/* Parse a scenario text. `path` names it in messages. On error: NULL, and err holds
 * "path:line:column: expected ..., got ..." (one line, no trailing newline). */
scenario_t *scenario_parse(const char *text, size_t len, const char *path, char *err,
                           size_t errlen);
/* Read and parse a file. */
scenario_t *scenario_load(const char *path, char *err, size_t errlen);
void scenario_free(scenario_t *s);
/* Parse the arguments of a cut line ("phase=copy mode=torn", the command line's --cut). `what`
 * names the text in messages ("--cut"). */
bool scenario_parse_cut(const char *text, const char *what, scn_cut_t *out, char *err,
                        size_t errlen);

const char *scn_verb_name(scn_verb_t v);
const char *scn_phase_name(scn_phase_t p);
const char *scn_mode_name(scn_cut_mode_t m);

#endif
