/* The native port: every hal.h function implemented on a flashsim device, for firmware built
 * as host code (tests, the native device runner). One device per process at a time (the HAL
 * is a set of plain C functions); attach it before calling any firmware code.
 *
 * Time is virtual: hal_millis() starts at config.start_ms and only hal_delay_ms() (or
 * native_port_advance_ms()) moves it, so waiting costs nothing and runs are reproducible.
 * hal_random() is a deterministic generator seeded from config.random_seed.
 *
 * The virtual watchdog: a boot's virtual elapsed time is its delays, the flash chip's own
 * time for its operations (the flashsim timing model) and one microsecond per other HAL call
 * (so a loop that only polls still advances it). When it reaches config.hang_after_ms,
 * config.on_hang is called: a firmware that waits forever (a stream that never delivers, a
 * retry loop, a bootloader stuck re-reading flash) is a hang found in virtual time, in
 * milliseconds of wall time, not after a wall-clock alarm. Loops that make no HAL call at all
 * can only be caught by the runner's wall-clock backstop. */
#ifndef OTASIM_NATIVE_PORT_H
#define OTASIM_NATIVE_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flashsim.h"
#include "hal.h"

#define NATIVE_BOOT_MODE_UART 1u  /* UART download boot: first boot after a serial flash */
#define NATIVE_BOOT_MODE_FLASH 3u /* normal boot from flash */

typedef struct native_port_config {
    uint32_t boot_mode;   /* hal_boot_mode(); default NATIVE_BOOT_MODE_FLASH */
    uint32_t free_heap;   /* hal_free_heap(); default 30000 (the core's host mock) */
    uint64_t random_seed; /* hal_random() stream; default 1 */
    uint32_t start_ms;    /* hal_millis() at attach; default 0 */
    /* Console: bytes go to `console` if set, else are appended to console_buf (kept
     * NUL-terminated, truncated at console_cap - 1), else dropped. */
    void (*console)(void *user, const void *buf, size_t len);
    void *console_user;
    char *console_buf;
    size_t console_cap;
    /* hal_restart(): called if set (a runner ends the boot there, e.g. with _exit()); the
     * restart is recorded either way and, if the hook returns, hal_restart() returns. */
    void (*on_restart)(void *user, hal_restart_t kind);
    void *restart_user;
    /* The virtual watchdog (see above): 0 = off. on_hang normally does not return (a runner
     * ends the boot); if it returns, it is not called again for this attach. */
    uint32_t hang_after_ms;
    void (*on_hang)(void *user, uint64_t virtual_us);
    void *hang_user;
    /* Outputs and flash operations, for a runner that places output changes in the flash
     * operation sequence: on_output at every hal_output_set() that changes a pin, on_flash_op
     * before every hal_flash_write() / hal_flash_erase_sector() call. Either may be NULL. */
    void (*on_output)(void *user, uint32_t pin, bool on);
    void (*on_flash_op)(void *user, bool erase, uint32_t addr);
    void *io_user;
} native_port_config_t;

void native_port_default_config(native_port_config_t *cfg);

/* Attach a device (not owned) with a config (copied); resets clock, counters and console. */
void native_port_attach(flashsim_t *fs, const native_port_config_t *cfg);
void native_port_detach(void);
flashsim_t *native_port_flash(void);

/* Change the environment while firmware runs. */
void native_port_set_boot_mode(uint32_t boot_mode);
void native_port_set_free_heap(uint32_t bytes);
void native_port_advance_ms(uint32_t ms);

/* Observe it. */
size_t native_port_console_len(void); /* bytes captured in console_buf (before truncation) */
unsigned native_port_restart_count(void);
hal_restart_t native_port_last_restart(void);
unsigned long native_port_yield_count(void);
/* Output levels as a bit mask (bit n: pin n on); all off at attach (a reset). */
uint32_t native_port_outputs(void);
/* The virtual elapsed time since attach (what the watchdog compares), in microseconds. */
uint64_t native_port_virtual_us(void);

#endif
