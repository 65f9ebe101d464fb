/* Bridge probe (tests/emu's qemu-runner test): exercises every bridge request once and then
 * round trips. Writes 0xA5 0x5A 0x00 0xFF.. to flash 0x2000 after erasing sector 2, reads it
 * back, writes RTC offset 0x100, pings 1000 times, prints "probe ok", exits 7. Failing check
 * N exits 20+N. The host checks what landed in flashsim. Outputs (QB_OUTPUT): GPIO4 on for
 * good, GPIO5 on across the erase and the write and off after them, then a pin the HAL does
 * not have (refused) and a level that is no change (no event). */
#include <stdint.h>
#include <string.h>

#include "bridge_proto.h"
#include "hal.h"
#include "qemu_bridge.h"
#include "semihost.h"

int lx106_main(void);

int lx106_main(void)
{
    static const char hello[] = "probe start\n";
    qemu_bridge_open();
    hal_console_write(hello, sizeof hello - 1);
    if (hal_flash_real_size() != 4u * 1024u * 1024u)
        return 20;
    hal_output_set(4, true);
    hal_output_set(5, true);
    hal_output_set(5, true); /* no change: nothing crosses the bridge */
    if (hal_flash_erase_sector(2) != HAL_OK)
        return 21;
    static uint32_t data[64], back[64];
    for (unsigned i = 0; i < 64; i++)
        data[i] = 0xFF005AA5u ^ (i << 8);
    if (hal_flash_write(0x2000, data, sizeof data) != HAL_OK)
        return 22;
    hal_output_set(5, false);
    if (qemu_bridge_call(QB_OUTPUT, HAL_OUTPUT_PINS, 1, NULL, NULL, NULL) != HAL_ERR_RANGE ||
        qemu_bridge_call(QB_OUTPUT, 5, 0, NULL, NULL, NULL) != HAL_OK)
        return 27;
    if (hal_flash_read(0x2000, back, sizeof back) != HAL_OK || memcmp(data, back, sizeof data))
        return 23;
    uint32_t rtc = 0x12345678u, rtcb = 0;
    if (hal_rtc_write(0x100, &rtc, 4) != HAL_OK || hal_rtc_read(0x100, &rtcb, 4) != HAL_OK ||
        rtcb != rtc)
        return 24;
    if (hal_flash_read(0x2001, back, 4) != HAL_ERR_ALIGN)
        return 25;
    for (uint32_t i = 0; i < 1000; i++) {
        uint32_t v = 0;
        qemu_bridge_call(QB_PING, i, 0, NULL, NULL, &v);
        if (v != i)
            return 26;
    }
    static const char ok[] = "probe ok\n";
    hal_console_write(ok, sizeof ok - 1);
    return 7;
}
