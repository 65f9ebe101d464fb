/* The native port's virtual watchdog (native_port.h): delays, the flash chip's operation
 * times and HAL polling all advance a boot's virtual time, and on_hang fires once, when the
 * limit is reached, not before. */
#include <criterion/criterion.h>

#include "flashsim.h"
#include "hal.h"
#include "native_port.h"

static unsigned hangs;
static uint64_t hang_at_us;

static void on_hang(void *user, uint64_t virtual_us)
{
    (void)user;
    hangs++;
    hang_at_us = virtual_us;
}

static flashsim_t *attach(uint32_t limit_ms)
{
    flashsim_config_t fc = {.size = 1u << 20, .seed = 1};
    flashsim_t *fs = flashsim_new(&fc);
    cr_assert_not_null(fs);
    native_port_config_t pc;
    native_port_default_config(&pc);
    pc.hang_after_ms = limit_ms;
    pc.on_hang = on_hang;
    native_port_attach(fs, &pc);
    hangs = 0;
    hang_at_us = 0;
    return fs;
}

Test(watchdog, delays_reach_the_limit_exactly)
{
    flashsim_t *fs = attach(1000);
    for (int i = 0; i < 999; i++)
        hal_delay_ms(1);
    cr_expect_eq(hangs, 0, "fired before the limit");
    hal_delay_ms(1);
    cr_expect_eq(hangs, 1);
    cr_expect_geq(hang_at_us, 1000000u);
    for (int i = 0; i < 100; i++)
        hal_delay_ms(10);
    cr_expect_eq(hangs, 1, "fires once per attach");
    native_port_detach();
    flashsim_free(fs);
}

Test(watchdog, flash_erases_count_their_chip_time)
{
    flashsim_t *fs = attach(2000);
    uint64_t t0 = native_port_virtual_us();
    cr_assert_eq(hal_flash_erase_sector(16), HAL_OK);
    uint64_t per_erase = native_port_virtual_us() - t0;
    cr_assert_gt(per_erase, 1000u, "an erase costs its datasheet time, got %llu us",
                 (unsigned long long)per_erase);
    unsigned erases = 1;
    while (hangs == 0 && erases < 100000) {
        cr_assert_eq(hal_flash_erase_sector(16 + erases % 64), HAL_OK);
        erases++;
    }
    cr_expect_eq(hangs, 1);
    /* The limit is reached within one erase of where the chip's time says. */
    uint64_t expect = (2000000u + per_erase - 1) / per_erase;
    cr_expect(erases >= expect - 1 && erases <= expect + 1, "%u erases, expected ~%llu", erases,
              (unsigned long long)expect);
    native_port_detach();
    flashsim_free(fs);
}

Test(watchdog, polling_without_delays_still_advances)
{
    flashsim_t *fs = attach(50);
    unsigned long polls = 0;
    while (hangs == 0 && polls < 10000000ul) {
        (void)hal_millis();
        polls++;
    }
    cr_expect_eq(hangs, 1, "a busy poll of the clock must end as a hang");
    cr_expect_eq(polls, 50000ul, "1 us per HAL call");
    cr_expect_eq(hal_millis() - 0, 0u, "polling does not move hal_millis() itself");
    native_port_detach();
    flashsim_free(fs);
}

Test(watchdog, off_by_default)
{
    flashsim_config_t fc = {.size = 1u << 20, .seed = 1};
    flashsim_t *fs = flashsim_new(&fc);
    native_port_config_t pc;
    native_port_default_config(&pc);
    native_port_attach(fs, &pc);
    hal_delay_ms(100000000u);
    cr_expect_eq(native_port_virtual_us(), 100000000000ull);
    native_port_detach();
    flashsim_free(fs);
}
