/* The eboot command block (spec §3.2): 128 bytes in RTC user memory (0x60001200, i.e. RTC
 * offset HAL_RTC_USER_OFFSET, ESP.rtcUserMemory offsets 0..31) through which the Updater tells
 * the bootloader to copy a staged image. Layout, 32 little-endian words:
 *   word 0      magic   0xEB001000 (readers accept any value v with (v & 0xFFFFF000) == it)
 *   word 1      action  BOOT_CMD_COPY_RAW or BOOT_CMD_LOAD_APP
 *   words 2..30 args[0..28]: COPY_RAW {source, destination, size}; LOAD_APP {pair base}
 *   word 31     crc32   CRC-32/MPEG-2 over bytes 0x00..0x7B
 * The original writer leaves args[3..28] as stack garbage (covered by the CRC); ours zeroes
 * them. Readers must not assume either. */
#ifndef OTASIM_BOOT_CMD_H
#define OTASIM_BOOT_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include "hal.h"

#define BOOT_CMD_MAGIC 0xEB001000u
#define BOOT_CMD_MAGIC_MASK 0xFFFFF000u
#define BOOT_CMD_COPY_RAW 0x00000001u
#define BOOT_CMD_LOAD_APP 0xFFFFFFFFu
#define BOOT_CMD_ARGS 29u
#define BOOT_CMD_SIZE 128u
#define BOOT_CMD_CRC_LEN 124u                   /* bytes covered by the CRC */
#define BOOT_CMD_RTC_OFFSET HAL_RTC_USER_OFFSET /* hal_rtc_* offset of the block */

typedef struct boot_cmd {
    uint32_t magic;
    uint32_t action;
    uint32_t args[BOOT_CMD_ARGS];
    uint32_t crc32;
} boot_cmd_t;

/* Byte image <-> struct (little-endian, independent of the host's byte order). */
void boot_cmd_encode(const boot_cmd_t *cmd, uint8_t out[BOOT_CMD_SIZE]);
void boot_cmd_decode(const uint8_t in[BOOT_CMD_SIZE], boot_cmd_t *cmd);

/* CRC-32/MPEG-2 of the first 124 encoded bytes. */
uint32_t boot_cmd_crc(const boot_cmd_t *cmd);

/* The reader's rule: masked magic matches and the CRC matches. */
bool boot_cmd_valid(const boot_cmd_t *cmd);

/* Fill `cmd` with magic, action, the given arguments, zeroes elsewhere, and the CRC. */
void boot_cmd_make(boot_cmd_t *cmd, uint32_t action, uint32_t arg0, uint32_t arg1, uint32_t arg2);

/* RTC memory operations. write sets magic and CRC (like eboot_command_write) and stores the
 * block; read loads it and sets *valid; clear zeroes only the magic and CRC words, leaving the
 * arguments in RTC memory as the original does. */
hal_status_t boot_cmd_write(boot_cmd_t *cmd);
hal_status_t boot_cmd_read(boot_cmd_t *cmd, bool *valid);
hal_status_t boot_cmd_clear(void);

#endif
