/* ELF -> image (elf2bin layout, spec §7.3) on ELF files written here with <elf.h>, so the test
 * needs no cross compiler: sections, order, entry, padding, the 4 KiB bootloader limit, and
 * malformed ELFs rejected with a message. */
#include <criterion/criterion.h>
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "image_build.h"
#include "imagekit.h"

typedef struct sec {
    const char *name;
    uint32_t addr, size, type, flags;
    uint8_t fill;
} sec_t;

/* A minimal ELF32 LE: header, section data, name table, section headers. */
static uint8_t *make_elf(const sec_t *secs, int n, uint32_t entry, uint16_t machine, size_t *len)
{
    size_t cap = 1 << 20;
    uint8_t *buf = calloc(1, cap);
    Elf32_Ehdr *eh = (Elf32_Ehdr *)buf;
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = ELFCLASS32;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_ident[EI_VERSION] = EV_CURRENT;
    eh->e_type = ET_EXEC;
    eh->e_machine = machine;
    eh->e_entry = entry;
    eh->e_ehsize = sizeof(Elf32_Ehdr);
    eh->e_shentsize = sizeof(Elf32_Shdr);
    size_t pos = sizeof(Elf32_Ehdr);
    uint32_t offs[16];
    for (int i = 0; i < n; i++) {
        offs[i] = (uint32_t)pos;
        if (secs[i].type != SHT_NOBITS) {
            for (uint32_t k = 0; k < secs[i].size; k++)
                buf[pos + k] = (uint8_t)(secs[i].fill + k);
            pos += secs[i].size;
        }
    }
    /* Names: "" then each name, then ".shstrtab". */
    size_t strtab = pos, name_off[17];
    buf[pos++] = 0;
    for (int i = 0; i < n; i++) {
        name_off[i] = pos - strtab;
        strcpy((char *)buf + pos, secs[i].name);
        pos += strlen(secs[i].name) + 1;
    }
    name_off[n] = pos - strtab;
    strcpy((char *)buf + pos, ".shstrtab");
    pos += 10;
    size_t strsize = pos - strtab;
    pos = (pos + 3) & ~(size_t)3;
    eh->e_shoff = (uint32_t)pos;
    eh->e_shnum = (uint16_t)(n + 2);
    eh->e_shstrndx = (uint16_t)(n + 1);
    Elf32_Shdr *sh = (Elf32_Shdr *)(buf + pos);
    memset(&sh[0], 0, sizeof(sh[0]));
    for (int i = 0; i < n; i++) {
        Elf32_Shdr *s = &sh[i + 1];
        s->sh_name = (uint32_t)name_off[i];
        s->sh_type = secs[i].type;
        s->sh_flags = secs[i].flags;
        s->sh_addr = secs[i].addr;
        s->sh_offset = offs[i];
        s->sh_size = secs[i].size;
    }
    Elf32_Shdr *st = &sh[n + 1];
    memset(st, 0, sizeof(*st));
    st->sh_name = (uint32_t)name_off[n];
    st->sh_type = SHT_STRTAB;
    st->sh_offset = (uint32_t)strtab;
    st->sh_size = (uint32_t)strsize;
    pos += (size_t)(n + 2) * sizeof(Elf32_Shdr);
    *len = pos;
    return buf;
}

#define AX (SHF_ALLOC | SHF_EXECINSTR)
#define WA (SHF_ALLOC | SHF_WRITE)
static const imagekit_header_t hdr = {3, 0x2F, 0};

Test(image_build, bootloader_elf)
{
    sec_t s[] = {{".text", 0x4010F000u, 1001, SHT_PROGBITS, AX, 1},
                 {".rodata", 0x3FFFDC00u, 64, SHT_PROGBITS, SHF_ALLOC, 7},
                 {".bss", 0x3FFFDD00u, 128, SHT_NOBITS, WA, 0},
                 {".comment", 0, 20, SHT_PROGBITS, 0, 0}};
    size_t len, ilen;
    uint8_t *elf = make_elf(s, 4, 0x4010F004u, EM_XTENSA, &len);
    uint8_t *img;
    char err[512];
    cr_assert_eq(image_from_elf(elf, len, IMAGE_KIND_BOOT, &hdr, &img, &ilen, err, sizeof(err)), 0,
                 "%s", err);
    image_info_t in;
    cr_assert_eq(image_parse_buffer(img, ilen, IMAGE_PARSE_CHECKSUM, &in), IMAGE_OK);
    cr_assert_eq(in.length, ilen);
    cr_assert_eq(in.segment_count, 2);
    cr_assert_eq(in.entry, 0x4010F004u);
    cr_assert_eq(in.flash_mode, 3);
    cr_assert_eq(in.size_freq, 0x2F);
    cr_assert_eq(in.segments[0].load_addr, 0x4010F000u);
    cr_assert_eq(in.segments[0].length, 1004, "1001 padded to 4");
    cr_assert_eq(in.segments[1].load_addr, 0x3FFFDC00u);
    /* Section bytes copied: .text starts with fill 1, 2, 3... */
    cr_assert_eq(img[in.segments[0].data_offset], 1);
    cr_assert_eq(img[in.segments[0].data_offset + 1000], (uint8_t)(1 + 1000));
    cr_assert_eq(img[in.segments[0].data_offset + 1001], 0);
    cr_assert_eq(img[in.segments[1].data_offset + 5], 12);
    free(img);
    free(elf);
}

Test(image_build, bootloader_too_big_or_with_stray_sections)
{
    sec_t big[] = {{".text", 0x4010F000u, 4000, SHT_PROGBITS, AX, 1},
                   {".rodata", 0x3FFFDC00u, 100, SHT_PROGBITS, SHF_ALLOC, 7}};
    size_t len, ilen;
    uint8_t *elf = make_elf(big, 2, 0x4010F000u, EM_XTENSA, &len), *img = NULL;
    char err[512] = "";
    cr_assert_eq(image_from_elf(elf, len, IMAGE_KIND_BOOT, &hdr, &img, &ilen, err, sizeof(err)),
                 -1);
    cr_assert(strstr(err, "4096"), "%s", err);
    cr_assert_null(img);
    free(elf);
    /* A .data section the image would not carry: its bytes would be lost. */
    sec_t stray[] = {{".text", 0x4010F000u, 100, SHT_PROGBITS, AX, 1},
                     {".rodata", 0x3FFFDC00u, 100, SHT_PROGBITS, SHF_ALLOC, 7},
                     {".data", 0x3FFFDD00u, 8, SHT_PROGBITS, WA, 7}};
    elf = make_elf(stray, 3, 0x4010F000u, EM_XTENSA, &len);
    cr_assert_eq(image_from_elf(elf, len, IMAGE_KIND_BOOT, &hdr, &img, &ilen, err, sizeof(err)),
                 -1);
    cr_assert(strstr(err, ".data"), "%s", err);
    free(elf);
    /* Missing .rodata. */
    elf = make_elf(stray, 1, 0x4010F000u, EM_XTENSA, &len);
    cr_assert_eq(image_from_elf(elf, len, IMAGE_KIND_BOOT, &hdr, &img, &ilen, err, sizeof(err)),
                 -1);
    cr_assert(strstr(err, ".rodata"), "%s", err);
    free(elf);
}

Test(image_build, app_elf_segments_in_elf2bin_order)
{
    /* Sections deliberately out of order in the file: the image follows elf2bin's order. */
    sec_t s[] = {{".rodata", 0x3FFE8100u, 40, SHT_PROGBITS, SHF_ALLOC, 5},
                 {".text", 0x40100000u, 300, SHT_PROGBITS, AX, 2},
                 {".data", 0x3FFE8000u, 16, SHT_PROGBITS, WA, 4},
                 {".irom0.text", 0x40201010u, 200, SHT_PROGBITS, AX, 0}};
    size_t len, ilen;
    uint8_t *elf = make_elf(s, 4, 0x40100010u, EM_XTENSA, &len), *img;
    char err[512];
    cr_assert_eq(image_from_elf(elf, len, IMAGE_KIND_APP, &hdr, &img, &ilen, err, sizeof(err)), 0,
                 "%s", err);
    image_info_t in;
    cr_assert_eq(image_parse_buffer(img, ilen, IMAGE_PARSE_CHECKSUM, &in), IMAGE_OK);
    cr_assert_eq(in.segment_count, 5);
    const uint32_t want[5] = {0x40201010u, 0x40100000u, 0x40100000u, 0x3FFE8000u, 0x3FFE8100u};
    const uint32_t wlen[5] = {200, 300, 0, 16, 40};
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(in.segments[i].load_addr, want[i], "segment %d", i);
        cr_assert_eq(in.segments[i].length, wlen[i], "segment %d", i);
    }
    cr_assert_eq(in.segments[0].data_offset, 16, ".irom0.text data at image offset 16");
    /* Packs into a pair with the CRC words. */
    uint8_t *boot, *pair;
    size_t blen, plen;
    cr_assert_eq(imagekit_synth_boot("safeboot", &boot, &blen), 0);
    cr_assert_eq(imagekit_pack_pair(boot, blen, img, ilen, &pair, &plen, err, sizeof(err)), 0);
    image_pair_info_t pi;
    cr_assert_eq(image_parse_pair_buffer(pair, plen, IMAGE_PARSE_CHECKSUM, &pi), IMAGE_OK);
    cr_assert(pi.has_crc);
    free(pair);
    free(boot);
    free(img);
    free(elf);
    /* .irom0.text elsewhere is refused. */
    s[3].addr = 0x40210000u;
    elf = make_elf(s, 4, 0x40100010u, EM_XTENSA, &len);
    cr_assert_eq(image_from_elf(elf, len, IMAGE_KIND_APP, &hdr, &img, &ilen, err, sizeof(err)), -1);
    cr_assert(strstr(err, "0x40201010"), "%s", err);
    free(elf);
}

Test(image_build, malformed_elf_rejected)
{
    sec_t s[] = {{".text", 0x4010F000u, 100, SHT_PROGBITS, AX, 1},
                 {".rodata", 0x3FFFDC00u, 100, SHT_PROGBITS, SHF_ALLOC, 7}};
    size_t len, ilen;
    uint8_t *img;
    char err[512];
    uint8_t *elf = make_elf(s, 2, 0x4010F000u, EM_ARM, &len);
    cr_assert_eq(image_from_elf(elf, len, IMAGE_KIND_BOOT, &hdr, &img, &ilen, err, sizeof(err)),
                 -1);
    cr_assert(strstr(err, "Xtensa"), "%s", err);
    free(elf);
    elf = make_elf(s, 2, 0x4010F000u, EM_XTENSA, &len);
    /* Every truncation fails cleanly (ASan checks the bounds). */
    for (size_t cut = 0; cut < len; cut += 7)
        cr_assert_eq(image_from_elf(elf, cut, IMAGE_KIND_BOOT, &hdr, &img, &ilen, err, sizeof(err)),
                     -1, "cut at %zu", cut);
    /* A section whose data lies past the end. */
    Elf32_Ehdr *eh = (Elf32_Ehdr *)elf;
    Elf32_Shdr *sh = (Elf32_Shdr *)(elf + eh->e_shoff);
    sh[1].sh_size = 0x7FFFFFF0u;
    cr_assert_eq(image_from_elf(elf, len, IMAGE_KIND_BOOT, &hdr, &img, &ilen, err, sizeof(err)),
                 -1);
    cr_assert(strstr(err, "outside"), "%s", err);
    free(elf);
    const char notelf[] = "\xE9\x01\x02\x03 not an elf";
    cr_assert_eq(image_from_elf((const uint8_t *)notelf, sizeof(notelf), IMAGE_KIND_BOOT, &hdr,
                                &img, &ilen, err, sizeof(err)),
                 -1);
    cr_assert(strstr(err, "ELF"), "%s", err);
}

Test(image_build, flag_spellings)
{
    cr_assert_eq(image_parse_mode("dio"), 2);
    cr_assert_eq(image_parse_mode("QIO"), 0);
    cr_assert_eq(image_parse_mode("fast"), -1);
    cr_assert_eq(image_parse_size("4M"), 4);
    cr_assert_eq(image_parse_size("512K"), 0);
    cr_assert_eq(image_parse_size("256K"), 1);
    cr_assert_eq(image_parse_size("16M"), 9);
    cr_assert_eq(image_parse_size("3M"), -1);
    cr_assert_eq(image_parse_freq("80"), 15);
    cr_assert_eq(image_parse_freq("26m"), 1);
    cr_assert_eq(image_parse_freq("33"), -1);
}
