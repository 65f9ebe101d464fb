/* "spin" for QEMU: the broken app of the harness's hang tests (emu/native/native_apps.c has the
 * native one): it prints that it waits for a sensor and spins forever without a bridge call,
 * so only the watchdog (app_start_qemu.c: the instruction budget under -icount) ends it. */
#include "app_port_qemu.h"
#include "hal.h"

#define STR2(x) #x
#define STR(x) STR2(x)

int qemu_app_main(void)
{
    static const char line[] = APP_NAME "@" STR(APP_VERSION) ": waiting for the sensor\n";
    hal_console_write(line, sizeof line - 1);
    for (;;)
        __asm__ volatile("" ::: "memory"); /* the sensor never answers */
}
