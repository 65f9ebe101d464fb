/* ESP.getSketchSize()/getSketchMD5()/getFlashChip*()/checkFlashConfig()/checkFlashCRC() on a
 * device holding an elf2bin-style sketch. */
#include <criterion/criterion.h>
#include <string.h>

#include "esp_info.h"
#include "native_port.h"
#include "testlib.h"

Test(esp_info, sketch_size_and_md5)
{
    tdev_t *d = tdev_new("4m2m");
    uint32_t size = 0;
    cr_assert(esp_sketch_size(&size));
    cr_expect_eq(size, d->sketch_len, "getSketchSize() is the .bin length");
    uint8_t md5[16], want[16];
    cr_assert(esp_sketch_md5(md5));
    ref_md5(d->sketch, d->sketch_len, want);
    cr_expect_arr_eq(md5, want, 16);
    /* getFreeSketchSpace() = FS_start - roundup4096(sketch). */
    uint32_t rounded = (uint32_t)((d->sketch_len + 4095) & ~4095u);
    cr_expect_eq(esp_free_sketch_space(&d->layout), 0x200000u - rounded);
    tdev_free(d);
}

Test(esp_info, unreadable_sketch)
{
    tdev_t *d = tdev_new("4m2m");
    /* An erased app header: 255 segments of 0xFFFFFFFF bytes run off the chip. */
    uint8_t ff[16];
    memset(ff, 0xFF, sizeof(ff));
    flashsim_poke(d->fs, 0x1000, ff, sizeof(ff));
    uint32_t size;
    cr_expect_not(esp_sketch_size(&size));
    uint8_t md5[16];
    cr_expect_not(esp_sketch_md5(md5));
    cr_expect_eq(esp_free_sketch_space(&d->layout), 0u);
    tdev_free(d);
}

Test(esp_info, flash_chip_from_the_header)
{
    tb_pair_opts_t o;
    tb_pair_defaults(&o);
    o.flash_mode = 3;    /* DOUT */
    o.size_freq = 0x2F;  /* 1 MB, 80 MHz */
    tdev_t *d = tdev_new_with("4m2m", &o);
    cr_expect_eq(esp_flash_chip_size(), 1 * MIB);
    cr_expect_eq(esp_flash_chip_speed(), 80000000u);
    cr_expect_eq(esp_flash_chip_mode(), 3);
    cr_expect_eq(esp_flash_chip_real_size(), 4 * MIB);
    cr_expect(esp_check_flash_config(false));
    cr_expect_not(esp_check_flash_config(true));

    uint8_t b3 = 0x80; /* 8 MB declared on a 4 MB chip */
    flashsim_poke(d->fs, 3, &b3, 1);
    cr_expect_eq(esp_flash_chip_size(), 8 * MIB);
    cr_expect_not(esp_check_flash_config(false));
    uint8_t b2 = 7;
    flashsim_poke(d->fs, 2, &b2, 1);
    cr_expect_eq(esp_flash_chip_mode(), 0xFF, "unknown mode");
    tdev_free(d);
}

Test(esp_info, check_flash_crc)
{
    tdev_t *d = tdev_new("4m2m");
    cr_expect(esp_check_flash_crc());
    /* A patched flash mode fails it, as after a patched OTA (#7307). */
    uint8_t b2 = 0;
    flashsim_poke(d->fs, 2, &b2, 1);
    cr_expect_not(esp_check_flash_crc());
    b2 = 2;
    flashsim_poke(d->fs, 2, &b2, 1);
    cr_expect(esp_check_flash_crc());
    /* A length word past the chip. */
    uint8_t big[4] = {0, 0, 0, 0x10};
    flashsim_poke(d->fs, 0x1010, big, 4);
    cr_expect_not(esp_check_flash_crc());
    tdev_free(d);
}
