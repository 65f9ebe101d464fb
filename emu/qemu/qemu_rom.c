/* See qemu_rom.h. */
#include "qemu_rom.h"

#include <stdio.h>
#include <string.h>

#include "image.h"

#define ROM_SECTOR 4096u
#define EM_XTENSA 94u
#define PT_LOAD 1u

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v);
    put16(p + 2, v >> 16);
}

int qemu_rom_write_elf(flashsim_t *fs, const char *path, uint32_t *entry, char *err, size_t errlen)
{
    uint8_t s0[ROM_SECTOR];
    flashsim_peek(fs, 0, s0, sizeof s0);
    image_info_t info;
    image_status_t st = image_parse_buffer(s0, sizeof s0, IMAGE_PARSE_CHECKSUM, &info);
    if (st == IMAGE_OK && info.checksum != info.checksum_calc)
        st = IMAGE_ERR_CHECKSUM;
    if (st != IMAGE_OK) {
        snprintf(err, errlen, "rom: no bootable image at flash 0: %s", image_status_str(st));
        return 1;
    }
    /* ELF32 little-endian: header (52 bytes), one program header (32 bytes) per segment,
     * then the segments' bytes. */
    uint8_t hdr[52 + 32 * IMAGE_MAX_SEGMENTS];
    memset(hdr, 0, sizeof hdr);
    unsigned n = info.segment_count;
    uint32_t off = 52u + 32u * n;
    memcpy(hdr,
           "\x7f"
           "ELF\x01\x01\x01",
           7);
    put16(hdr + 16, 2); /* ET_EXEC */
    put16(hdr + 18, EM_XTENSA);
    put32(hdr + 20, 1);
    put32(hdr + 24, info.entry);
    put32(hdr + 28, 52); /* e_phoff */
    put16(hdr + 40, 52);
    put16(hdr + 42, 32);
    put16(hdr + 44, n);
    put16(hdr + 46, 40);
    for (unsigned i = 0; i < n; i++) {
        const image_segment_t *sg = &info.segments[i];
        uint8_t *ph = hdr + 52 + 32 * i;
        put32(ph, PT_LOAD);
        put32(ph + 4, off);
        put32(ph + 8, sg->load_addr);
        put32(ph + 12, sg->load_addr);
        put32(ph + 16, sg->length);
        put32(ph + 20, sg->length);
        put32(ph + 24, 7); /* RWX */
        put32(ph + 28, 4);
        off += sg->length;
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(err, errlen, "rom: cannot write %s", path);
        return -1;
    }
    bool ok = fwrite(hdr, 1, 52u + 32u * n, f) == 52u + 32u * n;
    for (unsigned i = 0; ok && i < n; i++)
        ok = fwrite(s0 + info.segments[i].data_offset, 1, info.segments[i].length, f) ==
             info.segments[i].length;
    if (fclose(f) != 0 || !ok) {
        snprintf(err, errlen, "rom: cannot write %s", path);
        return -1;
    }
    *entry = info.entry;
    return 0;
}
