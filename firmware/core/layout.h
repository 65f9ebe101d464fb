/* Flash layouts (spec §4): where eboot, the sketch and its OTA stage, the filesystem, EEPROM,
 * RF calibration and the SDK's WiFi configuration live, computed from the generic rule of
 * boards.txt.py (§4.2) rather than copied from tables.
 *
 * Names (as the original .ld files, eagle.flash.<name>.ld):
 *   1m 1m64 1m128 1m256 1m512 2m1m 4m 4m1m 4m2m 4m3m          menu layouts of the §4.3 table
 *   auto-512k auto-1m auto-2m auto-4m auto-8m auto-16m        FLASH_MAP_SUPPORT ("Mapping
 *       defined by Hardware and Sketch"): the default FLASH_MAP_OTA_FS row for that chip size
 *   auto                                                      the auto row for the real size
 *
 * All addresses are physical flash offsets. */
#ifndef OTASIM_LAYOUT_H
#define OTASIM_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

#define LAYOUT_SECTOR 0x1000u
#define LAYOUT_APP_START 0x1000u     /* eboot owns sector 0 */
#define LAYOUT_IROM_OVERHEAD 0x1010u /* eboot + app header + first segment header (4112) */
#define LAYOUT_MAX_IROM 0x100000u    /* the 1 MB flash-mapped window for .irom0.text */

typedef struct flash_layout {
    char name[16];
    uint32_t flash_size; /* bytes */
    uint32_t fs_size;    /* the menu's FS size (0 = none); fs_end - fs_start may be smaller */
    uint32_t fs_start;   /* [fs_start, fs_end); both equal eeprom_start when there is no FS */
    uint32_t fs_end;
    uint32_t fs_block_size; /* 4 KiB below 512 KiB of FS, else 8 KiB; 0 without FS */
    uint32_t fs_page_size;  /* 256; 0 without FS */
    uint32_t eeprom_start;  /* one sector at size - 20 KiB */
    uint32_t rfcal_start;   /* one sector at size - 16 KiB */
    uint32_t wifi_start;    /* SDK WiFi/system parameters: the last 12 KiB */
    uint32_t max_sketch;    /* largest sketch (.bin) the IDE accepts for this layout */
    uint32_t ota_label;     /* the menu's "OTA:~" figure, min(max_sketch, fs_start / 2) */
    bool flash_map;         /* FLASH_MAP_SUPPORT: chosen at boot from the JEDEC size; the
                               flash size in the image header is then not checked */
} flash_layout_t;

/* The generic rule for a flash size and an FS size (0 = no FS). False if the sizes make no
 * layout (flash not a power of two from 512 KiB to 16 MiB, FS not sector-multiple or too big).
 * `name` may be NULL. */
bool layout_compute(uint32_t flash_size, uint32_t fs_size, const char *name, flash_layout_t *out);

/* A layout by name (see above). `real_size` is the chip size, used only by "auto". */
bool layout_by_name(const char *name, uint32_t real_size, flash_layout_t *out);

/* The FLASH_MAP auto row for a chip size (false if there is none). */
bool layout_auto(uint32_t real_size, flash_layout_t *out);

/* Every named layout, "auto" excepted, in the order of the list above. */
unsigned layout_count(void);
const char *layout_name(unsigned index);

/* ESP.getFreeSketchSpace(): fs_start - roundup4096(sketch_size) (0 if the sketch is bigger). */
uint32_t layout_free_sketch_space(const flash_layout_t *l, uint32_t sketch_size);

static inline uint32_t layout_roundup_sector(uint32_t v)
{
    return (v + LAYOUT_SECTOR - 1u) & ~(LAYOUT_SECTOR - 1u);
}

/* Where Update.begin() stages an update (spec §2.3 step 8). `command` is 0 (U_FLASH) or 100
 * (U_FS); `sketch_size` is getSketchSize(). Returns 0 and sets *start, or the Updater error
 * code it fails with: 4 (not enough space) or 16 (unknown command). */
int layout_stage_address(const flash_layout_t *l, int command, uint32_t size, uint32_t sketch_size,
                         bool atomic_fs_update, uint32_t *start);

/* The layout a device with the safe bootloader uses: the journal area (journal.h, 12 KiB below
 * EEPROM of a `real_size` chip) is taken out of the FS (its end moves down to a block
 * boundary) or, without an FS, out of the stage (fs_start = fs_end = the journal). False when
 * the chip is smaller than the layout or the FS would vanish. */
bool layout_for_safe_boot(const flash_layout_t *l, uint32_t real_size, flash_layout_t *out);

#endif
