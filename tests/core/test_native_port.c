/* The native port: hal.h on flashsim. */
#include <criterion/criterion.h>
#include <string.h>

#include "hal.h"
#include "native_port.h"
#include "testlib.h"

static flashsim_t *new_flash(uint32_t size)
{
    flashsim_config_t fc = {.size = size, .seed = 3};
    flashsim_t *fs = flashsim_new(&fc);
    cr_assert_not_null(fs);
    return fs;
}

Test(native_port, flash_and_rtc_go_to_flashsim)
{
    flashsim_t *fs = new_flash(4 * MIB);
    native_port_config_t c;
    native_port_default_config(&c);
    native_port_attach(fs, &c);
    cr_expect_eq(native_port_flash(), fs);

    cr_expect_eq(hal_flash_real_size(), 4 * MIB);
    cr_expect_eq(hal_flash_chip_id(), flashsim_jedec_id(fs));
    cr_expect_eq((hal_flash_chip_id() >> 16) & 0xFF, 22u, "capacity byte log2(4 MB)");

    uint32_t data[4] = {0x11111111, 0x22222222, 0x33333333, 0x44444444};
    cr_expect_eq(hal_flash_erase_sector(5), HAL_OK);
    cr_expect_eq(hal_flash_write(5 * 4096 + 16, data, sizeof(data)), HAL_OK);
    uint32_t back[4] = {0};
    flashsim_peek(fs, 5 * 4096 + 16, back, sizeof(back));
    cr_expect_arr_eq(back, data, sizeof(data));
    memset(back, 0, sizeof(back));
    cr_expect_eq(hal_flash_read(5 * 4096 + 16, back, sizeof(back)), HAL_OK);
    cr_expect_arr_eq(back, data, sizeof(data));
    /* NOR: programming only clears bits. */
    uint32_t ones = 0xFFFFFFFF;
    cr_expect_eq(hal_flash_write(5 * 4096 + 16, &ones, 4), HAL_OK);
    cr_expect_eq(hal_flash_read(5 * 4096 + 16, back, 4), HAL_OK);
    cr_expect_eq(back[0], 0x11111111u);
    /* The ROM routines' rules come through as HAL codes. */
    cr_expect_eq(hal_flash_read(5 * 4096 + 1, back, 4), HAL_ERR_ALIGN);
    cr_expect_eq(hal_flash_read(4 * MIB, back, 4), HAL_ERR_RANGE);
    cr_expect_eq(hal_flash_erase_sector(1024), HAL_ERR_RANGE);

    uint32_t rtc = 0xCAFEF00D;
    cr_expect_eq(hal_rtc_write(0x100, &rtc, 4), HAL_OK);
    uint32_t rtc_back = 0;
    cr_expect_eq(flashsim_rtc_read(fs, 0x100, &rtc_back, 4), FLASHSIM_OK);
    cr_expect_eq(rtc_back, rtc);
    rtc_back = 0;
    cr_expect_eq(hal_rtc_read(0x100, &rtc_back, 4), HAL_OK);
    cr_expect_eq(rtc_back, rtc);
    cr_expect_eq(hal_rtc_read(HAL_RTC_MEM_SIZE, &rtc_back, 4), HAL_ERR_RANGE);

    native_port_detach();
    cr_expect_eq(hal_flash_read(0, back, 4), HAL_ERR_IO);
    cr_expect_eq(hal_flash_write(0, back, 4), HAL_ERR_IO);
    cr_expect_eq(hal_flash_erase_sector(0), HAL_ERR_IO);
    cr_expect_eq(hal_rtc_read(0, back, 4), HAL_ERR_IO);
    cr_expect_eq(hal_rtc_write(0, back, 4), HAL_ERR_IO);
    cr_expect_eq(hal_flash_real_size(), 0u);
    flashsim_free(fs);
}

Test(native_port, virtual_clock)
{
    flashsim_t *fs = new_flash(1 * MIB);
    native_port_config_t c;
    native_port_default_config(&c);
    c.start_ms = 1000;
    native_port_attach(fs, &c);
    cr_expect_eq(hal_millis(), 1000u);
    hal_delay_ms(60000);
    cr_expect_eq(hal_millis(), 61000u);
    native_port_advance_ms(5);
    cr_expect_eq(hal_millis(), 61005u);
    hal_yield();
    hal_yield();
    cr_expect_eq(hal_millis(), 61005u, "yield takes no time");
    cr_expect_eq(native_port_yield_count(), 2ul);
    native_port_detach();
    flashsim_free(fs);
}

static char sink[64];
static size_t sink_len;
static void to_sink(void *user, const void *buf, size_t len)
{
    cr_expect_eq(user, (void *)sink);
    memcpy(sink + sink_len, buf, len);
    sink_len += len;
}

Test(native_port, console_buffer_and_sink)
{
    flashsim_t *fs = new_flash(1 * MIB);
    char buf[8];
    native_port_config_t c;
    native_port_default_config(&c);
    c.console_buf = buf;
    c.console_cap = sizeof(buf);
    native_port_attach(fs, &c);
    hal_console_write("hello", 5);
    cr_expect_str_eq(buf, "hello");
    hal_console_write(", world", 7);
    cr_expect_str_eq(buf, "hello, ", "truncated, NUL-terminated");
    cr_expect_eq(native_port_console_len(), 12u);

    native_port_default_config(&c);
    c.console = to_sink;
    c.console_user = sink;
    native_port_attach(fs, &c);
    hal_console_write("v0008ed90\n", 10);
    cr_expect_eq(sink_len, 10u);
    cr_expect_eq(memcmp(sink, "v0008ed90\n", 10), 0);

    native_port_default_config(&c);
    native_port_attach(fs, &c);
    hal_console_write("dropped", 7); /* neither: nothing breaks */
    native_port_detach();
    flashsim_free(fs);
}

Test(native_port, random_is_deterministic_per_seed)
{
    flashsim_t *fs = new_flash(1 * MIB);
    native_port_config_t c;
    native_port_default_config(&c);
    c.random_seed = 99;
    uint8_t a[37], b[37], other[37];
    native_port_attach(fs, &c);
    hal_random(a, sizeof(a));
    native_port_attach(fs, &c);
    hal_random(b, sizeof(b));
    cr_expect_arr_eq(a, b, sizeof(a));
    c.random_seed = 100;
    native_port_attach(fs, &c);
    hal_random(other, sizeof(other));
    cr_expect_neq(memcmp(a, other, sizeof(a)), 0);
    /* Consecutive calls continue the stream. */
    native_port_attach(fs, &c);
    uint8_t first[8], second[8];
    hal_random(first, 8);
    hal_random(second, 8);
    cr_expect_arr_eq(first, other, 8);
    cr_expect_arr_eq(second, other + 8, 8);
    native_port_detach();
    flashsim_free(fs);
}

static int restarts_seen;
static hal_restart_t restart_kind;
static void on_restart(void *user, hal_restart_t kind)
{
    cr_expect_eq(user, (void *)&restarts_seen);
    restarts_seen++;
    restart_kind = kind;
}

Test(native_port, restart_boot_mode_and_heap)
{
    flashsim_t *fs = new_flash(1 * MIB);
    native_port_config_t c;
    native_port_default_config(&c);
    cr_expect_eq(c.boot_mode, NATIVE_BOOT_MODE_FLASH);
    cr_expect_eq(c.free_heap, 30000u);
    c.on_restart = on_restart;
    c.restart_user = &restarts_seen;
    native_port_attach(fs, &c);
    cr_expect_eq(hal_boot_mode(), 3u);
    cr_expect_eq(hal_free_heap(), 30000u);
    hal_restart(HAL_RESTART_WDT);
    cr_expect_eq(restarts_seen, 1);
    cr_expect_eq(restart_kind, HAL_RESTART_WDT);
    cr_expect_eq(native_port_restart_count(), 1u);
    cr_expect_eq(native_port_last_restart(), HAL_RESTART_WDT);
    native_port_set_boot_mode(NATIVE_BOOT_MODE_UART);
    native_port_set_free_heap(5000);
    cr_expect_eq(hal_boot_mode(), 1u);
    cr_expect_eq(hal_free_heap(), 5000u);
    native_port_detach();
    flashsim_free(fs);
}
