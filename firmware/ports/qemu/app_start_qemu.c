/* Start-up of an otasim app under QEMU: the bootloader has loaded the IRAM/DRAM segments and
 * jumped to lx106_start (lx106/start.c: stack, .bss), which calls lx106_main() here. The
 * ESP8266 maps flash at 0x40200000 through its cache; QEMU's sim machine has RAM there, so
 * this start-up plays the cache: it reads the app's .irom0.text from flash (the app image
 * follows the 4 KiB bootloader sector) over the bridge into that window before any of it runs.
 * The bridge files are the bootloader's (their fds live at QEMU_BRIDGE_FDS). */
#include <stdint.h>

#include "app_port_qemu.h"
#include "bridge_proto.h"
#include "qemu_bridge.h"
#include "semihost.h"

#define IROM_WINDOW 0x40200000u
#define APP_FLASH_OFFSET 0x1000u

extern uint32_t _irom_end[];
void lx106_exit(int code) __attribute__((noreturn));
int lx106_main(void);

/* The watchdog: the timer interrupt (CCOMPARE0, interrupt 6 on the lx106) QEMU_WDT_TICKS of
 * CCOUNT after the last bridge call (qemu_bridge.h: each call feeds it) ends the run as a
 * hang (wdt_qemu.S): under -icount an instruction budget without I/O, deterministic, and a
 * fraction of a second of QEMU time for a spinning app. PS = 0x20: user mode, interrupt
 * level 0 (level-1 interrupts are taken). */
extern char qemu_wdt_vectors[];

static void qemu_wdt_arm(void)
{
    uint32_t cc, ps = 0x20u, ie = 1u << 6;
    __asm__ volatile("wsr %0, vecbase\n rsync" : : "a"(qemu_wdt_vectors));
    __asm__ volatile("rsr %0, ccount" : "=a"(cc));
    cc += QEMU_WDT_TICKS;
    __asm__ volatile("wsr %0, ccompare0\n wsr %1, intenable\n wsr %2, ps\n rsync"
                     :
                     : "a"(cc), "a"(ie), "a"(ps)
                     : "memory");
}

int lx106_main(void)
{
    qemu_wdt_arm();
    uint32_t from = IROM_WINDOW + APP_FLASH_OFFSET;
    uint32_t len = ((uint32_t)(uintptr_t)_irom_end - from + 3u) & ~3u;
    if (qemu_bridge_call(QB_FLASH_READ, APP_FLASH_OFFSET, len, 0, (void *)(uintptr_t)from, 0))
        semihost_exit(QB_EXIT_BRIDGE_FAIL);
    return qemu_app_main();
}

/* An app that returns is idle (the native device's CHILD_IDLE): end this QEMU run. */
void lx106_exit(int code)
{
    (void)code;
    semihost_exit(QB_EXIT_IDLE);
}
