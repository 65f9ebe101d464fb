/* Minimal reader for 32-bit little-endian ELF files (lx106 objects): named sections. */
#ifndef OTASIM_ELF_SECTIONS_H
#define OTASIM_ELF_SECTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct elf_section {
    const char *name; /* points into the file buffer */
    uint32_t addr;
    uint32_t size;
    uint32_t flags; /* SHF_* */
    bool nobits;    /* SHT_NOBITS (.bss): no bytes in the file */
    const uint8_t *data;
} elf_section_t;

typedef struct elf_file {
    const uint8_t *buf;
    size_t len;
    uint32_t entry;
    uint16_t machine;
    unsigned count;
    elf_section_t sections[128];
} elf_file_t;

/* Validate the headers and index the sections (buf must outlive f). -1 with err on failure. */
int elf_open(const uint8_t *buf, size_t len, elf_file_t *f, char *err, size_t errlen);
const elf_section_t *elf_find(const elf_file_t *f, const char *name);
bool elf_is_elf(const uint8_t *buf, size_t len);

#endif
