/* The bytes a scenario puts on flash or sends: bootloader and app images from the build's
 * images directory (tools/imagekit.h), synthesized when the directory lacks them or a size is
 * asked for; filesystem images (seeded filler with a header: the harness compares them, it
 * does not mount them); and update files with their variants (gzip, signature, corruptions). */
#ifndef OTASIM_HARNESS_HIMAGES_H
#define OTASIM_HARNESS_HIMAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imagekit.h"
#include "scenario.h"

typedef struct himages {
    imagekit_images_t dir;
    bool have_dir;
    bool synthetic; /* at least one image came from imagekit_synth_* or the dir says so */
    char key_path[4200];
    char *pubkey_pem; /* test-signing.pub.pem (NULL if absent) */
    bool qemu;        /* the QEMU target's images (NAME-qemu.img), never synthesized */
} himages_t;

typedef struct hbuf {
    uint8_t *data;
    size_t len;
} hbuf_t;

/* dir: --images DIR or NULL (then $OTASIM_IMAGES, then the build's). A missing directory is
 * not an error (everything is synthesized; signing then fails with a clear message). */
void himages_init(himages_t *im, const char *dir);
void himages_free(himages_t *im);

/* A .bin pair: bootloader `bl` (never SCN_BL_DEVICE: resolve it first) + app `ref`, its
 * header's flash size set to `flash_size` (the board the app is built for). */
int himages_pair(himages_t *im, scn_bootloader_t bl, const scn_image_ref_t *ref,
                 uint32_t flash_size, hbuf_t *out, char *err, size_t errlen);
/* A filesystem image (default 64 KiB). */
int himages_fs(const scn_image_ref_t *ref, hbuf_t *out, char *err, size_t errlen);

/* The file an update step sends, built from `plain` (the pair or FS image): flash-mode byte,
 * gzip, signature and its variants, flips, truncation, magic. `md5` gets the hex MD5 the step
 * asks for (right/wrong) or "" for none; `declared` the size given to Update.begin(). */
int himages_update_file(himages_t *im, const scn_update_t *u, const hbuf_t *plain, hbuf_t *out,
                        char md5[33], uint32_t *declared, char *err, size_t errlen);

void hbuf_free(hbuf_t *b);

#endif
