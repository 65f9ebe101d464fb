/* ELF -> ESP8266 image, the elf2bin layout (spec §7.3), used by `otasim image build`. */
#ifndef OTASIM_IMAGE_BUILD_H
#define OTASIM_IMAGE_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "imagekit.h"

typedef enum { IMAGE_KIND_BOOT, IMAGE_KIND_APP } image_kind_t;

/* The sections elf2bin puts into each kind of image, in order. */
extern const char *const image_boot_sections[];
extern const char *const image_app_sections[];

/* Build the image of one ELF. Every allocated section with file bytes must be one of the
 * kind's sections (else its bytes would be silently lost); missing ones are an error except
 * .text1, which becomes an empty segment. A bootloader image must fit in 4096 B. */
int image_from_elf(const uint8_t *elf, size_t len, image_kind_t kind,
                   const imagekit_header_t *hdr_bytes, uint8_t **out, size_t *out_len, char *err,
                   size_t errlen);

/* Parse the flag spellings of elf2bin: mode qio|qout|dio|dout, size 256K..16M, freq
 * 20|26|40|80. -1 if unknown. */
int image_parse_mode(const char *s);
int image_parse_size(const char *s);
int image_parse_freq(const char *s);

#endif
