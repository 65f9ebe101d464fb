/* "spin" for QEMU: the broken app of the harness's hang tests (emu/native/native_apps.c has the
 * native one): it prints that it waits for a sensor and spins forever. spin@2 makes no bridge
 * call, so only the watchdog (app_start_qemu.c: the instruction budget under -icount) ends
 * it; spin@3 (SPIN_POLL) polls with delays, so only the virtual-time limit does. */
#include "app_port_qemu.h"
#include "hal.h"

#define STR2(x) #x
#define STR(x) STR2(x)

int qemu_app_main(void)
{
    static const char line[] = APP_NAME "@" STR(APP_VERSION) ": waiting for the sensor\n";
    hal_console_write(line, sizeof line - 1);
    for (;;) {
#if SPIN_POLL
        /* spin@3: polls every 100 ms (bridge calls feed the watchdog): only the virtual-time
         * limit (qemu_run_cfg_t.hang_virtual_ms) ends it. */
        (void)hal_millis();
        hal_delay_ms(100);
#else
        __asm__ volatile("" ::: "memory"); /* the sensor never answers */
#endif
    }
}
