#include "native_port.h"

#include <string.h>

/* The attached device. Host-only code: a process-wide state is what a HAL of plain functions
 * implies; firmware/core itself has none. */
static struct {
    flashsim_t *fs;
    native_port_config_t cfg;
    uint32_t now_ms;
    uint64_t rng;
    size_t console_len;
    unsigned restarts;
    hal_restart_t last_restart;
    unsigned long yields;
    uint64_t cpu_us;    /* delays and HAL calls since attach */
    uint64_t flash_us0; /* the chip's time at attach */
    bool hung;          /* on_hang was called */
    uint32_t outputs;   /* hal_output_set() levels, bit per pin */
} port;

uint64_t native_port_virtual_us(void)
{
    uint64_t flash = port.fs != NULL ? flashsim_time_us(port.fs) - port.flash_us0 : 0;
    return port.cpu_us + flash;
}

/* Every HAL entry point: charge its CPU time, then let the watchdog look. */
static void port_tick(uint64_t cpu_us)
{
    port.cpu_us += cpu_us;
    if (port.cfg.hang_after_ms == 0 || port.cfg.on_hang == NULL || port.hung) {
        return;
    }
    uint64_t now = native_port_virtual_us();
    if (now >= (uint64_t)port.cfg.hang_after_ms * 1000u) {
        port.hung = true;
        port.cfg.on_hang(port.cfg.hang_user, now);
    }
}

void native_port_default_config(native_port_config_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->boot_mode = NATIVE_BOOT_MODE_FLASH;
    cfg->free_heap = 30000;
    cfg->random_seed = 1;
}

void native_port_attach(flashsim_t *fs, const native_port_config_t *cfg)
{
    memset(&port, 0, sizeof(port));
    port.fs = fs;
    port.cfg = *cfg;
    port.now_ms = cfg->start_ms;
    port.rng = cfg->random_seed;
    port.flash_us0 = fs != NULL ? flashsim_time_us(fs) : 0;
    if (cfg->console_buf != NULL && cfg->console_cap > 0) {
        cfg->console_buf[0] = '\0';
    }
}

void native_port_detach(void)
{
    memset(&port, 0, sizeof(port));
}

flashsim_t *native_port_flash(void)
{
    return port.fs;
}

void native_port_set_boot_mode(uint32_t boot_mode)
{
    port.cfg.boot_mode = boot_mode;
}

void native_port_set_free_heap(uint32_t bytes)
{
    port.cfg.free_heap = bytes;
}

void native_port_advance_ms(uint32_t ms)
{
    port.now_ms += ms;
    port_tick((uint64_t)ms * 1000u);
}

size_t native_port_console_len(void)
{
    return port.console_len;
}

unsigned native_port_restart_count(void)
{
    return port.restarts;
}

hal_restart_t native_port_last_restart(void)
{
    return port.last_restart;
}

unsigned long native_port_yield_count(void)
{
    return port.yields;
}

/* ---- hal.h ---- */

hal_status_t hal_flash_read(uint32_t addr, void *dst, uint32_t len)
{
    if (port.fs == NULL) {
        return HAL_ERR_IO;
    }
    hal_status_t st = (hal_status_t)flashsim_read(port.fs, addr, dst, len);
    port_tick(1);
    return st;
}

hal_status_t hal_flash_write(uint32_t addr, const void *src, uint32_t len)
{
    if (port.fs == NULL) {
        return HAL_ERR_IO;
    }
    if (port.cfg.on_flash_op != NULL) {
        port.cfg.on_flash_op(port.cfg.io_user, false, addr);
    }
    hal_status_t st = (hal_status_t)flashsim_program(port.fs, addr, src, len);
    port_tick(1);
    return st;
}

hal_status_t hal_flash_erase_sector(uint32_t sector)
{
    if (port.fs == NULL) {
        return HAL_ERR_IO;
    }
    if (port.cfg.on_flash_op != NULL) {
        port.cfg.on_flash_op(port.cfg.io_user, true, sector * HAL_FLASH_SECTOR_SIZE);
    }
    hal_status_t st = (hal_status_t)flashsim_erase_sector(port.fs, sector);
    port_tick(1);
    return st;
}

uint32_t hal_flash_chip_id(void)
{
    return port.fs != NULL ? flashsim_jedec_id(port.fs) : 0;
}

uint32_t hal_flash_real_size(void)
{
    /* ESP.getFlashChipRealSize(): 1 << capacity byte of the JEDEC id. */
    if (port.fs == NULL) {
        return 0;
    }
    uint32_t shift = (hal_flash_chip_id() >> 16) & 0xFFu;
    return shift < 32u ? (uint32_t)1u << shift : 0;
}

hal_status_t hal_rtc_read(uint32_t offset, void *dst, uint32_t len)
{
    if (port.fs == NULL) {
        return HAL_ERR_IO;
    }
    hal_status_t st = (hal_status_t)flashsim_rtc_read(port.fs, offset, dst, len);
    port_tick(1);
    return st;
}

hal_status_t hal_rtc_write(uint32_t offset, const void *src, uint32_t len)
{
    if (port.fs == NULL) {
        return HAL_ERR_IO;
    }
    hal_status_t st = (hal_status_t)flashsim_rtc_write(port.fs, offset, src, len);
    port_tick(1);
    return st;
}

void hal_restart(hal_restart_t kind)
{
    port.restarts++;
    port.last_restart = kind;
    if (port.cfg.on_restart != NULL) {
        port.cfg.on_restart(port.cfg.restart_user, kind);
    }
}

uint32_t hal_boot_mode(void)
{
    return port.cfg.boot_mode;
}

uint32_t hal_millis(void)
{
    port_tick(1);
    return port.now_ms;
}

void hal_delay_ms(uint32_t ms)
{
    port.now_ms += ms;
    port_tick((uint64_t)ms * 1000u);
}

void hal_yield(void)
{
    port_tick(1);
    port.yields++;
}

void hal_console_write(const void *buf, size_t len)
{
    if (port.cfg.console != NULL) {
        port.cfg.console(port.cfg.console_user, buf, len);
        return;
    }
    if (port.cfg.console_buf != NULL && port.cfg.console_cap > 0) {
        size_t room = port.cfg.console_cap - 1;
        size_t at = port.console_len < room ? port.console_len : room;
        size_t n = len < room - at ? len : room - at;
        memcpy(port.cfg.console_buf + at, buf, n);
        port.cfg.console_buf[at + n] = '\0';
    }
    port.console_len += len;
}

/* splitmix64: tiny, statistically fine, and fully determined by the seed. */
static uint64_t next_random(void)
{
    uint64_t z = (port.rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void hal_random(void *buf, size_t len)
{
    uint8_t *out = buf;
    while (len > 0) {
        uint64_t r = next_random();
        size_t n = len < sizeof(r) ? len : sizeof(r);
        memcpy(out, &r, n);
        out += n;
        len -= n;
    }
}

uint32_t hal_free_heap(void)
{
    return port.cfg.free_heap;
}

void hal_output_set(uint32_t pin, bool on)
{
    port_tick(1);
    if (pin >= HAL_OUTPUT_PINS) {
        return;
    }
    uint32_t next = on ? port.outputs | 1u << pin : port.outputs & ~(1u << pin);
    if (next == port.outputs) {
        return;
    }
    port.outputs = next;
    if (port.cfg.on_output != NULL) {
        port.cfg.on_output(port.cfg.io_user, pin, on);
    }
}

uint32_t native_port_outputs(void)
{
    return port.outputs;
}
