/* Shared between updater.c (the state machine), updater_verify.c (the checks end() makes on
 * the staged image) and updater_error.c (messages). Not part of the API. */
#ifndef OTASIM_UPDATER_INTERNAL_H
#define OTASIM_UPDATER_INTERNAL_H

#include "reader.h"
#include "updater.h"

/* _setError(): store the code, call onError, abort the update (reset with onEnd). */
void updater_fail(updater_t *u, update_error_t error, updater_detail_t detail);

/* updater_fail(), then false (for checks that return their verdict). */
static inline bool updater_fail_false(updater_t *u, update_error_t error, updater_detail_t detail)
{
    updater_fail(u, error, detail);
    return false;
}

/* _reset(): forget the update in progress; onEnd if `callback`. */
void updater_reset(updater_t *u, bool callback);

/* A reader over flash that shows the stage as it was sent: the flash-mode byte the Updater
 * patched reads back as its original value. `ctx` is the updater. */
bool updater_stage_read(void *ctx, uint32_t offset, void *dst, uint32_t len);

/* end() step 5: signature (with a key) or MD5; step 6: _verifyEnd() plus the gzip and image
 * checks. Each returns false after setting the error. */
bool updater_verify_payload(updater_t *u);
bool updater_verify_end(updater_t *u);

/* begin()'s helpers: cancel a boot command whose source or destination overlaps
 * [start, start + len) (false if RTC memory fails); getSketchSize() or, unreadable, the
 * largest sketch the layout allows. */
bool updater_cancel_conflicting_cmd(uint32_t start, uint32_t len);
uint32_t updater_sketch_size(const updater_t *u);

/* end() step 7: the journal record (safe mode) and the RTC command, read back. */
bool updater_write_boot_command(updater_t *u);

/* strcasecmp() of a 32-character hex target against a digest. */
bool updater_md5_matches(const char *target, const uint8_t digest[MD5_DIGEST_LEN]);

/* inflate_to_stage (updater_gzstage.c): writeStream() of a U_FLASH gzip upload, which inflates
 * it into the stage as it arrives, and the end() that checks it. */
uint32_t updater_gzstage_stream(updater_t *u, const update_stream_t *s, uint32_t timeout_ms);
bool updater_gzstage_end(updater_t *u, bool even_if_remaining);
/* The decompressed pair at start_address (gz.out_len bytes), read back from flash: magic,
 * flash size, checksums and the file CRC (required: the safe bootloader needs it). */
bool updater_gzstage_pair_ok(updater_t *u);

/* end() of a gzip upload that reached flash compressed (write(), write(T&)): inflate it from
 * its stage into a raw stage below it, then check that as updater_gzstage_end() does. */
bool updater_gzstage_from_flash(updater_t *u);
/* One inflated output chunk into the raw stage at current_address (4 KiB at a sector boundary,
 * the last one shorter): erase its sector, write it in whole words padded with 0xFF, advance.
 * False when the erase or the write fails (their statuses in *erase / *write). */
bool updater_gzstage_put(updater_t *u, const uint8_t *data, uint32_t len, hal_status_t *erase,
                         hal_status_t *write);

#endif
