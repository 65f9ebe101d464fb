/* The flash/RTC bridge between firmware under qemu-system-xtensa and the host runner
 * (emu/qemu/). Channel: Xtensa semihosting. QEMU 7.2's xtensa semihosting implements open,
 * read, write and close on host files, so the firmware opens two FIFOs the runner created in
 * QEMU's working directory ("otasim.req", firmware -> host; "otasim.rsp", host -> firmware) and
 * speaks a request/response protocol over them. Why semihosting and not the lx60 board's UART:
 * it needs no device model, works on `-M sim` (whose memory map holds the ESP8266's IRAM/DRAM
 * windows), and every call is a synchronous host round trip, so the host serves each flash
 * operation before the CPU runs one more instruction (a power cut at op N stops the CPU exactly
 * there).
 *
 * Wire format, little-endian words (encoded byte by byte on the host):
 *   request:  op, arg0, arg1, then arg1 bytes of payload for FLASH_WRITE and RTC_WRITE
 *   response: status (hal_status_t), value, then arg1 bytes for FLASH_READ and RTC_READ
 *             when status is HAL_OK
 * The two guest file descriptors (QEMU 7.2 hands out 3 and then 11, so they are not assumed)
 * are kept at QEMU_BRIDGE_FDS, the last bytes of the sim machine's sysram0, which no ESP8266
 * image loads into: the bootloader's DRAM is overwritten by the app segments it loads, and the
 * app keeps using the same two files. */
#ifndef OTASIM_QEMU_BRIDGE_PROTO_H
#define OTASIM_QEMU_BRIDGE_PROTO_H

#include <stdint.h>

#define QEMU_BRIDGE_REQ_PATH "otasim.req"
#define QEMU_BRIDGE_RSP_PATH "otasim.rsp"
#define QEMU_BRIDGE_FDS 0x67FFFF00u /* uint32_t [2]: request fd, response fd */

enum {
    QB_FLASH_READ = 1,   /* arg0 addr, arg1 len */
    QB_FLASH_WRITE = 2,  /* arg0 addr, arg1 len, payload */
    QB_FLASH_ERASE = 3,  /* arg0 sector */
    QB_FLASH_INFO = 4,   /* value = JEDEC id; arg0 = 1: value = real size */
    QB_RTC_READ = 5,     /* arg0 offset, arg1 len */
    QB_RTC_WRITE = 6,    /* arg0 offset, arg1 len, payload */
    QB_MILLIS = 7,       /* value = virtual milliseconds */
    QB_DELAY = 8,        /* arg0 ms */
    QB_BOOT_MODE = 9,    /* value = boot-mode straps */
    QB_STREAM_READ = 10, /* arg1 max len; value = bytes that follow (0 = end of stream) */
    QB_PING = 11,        /* round-trip measurement: value = arg0 */
    QB_OFFER = 12,  /* arg1 = QB_OFFER_SIZE: status 0, value 1 and a qb_offer_t; status 1 = none */
    QB_REPORT = 13, /* arg0 ok, arg1 len, payload: int32 error, then the message text */
    QB_APP_START = 14, /* arg0 app image address, arg1 entry: status 0 = jump (the host
                          checked the image as the native boot port does), else refuse */
    QB_BUILD = 15,     /* arg1 = QB_BUILD_SIZE: status 0 and a qb_build_t; 1 = defaults */
    QB_CCOUNT = 16,    /* arg0 = CCOUNT, sent by the bootloader right before QB_APP_START:
                          under -icount the runner turns it into instructions executed */
    QB_OUTPUT = 17,    /* arg0 pin (< HAL_OUTPUT_PINS), arg1 level (0/1): an output changed
                          (hal_output_set); the runner records it in the flash-op sequence */
};

/* Exit codes of a QEMU run (semihosting exit): what ended the boot. */
enum {
    QB_EXIT_RESTART_SOFT = 0x50,
    QB_EXIT_RESTART_WDT = 0x51,
    QB_EXIT_IDLE = 0x52,        /* the app has nothing (more) to do */
    QB_EXIT_HANG = 0x53,        /* the app's instruction budget ran out (wdt_qemu.S) */
    QB_EXIT_EXCEPTION = 0x54,   /* a CPU exception in the app (a crash) */
    QB_EXIT_BRIDGE_FAIL = 0x5E, /* the bridge files could not be opened */
    QB_EXIT_POWER = 0x5F,       /* the host answered HAL_ERR_POWER: power is gone */
};

/* QB_OFFER's payload (little-endian words): what the native device's hdev_job_t says. */
#define QB_OFFER_HAS_MD5 1u
#define QB_OFFER_NO_RESTART 2u
typedef struct qb_offer {
    uint32_t declared; /* the size given to Update.begin() */
    uint32_t command;  /* U_FLASH or U_FS */
    uint32_t flags;    /* QB_OFFER_* */
    char md5[36];      /* NUL-terminated hex */
} qb_offer_t;
#define QB_OFFER_SIZE 48u

/* QB_BUILD's payload: the app's build options, which on the native target are the device
 * configuration (hdev_config_t) and on a board are compiled in. One QEMU app image serves
 * every scenario: the runner says which board-menu layout, signing key and ATOMIC_FS_UPDATE
 * the scenario's app was "built" with (firmware/ports/qemu/basic_qemu.c). */
#define QB_BUILD_SIGNING 1u   /* require signed updates with pem[] (fail closed when unusable) */
#define QB_BUILD_ATOMIC_FS 2u /* ATOMIC_FS_UPDATE */
typedef struct qb_build {
    uint32_t flags;  /* QB_BUILD_* */
    char layout[16]; /* a layout name (layout_by_name); "" = the FLASH_MAP auto row */
    char pem[1004];  /* the public key, PEM, NUL-terminated */
} qb_build_t;
#define QB_BUILD_SIZE 1024u
_Static_assert(sizeof(qb_build_t) == QB_BUILD_SIZE, "QB_BUILD's payload size");

#endif
