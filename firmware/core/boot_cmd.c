#include "boot_cmd.h"

#include <string.h>

#include "byteorder.h"
#include "crc32.h"

void boot_cmd_encode(const boot_cmd_t *cmd, uint8_t out[BOOT_CMD_SIZE])
{
    le32_store(out, cmd->magic);
    le32_store(out + 4, cmd->action);
    for (unsigned i = 0; i < BOOT_CMD_ARGS; i++) {
        le32_store(out + 8 + 4 * i, cmd->args[i]);
    }
    le32_store(out + BOOT_CMD_CRC_LEN, cmd->crc32);
}

void boot_cmd_decode(const uint8_t in[BOOT_CMD_SIZE], boot_cmd_t *cmd)
{
    /* boot_cmd_t is the 32 words in their order (one loop is smaller code for the bootloader). */
    _Static_assert(sizeof(boot_cmd_t) == BOOT_CMD_SIZE, "boot_cmd_t is the 32 words");
    uint32_t w[BOOT_CMD_SIZE / 4];
    for (unsigned i = 0; i < BOOT_CMD_SIZE / 4; i++)
        w[i] = le32_load(in + 4 * i);
    memcpy(cmd, w, sizeof(w));
}

uint32_t boot_cmd_crc(const boot_cmd_t *cmd)
{
    uint8_t raw[BOOT_CMD_SIZE];
    boot_cmd_encode(cmd, raw);
    return crc32_mpeg2(CRC32_MPEG2_INIT, raw, BOOT_CMD_CRC_LEN);
}

bool boot_cmd_valid(const boot_cmd_t *cmd)
{
    return (cmd->magic & BOOT_CMD_MAGIC_MASK) == BOOT_CMD_MAGIC && boot_cmd_crc(cmd) == cmd->crc32;
}

void boot_cmd_make(boot_cmd_t *cmd, uint32_t action, uint32_t arg0, uint32_t arg1, uint32_t arg2)
{
    memset(cmd, 0, sizeof(*cmd));
    cmd->magic = BOOT_CMD_MAGIC;
    cmd->action = action;
    cmd->args[0] = arg0;
    cmd->args[1] = arg1;
    cmd->args[2] = arg2;
    cmd->crc32 = boot_cmd_crc(cmd);
}

hal_status_t boot_cmd_write(boot_cmd_t *cmd)
{
    uint32_t raw[BOOT_CMD_SIZE / 4]; /* word-aligned for the HAL */
    cmd->magic = BOOT_CMD_MAGIC;
    cmd->crc32 = boot_cmd_crc(cmd);
    boot_cmd_encode(cmd, (uint8_t *)raw);
    return hal_rtc_write(BOOT_CMD_RTC_OFFSET, raw, BOOT_CMD_SIZE);
}

hal_status_t boot_cmd_read(boot_cmd_t *cmd, bool *valid)
{
    /* boot_cmd_t is the 32 words in their order and the target is little-endian (below): the
     * RTC words are read straight into it (no decoding step in the bootloader). */
    hal_status_t st = hal_rtc_read(BOOT_CMD_RTC_OFFSET, cmd, BOOT_CMD_SIZE);
    if (st != HAL_OK)
        memset(cmd, 0, sizeof(*cmd));
    /* boot_cmd_valid() on the words as read (the same rule; no re-encoding). */
    *valid = st == HAL_OK && (cmd->magic & BOOT_CMD_MAGIC_MASK) == BOOT_CMD_MAGIC &&
             crc32_mpeg2(CRC32_MPEG2_INIT, cmd, BOOT_CMD_CRC_LEN) == cmd->crc32;
    return st;
}
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "boot_cmd_read() takes the RTC words as they are: a big-endian target needs a decode"
#endif

hal_status_t boot_cmd_clear(void)
{
    const uint32_t zero = 0;
    hal_status_t st = hal_rtc_write(BOOT_CMD_RTC_OFFSET, &zero, 4);
    if (st != HAL_OK) {
        return st;
    }
    return hal_rtc_write(BOOT_CMD_RTC_OFFSET + BOOT_CMD_CRC_LEN, &zero, 4);
}
