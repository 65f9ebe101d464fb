/* Error texts (Updater.cpp: getErrorString, printError; spec §2.2). */
#include <string.h>

#include "esp_info.h"
#include "hal.h"
#include "strbuf.h"
#include "updater.h"

const char *update_error_text(update_error_t error)
{
    switch (error) {
    case UPDATE_ERROR_OK:
        return "No Error";
    case UPDATE_ERROR_WRITE:
        return "Flash Write Failed";
    case UPDATE_ERROR_ERASE:
        return "Flash Erase Failed";
    case UPDATE_ERROR_READ:
        return "Flash Read Failed";
    case UPDATE_ERROR_SPACE:
        return "Not Enough Space";
    case UPDATE_ERROR_SIZE:
        return "Bad Size Given";
    case UPDATE_ERROR_STREAM:
        return "Stream Read Timeout";
    case UPDATE_ERROR_MD5:
        return "MD5 verification failed";
    case UPDATE_ERROR_FLASH_CONFIG:
        return "Flash config wrong";
    case UPDATE_ERROR_NEW_FLASH_CONFIG:
        return "new Flash config wrong";
    case UPDATE_ERROR_MAGIC_BYTE:
        return "Magic byte is not 0xE9";
    case UPDATE_ERROR_BOOTSTRAP:
        return "Invalid bootstrapping state, reset ESP8266 before updating";
    case UPDATE_ERROR_SIGN:
        return "Signature verification failed";
    case UPDATE_ERROR_NO_DATA:
        return "No data supplied";
    case UPDATE_ERROR_OOM:
        return "Out of memory";
    case UPDATE_ERROR_RUNNING_ALREADY:
        return "Update already running";
    case UPDATE_ERROR_UNKNOWN_COMMAND:
        return "Unknown update command";
    case UPDATE_ERROR_IMAGE:
        return "Image verification failed";
    }
    return "UNKNOWN";
}

static void put_message(const updater_t *u, strbuf_t *sb)
{
    switch (u->error) {
    case UPDATE_ERROR_MD5:
        sb_puts(sb, "MD5 verification failed: expected: ");
        sb_puts(sb, u->has_target_md5 ? u->target_md5 : "");
        sb_puts(sb, ", calculated: ");
        if (u->md5_valid) {
            sb_put_hex(sb, u->md5, MD5_DIGEST_LEN);
        }
        break;
    case UPDATE_ERROR_FLASH_CONFIG:
        /* Like the original, the sizes are read when the message is made. In flash-map mode
         * the SDK size is the real size. */
        sb_puts(sb, "Flash config wrong: real: ");
        sb_put_u32(sb, esp_flash_chip_real_size());
        sb_puts(sb, ", SDK: ");
        sb_put_u32(sb, u->cfg.layout != NULL && u->cfg.layout->flash_map
                           ? esp_flash_chip_real_size()
                           : esp_flash_chip_size());
        break;
    case UPDATE_ERROR_NEW_FLASH_CONFIG:
        sb_puts(sb, "new Flash config wrong, real size: ");
        sb_put_u32(sb, esp_flash_chip_real_size());
        break;
    default:
        sb_puts(sb, update_error_text(u->error));
        break;
    }
}

size_t updater_error_string(const updater_t *u, char *buf, size_t cap)
{
    strbuf_t sb;
    sb_init(&sb, buf, cap);
    put_message(u, &sb);
    return sb.len;
}

size_t updater_format_error(const updater_t *u, char *buf, size_t cap)
{
    strbuf_t sb;
    sb_init(&sb, buf, cap);
    sb_puts(&sb, "ERROR[");
    sb_put_u32(&sb, (uint32_t)u->error & 0xFFu); /* printed as %hhu: the code is a uint8_t */
    sb_puts(&sb, "]: ");
    put_message(u, &sb);
    sb_putc(&sb, '\n');
    return sb.len;
}

void updater_print_error(const updater_t *u)
{
    char line[160];
    size_t n = updater_format_error(u, line, sizeof(line));
    hal_console_write(line, n < sizeof(line) ? n : sizeof(line) - 1);
}

bool updater_md5_string(const updater_t *u, char out[33])
{
    strbuf_t sb;
    sb_init(&sb, out, 33);
    if (!u->md5_valid) {
        return false;
    }
    sb_put_hex(&sb, u->md5, MD5_DIGEST_LEN);
    return true;
}
