#include "layout.h"

#include "journal.h"

#include <string.h>

#define KIB 1024u
#define MIB (1024u * 1024u)

typedef struct named_layout {
    const char *name;
    uint32_t flash_size;
    uint32_t fs_size;
    bool flash_map;
} named_layout_t;

/* The menu layouts of spec §4.3 and the default FLASH_MAP_OTA_FS table (FlashMap.h): only the
 * chip and FS sizes are listed; every address follows from layout_compute(). */
static const named_layout_t named[] = {
    {"1m", 1 * MIB, 0, false},
    {"1m64", 1 * MIB, 64 * KIB, false},
    {"1m128", 1 * MIB, 128 * KIB, false},
    {"1m256", 1 * MIB, 256 * KIB, false},
    {"1m512", 1 * MIB, 512 * KIB, false},
    {"2m1m", 2 * MIB, 1 * MIB, false},
    {"4m", 4 * MIB, 0, false},
    {"4m1m", 4 * MIB, 1 * MIB, false},
    {"4m2m", 4 * MIB, 2 * MIB, false},
    {"4m3m", 4 * MIB, 3 * MIB, false},
    {"auto-512k", 512 * KIB, 32 * KIB, true},
    {"auto-1m", 1 * MIB, 64 * KIB, true},
    {"auto-2m", 2 * MIB, 256 * KIB, true},
    {"auto-4m", 4 * MIB, 2 * MIB, true},
    {"auto-8m", 8 * MIB, 6 * MIB, true},
    {"auto-16m", 16 * MIB, 14 * MIB, true},
};
#define NAMED_COUNT (sizeof(named) / sizeof(named[0]))

static void copy_name(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src != NULL && src[i] != '\0' && i + 1 < cap; i++) {
        dst[i] = src[i];
    }
    dst[i] = '\0';
}

bool layout_compute(uint32_t flash_size, uint32_t fs_size, const char *name, flash_layout_t *out)
{
    memset(out, 0, sizeof(*out));
    if (flash_size < 512 * KIB || flash_size > 16 * MIB || (flash_size & (flash_size - 1))) {
        return false;
    }
    if (fs_size % LAYOUT_SECTOR != 0 || fs_size >= flash_size) {
        return false;
    }
    copy_name(out->name, sizeof(out->name), name);
    out->flash_size = flash_size;
    out->fs_size = fs_size;
    out->wifi_start = flash_size - 12 * KIB;
    out->rfcal_start = flash_size - 16 * KIB;
    out->eeprom_start = flash_size - 20 * KIB; /* == the old FS end (issue #6531) */

    if (fs_size == 0) {
        out->fs_start = out->fs_end = out->eeprom_start;
    } else {
        out->fs_block_size = fs_size < 512 * KIB ? 4 * KIB : 8 * KIB;
        out->fs_page_size = 256;
        if (flash_size <= 1 * MIB) {
            if (fs_size > out->eeprom_start) {
                return false;
            }
            out->fs_end = out->eeprom_start;
            out->fs_start = out->fs_end - fs_size;
        } else {
            /* The FS is placed from the top of the chip; its end is rounded down to a block,
             * which leaves a spare sector before EEPROM when blocks are 8 KiB. */
            out->fs_start = flash_size - fs_size;
            out->fs_end = out->eeprom_start & ~(out->fs_block_size - 1u);
        }
        if (out->fs_start < 2 * LAYOUT_SECTOR || out->fs_end <= out->fs_start) {
            return false; /* no room left for eboot and a sketch */
        }
    }
    if (flash_size <= 1 * MIB) {
        out->max_sketch = out->fs_start - LAYOUT_IROM_OVERHEAD;
    } else {
        out->max_sketch = LAYOUT_MAX_IROM - LAYOUT_IROM_OVERHEAD;
    }
    uint32_t half = out->fs_start / 2u;
    out->ota_label = out->max_sketch < half ? out->max_sketch : half;
    return true;
}

bool layout_auto(uint32_t real_size, flash_layout_t *out)
{
    for (unsigned i = 0; i < NAMED_COUNT; i++) {
        if (named[i].flash_map && named[i].flash_size == real_size) {
            if (!layout_compute(named[i].flash_size, named[i].fs_size, named[i].name, out)) {
                return false;
            }
            out->flash_map = true;
            return true;
        }
    }
    memset(out, 0, sizeof(*out));
    return false;
}

bool layout_by_name(const char *name, uint32_t real_size, flash_layout_t *out)
{
    if (name == NULL) {
        return false;
    }
    if (strlen(name) == 4 && memcmp(name, "auto", 4) == 0) {
        return layout_auto(real_size, out);
    }
    for (unsigned i = 0; i < NAMED_COUNT; i++) {
        size_t n = strlen(named[i].name);
        if (strlen(name) == n && memcmp(name, named[i].name, n) == 0) {
            if (!layout_compute(named[i].flash_size, named[i].fs_size, named[i].name, out)) {
                return false;
            }
            out->flash_map = named[i].flash_map;
            return true;
        }
    }
    memset(out, 0, sizeof(*out));
    return false;
}

unsigned layout_count(void)
{
    return (unsigned)NAMED_COUNT;
}

const char *layout_name(unsigned index)
{
    return index < NAMED_COUNT ? named[index].name : NULL;
}

uint32_t layout_free_sketch_space(const flash_layout_t *l, uint32_t sketch_size)
{
    uint32_t used = layout_roundup_sector(sketch_size);
    return l->fs_start > used ? l->fs_start - used : 0;
}

int layout_stage_address(const flash_layout_t *l, int command, uint32_t size, uint32_t sketch_size,
                         bool atomic_fs_update, uint32_t *start)
{
    if (command != 0 && command != 100) {
        return 16;
    }
    /* Sizes near 4 GiB would round to 0 and pass every check (the original's size_t wraps the
     * same way and then writes past the filesystem): refuse anything larger than the chip. */
    if (size > l->flash_size) {
        return 4;
    }
    uint32_t rounded = layout_roundup_sector(size);
    uint32_t sketch = layout_roundup_sector(sketch_size);
    if (sketch < LAYOUT_APP_START) {
        sketch = LAYOUT_APP_START; /* a stage never starts in eboot's sector */
    }
    uint32_t below_fs = l->fs_start > rounded ? l->fs_start - rounded : 0;
    if (command == 0) {
        /* End-aligned just below the filesystem. */
        if (below_fs < sketch) {
            return 4;
        }
        *start = below_fs;
        return 0;
    }
    /* U_FS */
    if (l->fs_start + rounded > l->fs_end) {
        return 4;
    }
    if (atomic_fs_update) {
        if (below_fs < sketch) {
            return 4;
        }
        *start = below_fs; /* staged like a sketch, copied by the bootloader */
    } else {
        *start = l->fs_start; /* in place, live */
    }
    return 0;
}

bool layout_for_safe_boot(const flash_layout_t *l, uint32_t real_size, flash_layout_t *out)
{
    *out = *l;
    if (real_size < l->flash_size)
        return false;
    uint32_t j = journal_area(real_size);
    if (j >= out->fs_end)
        return true; /* a bigger chip: the journal lies above everything the layout uses */
    if (out->fs_start == out->fs_end) {
        out->fs_start = out->fs_end = j;
    } else {
        out->fs_end = j & ~(out->fs_block_size - 1u);
        if (out->fs_end <= out->fs_start)
            return false;
    }
    if (out->max_sketch > out->fs_start)
        out->max_sketch = out->fs_start;
    if (out->ota_label > out->max_sketch)
        out->ota_label = out->max_sketch;
    return true;
}
