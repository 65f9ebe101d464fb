/* The eboot command block (spec §3.2): the spec's CRC check value and worked example are the
 * test vectors; everything else is checked against the field layout by hand. */
#include <criterion/criterion.h>
#include <string.h>

#include "boot_cmd.h"
#include "crc32.h"
#include "native_port.h"
#include "testlib.h"

static void words_to_bytes(const uint32_t w[32], uint8_t b[128])
{
    for (int i = 0; i < 32; i++) {
        b[4 * i] = (uint8_t)w[i];
        b[4 * i + 1] = (uint8_t)(w[i] >> 8);
        b[4 * i + 2] = (uint8_t)(w[i] >> 16);
        b[4 * i + 3] = (uint8_t)(w[i] >> 24);
    }
}

Test(boot_cmd, crc_check_value)
{
    cr_expect_eq(crc32_mpeg2(CRC32_MPEG2_INIT, "123456789", 9), 0x0376E6E7u);
    cr_expect_eq(ref_crc32_mpeg2("123456789", 9), 0x0376E6E7u, "the tests' own reference");
}

Test(boot_cmd, worked_example_of_the_spec)
{
    boot_cmd_t cmd;
    boot_cmd_make(&cmd, BOOT_CMD_COPY_RAW, 0x2B5000, 0, 0x4A5D2);
    cr_expect_eq(cmd.magic, 0xEB001000u);
    cr_expect_eq(cmd.action, 1u);
    cr_expect_eq(cmd.crc32, 0x44CFAD20u);
    cr_expect(boot_cmd_valid(&cmd));
}

Test(boot_cmd, encoding_is_32_little_endian_words)
{
    boot_cmd_t cmd;
    boot_cmd_make(&cmd, BOOT_CMD_COPY_RAW, 0x11223344, 0x55667788, 0x99AABBCC);
    uint8_t raw[128];
    boot_cmd_encode(&cmd, raw);
    static const uint8_t head[20] = {0x00, 0x10, 0x00, 0xEB, 0x01, 0x00, 0x00, 0x00, 0x44, 0x33,
                                     0x22, 0x11, 0x88, 0x77, 0x66, 0x55, 0xCC, 0xBB, 0xAA, 0x99};
    cr_expect_arr_eq(raw, head, sizeof(head));
    /* Our writer zeroes args[3..28]. */
    for (int i = 20; i < 124; i++) {
        cr_expect_eq(raw[i], 0, "byte %d", i);
    }
    /* The CRC word covers bytes 0..123, computed by the tests' own CRC. */
    uint32_t crc = raw[124] | raw[125] << 8 | raw[126] << 16 | (uint32_t)raw[127] << 24;
    cr_expect_eq(crc, ref_crc32_mpeg2(raw, 124));
    boot_cmd_t back;
    boot_cmd_decode(raw, &back);
    cr_expect_eq(memcmp(&back, &cmd, sizeof(cmd)), 0);
}

Test(boot_cmd, reader_masks_the_magic)
{
    boot_cmd_t cmd;
    boot_cmd_make(&cmd, BOOT_CMD_LOAD_APP, 0, 0, 0);
    cmd.magic = 0xEB001FFFu; /* low 12 bits ignored */
    cmd.crc32 = boot_cmd_crc(&cmd);
    cr_expect(boot_cmd_valid(&cmd));
    cmd.magic = 0xEB002000u;
    cmd.crc32 = boot_cmd_crc(&cmd);
    cr_expect_not(boot_cmd_valid(&cmd));
    cmd.magic = 0x00001000u;
    cmd.crc32 = boot_cmd_crc(&cmd);
    cr_expect_not(boot_cmd_valid(&cmd));
}

Test(boot_cmd, any_single_bit_flip_is_detected)
{
    boot_cmd_t cmd;
    boot_cmd_make(&cmd, BOOT_CMD_COPY_RAW, 0x19C000, 0, 400 * 1024);
    uint8_t raw[128];
    boot_cmd_encode(&cmd, raw);
    for (int bit = 0; bit < 128 * 8; bit++) {
        uint8_t bad[128];
        memcpy(bad, raw, sizeof(bad));
        bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        boot_cmd_t c;
        boot_cmd_decode(bad, &c);
        bool masked = bit < 12; /* the low 12 bits of the magic are not checked */
        if (!masked) {
            cr_expect_not(boot_cmd_valid(&c), "bit %d", bit);
        }
    }
}

Test(boot_cmd, garbage_args_are_covered_by_the_crc)
{
    /* The original leaves args[3..28] as stack garbage: a reader must take them into the
     * CRC, whatever they are. */
    uint32_t w[32] = {0xEB001000u, 1, 0x100000, 0, 0x1234};
    for (int i = 5; i < 31; i++) {
        w[i] = 0xDEAD0000u + (uint32_t)i;
    }
    uint8_t raw[128];
    words_to_bytes(w, raw);
    w[31] = ref_crc32_mpeg2(raw, 124);
    words_to_bytes(w, raw);
    boot_cmd_t c;
    boot_cmd_decode(raw, &c);
    cr_expect(boot_cmd_valid(&c));
    cr_expect_eq(c.args[3], 0xDEAD0005u);
}

Test(boot_cmd, rtc_write_read_clear)
{
    tdev_t *d = tdev_new("4m2m");
    boot_cmd_t cmd;
    boot_cmd_make(&cmd, 0, 0, 0, 0);
    cmd.action = BOOT_CMD_COPY_RAW;
    cmd.args[0] = 0x19C000;
    cmd.args[2] = 409600;
    cmd.magic = 0; /* write sets magic and CRC */
    cr_assert_eq(boot_cmd_write(&cmd), HAL_OK);

    /* It sits at RTC user memory offset 0 (0x60001200 = RTC base + 0x100). */
    uint32_t w[32];
    tdev_rtc_cmd(d, w);
    cr_expect_eq(w[0], 0xEB001000u);
    cr_expect_eq(w[1], 1u);
    cr_expect_eq(w[2], 0x19C000u);
    cr_expect_eq(w[4], 409600u);
    uint8_t raw[128];
    words_to_bytes(w, raw);
    cr_expect_eq(w[31], ref_crc32_mpeg2(raw, 124));

    boot_cmd_t back;
    bool valid = false;
    cr_assert_eq(boot_cmd_read(&back, &valid), HAL_OK);
    cr_expect(valid);
    cr_expect_eq(back.args[0], 0x19C000u);

    /* clear zeroes the magic and the CRC only; the arguments stay. */
    cr_assert_eq(boot_cmd_clear(), HAL_OK);
    tdev_rtc_cmd(d, w);
    cr_expect_eq(w[0], 0u);
    cr_expect_eq(w[31], 0u);
    cr_expect_eq(w[1], 1u);
    cr_expect_eq(w[2], 0x19C000u);
    cr_assert_eq(boot_cmd_read(&back, &valid), HAL_OK);
    cr_expect_not(valid);
    tdev_free(d);
}

Test(boot_cmd, rtc_errors_are_reported)
{
    tdev_t *d = tdev_new("4m2m");
    flashsim_power_loss(d->fs);
    /* Power is back after a power loss; RTC memory is zeroed or garbage: never valid. */
    boot_cmd_t back;
    bool valid = true;
    cr_assert_eq(boot_cmd_read(&back, &valid), HAL_OK);
    cr_expect_not(valid);
    native_port_detach();
    cr_expect_neq(boot_cmd_read(&back, &valid), HAL_OK, "no device attached");
    cr_expect_not(valid);
    cr_expect_neq(boot_cmd_clear(), HAL_OK);
    tdev_free(d);
}
