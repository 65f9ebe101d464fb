/* The Updater (spec §2): receives an update, stages it in flash and, once it has been verified,
 * writes the boot command that makes the bootloader copy it (spec §3.2). Byte- and
 * code-compatible with the ESP8266 Arduino core's UpdaterClass: same error codes and messages,
 * same staging placement, same 4 KiB buffering and erase-then-write order, same flash-mode
 * patch, same signed-image format, same callbacks. Differences, all fixes of defects of the
 * original (each marked "Fix:" in updater*.c, listed in the top-level README):
 *   - MD5 and SHA-256 are computed over the staged bytes read back from flash (the original
 *     hashes its RAM buffer for MD5, so a write that silently failed was accepted), with the
 *     flash-mode byte restored to what was sent, so a patched header no longer fails a
 *     signature (the original hashes the patched flash).
 *   - require_signature: refuses every update if no usable key is configured (fail closed).
 *   - gzip images are inflated once from flash before the boot command is written: their own
 *     CRC-32 and ISIZE must match, the stream must end exactly at the staged size (where the
 *     bootloader reads ISIZE, #7570), the decompressed header must pass the magic and flash
 *     size checks, and the decompressed output must neither outgrow its destination nor
 *     overwrite compressed input the bootloader has not read yet (spec §3.4 step 4).
 *   - inflate_to_stage (a bootloader without an inflater, "safeboot-raw"): the Updater inflates
 *     a gzip upload itself and stages the decompressed image for a raw copy; writeStream()
 *     inflates as the bytes arrive and hashes them as received (updater_gzstage.c); write()
 *     stages them compressed and end() inflates them (updater_gzstage_flash.c).
 *   - begin() cancels a pending boot command whose source or destination it is about to
 *     overwrite, so a bootloader never copies a half-written stage; the boot command is
 *     written last, after every check, and read back.
 *   - a premature end() sets UPDATE_ERROR_SIZE instead of failing with "No Error" (§9.8);
 *     end(true) counts bytes still in the buffer as data (the original reports NO_DATA for
 *     an update smaller than one buffer).
 *   - onEnd fires once per abort (the original fires it twice on some error paths).
 *   - sizes beyond the chip are refused (the original's rounding wraps near 4 GiB and then
 *     writes past the filesystem); a sketch whose size cannot be read counts as the largest
 *     the layout allows (the original counts it as 0 and may stage over it).
 *   - the flash-mode byte is patched only when the running mode is known (the original would
 *     write 0xFF into the new header if flash 0 could not be read or held a bad mode).
 *   - writeStream() never reads past the declared size when the buffer already holds data.
 *   - the optional check_image mode validates the whole raw image pair (headers, checksums,
 *     file CRC) before accepting it (error 17, an otasim extension).
 * No LED handling (the HAL has no GPIO); no allocation: the buffer is inside updater_t. */
#ifndef OTASIM_UPDATER_H
#define OTASIM_UPDATER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inflate.h"
#include "layout.h"
#include "md5.h"
#include "rsa_verify.h"
#include "update_stream.h"

/* Update commands (Updater.h). U_AUTH is only used by the espota protocol. */
#define U_FLASH 0
#define U_FS 100
#define U_AUTH 200

typedef enum update_error {
    UPDATE_ERROR_OK = 0,
    UPDATE_ERROR_WRITE = 1,
    UPDATE_ERROR_ERASE = 2,
    UPDATE_ERROR_READ = 3,
    UPDATE_ERROR_SPACE = 4,
    UPDATE_ERROR_SIZE = 5,
    UPDATE_ERROR_STREAM = 6,
    UPDATE_ERROR_MD5 = 7,
    UPDATE_ERROR_FLASH_CONFIG = 8,
    UPDATE_ERROR_NEW_FLASH_CONFIG = 9,
    UPDATE_ERROR_MAGIC_BYTE = 10,
    UPDATE_ERROR_BOOTSTRAP = 11,
    UPDATE_ERROR_SIGN = 12,
    UPDATE_ERROR_NO_DATA = 13,
    UPDATE_ERROR_OOM = 14,
    UPDATE_ERROR_RUNNING_ALREADY = 15,
    UPDATE_ERROR_UNKNOWN_COMMAND = 16,
    /* otasim extension: the staged image failed a check the original does not make (gzip
     * CRC-32/ISIZE/stream length, or check_image). Message "Image verification failed". */
    UPDATE_ERROR_IMAGE = 17,
} update_error_t;

#define UPDATER_BUFFER_SIZE 4096u        /* FLASH_SECTOR_SIZE */
#define UPDATER_SMALL_BUFFER 256u        /* used when free heap <= 2 * 4096 */
#define UPDATER_STREAM_TIMEOUT_MS 60000u /* writeStream()'s default */

typedef struct updater_callbacks {
    void (*on_start)(void *user);                                   /* begin() succeeded */
    void (*on_end)(void *user);                                     /* every reset: see §2.8 */
    void (*on_error)(void *user, update_error_t error);             /* an error was set */
    void (*on_progress)(void *user, uint32_t done, uint32_t total); /* writeStream() only */
    void *user;
} updater_callbacks_t;

typedef struct updater_config {
    const flash_layout_t *layout; /* required: FS placement, flash-map mode */
    bool atomic_fs_update;        /* ATOMIC_FS_UPDATE: stage U_FS like a sketch */
    /* Signature verification (Update.installSignature / ARDUINO_SIGNING): with a key every
     * update must carry a valid signature trailer and the MD5 target is ignored. */
    const rsa_public_key_t *signing_key;
    bool require_signature; /* with no usable key, refuse every update (SIGN) */
    bool legacy_signature;  /* also accept the legacy format (raw digest, cores <= 2.5.2) */
    bool check_image;       /* U_FLASH raw images: validate the whole pair (error 17) */
    /* Scratch for inflating a gzip image once before accepting it. Required for gzip images:
     * without it they are refused with error 17. May be shared (used only inside end(), and
     * with inflate_to_stage inside writeStream()). */
    inflate_state_t *inflate_work;
    /* The bootloader cannot inflate (safe mode without the inflater, "safeboot-raw"):
     * a U_FLASH gzip upload is inflated by the Updater and staged decompressed (needs
     * inflate_work): writeStream() as it arrives, write() at end(); a gzip U_FS image is
     * refused with error 17 (the bootloader would copy it compressed). */
    bool inflate_to_stage;
    /* The device runs the safe bootloader (image_find_boot_desc() says "safeboot"): end() also
     * records the pending update in the flash journal (journal.h), before the RTC command. */
    bool safe_journal;
    updater_callbacks_t callbacks;
} updater_config_t;

typedef enum updater_detail {
    UPDATER_DETAIL_NONE = 0,
    UPDATER_DETAIL_GZIP_NO_WORK_AREA, /* gzip image but cfg.inflate_work is NULL */
    UPDATER_DETAIL_GZIP_CORRUPT,      /* inflate error (data, header or truncated) */
    UPDATER_DETAIL_GZIP_CHECKSUM,     /* CRC-32 or ISIZE mismatch */
    UPDATER_DETAIL_GZIP_TRAILING,     /* bytes after the gzip member (ISIZE misplaced) */
    UPDATER_DETAIL_GZIP_TOO_BIG,      /* decompressed image does not fit its destination */
    UPDATER_DETAIL_GZIP_OVERLAP,      /* decompressing would overwrite unread input */
    UPDATER_DETAIL_IMAGE_INVALID,     /* check_image: see image_status */
    UPDATER_DETAIL_NO_KEY,            /* require_signature without a key */
    UPDATER_DETAIL_SIG_TRAILER,       /* signature length field wrong (see sig_len_read) */
    UPDATER_DETAIL_SIG_INVALID,       /* RSA verification failed */
    UPDATER_DETAIL_PREMATURE_END,     /* end() before the declared size arrived */
    UPDATER_DETAIL_BOOT_CMD,          /* the boot command could not be written/read back */
    UPDATER_DETAIL_GZIP_NO_INFLATER,  /* inflate_to_stage: a gzip U_FS image, which the
                                         bootloader cannot inflate */
} updater_detail_t;

/* The caller owns this (it is about 4.3 KiB); no globals, no allocation. */
typedef struct updater {
    updater_config_t cfg;
    uint32_t size; /* 0: not running */
    uint32_t start_address;
    uint32_t current_address;
    uint32_t buffer_len;
    uint32_t buffer_size;
    int command;
    update_error_t error;
    updater_detail_t detail; /* why the last error was set, where one code has many causes */
    int image_status;        /* image_status_t of a failed check_image */
    bool async;
    bool has_target_md5;
    char target_md5[33];
    bool md5_valid; /* md5 holds the MD5 of the last staged image (unsigned mode) */
    uint8_t md5[MD5_DIGEST_LEN];
    bool mode_patched; /* byte 2 of the stage was rewritten; mode_original is what was sent */
    uint8_t mode_original;
    uint32_t sig_len_read; /* the signature length field read at the last signed end() */
    /* inflate_to_stage: a gzip upload being inflated into the stage by writeStream(). The
     * stage then holds decompressed bytes, so the hashes cover the bytes as received. */
    struct updater_gzstage {
        bool active;     /* writeStream() took the upload this way; end() checks it */
        bool streamed;   /* writeStream() has returned: every check below is final */
        bool too_big;    /* the output outgrew the free space (stopped there) */
        uint8_t head[2]; /* the first two upload bytes (gzip: 1F 8B) */
        int32_t inflate_rc;
        uint32_t received; /* upload bytes read from the stream */
        uint32_t in_cap;   /* of them the gzip member may take (the rest: signature trailer) */
        uint32_t trailer_len;
        uint32_t total_in;  /* member bytes the inflater consumed */
        uint32_t out_len;   /* decompressed bytes staged */
        uint32_t room;      /* free space from the stage start to the filesystem */
        uint8_t sha256[32]; /* signed: SHA-256 of the received payload */
    } gz;
    _Alignas(4) uint8_t buffer[UPDATER_BUFFER_SIZE];
} updater_t;

/* Set up an idle updater. The config is copied; the layout, key and inflate work area it
 * points to must outlive the updater. */
void updater_init(updater_t *u, const updater_config_t *cfg);

/* Update.begin(size, command): checks (spec §2.3, in order), staging placement, onStart. */
bool updater_begin(updater_t *u, uint32_t size, int command);

/* Update.setMD5(): false (and ignored) unless exactly 32 characters. */
bool updater_set_md5(updater_t *u, const char *expected_hex);

/* Update.write(buf, len): buffers, flushes full 4 KiB sectors (erase, then write). Returns
 * the bytes accepted; 0 on error or when not running; writes past the declared size are
 * refused with UPDATE_ERROR_SPACE (#4674). */
uint32_t updater_write(updater_t *u, const uint8_t *data, uint32_t len);

/* Update.write(T&): takes what the stream has available now, up to the declared size. */
uint32_t updater_write_available(updater_t *u, const update_stream_t *s);

/* Update.writeStream(stream, timeout): checks the first byte (0xE9 or 0x1F for U_FLASH), then
 * reads until the declared size arrived; UPDATE_ERROR_STREAM after `timeout_ms` without data.
 * Calls onProgress. Returns the bytes read. */
uint32_t updater_write_stream(updater_t *u, const update_stream_t *s, uint32_t timeout_ms);

/* Update.end(even_if_remaining): verify (signature, or MD5 if set), check the staged image,
 * write the boot command (U_FLASH, or U_FS with atomic_fs_update). No reboot. */
bool updater_end(updater_t *u, bool even_if_remaining);

/* Update.runAsync(): suppress hal_yield() calls. */
void updater_run_async(updater_t *u, bool async);

/* State, as the original's helpers. progress counts bytes flushed to flash. */
update_error_t updater_get_error(const updater_t *u);
bool updater_has_error(const updater_t *u);
void updater_clear_error(updater_t *u);
bool updater_is_running(const updater_t *u);
bool updater_is_finished(const updater_t *u);
uint32_t updater_size(const updater_t *u);
uint32_t updater_progress(const updater_t *u);
uint32_t updater_remaining(const updater_t *u);
uint32_t updater_start_address(const updater_t *u);

/* md5String(): the MD5 of the staged image after a successful unsigned end(), as 32 lowercase
 * hex digits and a NUL; false if there is none. */
bool updater_md5_string(const updater_t *u, char out[33]);

/* The fixed text of an error code (the table of spec §2.2); for 7, 8 and 9 only the part before
 * the values. Codes the original does not know give "UNKNOWN". */
const char *update_error_text(update_error_t error);

/* getErrorString(): the message of the current error, values included for 7, 8 and 9.
 * Returns the full length (like snprintf); the text is truncated to fit `cap`. */
size_t updater_error_string(const updater_t *u, char *buf, size_t cap);

/* printError(): "ERROR[<n>]: <message>\n". Same return convention. */
size_t updater_format_error(const updater_t *u, char *buf, size_t cap);

/* printError() to the console (hal_console_write). */
void updater_print_error(const updater_t *u);

#endif
