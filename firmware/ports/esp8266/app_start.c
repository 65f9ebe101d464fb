/* Start-up of an otasim app on the ESP8266: the bootloader has loaded .text/.data/.rodata and
 * jumped to lx106_start (lx106/start.c: stack, .bss), which calls lx106_main() here. */
#include "app_port_esp8266.h"
#include "esp8266_regs.h"
#include "hal.h"

void lx106_exit(int code) __attribute__((noreturn));
int lx106_main(void);

int lx106_main(void)
{
    /* Map the first MiB of flash at 0x40200000: .irom0.text runs from there. */
    Cache_Read_Enable(0, 0, 1);
    esp8266_cache_on = 1;
    return esp8266_app_main();
}

/* An app that returns has nothing left to do: restart (the ROM boots the bootloader again). */
void lx106_exit(int code)
{
    (void)code;
    hal_restart(HAL_RESTART_SOFT);
    for (;;) {
    }
}
