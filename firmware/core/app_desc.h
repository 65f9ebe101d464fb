/* The app descriptor every app image built by otasim carries, so a bootloader, the harness and
 * `otasim image info` can tell which app and version an image is. It sits at the start of
 * .irom0.text right after the __crc_len/__crc_val words, i.e. at byte APP_DESC_OFFSET of the
 * app image (flash 0x1018 for the app at 0x1000). All fields little-endian. */
#ifndef OTASIM_APP_DESC_H
#define OTASIM_APP_DESC_H

#include <stdint.h>

#define APP_DESC_MAGIC 0x4F544153u /* "SATO" in flash byte order: 53 41 54 4F */
#define APP_DESC_OFFSET 0x18u      /* from the image header: 8 header + 8 segment + 8 CRC words */
#define APP_DESC_NAME_LEN 24
#define APP_DESC_BUILD_ID_LEN 32

typedef struct app_desc {
    uint32_t magic;                       /* APP_DESC_MAGIC */
    uint32_t version;                     /* the N of "basic@N" */
    char name[APP_DESC_NAME_LEN];         /* NUL-terminated */
    char build_id[APP_DESC_BUILD_ID_LEN]; /* NUL-terminated, e.g. "otasim-0.1.0 lx106" */
} app_desc_t;

_Static_assert(sizeof(app_desc_t) == 64, "app_desc_t is a 64-byte on-flash record");

#endif
