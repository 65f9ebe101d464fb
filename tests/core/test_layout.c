/* Layouts against every number of the spec's §4.3 table and the FLASH_MAP auto table (§4.3
 * notes; block sizes from the original's FlashMap.h). The expected values are copied from the
 * spec by hand, not computed. */
#include <criterion/criterion.h>
#include <string.h>

#include "layout.h"

#define K 1024u

typedef struct row {
    const char *name;
    uint32_t flash;
    uint32_t stage_end; /* last byte of the "sketch + OTA stage area" column */
    uint32_t fs_start, fs_end, fs_block;
    uint32_t eeprom, rfcal, wifi;
    uint32_t ide_kb; /* "OTA:~NNNKB" */
} row_t;

static const row_t table[] = {
    {"1m", 0x100000, 0x0FAFFF, 0x0FB000, 0x0FB000, 0, 0x0FB000, 0x0FC000, 0x0FD000, 502},
    {"1m64", 0x100000, 0x0EAFFF, 0x0EB000, 0x0FB000, 4 * K, 0x0FB000, 0x0FC000, 0x0FD000, 470},
    {"1m128", 0x100000, 0x0DAFFF, 0x0DB000, 0x0FB000, 4 * K, 0x0FB000, 0x0FC000, 0x0FD000, 438},
    {"1m256", 0x100000, 0x0BAFFF, 0x0BB000, 0x0FB000, 4 * K, 0x0FB000, 0x0FC000, 0x0FD000, 374},
    {"1m512", 0x100000, 0x07AFFF, 0x07B000, 0x0FB000, 8 * K, 0x0FB000, 0x0FC000, 0x0FD000, 246},
    {"2m1m", 0x200000, 0x0FFFFF, 0x100000, 0x1FA000, 8 * K, 0x1FB000, 0x1FC000, 0x1FD000, 512},
    {"4m", 0x400000, 0x3FAFFF, 0x3FB000, 0x3FB000, 0, 0x3FB000, 0x3FC000, 0x3FD000, 1019},
    {"4m1m", 0x400000, 0x2FFFFF, 0x300000, 0x3FA000, 8 * K, 0x3FB000, 0x3FC000, 0x3FD000, 1019},
    {"4m2m", 0x400000, 0x1FFFFF, 0x200000, 0x3FA000, 8 * K, 0x3FB000, 0x3FC000, 0x3FD000, 1019},
    {"4m3m", 0x400000, 0x0FFFFF, 0x100000, 0x3FA000, 8 * K, 0x3FB000, 0x3FC000, 0x3FD000, 512},
};

Test(layout, every_row_of_the_spec_table)
{
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        const row_t *r = &table[i];
        flash_layout_t l;
        cr_assert(layout_by_name(r->name, 0, &l), "%s", r->name);
        cr_expect_str_eq(l.name, r->name);
        cr_expect_eq(l.flash_size, r->flash, "%s size", r->name);
        cr_expect_eq(l.fs_start - 1, r->stage_end, "%s stage area end", r->name);
        cr_expect_eq(l.fs_start, r->fs_start, "%s fs_start %#x", r->name, l.fs_start);
        cr_expect_eq(l.fs_end, r->fs_end, "%s fs_end %#x", r->name, l.fs_end);
        cr_expect_eq(l.fs_block_size, r->fs_block, "%s block", r->name);
        cr_expect_eq(l.eeprom_start, r->eeprom, "%s eeprom", r->name);
        cr_expect_eq(l.rfcal_start, r->rfcal, "%s rfcal", r->name);
        cr_expect_eq(l.wifi_start, r->wifi, "%s wifi", r->name);
        cr_expect_eq(l.ota_label / 1024, r->ide_kb, "%s OTA label %u", r->name, l.ota_label);
        cr_expect_not(l.flash_map, "%s", r->name);
    }
}

Test(layout, max_sketch_matches_the_documented_limits)
{
    flash_layout_t l;
    /* "sketch <= 0x0FEFF0 + headers" for 4M; 1 MB - 4112 for every chip above 1 MB. */
    cr_assert(layout_by_name("4m", 0, &l));
    cr_expect_eq(l.max_sketch, 0x0FEFF0u);
    cr_assert(layout_by_name("4m2m", 0, &l));
    cr_expect_eq(l.max_sketch, 0x0FEFF0u);
    /* size - (fs + 20 KB) - 4112 for 1 MB chips. */
    cr_assert(layout_by_name("1m64", 0, &l));
    cr_expect_eq(l.max_sketch, 0x100000u - (64 * K + 20 * K) - 4112u);
    cr_assert(layout_by_name("1m", 0, &l));
    cr_expect_eq(l.max_sketch, 0x100000u - 20 * K - 4112u);
}

typedef struct auto_row {
    const char *name;
    uint32_t flash, fs_start, fs_end, block;
} auto_row_t;

static const auto_row_t auto_table[] = {
    {"auto-512k", 512 * K, 0x73000, 0x7B000, 4 * K},
    {"auto-1m", 1024 * K, 0xEB000, 0xFB000, 4 * K},
    {"auto-2m", 2048 * K, 0x1C0000, 0x1FB000, 4 * K},
    {"auto-4m", 4096 * K, 0x200000, 0x3FA000, 8 * K},
    {"auto-8m", 8192 * K, 0x200000, 0x7FA000, 8 * K},
    {"auto-16m", 16384 * K, 0x200000, 0xFFA000, 8 * K},
};

Test(layout, flash_map_auto_rows)
{
    for (size_t i = 0; i < sizeof(auto_table) / sizeof(auto_table[0]); i++) {
        const auto_row_t *r = &auto_table[i];
        flash_layout_t l;
        cr_assert(layout_by_name(r->name, 0, &l), "%s", r->name);
        cr_expect_eq(l.flash_size, r->flash);
        cr_expect_eq(l.fs_start, r->fs_start, "%s fs_start %#x", r->name, l.fs_start);
        cr_expect_eq(l.fs_end, r->fs_end, "%s fs_end %#x", r->name, l.fs_end);
        cr_expect_eq(l.fs_block_size, r->block, "%s", r->name);
        cr_expect_eq(l.eeprom_start, r->flash - 20 * K, "%s", r->name);
        cr_expect(l.flash_map, "%s", r->name);
        /* "auto" picks the row by the real chip size. */
        flash_layout_t a;
        cr_assert(layout_by_name("auto", r->flash, &a));
        cr_expect_str_eq(a.name, r->name);
        cr_expect_eq(a.fs_start, r->fs_start);
    }
    flash_layout_t l;
    cr_expect_not(layout_by_name("auto", 256 * K, &l), "no 256K row");
    cr_expect_not(layout_by_name("auto", 3 * 1024 * K, &l));
}

Test(layout, names_are_listed_and_unknown_names_refused)
{
    cr_expect_eq(layout_count(), 16u);
    cr_expect_str_eq(layout_name(0), "1m");
    cr_expect_str_eq(layout_name(8), "4m2m");
    cr_expect_str_eq(layout_name(15), "auto-16m");
    cr_expect_null(layout_name(16));
    for (unsigned i = 0; i < layout_count(); i++) {
        flash_layout_t l;
        cr_expect(layout_by_name(layout_name(i), 0, &l), "%s", layout_name(i));
    }
    flash_layout_t l;
    cr_expect_not(layout_by_name("4m2", 0, &l));
    cr_expect_not(layout_by_name("4m2m ", 0, &l));
    cr_expect_not(layout_by_name("", 0, &l));
    cr_expect_not(layout_by_name(NULL, 0, &l));
}

Test(layout, generic_rule_rejects_impossible_sizes)
{
    flash_layout_t l;
    cr_expect_not(layout_compute(3 * 1024 * K, 0, "x", &l), "not a power of two");
    cr_expect_not(layout_compute(256 * K, 0, "x", &l), "below 512K");
    cr_expect_not(layout_compute(32 * 1024 * K, 0, "x", &l), "above 16M");
    cr_expect_not(layout_compute(1024 * K, 1000, "x", &l), "FS not whole sectors");
    cr_expect_not(layout_compute(1024 * K, 1024 * K, "x", &l), "FS as big as the chip");
    cr_expect_not(layout_compute(1024 * K, 1000 * K, "x", &l), "no room for a sketch");
    /* A generic layout not in the table: 2 MB with 512 KB of FS. */
    cr_assert(layout_compute(2048 * K, 512 * K, NULL, &l));
    cr_expect_eq(l.fs_start, 0x180000u);
    cr_expect_eq(l.fs_end, 0x1FA000u);
    cr_expect_str_eq(l.name, "");
}

Test(layout, free_sketch_space)
{
    flash_layout_t l;
    cr_assert(layout_by_name("4m2m", 0, &l));
    /* fs_start - roundup4096(sketch) */
    cr_expect_eq(layout_free_sketch_space(&l, 300000), 0x200000u - 0x4A000u);
    cr_expect_eq(layout_free_sketch_space(&l, 0x4A000), 0x200000u - 0x4A000u);
    cr_expect_eq(layout_free_sketch_space(&l, 0x4A001), 0x200000u - 0x4B000u);
    cr_expect_eq(layout_free_sketch_space(&l, 0x300000), 0u);
}

Test(layout, stage_address_for_a_sketch_is_end_aligned_below_the_fs)
{
    flash_layout_t l;
    uint32_t start = 0;
    cr_assert(layout_by_name("4m2m", 0, &l));
    /* The spec's example: 400 KB on 4M2M is staged at 0x200000 - 0x64000 = 0x19C000. */
    cr_expect_eq(layout_stage_address(&l, 0, 400 * K, 300000, false, &start), 0);
    cr_expect_eq(start, 0x19C000u);
    /* Rounded up to whole sectors: 400 KB + 1 takes one more. */
    cr_expect_eq(layout_stage_address(&l, 0, 400 * K + 1, 300000, false, &start), 0);
    cr_expect_eq(start, 0x19B000u);

    cr_assert(layout_by_name("1m64", 0, &l));
    /* 300000 bytes = 74 sectors (0x4A000): 0xEB000 - 0x4A000. */
    cr_expect_eq(layout_stage_address(&l, 0, 300000, 300000, false, &start), 0);
    cr_expect_eq(start, 0xA1000u);
    /* Exactly the free space fits; one sector more does not. */
    cr_expect_eq(layout_stage_address(&l, 0, 0xEB000 - 0x4A000, 300000, false, &start), 0);
    cr_expect_eq(start, 0x4A000u);
    cr_expect_eq(layout_stage_address(&l, 0, 0xEB000 - 0x4A000 + 1, 300000, false, &start), 4);
}

Test(layout, stage_address_of_the_web_updater_maximum_size)
{
    /* §6.3: begin((getFreeSketchSpace() - 0x1000) & ~0xFFF) stages at roundup(sketch) + 4096. */
    flash_layout_t l;
    uint32_t start = 0;
    cr_assert(layout_by_name("4m2m", 0, &l));
    uint32_t sketch = 300000; /* rounded: 0x4A000 */
    uint32_t free_space = 0x200000 - 0x4A000;
    uint32_t max = (free_space - 0x1000) & ~0xFFFu;
    cr_expect_eq(layout_stage_address(&l, 0, max, sketch, false, &start), 0);
    cr_expect_eq(start, 0x4A000u + 0x1000u);
}

Test(layout, stage_address_for_the_filesystem)
{
    flash_layout_t l;
    uint32_t start = 0;
    cr_assert(layout_by_name("1m64", 0, &l));
    /* Live: at FS_start. */
    cr_expect_eq(layout_stage_address(&l, 100, 64 * K, 300000, false, &start), 0);
    cr_expect_eq(start, 0xEB000u);
    /* ATOMIC_FS_UPDATE: below FS_start, like a sketch. */
    cr_expect_eq(layout_stage_address(&l, 100, 64 * K, 300000, true, &start), 0);
    cr_expect_eq(start, 0xEB000u - 0x10000u);
    /* FS_start + roundup(size) > FS_end: not enough space (#6885). */
    cr_expect_eq(layout_stage_address(&l, 100, 64 * K + 1, 300000, false, &start), 4);
    /* No FS at all. */
    cr_assert(layout_by_name("4m", 0, &l));
    cr_expect_eq(layout_stage_address(&l, 100, 1, 300000, false, &start), 4);
    /* 4M2M: the FS is 0x1FA000 bytes, so a full 2 MB image does not fit. */
    cr_assert(layout_by_name("4m2m", 0, &l));
    cr_expect_eq(layout_stage_address(&l, 100, 0x1FA000, 300000, false, &start), 0);
    cr_expect_eq(layout_stage_address(&l, 100, 0x200000, 300000, false, &start), 4);
    /* Atomic on 4M2M: 2 MB below FS_start would run into the sketch. */
    cr_expect_eq(layout_stage_address(&l, 100, 0x1FA000, 300000, true, &start), 4);
    cr_expect_eq(layout_stage_address(&l, 100, 1 * 1024 * K, 300000, true, &start), 0);
    cr_expect_eq(start, 0x100000u);
}

Test(layout, stage_address_refusals)
{
    flash_layout_t l;
    uint32_t start = 0;
    cr_assert(layout_by_name("4m2m", 0, &l));
    cr_expect_eq(layout_stage_address(&l, 42, 1000, 300000, false, &start), 16);
    cr_expect_eq(layout_stage_address(&l, 200, 1000, 300000, false, &start), 16, "U_AUTH");
    cr_expect_eq(layout_stage_address(&l, 42, 0xFFFFFFFF, 300000, false, &start), 16);
    /* Sizes that would wrap when rounded up are refused, not staged at FS_start. */
    cr_expect_eq(layout_stage_address(&l, 0, 0xFFFFF001u, 300000, false, &start), 4);
    cr_expect_eq(layout_stage_address(&l, 100, 0xFFFFF001u, 300000, false, &start), 4);
    /* The sketch fills everything below the FS. */
    cr_expect_eq(layout_stage_address(&l, 0, 4096, 0x200000, false, &start), 4);
    /* A sketch size of 0 still never lets the stage start in sector 0. */
    cr_expect_eq(layout_stage_address(&l, 0, 0x200000, 0, false, &start), 4);
}
