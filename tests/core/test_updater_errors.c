/* Updater conformance: every error code 0-16 of spec §2.2 reached through the public API on a
 * simulated device, each with its exact message text (copied from the spec's table by hand)
 * and its `ERROR[n]: msg` line (§2.2, printError). Also the otasim extension 17. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "native_port.h"
#include "updater_util.h"

static tdev_t *dev;
static uint8_t *img;
static size_t img_len;

static void setup(void)
{
    dev = tdev_new("4m2m");
    updater_config_t c = tdev_config(dev);
    tdev_init_updater(dev, &c);
    img = uu_small_pair(2, 0x40, 5, &img_len);
}

static void teardown(void)
{
    free(img);
    tdev_free(dev);
}

/* The code, getErrorString() and printError() of the current error. */
static void expect_error(update_error_t code, const char *message)
{
    cr_expect_eq(updater_get_error(&dev->up), code, "error %d, want %d",
                 (int)updater_get_error(&dev->up), (int)code);
    char msg[200];
    size_t n = updater_error_string(&dev->up, msg, sizeof(msg));
    cr_expect_str_eq(msg, message);
    cr_expect_eq(n, strlen(message));
    char line[240];
    snprintf(line, sizeof(line), "ERROR[%d]: %s\n", (int)code, message);
    cr_expect_str_eq(tdev_error_line(dev), line);
    /* printError() goes to the console. */
    size_t before = native_port_console_len();
    updater_print_error(&dev->up);
    cr_expect_str_eq(dev->console + before, line);
    cr_expect_not(updater_is_running(&dev->up), "every error aborts the update");
}

TestSuite(updater_errors, .init = setup, .fini = teardown);

Test(updater_errors, e0_no_error)
{
    expect_error(UPDATE_ERROR_OK, "No Error");
    cr_expect_not(updater_has_error(&dev->up));
}

Test(updater_errors, e1_flash_write_failed)
{
    cr_assert(updater_begin(&dev->up, (uint32_t)img_len, U_FLASH));
    char plan[64];
    snprintf(plan, sizeof(plan), "fail@addr=%u:program", updater_start_address(&dev->up));
    uu_plan(dev, plan);
    uint32_t n = updater_write(&dev->up, img, (uint32_t)img_len);
    cr_expect_lt(n, img_len, "a failed flush is not reported as written");
    expect_error(UPDATE_ERROR_WRITE, "Flash Write Failed");
    cr_expect_not(updater_end(&dev->up, false));
    uu_expect_no_cmd(dev);
}

Test(updater_errors, e2_flash_erase_failed)
{
    cr_assert(updater_begin(&dev->up, (uint32_t)img_len, U_FLASH));
    char plan[64];
    snprintf(plan, sizeof(plan), "fail@addr=%u:erase", updater_start_address(&dev->up) + 4096);
    uu_plan(dev, plan);
    uint32_t n = updater_write(&dev->up, img, (uint32_t)img_len);
    cr_expect_eq(n, 4096u, "the first sector was written, the second erase failed");
    expect_error(UPDATE_ERROR_ERASE, "Flash Erase Failed");
    uu_expect_no_cmd(dev);
}

Test(updater_errors, e3_flash_read_failed)
{
    cr_assert(updater_begin(&dev->up, (uint32_t)img_len, U_FLASH));
    cr_assert_eq(updater_write(&dev->up, img, (uint32_t)img_len), img_len);
    char plan[64];
    snprintf(plan, sizeof(plan), "fail@addr=%u:read", updater_start_address(&dev->up));
    uu_plan(dev, plan);
    cr_expect_not(updater_end(&dev->up, false));
    expect_error(UPDATE_ERROR_READ, "Flash Read Failed");
    uu_expect_no_cmd(dev);
}

Test(updater_errors, e4_not_enough_space)
{
    cr_expect_not(updater_begin(&dev->up, dev->layout.fs_start, U_FLASH));
    expect_error(UPDATE_ERROR_SPACE, "Not Enough Space");
}

Test(updater_errors, e5_bad_size_given)
{
    cr_expect_not(updater_begin(&dev->up, 0, U_FLASH));
    expect_error(UPDATE_ERROR_SIZE, "Bad Size Given");
}

Test(updater_errors, e6_stream_read_timeout)
{
    cr_assert(updater_begin(&dev->up, (uint32_t)img_len, U_FLASH));
    tstream_t ts;
    update_stream_t s = tstream_make(&ts, img, img_len);
    ts.stall_at = 100;
    uint32_t t0 = hal_millis();
    uint32_t n = updater_write_stream(&dev->up, &s, 5000);
    cr_expect_eq(n, 100u);
    cr_expect_geq(hal_millis() - t0, 5000u, "gave up only after the timeout");
    expect_error(UPDATE_ERROR_STREAM, "Stream Read Timeout");
}

Test(updater_errors, e7_md5_with_both_values)
{
    const char *wrong = "0123456789ABCDEF0123456789abcdef";
    cr_assert(updater_begin(&dev->up, (uint32_t)img_len, U_FLASH));
    cr_assert(updater_set_md5(&dev->up, wrong));
    cr_assert_eq(updater_write(&dev->up, img, (uint32_t)img_len), img_len);
    cr_expect_not(updater_end(&dev->up, false));
    char actual[33], msg[200];
    ref_md5_hex(img, img_len, actual);
    snprintf(msg, sizeof(msg), "MD5 verification failed: expected: %s, calculated: %s", wrong,
             actual);
    expect_error(UPDATE_ERROR_MD5, msg);
    uu_expect_no_cmd(dev);
}

Test(updater_errors, e8_flash_config_with_both_sizes)
{
    /* A 1 MB chip whose running sketch's header says 4 MB (byte 3 = 0x40). */
    tdev_free(dev);
    tb_pair_opts_t o;
    tb_pair_defaults(&o);
    o.size_freq = 0x40;
    o.irom_len = 100000;
    o.ram_len = 20000;
    dev = tdev_new_with("1m64", &o);
    updater_config_t c = tdev_config(dev);
    tdev_init_updater(dev, &c);
    cr_expect_not(updater_begin(&dev->up, 1000, U_FLASH));
    expect_error(UPDATE_ERROR_FLASH_CONFIG, "Flash config wrong: real: 1048576, SDK: 4194304");
}

Test(updater_errors, e9_new_flash_config_with_the_real_size)
{
    /* The new image's header declares 8 MB (size code 8) on this 4 MB chip. */
    free(img);
    img = uu_small_pair(2, 0x80, 5, &img_len);
    cr_expect_not(uu_update(dev, img, img_len, U_FLASH, 1000));
    expect_error(UPDATE_ERROR_NEW_FLASH_CONFIG, "new Flash config wrong, real size: 4194304");
    uu_expect_no_cmd(dev);
}

Test(updater_errors, e10_magic_byte)
{
    img[0] = 0xEA;
    cr_expect_not(uu_update(dev, img, img_len, U_FLASH, 1000));
    expect_error(UPDATE_ERROR_MAGIC_BYTE, "Magic byte is not 0xE9");
}

Test(updater_errors, e11_bootstrapping_state)
{
    native_port_set_boot_mode(NATIVE_BOOT_MODE_UART);
    cr_expect_not(updater_begin(&dev->up, (uint32_t)img_len, U_FLASH));
    expect_error(UPDATE_ERROR_BOOTSTRAP,
                 "Invalid bootstrapping state, reset ESP8266 before updating");
}

Test(updater_errors, e12_signature)
{
    tb_key_t *k = tb_key_load("rsa2048");
    updater_config_t c = tdev_config(dev);
    c.signing_key = tb_key_public(k);
    tdev_init_updater(dev, &c);
    cr_expect_not(uu_update(dev, img, img_len, U_FLASH, 1000));
    expect_error(UPDATE_ERROR_SIGN, "Signature verification failed");
    tb_key_free(k);
}

Test(updater_errors, e13_no_data)
{
    cr_assert(updater_begin(&dev->up, (uint32_t)img_len, U_FLASH));
    cr_expect_not(updater_end(&dev->up, false));
    expect_error(UPDATE_ERROR_NO_DATA, "No data supplied");
}

Test(updater_errors, e14_out_of_memory)
{
    /* Under 2 * 4096 the Updater takes the 256-byte buffer; less than that is OOM. */
    native_port_set_free_heap(200);
    cr_expect_not(updater_begin(&dev->up, (uint32_t)img_len, U_FLASH));
    expect_error(UPDATE_ERROR_OOM, "Out of memory");
}

Test(updater_errors, e15_update_already_running_aborts_it)
{
    cr_assert(updater_begin(&dev->up, (uint32_t)img_len, U_FLASH));
    cr_assert_eq(updater_write(&dev->up, img, 5000), 5000u);
    cr_expect_not(updater_begin(&dev->up, (uint32_t)img_len, U_FLASH));
    expect_error(UPDATE_ERROR_RUNNING_ALREADY, "Update already running");
    cr_expect_eq(updater_write(&dev->up, img + 5000, 10), 0u, "the old update is gone");
}

Test(updater_errors, e16_unknown_command)
{
    cr_expect_not(updater_begin(&dev->up, 1000, 42));
    expect_error(UPDATE_ERROR_UNKNOWN_COMMAND, "Unknown update command");
    cr_expect_not(updater_begin(&dev->up, 1000, U_AUTH));
    expect_error(UPDATE_ERROR_UNKNOWN_COMMAND, "Unknown update command");
}

Test(updater_errors, e17_otasim_image_check)
{
    updater_config_t c = tdev_config(dev);
    c.check_image = true;
    tdev_init_updater(dev, &c);
    img[0x1000 + 200] ^= 0x01; /* app checksum and file CRC no longer match */
    cr_expect_not(uu_update(dev, img, img_len, U_FLASH, 1000));
    expect_error(UPDATE_ERROR_IMAGE, "Image verification failed");
    cr_expect_eq(dev->up.detail, UPDATER_DETAIL_IMAGE_INVALID);
}

Test(updater_errors, texts_of_codes_outside_the_table)
{
    cr_expect_str_eq(update_error_text((update_error_t)18), "UNKNOWN");
    cr_expect_str_eq(update_error_text((update_error_t)255), "UNKNOWN");
    /* The prefixes of the three messages that carry values. */
    cr_expect_str_eq(update_error_text(UPDATE_ERROR_MD5), "MD5 verification failed");
    cr_expect_str_eq(update_error_text(UPDATE_ERROR_FLASH_CONFIG), "Flash config wrong");
    cr_expect_str_eq(update_error_text(UPDATE_ERROR_NEW_FLASH_CONFIG), "new Flash config wrong");
}

Test(updater_errors, messages_truncate_like_snprintf)
{
    cr_assert_not(updater_begin(&dev->up, 0, U_FLASH));
    char small[8];
    size_t n = updater_format_error(&dev->up, small, sizeof(small));
    cr_expect_eq(n, strlen("ERROR[5]: Bad Size Given\n"));
    cr_expect_str_eq(small, "ERROR[5");
}

Test(updater_errors, clear_error)
{
    cr_assert_not(updater_begin(&dev->up, 0, U_FLASH));
    cr_expect(updater_has_error(&dev->up));
    updater_clear_error(&dev->up);
    expect_error(UPDATE_ERROR_OK, "No Error");
    /* A successful begin clears an old error too (§2.3 step 6). */
    cr_assert_not(updater_begin(&dev->up, 0, U_FLASH));
    cr_expect(updater_begin(&dev->up, 1000, U_FLASH));
    cr_expect_eq(updater_get_error(&dev->up), UPDATE_ERROR_OK);
}
