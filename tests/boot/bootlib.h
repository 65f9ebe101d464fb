/* Test support for the bootloader tests: a simulated device (flashsim + native port) holding
 * real image pairs, updates staged through the real Updater (or placed by hand for cases the
 * Updater refuses to produce), one-boot runs of boot_main() over the test boot port, and the
 * "what is on flash now" classifier the power-cut loops use. */
#ifndef OTASIM_TESTS_BOOT_BOOTLIB_H
#define OTASIM_TESTS_BOOT_BOOTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot.h"
#include "flashsim.h"
#include "layout.h"

/* What the test boot port saw (test_boot_port.c). */
typedef struct bt_start {
    bool started;
    uint32_t image_addr, entry;
    char name[24];
    uint32_t version;
    unsigned segments_loaded;
    unsigned load_calls; /* boot_port_load_segment() calls this boot */
} bt_start_t;

typedef enum {
    BT_APP = 0,      /* an app was started */
    BT_RETURNED = 1, /* boot_main() returned (no app could be started) */
    BT_CUT = 2,      /* power was cut during the boot */
    BT_BRICK = 3,    /* the "ROM" found no valid bootloader image in sector 0 */
} bt_outcome_t;

typedef struct bt {
    flashsim_t *fs;
    flash_layout_t layout; /* the layout the app's Updater uses (the safe one in safe mode) */
    boot_mode_t mode;
    uint8_t *old_pair, *new_pair; /* what the tests installed / sent (new_pair: decompressed) */
    size_t old_len, new_len;
    char console[16384]; /* of the last boot */
    bt_start_t start;    /* of the last boot */
    int result;          /* boot_main()'s return value when BT_RETURNED */
} bt_t;

/* A pair (malloc'd): app `name`@`version` of about `size` bytes; sector 0 copied from
 * `boot_from` when given (so it equals another pair's bootloader), else its own. */
uint8_t *bt_pair(const char *name, uint32_t version, uint32_t size, uint32_t seed,
                 const uint8_t *boot_from, size_t *len);

/* A device for a named layout with `old` installed at 0 (copied). */
bt_t *bt_new(const char *layout_name, boot_mode_t mode, const uint8_t *old, size_t old_len);
void bt_free(bt_t *b);

/* Run one boot. */
bt_outcome_t bt_boot(bt_t *b);
/* Boots until an app starts (at most `max` boots; warm resets in between). */
bt_outcome_t bt_boot_until_app(bt_t *b, unsigned max);

/* Stream `data` through the real Updater (U_FLASH or U_FS), end() it. The journal is written
 * when the device is in safe mode. `expect_ok`: assert that end() succeeds. new_pair is set to
 * `pair` (the decompressed bytes, for the classifier). Returns end()'s result. */
bool bt_update(bt_t *b, const uint8_t *data, size_t len, int command, bool atomic_fs,
               const uint8_t *pair, size_t pair_len);

/* Place an update by hand: data at `src`, the RTC command, and in safe mode the journal
 * record, exactly as Updater end() writes them. */
void bt_stage(bt_t *b, const uint8_t *data, size_t len, uint32_t src, uint32_t dst,
              const uint8_t *pair, size_t pair_len);

/* What flash [0, len) holds now. */
typedef enum { BT_FLASH_OLD, BT_FLASH_NEW, BT_FLASH_OTHER } bt_flash_t;
bt_flash_t bt_flash_state(bt_t *b);
/* Same for the bootloader sector alone. */
bt_flash_t bt_sector0_state(bt_t *b);

/* Arm a fault plan counted from now (NULL disarms). */
void bt_plan(bt_t *b, const char *plan);

bool bt_console_has(const bt_t *b, const char *s);

#endif
