#include "reader.h"

#include <string.h>

bool mem_reader_read(void *ctx, uint32_t offset, void *dst, uint32_t len)
{
    const mem_reader_t *m = ctx;
    if (offset > m->len || len > m->len - offset) {
        return false;
    }
    if (len > 0) {
        memcpy(dst, m->data + offset, len);
    }
    return true;
}

hal_status_t flash_read_any(uint32_t addr, void *dst, uint32_t len)
{
    uint8_t *out = dst;
    while (len > 0) {
        uint32_t head = addr & 3u;
        if (head == 0 && ((uintptr_t)out & 3u) == 0 && len >= 4) {
            /* The aligned bulk goes straight into the caller's buffer. */
            uint32_t n = len & ~3u;
            hal_status_t st = hal_flash_read(addr, out, n);
            if (st != HAL_OK) {
                return st;
            }
            addr += n;
            out += n;
            len -= n;
            continue;
        }
        /* Unaligned head, tail or destination: go through an aligned bounce buffer. */
        uint32_t bounce[16];
        uint32_t n = (uint32_t)sizeof(bounce) - head;
        if (n > len) {
            n = len;
        }
        uint32_t span = (head + n + 3u) & ~3u;
        hal_status_t st = hal_flash_read(addr - head, bounce, span);
        if (st != HAL_OK) {
            return st;
        }
        memcpy(out, (const uint8_t *)bounce + head, n);
        addr += n;
        out += n;
        len -= n;
    }
    return HAL_OK;
}

bool flash_reader_read(void *ctx, uint32_t offset, void *dst, uint32_t len)
{
    (void)ctx;
    return flash_read_any(offset, dst, len) == HAL_OK;
}
