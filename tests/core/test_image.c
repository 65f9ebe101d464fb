/* The image parser on files written by the tests' own elf2bin-style writer (testlib.c). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "testlib.h"

static uint8_t *small_pair(size_t *len)
{
    tb_pair_opts_t o;
    tb_pair_defaults(&o);
    o.irom_len = 200;
    o.ram_len = 64;
    return tb_build_pair(&o, len);
}

Test(image, parses_an_elf2bin_pair)
{
    tb_pair_opts_t o;
    tb_pair_defaults(&o);
    o.flash_mode = 3;
    o.size_freq = 0x2F; /* 1 MB, 80 MHz */
    o.version = 42;
    size_t len;
    uint8_t *bin = tb_build_pair(&o, &len);
    image_pair_info_t p;
    cr_assert_eq(image_parse_pair_buffer(bin, len, IMAGE_PARSE_CHECKSUM, &p), IMAGE_OK);
    cr_expect_eq(p.boot.segment_count, 2);
    cr_expect_eq(p.boot.flash_mode, 3);
    cr_expect_eq(p.boot.size_freq, 0x2F);
    cr_expect_eq(p.boot.entry, 0x4010F000u);
    cr_expect_eq(p.boot.length % 16, 0u);
    cr_expect(p.boot.checksum_checked);
    cr_expect(p.boot.padding_zero);
    cr_expect_eq(p.app.segment_count, 5);
    cr_expect_eq(p.app.segments[0].load_addr, 0x40201010u);
    cr_expect_eq(p.app.segments[0].data_offset, 0x10u);
    cr_expect_eq(p.app.segments[0].length, o.irom_len);
    /* getSketchSize() = (end of segments + 16) & ~15, from 0 */
    uint32_t expect_len = 0x1000 + ((8 + 5 * 8 + o.irom_len + o.ram_len + 16) & ~15u);
    cr_expect_eq(p.length, expect_len);
    cr_expect_eq(p.length, len);
    cr_expect(p.has_crc);
    cr_expect(p.crc_checked);
    cr_expect_eq(p.crc_len, len);
    uint8_t *copy = malloc(len);
    memcpy(copy, bin, len);
    memset(copy + 0x1010, 0, 8);
    cr_expect_eq(p.crc_val, ref_crc32_mpeg2(copy, len));
    cr_expect_eq(p.crc_calc, p.crc_val);
    free(copy);
    /* elf2bin's app checksum predates the CRC words. */
    cr_expect(p.app_checksum_without_crc);
    cr_expect(p.has_desc);
    cr_expect_eq(p.desc.version, 42u);
    cr_expect_str_eq(p.desc.name, "basic");
    cr_expect_str_eq(p.desc.build_id, "otasim-test");
    free(bin);
}

Test(image, file_crc_is_elf2bin_crc)
{
    size_t len;
    uint8_t *bin = small_pair(&len);
    uint8_t *copy = malloc(len);
    memcpy(copy, bin, len);
    memset(copy + 0x1010, 0, 8);
    uint32_t want = ref_crc32_mpeg2(copy, len);
    mem_reader_t m = {bin, (uint32_t)len};
    reader_t r = mem_reader(&m);
    uint32_t crc = 0;
    cr_assert(image_file_crc(&r, 0, (uint32_t)len, &crc));
    cr_expect_eq(crc, want);
    cr_expect_eq(bin[0x1014] | bin[0x1015] << 8 | bin[0x1016] << 16 | (uint32_t)bin[0x1017] << 24,
                 want);
    cr_expect_not(image_file_crc(&r, 0, (uint32_t)len + 1, &crc), "past the end");
    free(copy);
    free(bin);
}

Test(image, checksum_with_the_crc_words_counted_is_accepted_too)
{
    size_t len;
    uint8_t *bin = small_pair(&len);
    /* The raw XOR of every app data byte as stored (CRC words included). */
    uint8_t sum = 0xEF;
    size_t pos = 0x1000 + 8;
    for (int s = 0; s < 5; s++) {
        uint32_t l = bin[pos + 4] | bin[pos + 5] << 8 | bin[pos + 6] << 16;
        for (uint32_t k = 0; k < l; k++) {
            sum ^= bin[pos + 8 + k];
        }
        pos += 8 + l;
    }
    bin[len - 1] = sum;
    /* The checksum byte is inside the file CRC (and the CRC inside the checksum), so the CRC
     * cannot match any more: the app checksum passing is what gets the parser to the CRC. */
    image_pair_info_t p;
    cr_expect_eq(image_parse_pair_buffer(bin, len, IMAGE_PARSE_CHECKSUM, &p), IMAGE_ERR_CRC);
    cr_expect(p.crc_checked);
    cr_expect_not(p.app_checksum_without_crc);
    free(bin);
}

Test(image, single_images)
{
    size_t len;
    uint8_t *bin = small_pair(&len);
    image_info_t i;
    cr_expect_eq(image_parse_buffer(bin, 0x1000, IMAGE_PARSE_CHECKSUM, &i), IMAGE_OK);
    cr_expect_eq(i.segments[1].load_addr, 0x3FFE8000u);
    cr_expect_eq(i.segments[1].length, 512u);
    cr_expect_eq(i.data_end, 8u + 8 + 2048 + 8 + 512);
    cr_expect_eq(i.length, (i.data_end + 16) & ~15u);
    cr_expect_eq(i.checksum, i.checksum_calc);
    /* The app alone: its stored checksum is elf2bin's (CRC words as zero), so it differs. */
    cr_expect_eq(image_parse_buffer(bin + 0x1000, len - 0x1000, IMAGE_PARSE_CHECKSUM, &i),
                 IMAGE_ERR_CHECKSUM);
    cr_expect_eq(image_parse_buffer(bin + 0x1000, len - 0x1000, IMAGE_PARSE_HEADERS, &i), IMAGE_OK);
    cr_expect_not(i.checksum_checked);
    free(bin);
}

Test(image, header_corruptions)
{
    size_t len;
    uint8_t *bin = small_pair(&len);
    image_pair_info_t p;
    image_info_t i;

    bin[0] = 0xEA;
    cr_expect_eq(image_parse_pair_buffer(bin, len, 0, &p), IMAGE_ERR_MAGIC);
    bin[0] = 0xE9;
    bin[0x1000] = 0x1F;
    cr_expect_eq(image_parse_pair_buffer(bin, len, 0, &p), IMAGE_ERR_MAGIC);
    bin[0x1000] = 0xE9;

    bin[0x1001] = 0;
    cr_expect_eq(image_parse_pair_buffer(bin, len, 0, &p), IMAGE_ERR_SEGMENTS);
    bin[0x1001] = 17;
    cr_expect_eq(image_parse_pair_buffer(bin, len, 0, &p), IMAGE_ERR_SEGMENTS);
    bin[0x1001] = 16; /* plausible count, but segments run off the end */
    cr_expect_eq(image_parse_pair_buffer(bin, len, 0, &p), IMAGE_ERR_TRUNCATED);
    bin[0x1001] = 5;

    /* A segment length of 4 GiB - 1 must not wrap around. */
    uint8_t save[4];
    memcpy(save, bin + 0x100C, 4);
    memset(bin + 0x100C, 0xFF, 4);
    cr_expect_eq(image_parse_pair_buffer(bin, len, IMAGE_PARSE_CHECKSUM, &p), IMAGE_ERR_TRUNCATED);
    memcpy(bin + 0x100C, save, 4);

    /* eboot growing past its sector. */
    bin[12] = 0x00;
    bin[13] = 0x20; /* eboot .text length 0x2000 */
    cr_expect_eq(image_parse_pair_buffer(bin, len, 0, &p), IMAGE_ERR_BOOT_SIZE);
    cr_expect_eq(image_parse_buffer(bin, 0x1000, 0, &i), IMAGE_ERR_TRUNCATED);
    free(bin);
}

Test(image, data_corruptions)
{
    size_t len;
    uint8_t *bin = small_pair(&len);
    image_pair_info_t p;

    /* A flipped bit in eboot's code: eboot checksum. */
    bin[0x20] ^= 0x10;
    cr_expect_eq(image_parse_pair_buffer(bin, len, IMAGE_PARSE_CHECKSUM, &p), IMAGE_ERR_CHECKSUM);
    cr_expect_eq(image_parse_pair_buffer(bin, len, IMAGE_PARSE_HEADERS, &p), IMAGE_OK,
                 "headers only: data is not read");
    bin[0x20] ^= 0x10;

    /* In the app's code: app checksum (neither form matches). */
    bin[0x1000 + 0x10 + 100] ^= 0x01;
    cr_expect_eq(image_parse_pair_buffer(bin, len, IMAGE_PARSE_CHECKSUM, &p), IMAGE_ERR_CHECKSUM);
    bin[0x1000 + 0x10 + 100] ^= 0x01;

    /* In eboot's 0xAA fill: no image checksum covers it, the file CRC does. */
    bin[0xF00] ^= 0x80;
    cr_expect_eq(image_parse_pair_buffer(bin, len, IMAGE_PARSE_CHECKSUM, &p), IMAGE_ERR_CRC);
    bin[0xF00] ^= 0x80;

    /* The flash-mode byte (what the Updater patches) is covered by the file CRC only. */
    bin[2] = 0;
    cr_expect_eq(image_parse_pair_buffer(bin, len, IMAGE_PARSE_CHECKSUM, &p), IMAGE_ERR_CRC);
    bin[2] = 2;

    /* A CRC length beyond the data. */
    bin[0x1012] = 0x10;
    cr_expect_eq(image_parse_pair_buffer(bin, len, IMAGE_PARSE_CHECKSUM, &p), IMAGE_ERR_CRC);
    free(bin);
}

Test(image, every_truncation_is_an_error)
{
    size_t len;
    uint8_t *bin = small_pair(&len);
    for (size_t n = 0; n < len; n++) {
        /* A fresh allocation of exactly n bytes, so ASan sees any read past it. */
        uint8_t *cut = malloc(n ? n : 1);
        memcpy(cut, bin, n);
        image_pair_info_t p;
        cr_expect_neq(image_parse_pair_buffer(cut, n, IMAGE_PARSE_CHECKSUM, &p), IMAGE_OK,
                      "length %zu", n);
        free(cut);
    }
    image_pair_info_t p;
    cr_expect_eq(image_parse_pair_buffer(bin, len, IMAGE_PARSE_CHECKSUM, &p), IMAGE_OK);
    free(bin);
}

Test(image, descriptor)
{
    tb_pair_opts_t o;
    tb_pair_defaults(&o);
    o.irom_len = 200;
    o.ram_len = 64;
    o.name = NULL;
    size_t len;
    uint8_t *bin = tb_build_pair(&o, &len);
    image_pair_info_t p;
    cr_assert_eq(image_parse_pair_buffer(bin, len, IMAGE_PARSE_CHECKSUM, &p), IMAGE_OK);
    cr_expect_not(p.has_desc);
    free(bin);

    app_desc_t d = {APP_DESC_MAGIC, 7, "webupdater", "build 1"};
    uint8_t raw[64];
    app_desc_encode(&d, raw);
    cr_expect_eq(raw[0], 0x53); /* "SATO" */
    cr_expect_eq(raw[3], 0x4F);
    cr_expect_eq(raw[4], 7);
    app_desc_t back;
    cr_expect(app_desc_decode(raw, &back));
    cr_expect_str_eq(back.name, "webupdater");
    memset(raw + 8, 'x', 24); /* name without a NUL */
    cr_expect_not(app_desc_decode(raw, &back));
    app_desc_encode(&d, raw);
    raw[1] ^= 1;
    cr_expect_not(app_desc_decode(raw, &back));
}

Test(image, sketch_size_like_get_sketch_size)
{
    tb_pair_opts_t o;
    tb_pair_defaults(&o);
    size_t len;
    uint8_t *bin = tb_build_pair(&o, &len);
    mem_reader_t m = {bin, (uint32_t)len};
    reader_t r = mem_reader(&m);
    uint32_t size = 0;
    cr_assert(image_sketch_size(&r, 0, (uint32_t)len, &size));
    cr_expect_eq(size, 0x1000u + ((8 + 40 + o.irom_len + o.ram_len + 16) & ~15u));
    /* getSketchSize() does not check the magic or the checksum. */
    bin[0x1000] = 0;
    bin[len - 100] ^= 0xFF;
    cr_expect(image_sketch_size(&r, 0, (uint32_t)len, &size));
    /* A segment running past the limit (the original would wrap). */
    memset(bin + 0x100C, 0xFF, 4);
    cr_expect_not(image_sketch_size(&r, 0, (uint32_t)len, &size));
    cr_expect_not(image_sketch_size(&r, 0, 100, &size));
    free(bin);
}

Test(image, header_byte_helpers)
{
    /* Esp.cpp magicFlashChipSize / Speed / Mode */
    const uint32_t sizes[16] = {512 * KIB, 256 * KIB, 1 * MIB, 2 * MIB, 4 * MIB, 0, 0, 0,
                                8 * MIB,   16 * MIB,  0,       0,       0,       0, 0, 0};
    for (uint8_t c = 0; c < 16; c++) {
        cr_expect_eq(image_flash_size_from_code(c), sizes[c], "code %u", c);
        if (sizes[c] != 0) {
            cr_expect_eq(image_flash_size_code(sizes[c]), c);
        }
    }
    cr_expect_eq(image_flash_size_code(3 * MIB), -1);
    cr_expect_eq(image_flash_size_code(0), -1);
    cr_expect_eq(image_flash_freq_from_code(0), 40000000u);
    cr_expect_eq(image_flash_freq_from_code(1), 26000000u);
    cr_expect_eq(image_flash_freq_from_code(2), 20000000u);
    cr_expect_eq(image_flash_freq_from_code(0xF), 80000000u);
    cr_expect_eq(image_flash_freq_from_code(3), 0u);
    for (unsigned b = 0; b < 256; b++) {
        cr_expect_eq(image_flash_mode_from_byte((uint8_t)b), b <= 3 ? b : 0xFFu);
    }
}

Test(image, eboot_loader_rule)
{
    cr_expect(image_segment_loaded_by_eboot(0x3FFE8000u)); /* DRAM */
    cr_expect(image_segment_loaded_by_eboot(0x40100000u)); /* IRAM */
    cr_expect(image_segment_loaded_by_eboot(0x4010BFFFu));
    cr_expect_not(image_segment_loaded_by_eboot(0x4010C000u));
    cr_expect_not(image_segment_loaded_by_eboot(0x4010F000u)); /* eboot's own page */
    cr_expect_not(image_segment_loaded_by_eboot(0x40201010u)); /* .irom0.text */
    cr_expect(image_segment_loaded_by_eboot(0x60000000u));
    cr_expect_not(image_segment_loaded_by_eboot(0x40000000u));
}

Test(image, status_strings)
{
    for (int s = IMAGE_OK; s <= IMAGE_ERR_CRC; s++) {
        cr_expect_str_neq(image_status_str((image_status_t)s), "unknown");
    }
    cr_expect_str_eq(image_status_str((image_status_t)99), "unknown");
}

Test(image, boot_desc_found_by_scan)
{
    uint8_t img[4096];
    memset(img, 0xAA, sizeof img);
    app_desc_t d = {.magic = APP_DESC_MAGIC, .version = 1};
    strcpy(d.name, BOOT_DESC_NAME_SAFE);
    strcpy(d.build_id, "test");
    /* a stray magic word that does not decode must be skipped */
    img[100] = 0x53, img[101] = 0x41, img[102] = 0x54, img[103] = 0x4F;
    app_desc_encode(&d, img + 1024);
    mem_reader_t m = {img, sizeof img};
    reader_t r = mem_reader(&m);
    app_desc_t got;
    cr_assert(image_find_boot_desc(&r, 0, sizeof img, &got));
    cr_expect_str_eq(got.name, BOOT_DESC_NAME_SAFE);
    img[1024] ^= 1; /* magic broken: nothing else in the image decodes */
    cr_expect_not(image_find_boot_desc(&r, 0, sizeof img, &got));
    app_desc_encode(&d, img + 4096 - 64 + 0); /* last slot that fits is found */
    cr_expect(image_find_boot_desc(&r, 0, sizeof img, &got));
    cr_expect_not(image_find_boot_desc(&r, 0, sizeof img - 4, &got));
}
