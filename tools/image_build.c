#include "image_build.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "elf_sections.h"
#include "image.h"
#include "imagekit_internal.h"

const char *const image_boot_sections[] = {".text", ".rodata", NULL};
const char *const image_app_sections[] = {".irom0.text", ".text",   ".text1",
                                          ".data",       ".rodata", NULL};

static bool in_list(const char *const *list, const char *name)
{
    for (; *list; list++)
        if (!strcmp(*list, name))
            return true;
    return false;
}

int image_from_elf(const uint8_t *buf, size_t len, image_kind_t kind,
                   const imagekit_header_t *hdr_bytes, uint8_t **out, size_t *out_len, char *err,
                   size_t errlen)
{
    static elf_file_t f; /* large: not on the stack */
    if (elf_open(buf, len, &f, err, errlen))
        return -1;
    const char *const *names = kind == IMAGE_KIND_BOOT ? image_boot_sections : image_app_sections;
    const char *what = kind == IMAGE_KIND_BOOT ? "bootloader" : "app";
    for (unsigned i = 0; i < f.count; i++) {
        const elf_section_t *s = &f.sections[i];
        if ((s->flags & SHF_ALLOC) && !s->nobits && s->size > 0 && !in_list(names, s->name))
            return ik_fail(err, errlen,
                           "%s ELF: section %s (%u bytes at 0x%08x) is not one the image "
                           "carries; fix the linker script to put it into one of them",
                           what, s->name, s->size, s->addr);
    }
    imagekit_segment_t segs[8];
    size_t n = 0;
    for (const char *const *p = names; *p; p++) {
        const elf_section_t *s = elf_find(&f, *p);
        if (!s) {
            if (!strcmp(*p, ".text1")) {
                segs[n++] = (imagekit_segment_t){0x40100000u, NULL, 0};
                continue;
            }
            return ik_fail(err, errlen, "%s ELF has no %s section (elf2bin needs it)", what, *p);
        }
        if (s->nobits && s->size)
            return ik_fail(err, errlen, "%s ELF: section %s has no file bytes (NOBITS)", what, *p);
        segs[n++] = (imagekit_segment_t){s->addr, s->data, s->size};
    }
    if (kind == IMAGE_KIND_APP && segs[0].addr != IMAGE_IROM_ADDR)
        return ik_fail(err, errlen, "app ELF: .irom0.text is at 0x%08x, expected 0x%08x",
                       segs[0].addr, IMAGE_IROM_ADDR);
    imagekit_header_t hdr = *hdr_bytes;
    hdr.entry = f.entry;
    if (imagekit_build_image(&hdr, segs, n, out, out_len, err, errlen))
        return -1;
    if (kind == IMAGE_KIND_BOOT && *out_len > IMAGEKIT_BOOT_SECTOR) {
        ik_fail(err, errlen,
                "bootloader image is %zu bytes: it must fit in the %u-byte sector 0 (elf2bin: "
                "header + data + 8 > 4096)",
                *out_len, IMAGEKIT_BOOT_SECTOR);
        free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

int image_parse_mode(const char *s)
{
    static const char *const names[] = {"qio", "qout", "dio", "dout"};
    for (int i = 0; i < 4; i++)
        if (!strcasecmp(s, names[i]))
            return i;
    return -1;
}

int image_parse_size(const char *s)
{
    static const struct {
        const char *name;
        uint32_t bytes;
    } sizes[] = {{"256K", 256u << 10}, {"512K", 512u << 10}, {"1M", 1u << 20},  {"2M", 2u << 20},
                 {"4M", 4u << 20},     {"8M", 8u << 20},     {"16M", 16u << 20}};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        if (!strcasecmp(s, sizes[i].name))
            return image_flash_size_code(sizes[i].bytes);
    return -1;
}

int image_parse_freq(const char *s)
{
    static const struct {
        const char *name;
        int code;
    } freqs[] = {{"40", 0}, {"26", 1}, {"20", 2}, {"80", 15}};
    for (size_t i = 0; i < sizeof(freqs) / sizeof(freqs[0]); i++)
        if (!strcmp(s, freqs[i].name) || (!strncmp(s, freqs[i].name, 2) && !strcasecmp(s + 2, "m")))
            return freqs[i].code;
    return -1;
}
