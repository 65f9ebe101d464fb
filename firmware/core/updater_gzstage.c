/* inflate_to_stage: the bootloader in sector 0 cannot inflate (the ESP8266's safe bootloader,
 * "safeboot-raw"), so writeStream() inflates a U_FLASH gzip upload as it arrives and stages
 * the decompressed image; the bootloader then makes a raw copy it verifies itself.
 *
 *   - The stage starts at the first sector after the running sketch (the decompressed size is
 *     known only at the end, so it cannot be end-aligned below the filesystem as usual) and
 *     may grow up to the filesystem: the output is checked against that room as it grows
 *     (UPDATE_ERROR_SPACE, as for a write past the declared size).
 *   - MD5 (setMD5) and the signature's SHA-256 cover the bytes as received, i.e. the uploaded
 *     file as in the original, since the compressed bytes never reach flash. Trade-off: the
 *     "read back from flash" fix of updater_verify.c cannot apply to them; the staged,
 *     decompressed bytes are instead read back from flash by the image check (header,
 *     checksums and the elf2bin file CRC, which the safe bootloader checks again).
 *   - The gzip member's CRC-32 and ISIZE are checked by the inflater; the member must end
 *     exactly where the payload does (no trailing bytes).
 *   - No flash-mode patch (the original never patches gzip images); the safe bootloader
 *     accepts the file CRC with any mode byte.
 * write() and write(T&) push their bytes while the inflater pulls its input, so their gzip
 * uploads are staged compressed and inflated in end() (updater_gzstage_flash.c).
 * The whole upload is read before any verdict, and end() checks in the original's order
 * (signature or MD5, then the image), so the error codes match a gzip-capable device's. */
#include <string.h>

#include "esp_info.h"
#include "hal.h"
#include "image.h"
#include "signed_image.h"
#include "updater_internal.h"

/* The inflater's callbacks' context: the stream and the running hashes. */
typedef struct gzstage_io {
    updater_t *u;
    const update_stream_t *s;
    uint32_t timeout_ms;
    uint32_t last_data;
    bool timed_out;
    hal_status_t erase, write; /* the first flash failure */
    md5_ctx_t md5;
    sha256_ctx_t sha;
} gzstage_io_t;

/* Up to `cap` upload bytes, waiting as writeStream() does; false on the stall timeout. The
 * first in_cap bytes are hashed (SHA-256 when signing); all of them go into the MD5; the
 * trailer (signature and its length) is kept in u->buffer for end(). */
static bool take(gzstage_io_t *io, uint8_t *buf, uint32_t cap, uint32_t *got_out)
{
    updater_t *u = io->u;
    uint32_t got;
    for (;;) {
        got = update_stream_read_bytes(io->s, buf, cap);
        if (got > 0) {
            break;
        }
        if (hal_millis() - io->last_data >= io->timeout_ms) {
            io->timed_out = true;
            return false;
        }
        hal_delay_ms(100);
    }
    io->last_data = hal_millis();
    uint32_t pos = u->gz.received;
    for (uint32_t i = 0; pos + i < sizeof(u->gz.head) && i < got; i++) {
        u->gz.head[pos + i] = buf[i];
    }
    md5_update(&io->md5, buf, got);
    if (pos < u->gz.in_cap) {
        uint32_t n = u->gz.in_cap - pos < got ? u->gz.in_cap - pos : got;
        sha256_update(&io->sha, buf, n);
    }
    for (uint32_t i = 0; i < got; i++) {
        if (pos + i >= u->gz.in_cap) {
            u->buffer[pos + i - u->gz.in_cap] = buf[i];
        }
    }
    u->gz.received += got;
    if (u->cfg.callbacks.on_progress != NULL) {
        u->cfg.callbacks.on_progress(u->cfg.callbacks.user, u->gz.received, u->size);
    }
    if (!u->async) {
        hal_yield();
    }
    *got_out = got;
    return true;
}

bool updater_gzstage_put(updater_t *u, const uint8_t *data, uint32_t len, hal_status_t *erase,
                         hal_status_t *write)
{
    uint32_t at = u->current_address;
    *erase = hal_flash_erase_sector(at / HAL_FLASH_SECTOR_SIZE);
    if (*erase != HAL_OK) {
        return false;
    }
    /* Whole words, the tail padded with 0xFF (erased flash), as write_buffer() does. */
    uint32_t words = (len + 3u) & ~3u;
    memcpy(u->buffer, data, len);
    memset(u->buffer + len, 0xFF, words - len);
    *write = hal_flash_write(at, u->buffer, words);
    if (*write != HAL_OK) {
        return false;
    }
    u->current_address = at + len;
    u->gz.out_len += len;
    return true;
}

static int32_t gz_read(void *ctx, uint8_t *buf, uint32_t cap)
{
    gzstage_io_t *io = ctx;
    updater_t *u = io->u;
    uint32_t left = u->gz.in_cap - u->gz.received;
    if (u->gz.received >= u->gz.in_cap) {
        return 0; /* the payload ends here: the member must too */
    }
    uint32_t got = 0;
    if (!take(io, buf, cap < left ? cap : left, &got)) {
        return -1;
    }
    return (int32_t)got;
}

/* One output chunk (4 KiB at a sector boundary, the last one shorter): erase, write. */
static int gz_write(void *ctx, const uint8_t *data, uint32_t len)
{
    gzstage_io_t *io = ctx;
    updater_t *u = io->u;
    uint32_t at = u->current_address;
    if ((uint64_t)at + len > (uint64_t)u->start_address + u->gz.room) {
        u->gz.too_big = true;
        return 1;
    }
    if (!u->async) {
        hal_yield();
    }
    return updater_gzstage_put(u, data, len, &io->erase, &io->write) ? 0 : 1;
}

uint32_t updater_gzstage_stream(updater_t *u, const update_stream_t *s, uint32_t timeout_ms)
{
    if (u->cfg.inflate_work == NULL) {
        updater_fail(u, UPDATE_ERROR_IMAGE, UPDATER_DETAIL_GZIP_NO_WORK_AREA);
        return 0;
    }
    /* Re-place the stage: from the first free sector up to the filesystem. */
    uint32_t low = layout_roundup_sector(updater_sketch_size(u));
    if (low < LAYOUT_APP_START) {
        low = LAYOUT_APP_START;
    }
    uint32_t top = u->cfg.layout->fs_start;
    if (low > u->start_address || top <= low) {
        updater_fail(u, UPDATE_ERROR_SPACE, UPDATER_DETAIL_NONE); /* begin() made sure of it */
        return 0;
    }
    if (!updater_cancel_conflicting_cmd(low, top - low)) {
        updater_fail(u, UPDATE_ERROR_WRITE, UPDATER_DETAIL_BOOT_CMD);
        return 0;
    }
    memset(&u->gz, 0, sizeof(u->gz));
    u->gz.active = true;
    u->gz.room = top - low;
    u->start_address = low;
    u->current_address = low;
    u->buffer_len = 0;
    /* Signed: the member is the payload; the signature and its length follow. */
    u->gz.in_cap = u->size;
    if (u->cfg.signing_key != NULL) {
        uint32_t t = (uint32_t)u->cfg.signing_key->n_len + SIG_TRAILER_LEN_FIELD;
        u->gz.trailer_len = t < u->size ? t : u->size;
        u->gz.in_cap = u->size - u->gz.trailer_len;
    }

    gzstage_io_t io;
    memset(&io, 0, sizeof(io));
    io.u = u;
    io.s = s;
    io.timeout_ms = timeout_ms;
    io.last_data = hal_millis();
    md5_init(&io.md5);
    sha256_init(&io.sha);
    if (u->cfg.callbacks.on_progress != NULL) {
        u->cfg.callbacks.on_progress(u->cfg.callbacks.user, 0, u->size);
    }
    inflate_state_t *st = u->cfg.inflate_work;
    u->gz.inflate_rc = inflate_run(st, INFLATE_FORMAT_GZIP, gz_read, gz_write, &io);
    u->gz.total_in = inflate_total_in(st);
    /* Whatever the inflater left (a bad member, trailing bytes, the signature trailer) is
     * read too: end() judges the whole upload, as for any other image. */
    /* Scratch in the upper half of the buffer: the trailer (at most 516 bytes) fills the
     * lower half. */
    uint8_t *drain = u->buffer + UPDATER_BUFFER_SIZE / 2u;
    const uint32_t drain_cap = 256;
    _Static_assert(RSA_MAX_MODULUS_BYTES + SIG_TRAILER_LEN_FIELD <= UPDATER_BUFFER_SIZE / 2u,
                   "the trailer and the drain scratch do not overlap");
    while (!io.timed_out && io.erase == HAL_OK && io.write == HAL_OK && u->gz.received < u->size) {
        uint32_t want = u->size - u->gz.received;
        uint32_t got;
        if (!take(&io, drain, want < drain_cap ? want : drain_cap, &got)) {
            break;
        }
    }
    uint32_t received = u->gz.received;
    if (io.timed_out) {
        updater_fail(u, UPDATE_ERROR_STREAM, UPDATER_DETAIL_NONE);
        return received;
    }
    if (io.erase != HAL_OK) {
        updater_fail(u, UPDATE_ERROR_ERASE, UPDATER_DETAIL_NONE);
        return received;
    }
    if (io.write != HAL_OK) {
        updater_fail(u, UPDATE_ERROR_WRITE, UPDATER_DETAIL_NONE);
        return received;
    }
    md5_final(&io.md5, u->md5);
    sha256_final(&io.sha, u->gz.sha256);
    u->gz.streamed = true;
    return received;
}

/* end() step 5 on the received bytes: the signature or the MD5. */
static bool gzstage_payload(updater_t *u)
{
    const rsa_public_key_t *key = u->cfg.signing_key;
    if (key != NULL) {
        uint32_t field = 0;
        const uint8_t *t = u->buffer;
        if (u->gz.trailer_len >= SIG_TRAILER_LEN_FIELD) {
            const uint8_t *f = t + u->gz.trailer_len - SIG_TRAILER_LEN_FIELD;
            field = f[0] | (uint32_t)f[1] << 8 | (uint32_t)f[2] << 16 | (uint32_t)f[3] << 24;
        }
        sig_trailer_t tr;
        u->sig_len_read = field;
        if (sig_trailer_parse(u->size, field, (uint32_t)key->n_len, &tr) != SIG_TRAILER_OK) {
            updater_fail(u, UPDATE_ERROR_SIGN, UPDATER_DETAIL_SIG_TRAILER);
            return false;
        }
        rsa_status_t rc = rsa_verify_sha256(key, t, tr.sig_len, u->gz.sha256, true);
        if (rc != RSA_OK && u->cfg.legacy_signature) {
            rc = rsa_verify_sha256(key, t, tr.sig_len, u->gz.sha256, false);
        }
        if (rc != RSA_OK) {
            updater_fail(u, UPDATE_ERROR_SIGN, UPDATER_DETAIL_SIG_INVALID);
            return false;
        }
        return true;
    }
    u->md5_valid = true;
    if (u->has_target_md5 && !updater_md5_matches(u->target_md5, u->md5)) {
        updater_fail(u, UPDATE_ERROR_MD5, UPDATER_DETAIL_NONE);
        return false;
    }
    return true;
}

/* The decompressed pair at start_address (gz.out_len bytes), read back from flash. */
bool updater_gzstage_pair_ok(updater_t *u)
{
    uint8_t hdr[4];
    if (u->gz.out_len < sizeof(hdr) ||
        flash_read_any(u->start_address, hdr, sizeof(hdr)) != HAL_OK) {
        return updater_fail_false(
            u, u->gz.out_len < sizeof(hdr) ? UPDATE_ERROR_MAGIC_BYTE : UPDATE_ERROR_READ,
            UPDATER_DETAIL_NONE);
    }
    if (hdr[0] != IMAGE_MAGIC) {
        return updater_fail_false(u, UPDATE_ERROR_MAGIC_BYTE, UPDATER_DETAIL_NONE);
    }
    if (!u->cfg.layout->flash_map &&
        image_flash_size_from_code(hdr[3] >> 4) > esp_flash_chip_real_size()) {
        return updater_fail_false(u, UPDATE_ERROR_NEW_FLASH_CONFIG, UPDATER_DETAIL_NONE);
    }
    /* The pair, its checksums and the file CRC, read back from flash: the safe bootloader
     * refuses a stage without the CRC words, so refuse it here, before any boot command. */
    reader_t r = flash_reader();
    image_pair_info_t pair;
    image_status_t st =
        image_parse_pair(&r, u->start_address, u->gz.out_len, IMAGE_PARSE_CHECKSUM, &pair);
    if (st == IMAGE_OK && !pair.has_crc) {
        st = IMAGE_ERR_CRC;
    }
    if (st != IMAGE_OK) {
        u->image_status = (int)st;
        return updater_fail_false(u, UPDATE_ERROR_IMAGE, UPDATER_DETAIL_IMAGE_INVALID);
    }
    return true;
}

/* end() step 6: the gzip member, then the decompressed image as staged in flash. */
static bool gzstage_image(updater_t *u)
{
    /* Not gzip after all (only the first byte was looked at): what _verifyEnd() says. */
    if (u->gz.head[0] != IMAGE_GZIP_MAGIC0 || u->gz.head[1] != IMAGE_GZIP_MAGIC1) {
        return updater_fail_false(u, UPDATE_ERROR_MAGIC_BYTE, UPDATER_DETAIL_NONE);
    }
    if (u->gz.too_big) {
        return updater_fail_false(u, UPDATE_ERROR_SPACE, UPDATER_DETAIL_GZIP_TOO_BIG);
    }
    if (u->gz.inflate_rc == INFLATE_ERR_CHECKSUM) {
        return updater_fail_false(u, UPDATE_ERROR_IMAGE, UPDATER_DETAIL_GZIP_CHECKSUM);
    }
    if (u->gz.inflate_rc != INFLATE_DONE) {
        return updater_fail_false(u, UPDATE_ERROR_IMAGE, UPDATER_DETAIL_GZIP_CORRUPT);
    }
    if (u->gz.total_in != u->gz.in_cap) {
        return updater_fail_false(u, UPDATE_ERROR_IMAGE, UPDATER_DETAIL_GZIP_TRAILING);
    }
    return updater_gzstage_pair_ok(u);
}

bool updater_gzstage_end(updater_t *u, bool even_if_remaining)
{
    (void)even_if_remaining; /* the stream function has read the declared size, or failed */
    if (!u->gz.streamed || u->gz.received != u->size) {
        updater_fail(u, UPDATE_ERROR_SIZE, UPDATER_DETAIL_PREMATURE_END);
        return false;
    }
    if (!gzstage_payload(u) || !gzstage_image(u)) {
        return false;
    }
    /* The boot command copies the decompressed image from the stage to 0. */
    u->size = u->gz.out_len;
    u->gz.active = false;
    if (!updater_write_boot_command(u)) {
        return false;
    }
    updater_reset(u, true);
    return true;
}
