/* hal.h under QEMU: every flash and RTC memory operation is a request over the semihosting
 * bridge (bridge_proto.h) to the host runner, which serves it from a flashsim device. The
 * console is semihosting fd 1. Restarts end QEMU with an exit code saying which (the runner
 * starts a new QEMU: fresh program state, RTC memory kept in flashsim). Shared by the
 * bootloader and the apps; it keeps no state in RAM (see bridge_proto.h). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bridge_proto.h"
#include "hal.h"
#include "qemu_bridge.h"
#include "semihost.h"

#define FDS ((volatile int32_t *)QEMU_BRIDGE_FDS)

static bool xfer(int fd, void *buf, uint32_t len, bool out)
{
    uint8_t *p = buf;
    while (len) {
        int32_t n = out ? semihost_write(fd, p, len) : semihost_read(fd, p, len);
        if (n <= 0)
            return false;
        p += n;
        len -= (uint32_t)n;
    }
    return true;
}

/* Apps batch their delays (time_qemu.c): whatever they have not told the runner yet goes
 * first. Weak and absent in the bootloader, which keeps no such state: its .bss is not safe
 * while it loads the app's DRAM segments over it. */
void qemu_time_sync(uint32_t op) __attribute__((weak));

uint32_t qemu_bridge_call(uint32_t op, uint32_t arg0, uint32_t arg1, const void *out, void *in,
                          uint32_t *value)
{
    if (qemu_time_sync)
        qemu_time_sync(op);
    uint32_t req[3] = {op, arg0, arg1};
    uint32_t rsp[2], cc;
    __asm__ volatile("rsr %0, ccount" : "=a"(cc)); /* feed the watchdog (qemu_bridge.h) */
    __asm__ volatile("wsr %0, ccompare0" : : "a"(cc + QEMU_WDT_TICKS));
    if (!xfer(FDS[0], req, sizeof req, true) ||
        (out && !xfer(FDS[0], (void *)(uintptr_t)out, arg1, true)) ||
        !xfer(FDS[1], rsp, sizeof rsp, false))
        semihost_exit(QB_EXIT_BRIDGE_FAIL);
    if (rsp[0] == HAL_ERR_POWER)
        semihost_exit(QB_EXIT_POWER);
    if (value)
        *value = rsp[1];
    if (rsp[0] == HAL_OK && in) {
        uint32_t len = op == QB_STREAM_READ ? rsp[1] : arg1;
        if (!xfer(FDS[1], in, len, false))
            semihost_exit(QB_EXIT_BRIDGE_FAIL);
    }
    return rsp[0];
}

void qemu_bridge_open(void)
{
    FDS[0] =
        semihost_call(SEMI_OPEN, (int32_t)(uintptr_t)QEMU_BRIDGE_REQ_PATH, 1 /* O_WRONLY */, 0);
    FDS[1] =
        semihost_call(SEMI_OPEN, (int32_t)(uintptr_t)QEMU_BRIDGE_RSP_PATH, 0 /* O_RDONLY */, 0);
    if (FDS[0] < 0 || FDS[1] < 0)
        semihost_exit(QB_EXIT_BRIDGE_FAIL);
}

static hal_status_t check(uint32_t addr, uint32_t len)
{
    return (addr | len) & 3u ? HAL_ERR_ALIGN : HAL_OK;
}

hal_status_t hal_flash_read(uint32_t addr, void *dst, uint32_t len)
{
    hal_status_t s = check(addr, len);
    return s ? s : (hal_status_t)qemu_bridge_call(QB_FLASH_READ, addr, len, NULL, dst, NULL);
}

hal_status_t hal_flash_write(uint32_t addr, const void *src, uint32_t len)
{
    hal_status_t s = check(addr, len);
    return s ? s : (hal_status_t)qemu_bridge_call(QB_FLASH_WRITE, addr, len, src, NULL, NULL);
}

hal_status_t hal_flash_erase_sector(uint32_t sector)
{
    return (hal_status_t)qemu_bridge_call(QB_FLASH_ERASE, sector, 0, NULL, NULL, NULL);
}

uint32_t hal_flash_real_size(void)
{
    uint32_t v = 0;
    qemu_bridge_call(QB_FLASH_INFO, 1, 0, NULL, NULL, &v);
    return v;
}

uint32_t hal_flash_chip_id(void)
{
    uint32_t v = 0;
    qemu_bridge_call(QB_FLASH_INFO, 0, 0, NULL, NULL, &v);
    return v;
}

hal_status_t hal_rtc_read(uint32_t offset, void *dst, uint32_t len)
{
    hal_status_t s = check(offset, len);
    return s ? s : (hal_status_t)qemu_bridge_call(QB_RTC_READ, offset, len, NULL, dst, NULL);
}

hal_status_t hal_rtc_write(uint32_t offset, const void *src, uint32_t len)
{
    hal_status_t s = check(offset, len);
    return s ? s : (hal_status_t)qemu_bridge_call(QB_RTC_WRITE, offset, len, src, NULL, NULL);
}

void hal_restart(hal_restart_t kind)
{
    semihost_exit(kind == HAL_RESTART_WDT ? QB_EXIT_RESTART_WDT : QB_EXIT_RESTART_SOFT);
}

uint32_t hal_boot_mode(void)
{
    uint32_t v = 3;
    qemu_bridge_call(QB_BOOT_MODE, 0, 0, NULL, NULL, &v);
    return v;
}

void hal_yield(void) {}

void hal_console_write(const void *buf, size_t len)
{
    semihost_write(1, buf, (uint32_t)len);
}

void hal_random(void *buf, size_t len)
{
    /* Deterministic (the runner is reproducible by seed); a xorshift seeded by the host time. */
    uint32_t x = hal_millis() * 2654435761u + 1u;
    uint8_t *p = buf;
    while (len--) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *p++ = (uint8_t)x;
    }
}

uint32_t hal_free_heap(void)
{
    return 16384;
}

/* The sim machine has no GPIO block: the levels are kept here (fresh, all off, at every boot:
 * each boot is a new QEMU and lx106/start.c clears .bss) and every change is reported to the
 * runner (QB_OUTPUT), which places it in the flash operation sequence as the native device
 * does (emu/native/native_outputs.c). Only changes cross the bridge, as only changes are
 * events on the native port. */
static volatile uint32_t outputs;

void hal_output_set(uint32_t pin, bool on)
{
    if (pin >= HAL_OUTPUT_PINS)
        return;
    uint32_t next = on ? outputs | 1u << pin : outputs & ~(1u << pin);
    if (next == outputs)
        return;
    outputs = next;
    qemu_bridge_call(QB_OUTPUT, pin, on ? 1u : 0u, NULL, NULL, NULL);
}
