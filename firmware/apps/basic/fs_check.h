/* The basic app's use of the filesystem area: at boot it checks the FS image otasim's
 * harness builds (harness/himages.c) the way a real app mounts its filesystem. Such an image
 * starts with a text line "OTASIM-FS <name>@<version> len=<bytes> crc=<8 hex>\n" (within its
 * first 64 bytes), the CRC-32 (gzip) of bytes [64, len). */
#ifndef OTASIM_FS_CHECK_H
#define OTASIM_FS_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "layout.h"

#define FS_CHECK_HEADER_LEN 64u

typedef enum {
    FS_CHECK_OK = 0,   /* header found, CRC matches */
    FS_CHECK_NONE,     /* the layout has no FS */
    FS_CHECK_EMPTY,    /* the first header bytes are erased (no filesystem) */
    FS_CHECK_UNKNOWN,  /* not an otasim FS image (another format or garbage) */
    FS_CHECK_CORRUPT,  /* header found, content CRC differs (or its length does not fit) */
    FS_CHECK_IO_ERROR, /* flash read failed */
} fs_check_t;

/* Checks the FS area of `layout` through the flash HAL. `label` (may be NULL) receives the
 * header's "<name>@<version>" when one was found. */
fs_check_t fs_check(const flash_layout_t *layout, char *label, size_t label_cap);

/* "fs: basic@2 ok", "fs: empty", ... (what the app prints; the harness's scenarios match it). */
size_t fs_check_line(fs_check_t st, const char *label, char *buf, size_t cap);

#endif
