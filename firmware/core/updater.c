/* The Updater's state machine: begin, write, writeStream, end (spec §2.3, §2.4, §2.6). */
#include "updater.h"

#include <string.h>

#include "boot_cmd.h"
#include "journal.h"
#include "esp_info.h"
#include "hal.h"
#include "image.h"
#include "updater_internal.h"

void updater_init(updater_t *u, const updater_config_t *cfg)
{
    memset(u, 0, sizeof(*u));
    u->cfg = *cfg;
    u->command = U_FLASH;
}

void updater_reset(updater_t *u, bool callback)
{
    u->buffer_len = 0;
    u->start_address = 0;
    u->current_address = 0;
    u->size = 0;
    u->command = U_FLASH;
    memset(&u->gz, 0, sizeof(u->gz));
    if (callback && u->cfg.callbacks.on_end != NULL) {
        u->cfg.callbacks.on_end(u->cfg.callbacks.user);
    }
}

void updater_fail(updater_t *u, update_error_t error, updater_detail_t detail)
{
    u->error = error;
    u->detail = detail;
    if (u->cfg.callbacks.on_error != NULL) {
        u->cfg.callbacks.on_error(u->cfg.callbacks.user, error);
    }
    updater_reset(u, true);
}

static void progress(updater_t *u)
{
    if (u->cfg.callbacks.on_progress != NULL) {
        u->cfg.callbacks.on_progress(u->cfg.callbacks.user, updater_progress(u), u->size);
    }
}

static bool ranges_overlap(uint32_t a, uint32_t a_len, uint32_t b, uint32_t b_len)
{
    return a_len > 0 && b_len > 0 && a < b + b_len && b < a + a_len;
}

/* Fix: a boot command left by an earlier end() (no reboot since) would make the bootloader copy
 * whatever this update leaves in the stage, half-written if it is interrupted. Cancel it when
 * this update is about to overwrite its source or its destination. */
bool updater_cancel_conflicting_cmd(uint32_t start, uint32_t len)
{
    boot_cmd_t cmd;
    bool valid;
    if (boot_cmd_read(&cmd, &valid) != HAL_OK) {
        return false;
    }
    if (!valid || cmd.action != BOOT_CMD_COPY_RAW) {
        return true;
    }
    uint32_t copy_len = layout_roundup_sector(cmd.args[2]);
    if (ranges_overlap(start, len, cmd.args[0], copy_len) ||
        ranges_overlap(start, len, cmd.args[1], copy_len)) {
        return boot_cmd_clear() == HAL_OK;
    }
    return true;
}

uint32_t updater_sketch_size(const updater_t *u)
{
    uint32_t size;
    if (esp_sketch_size(&size)) {
        return size;
    }
    /* Fix: the original counts an unreadable sketch as 0 bytes and may stage over it; count it
     * as the largest sketch the layout allows instead. */
    return u->cfg.layout->max_sketch + LAYOUT_IROM_OVERHEAD;
}

static bool flash_config_ok(const updater_t *u)
{
    if (u->cfg.layout->flash_map) {
        return true; /* getFlashChipSize() is then the real size */
    }
    return esp_check_flash_config(false);
}

bool updater_begin(updater_t *u, uint32_t size, int command)
{
    if (u->size > 0) {
        /* As the original: this also aborts the update in progress. */
        updater_fail(u, UPDATE_ERROR_RUNNING_ALREADY, UPDATER_DETAIL_NONE);
        return false;
    }
    /* Still strapped for UART download boot (first boot after a serial flash): a software
     * restart would not boot the new image (#3915). */
    if ((hal_boot_mode() & 0xFu) == 1u) {
        updater_fail(u, UPDATE_ERROR_BOOTSTRAP, UPDATER_DETAIL_NONE);
        return false;
    }
    if (size == 0) {
        updater_fail(u, UPDATE_ERROR_SIZE, UPDATER_DETAIL_NONE);
        return false;
    }
    if (!flash_config_ok(u)) {
        updater_fail(u, UPDATE_ERROR_FLASH_CONFIG, UPDATER_DETAIL_NONE);
        return false;
    }
    /* Fix: fail closed when signatures are required but no key is usable. */
    if (u->cfg.require_signature &&
        (u->cfg.signing_key == NULL || u->cfg.signing_key->n_len == 0)) {
        updater_fail(u, UPDATE_ERROR_SIGN, UPDATER_DETAIL_NO_KEY);
        return false;
    }

    updater_reset(u, true);
    updater_clear_error(u);
    u->has_target_md5 = false;
    u->target_md5[0] = '\0';
    u->md5_valid = false;
    u->mode_patched = false;
    u->sig_len_read = 0;

    uint32_t start;
    int rc = layout_stage_address(u->cfg.layout, command, size, updater_sketch_size(u),
                                  u->cfg.atomic_fs_update, &start);
    if (rc != 0) {
        updater_fail(u, (update_error_t)rc, UPDATER_DETAIL_NONE);
        return false;
    }

    /* The original allocates 4096 bytes if the heap has more than twice that, else 256, and
     * fails with OOM when even that allocation fails; the buffer here is always in the struct,
     * so only the heap figure decides. */
    uint32_t heap = hal_free_heap();
    u->buffer_size = heap > 2u * UPDATER_BUFFER_SIZE ? UPDATER_BUFFER_SIZE : UPDATER_SMALL_BUFFER;
    if (heap < u->buffer_size) {
        updater_fail(u, UPDATE_ERROR_OOM, UPDATER_DETAIL_NONE);
        updater_reset(u, false);
        return false;
    }

    if (!updater_cancel_conflicting_cmd(start, layout_roundup_sector(size))) {
        updater_fail(u, UPDATE_ERROR_WRITE, UPDATER_DETAIL_BOOT_CMD);
        return false;
    }

    u->start_address = start;
    u->current_address = start;
    u->size = size;
    u->command = command;
    if (u->cfg.callbacks.on_start != NULL) {
        u->cfg.callbacks.on_start(u->cfg.callbacks.user);
    }
    return true;
}

bool updater_set_md5(updater_t *u, const char *expected_hex)
{
    if (expected_hex == NULL || strlen(expected_hex) != 32) {
        return false;
    }
    memcpy(u->target_md5, expected_hex, 33);
    u->has_target_md5 = true;
    return true;
}

/* _writeBuffer(): erase when entering a sector, patch the flash mode on the first flush,
 * write, restore the RAM copy. */
static bool write_buffer(updater_t *u)
{
    hal_status_t erase = HAL_OK;
    if (u->current_address % HAL_FLASH_SECTOR_SIZE == 0) {
        if (!u->async) {
            hal_yield();
        }
        erase = hal_flash_erase_sector(u->current_address / HAL_FLASH_SECTOR_SIZE);
    }

    /* Flash-mode patch (#4876): U_FLASH, first flush at the stage start, not gzip. Only byte 2
     * of eboot's header; restored in RAM afterwards. Fix: only when the running mode is known
     * (the original would write FM_UNKNOWN = 0xFF into the new header). */
    bool patched = false;
    uint8_t sent = 0;
    if (u->current_address == u->start_address && u->command == U_FLASH &&
        u->buffer[0] != IMAGE_GZIP_MAGIC0 && u->buffer_len >= 4) {
        uint8_t running = esp_flash_chip_mode();
        if (running != IMAGE_FLASH_MODE_UNKNOWN &&
            image_flash_mode_from_byte(u->buffer[2]) != running) {
            sent = u->buffer[2];
            u->buffer[2] = running;
            patched = true;
        }
    }

    hal_status_t write = HAL_ERR_IO;
    if (erase == HAL_OK) {
        if (!u->async) {
            hal_yield();
        }
        /* The HAL writes whole words: pad the last, partial flush with 0xFF (what erased
         * flash holds, so the padding changes nothing). The struct buffer always has room. */
        uint32_t len = (u->buffer_len + 3u) & ~3u;
        memset(u->buffer + u->buffer_len, 0xFF, len - u->buffer_len);
        write = hal_flash_write(u->current_address, u->buffer, len);
    }
    if (patched) {
        u->buffer[2] = sent;
        u->mode_patched = true;
        u->mode_original = sent;
    }
    if (erase != HAL_OK) {
        u->current_address = u->start_address + u->size;
        updater_fail(u, UPDATE_ERROR_ERASE, UPDATER_DETAIL_NONE);
        return false;
    }
    if (write != HAL_OK) {
        u->current_address = u->start_address + u->size;
        updater_fail(u, UPDATE_ERROR_WRITE, UPDATER_DETAIL_NONE);
        return false;
    }
    u->current_address += u->buffer_len;
    u->buffer_len = 0;
    return true;
}

uint32_t updater_write(updater_t *u, const uint8_t *data, uint32_t len)
{
    if (updater_has_error(u) || !updater_is_running(u)) {
        return 0;
    }
    if (u->gz.active) {
        /* writeStream() inflated the whole upload: nothing more may come (as past the
         * declared size, #4674). */
        if (len > 0) {
            updater_fail(u, UPDATE_ERROR_SPACE, UPDATER_DETAIL_NONE);
        }
        return 0;
    }
    if (len > updater_remaining(u) - u->buffer_len) {
        /* Writes past the declared size are refused (#4674). */
        updater_fail(u, UPDATE_ERROR_SPACE, UPDATER_DETAIL_NONE);
        return 0;
    }
    uint32_t left = len;
    while (u->buffer_len + left > u->buffer_size) {
        uint32_t to_buff = u->buffer_size - u->buffer_len;
        memcpy(u->buffer + u->buffer_len, data + (len - left), to_buff);
        u->buffer_len += to_buff;
        if (!write_buffer(u)) {
            return len - left;
        }
        left -= to_buff;
        if (!u->async) {
            hal_yield();
        }
    }
    if (left > 0) {
        memcpy(u->buffer + u->buffer_len, data + (len - left), left);
    }
    u->buffer_len += left;
    if (u->buffer_len == updater_remaining(u)) {
        /* The end of the update: flush what is left. */
        if (!write_buffer(u)) {
            return len - left;
        }
    }
    return len;
}

uint32_t updater_write_available(updater_t *u, const update_stream_t *s)
{
    uint32_t written = 0;
    if (updater_has_error(u) || !updater_is_running(u)) {
        return 0;
    }
    if (u->gz.active) {
        return 0; /* the whole upload has been read */
    }
    uint32_t available = s->available(s->ctx);
    while (available > 0) {
        uint32_t room = updater_remaining(u) - u->buffer_len;
        if (available > room) {
            available = room;
        }
        if (u->buffer_len + available > u->buffer_size) {
            uint32_t to_buff = u->buffer_size - u->buffer_len;
            uint32_t got = s->read(s->ctx, u->buffer + u->buffer_len, to_buff);
            got = got > to_buff ? to_buff : got;
            u->buffer_len += got;
            written += got;
            if (u->buffer_len == u->buffer_size && !write_buffer(u)) {
                return written;
            }
        } else {
            uint32_t got = s->read(s->ctx, u->buffer + u->buffer_len, available);
            got = got > available ? available : got;
            u->buffer_len += got;
            written += got;
            if (u->buffer_len == updater_remaining(u) && !write_buffer(u)) {
                return written;
            }
        }
        if (updater_remaining(u) == 0) {
            return written;
        }
        hal_delay_ms(1);
        available = s->available(s->ctx);
    }
    return written;
}

uint32_t updater_write_stream(updater_t *u, const update_stream_t *s, uint32_t timeout_ms)
{
    uint32_t written = 0;
    if (updater_has_error(u) || !updater_is_running(u)) {
        return 0;
    }
    if (u->gz.active) {
        return 0; /* the whole upload has been read */
    }
    /* _verifyHeader(peek()): U_FLASH must start 0xE9 (image) or 0x1F (gzip). */
    int first = update_stream_timed_peek(s);
    if (u->command == U_FLASH && first != IMAGE_MAGIC && first != IMAGE_GZIP_MAGIC0) {
        u->current_address = u->start_address + u->size;
        updater_fail(u, UPDATE_ERROR_MAGIC_BYTE, UPDATER_DETAIL_NONE);
        return 0;
    }
    if (u->command == U_FLASH && first == IMAGE_GZIP_MAGIC0 && u->cfg.inflate_to_stage) {
        return updater_gzstage_stream(u, s, timeout_ms);
    }
    if (u->cfg.callbacks.on_progress != NULL) {
        u->cfg.callbacks.on_progress(u->cfg.callbacks.user, 0, u->size);
    }
    uint32_t last_data = hal_millis();
    while (updater_remaining(u) > 0) {
        /* Fix: the original asks for remaining() bytes on top of what the buffer already
         * holds, which can overshoot the declared size. */
        uint32_t to_read = u->buffer_size - u->buffer_len;
        uint32_t room = updater_remaining(u) - u->buffer_len;
        if (to_read > room) {
            to_read = room;
        }
        uint32_t got = update_stream_read_bytes(s, u->buffer + u->buffer_len, to_read);
        if (got == 0) {
            if (hal_millis() - last_data >= timeout_ms) {
                u->current_address = u->start_address + u->size;
                updater_fail(u, UPDATE_ERROR_STREAM, UPDATER_DETAIL_NONE);
                return written;
            }
            hal_delay_ms(100);
        } else {
            last_data = hal_millis();
        }
        u->buffer_len += got;
        if ((u->buffer_len == updater_remaining(u) || u->buffer_len == u->buffer_size) &&
            !write_buffer(u)) {
            return written;
        }
        written += got;
        progress(u);
        if (!u->async) {
            hal_yield();
        }
    }
    progress(u);
    return written;
}

bool updater_write_boot_command(updater_t *u)
{
    boot_cmd_t cmd;
    if (u->command == U_FLASH) {
        boot_cmd_make(&cmd, BOOT_CMD_COPY_RAW, u->start_address, 0, u->size);
    } else if (u->command == U_FS && u->cfg.atomic_fs_update) {
        boot_cmd_make(&cmd, BOOT_CMD_COPY_RAW, u->start_address, u->cfg.layout->fs_start, u->size);
    } else {
        return true; /* a live FS update is already in place */
    }
    /* Safe bootloader: the journal record makes the update survive losing RTC memory. */
    if (u->cfg.safe_journal &&
        journal_record_pending(cmd.args[0], cmd.args[1], cmd.args[2]) != HAL_OK) {
        updater_fail(u, UPDATE_ERROR_WRITE, UPDATER_DETAIL_BOOT_CMD);
        return false;
    }
    /* Read it back: a command that did not land would silently drop the update. */
    boot_cmd_t check;
    bool valid;
    if (boot_cmd_write(&cmd) != HAL_OK || boot_cmd_read(&check, &valid) != HAL_OK || !valid ||
        memcmp(&check, &cmd, sizeof(cmd)) != 0) {
        updater_fail(u, UPDATE_ERROR_WRITE, UPDATER_DETAIL_BOOT_CMD);
        return false;
    }
    return true;
}

bool updater_end(updater_t *u, bool even_if_remaining)
{
    if (u->size == 0) {
        updater_reset(u, true);
        return false;
    }
    if (u->gz.active) {
        return updater_gzstage_end(u, even_if_remaining);
    }
    /* Fix: bytes still in the buffer are data too (the original looks only at progress(), so
     * end(true) of an update smaller than one buffer failed with NO_DATA). */
    if (updater_progress(u) + u->buffer_len == 0) {
        updater_fail(u, UPDATE_ERROR_NO_DATA, UPDATER_DETAIL_NONE);
        return false;
    }
    if (!updater_is_finished(u) && !even_if_remaining) {
        /* Fix: the original resets without an error code, so the caller prints
         * "ERROR[0]: No Error" for a failed update (spec §9.8). */
        updater_fail(u, UPDATE_ERROR_SIZE, UPDATER_DETAIL_PREMATURE_END);
        return false;
    }
    if (even_if_remaining) {
        if (u->buffer_len > 0 && !write_buffer(u)) {
            return false;
        }
        u->size = updater_progress(u);
    }
    if (!updater_verify_payload(u) || !updater_verify_end(u)) {
        return false;
    }
    if (!updater_write_boot_command(u)) {
        return false;
    }
    updater_reset(u, true);
    return true;
}

void updater_run_async(updater_t *u, bool async)
{
    u->async = async;
}

update_error_t updater_get_error(const updater_t *u)
{
    return u->error;
}

bool updater_has_error(const updater_t *u)
{
    return u->error != UPDATE_ERROR_OK;
}

void updater_clear_error(updater_t *u)
{
    u->error = UPDATE_ERROR_OK;
    u->detail = UPDATER_DETAIL_NONE;
    u->image_status = 0;
}

bool updater_is_running(const updater_t *u)
{
    return u->size > 0;
}

bool updater_is_finished(const updater_t *u)
{
    if (u->gz.active) {
        return u->gz.received == u->size;
    }
    return u->current_address == u->start_address + u->size;
}

uint32_t updater_size(const updater_t *u)
{
    return u->size;
}

uint32_t updater_progress(const updater_t *u)
{
    if (u->gz.active) {
        return u->gz.received; /* the stage holds decompressed bytes: count the upload's */
    }
    return u->current_address - u->start_address;
}

uint32_t updater_remaining(const updater_t *u)
{
    return u->size - updater_progress(u);
}

uint32_t updater_start_address(const updater_t *u)
{
    return u->start_address;
}
