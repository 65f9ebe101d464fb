/* The TEST implementation of boot_port.h: instead of jumping, it checks the app image the
 * bootloader would start (header, checksums, file CRC, descriptor) and records it, then ends
 * the boot with a longjmp back to bt_boot() (the boot is over; the next boot scribbles the
 * bootloader's buffers, so nothing carries over). The real native port is emu/'s job. */
#include <setjmp.h>
#include <string.h>

#include "boot_port.h"
#include "bootlib.h"
#include "image.h"
#include "reader.h"

jmp_buf *bt_port_jmp;
bt_start_t bt_port_start;

#define BT_PORT_BAD_IMAGE 20 /* returned when the image at image_addr is not a valid app */

hal_status_t boot_port_load_segment(uint32_t load_addr, uint32_t flash_addr, uint32_t len)
{
    bt_port_start.load_calls++;
    if (!image_segment_loaded_by_eboot(load_addr))
        return HAL_ERR_RANGE; /* the bootloader asked for a segment eboot never loads */
    /* Read it like SPIRead into RAM would (4-byte chunks through the HAL). */
    uint8_t chunk[256];
    for (uint32_t off = 0; off < len; off += sizeof(chunk)) {
        uint32_t n = len - off < sizeof(chunk) ? len - off : (uint32_t)sizeof(chunk);
        hal_status_t st = flash_read_any(flash_addr + off, chunk, n);
        if (st != HAL_OK)
            return st;
    }
    bt_port_start.segments_loaded++;
    return HAL_OK;
}

int boot_port_start_app(uint32_t image_addr, uint32_t entry)
{
    if (image_addr < 0x1000)
        return BT_PORT_BAD_IMAGE;
    static image_pair_info_t info;
    reader_t r = flash_reader();
    uint32_t base = image_addr - 0x1000;
    uint32_t limit = hal_flash_real_size() - base;
    if (image_parse_pair(&r, base, limit, IMAGE_PARSE_CHECKSUM, &info) != IMAGE_OK ||
        info.app.entry != entry || !info.has_desc)
        return BT_PORT_BAD_IMAGE;
    bt_port_start.started = true;
    bt_port_start.image_addr = image_addr;
    bt_port_start.entry = entry;
    memcpy(bt_port_start.name, info.desc.name, sizeof(bt_port_start.name));
    bt_port_start.version = info.desc.version;
    if (bt_port_jmp != NULL)
        longjmp(*bt_port_jmp, 1);
    return 0;
}
