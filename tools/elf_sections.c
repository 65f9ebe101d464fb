#include "elf_sections.h"

#include <elf.h>
#include <string.h>

#include "imagekit_internal.h"

bool elf_is_elf(const uint8_t *buf, size_t len)
{
    return len >= 4 && !memcmp(buf, ELFMAG, SELFMAG);
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

int elf_open(const uint8_t *buf, size_t len, elf_file_t *f, char *err, size_t errlen)
{
    memset(f, 0, sizeof(*f));
    if (len < sizeof(Elf32_Ehdr) || !elf_is_elf(buf, len))
        return ik_fail(err, errlen, "not an ELF file (no \\x7fELF header)");
    if (buf[EI_CLASS] != ELFCLASS32 || buf[EI_DATA] != ELFDATA2LSB)
        return ik_fail(err, errlen, "expected a 32-bit little-endian ELF (lx106)");
    /* Fields read byte by byte: the buffer need not be aligned, and the host order may differ. */
    const uint8_t *e = buf;
    f->buf = buf;
    f->len = len;
    f->machine = get16(e + offsetof(Elf32_Ehdr, e_machine));
    f->entry = ik_get32(e + offsetof(Elf32_Ehdr, e_entry));
    uint32_t shoff = ik_get32(e + offsetof(Elf32_Ehdr, e_shoff));
    uint16_t shentsize = get16(e + offsetof(Elf32_Ehdr, e_shentsize));
    uint16_t shnum = get16(e + offsetof(Elf32_Ehdr, e_shnum));
    uint16_t shstrndx = get16(e + offsetof(Elf32_Ehdr, e_shstrndx));
    if (f->machine != EM_XTENSA)
        return ik_fail(err, errlen, "ELF machine is %u, expected Xtensa (%u)", f->machine,
                       EM_XTENSA);
    if (shentsize != sizeof(Elf32_Shdr) || shnum == 0 || shstrndx >= shnum || shoff > len ||
        (size_t)shnum * shentsize > len - shoff)
        return ik_fail(err, errlen, "ELF section header table is missing or out of bounds");
    if (shnum > sizeof(f->sections) / sizeof(f->sections[0]))
        return ik_fail(err, errlen, "ELF has %u sections (at most %zu supported)", shnum,
                       sizeof(f->sections) / sizeof(f->sections[0]));
    const uint8_t *strsh = buf + shoff + (size_t)shstrndx * shentsize;
    uint32_t stroff = ik_get32(strsh + offsetof(Elf32_Shdr, sh_offset));
    uint32_t strsize = ik_get32(strsh + offsetof(Elf32_Shdr, sh_size));
    if (stroff > len || strsize > len - stroff || strsize == 0 || buf[stroff + strsize - 1])
        return ik_fail(err, errlen, "ELF section name table is out of bounds");
    for (unsigned i = 0; i < shnum; i++) {
        const uint8_t *sh = buf + shoff + (size_t)i * shentsize;
        uint32_t name = ik_get32(sh + offsetof(Elf32_Shdr, sh_name));
        uint32_t type = ik_get32(sh + offsetof(Elf32_Shdr, sh_type));
        elf_section_t *s = &f->sections[f->count++];
        if (name >= strsize)
            return ik_fail(err, errlen, "ELF section %u has a bad name offset", i);
        s->name = (const char *)buf + stroff + name;
        s->addr = ik_get32(sh + offsetof(Elf32_Shdr, sh_addr));
        s->size = ik_get32(sh + offsetof(Elf32_Shdr, sh_size));
        s->flags = ik_get32(sh + offsetof(Elf32_Shdr, sh_flags));
        s->nobits = type == SHT_NOBITS || type == SHT_NULL;
        if (!s->nobits) {
            uint32_t off = ik_get32(sh + offsetof(Elf32_Shdr, sh_offset));
            if (off > len || s->size > len - off)
                return ik_fail(err, errlen, "ELF section %s lies outside the file", s->name);
            s->data = buf + off;
        }
    }
    return 0;
}

const elf_section_t *elf_find(const elf_file_t *f, const char *name)
{
    for (unsigned i = 0; i < f->count; i++)
        if (!strcmp(f->sections[i].name, name))
            return &f->sections[i];
    return NULL;
}
