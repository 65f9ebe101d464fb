/* The native port's outputs (hal_output_set, native_port.h): on_output fires once per change
 * (not for a repeated level), pins outside 0..15 are ignored, on_flash_op comes before every
 * program and erase (so a runner can place an output change among them), and a new attach (a
 * reset) starts with every output off. */
#include <criterion/criterion.h>

#include "flashsim.h"
#include "hal.h"
#include "native_port.h"

static char log_[64];
static unsigned nlog;

static void put(char c)
{
    if (nlog + 1 < sizeof(log_)) {
        log_[nlog++] = c;
        log_[nlog] = 0;
    }
}

static void on_output(void *user, uint32_t pin, bool on)
{
    cr_assert_eq(user, log_);
    put((char)('a' + pin));
    put(on ? '+' : '-');
}

static void on_flash_op(void *user, bool erase, uint32_t addr)
{
    (void)user;
    (void)addr;
    put(erase ? 'E' : 'W');
}

static flashsim_t *attach(void)
{
    flashsim_config_t fc = {.size = 1u << 20, .seed = 1};
    flashsim_t *fs = flashsim_new(&fc);
    cr_assert_not_null(fs);
    native_port_config_t pc;
    native_port_default_config(&pc);
    pc.on_output = on_output;
    pc.on_flash_op = on_flash_op;
    pc.io_user = log_;
    native_port_attach(fs, &pc);
    nlog = 0;
    log_[0] = 0;
    return fs;
}

Test(outputs, changes_in_order_with_flash_ops)
{
    flashsim_t *fs = attach();
    uint32_t w = 0x12345678u;
    hal_output_set(5, true);
    hal_output_set(5, true); /* same level: no event */
    cr_expect_eq(hal_flash_erase_sector(16), HAL_OK);
    cr_expect_eq(hal_flash_write(16 * 4096, &w, 4), HAL_OK);
    hal_output_set(5, false);
    hal_output_set(1, true);
    hal_output_set(16, true);  /* not a pin */
    hal_output_set(99, false); /* not a pin */
    cr_expect_str_eq(log_, "f+EWf-b+");
    cr_expect_eq(native_port_outputs(), 1u << 1);
    native_port_detach();
    flashsim_free(fs);
}

Test(outputs, a_reset_turns_every_output_off)
{
    flashsim_t *fs = attach();
    hal_output_set(5, true);
    cr_expect_eq(native_port_outputs(), 1u << 5);
    native_port_config_t pc;
    native_port_default_config(&pc);
    native_port_attach(fs, &pc); /* the next boot */
    cr_expect_eq(native_port_outputs(), 0);
    native_port_detach();
    flashsim_free(fs);
}
