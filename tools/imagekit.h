/* imagekit: host-side construction of ESP8266 firmware files (spec §3.5, §7.1, §7.3).
 *
 * Builds images (0xE9 header, segments, checksum), packs the bootloader + app pair that
 * elf2bin writes (bootloader padded with 0xAA to 4 KiB, app at 0x1000, __crc_len/__crc_val
 * filled), gzips (zlib, level 9), signs (BearSSL: payload | PKCS#1 v1.5 signature | u32 LE
 * length, new or legacy format), synthesizes valid app/bootloader images with descriptors for
 * hosts without the lx106 cross build, and finds the build's image directory.
 *
 * Conventions: functions returning int give 0 on success and -1 on failure, with an English
 * message in `err` (errlen bytes, may be NULL/0). Output buffers are malloc'd; free() them. */
#ifndef OTASIM_IMAGEKIT_H
#define OTASIM_IMAGEKIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMAGEKIT_BOOT_SECTOR 4096u /* the bootloader image is padded to this with 0xAA */
#define IMAGEKIT_BOOT_PAD 0xAAu

/* ---- Images ---- */

typedef struct imagekit_segment {
    uint32_t addr;       /* load address */
    const uint8_t *data; /* len bytes (may be NULL if len == 0) */
    uint32_t len;        /* elf2bin pads sections to a multiple of 4; so does build_image */
} imagekit_segment_t;

typedef struct imagekit_header {
    uint8_t flash_mode; /* 0 QIO, 1 QOUT, 2 DIO, 3 DOUT */
    uint8_t size_freq;  /* size code << 4 | freq code (image.h helpers) */
    uint32_t entry;
} imagekit_header_t;

/* Default header bytes: DIO, 4 MB, 40 MHz (Arduino's generic-board defaults). */
#define IMAGEKIT_DEFAULT_MODE 2u
#define IMAGEKIT_DEFAULT_SIZE_FREQ 0x40u

/* One image: header, segments (each padded with zeros to a multiple of 4), zero padding and
 * the checksum byte (0xEF XOR all segment data), length a multiple of 16. */
int imagekit_build_image(const imagekit_header_t *hdr, const imagekit_segment_t *segs, size_t nsegs,
                         uint8_t **out, size_t *out_len, char *err, size_t errlen);

/* The .bin: bootloader image padded with 0xAA to 4096 B (error if it does not fit), then the
 * app image; __crc_len/__crc_val (pair 0x1010/0x1014) zeroed, the whole-file CRC-32/MPEG-2
 * computed, then stored (length, CRC). As in elf2bin, the app checksum is the one computed
 * with the CRC words zero (the parser accepts it: image_pair_info_t.app_checksum_without_crc).
 * The app image must start with a .irom0.text segment at 0x40201010 of >= 8 bytes. */
int imagekit_pack_pair(const uint8_t *boot, size_t boot_len, const uint8_t *app, size_t app_len,
                       uint8_t **out, size_t *out_len, char *err, size_t errlen);

/* Refresh a pair in place after a change, as elf2bin computes it: the app checksum with the
 * CRC words zero, then __crc_len/__crc_val. */
int imagekit_fill_crc(uint8_t *pair, size_t len, char *err, size_t errlen);

/* Recompute the trailing checksum byte of one image in place (CRC words read as they are). */
int imagekit_fix_checksum(uint8_t *image, size_t len, char *err, size_t errlen);

/* ---- gzip (zlib, gzip container, level 9) ---- */
int imagekit_gzip(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len, char *err,
                  size_t errlen);
/* Inflate a gzip file (for `image info`); fails on a corrupt stream or a CRC/ISIZE mismatch. */
int imagekit_gunzip(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len, char *err,
                    size_t errlen);
bool imagekit_is_gzip(const uint8_t *in, size_t len);

/* ---- Signing (BearSSL) ---- */

typedef struct imagekit_key imagekit_key_t;
/* A private RSA key: PEM ("RSA PRIVATE KEY" PKCS#1 or "PRIVATE KEY" PKCS#8) or DER. */
imagekit_key_t *imagekit_key_load(const char *path, char *err, size_t errlen);
imagekit_key_t *imagekit_key_parse(const uint8_t *buf, size_t len, char *err, size_t errlen);
void imagekit_key_free(imagekit_key_t *key);
size_t imagekit_key_modulus_len(const imagekit_key_t *key);

/* payload | signature | u32 LE signature length. legacy = false: PKCS#1 v1.5 with the SHA-256
 * DigestInfo (`openssl dgst -sha256 -sign`); true: the raw 32-byte digest, no DigestInfo
 * (signing.py --legacy, cores <= 2.5.2). */
int imagekit_sign_with(const imagekit_key_t *key, const uint8_t *data, size_t len, bool legacy,
                       uint8_t **out, size_t *out_len, char *err, size_t errlen);
/* The same, the key given as a file path (key_len == 0) or as a PEM/DER buffer (key_len > 0). */
int imagekit_sign(const uint8_t *data, size_t len, const char *key, size_t key_len, bool legacy,
                  uint8_t **out, size_t *out_len, char *err, size_t errlen);

/* Header mode of signing.py (spec §7.1), with the NUL terminator the original lacks:
 * "#define ARDUINO_SIGNING 1" and `signing_pubkey[]` holding the PEM bytes + 0, one "0x%02x,"
 * per line. The key must parse as an RSA public key. malloc'd NUL-terminated text. */
int imagekit_signing_header(const uint8_t *pem, size_t pem_len, char **out, char *err,
                            size_t errlen);
#define IMAGEKIT_SIGNING_HEADER_OFF "#define ARDUINO_SIGNING 0\n"

/* ---- Synthesized images (hosts without the lx106 build) ----
 * Same layout as the real ones: an app image with 5 segments (.irom0.text at 0x40201010 that
 * starts with the two CRC words, zero here, then the app descriptor; .text IRAM at 0x40100000;
 * .text1; .data and .rodata in DRAM), valid checksum; contents derived from name and version
 * so that different versions differ. size_hint: approximate image length (0: about 16 KiB).
 * A bootloader image (2 segments, .text in IRAM at 0x4010F000, .rodata with a descriptor named
 * "eboot" or "safeboot", version 1), at most 4096 bytes. build_id says "synthetic". */
int imagekit_synth_app(const char *name, uint32_t version, size_t size_hint, uint8_t **out,
                       size_t *out_len);
int imagekit_synth_boot(const char *name, uint8_t **out, size_t *out_len);
/* A real app image (e.g. the QEMU build's basic-vN-qemu.img) grown to about size_hint bytes:
 * its .irom0.text segment (which must come first) gets seeded filler after the linked bytes
 * (LZ-like copies of earlier bytes and literals: it compresses roughly as code does), the other
 * segments are kept, the checksum is recomputed. The code still runs: nothing maps the filler.
 * Fails if size_hint is below the image's length or above 1 MiB. */
int imagekit_pad_app(const uint8_t *app, size_t len, size_t size_hint, uint32_t seed, uint8_t **out,
                     size_t *out_len, char *err, size_t errlen);

/* ---- The build's image directory (INTERFACES.md §2) ----
 *   boot-eboot.img, boot-safe.img        bootloader images (<= 4096 B)
 *   <app>-v<N>.img                       app images
 *   <app>-v<N>.bin                       pair with the safe bootloader
 *   <app>-v<N>.bin.gz, .bin.signed, .bin.gz.signed
 *   test-signing.key.pem, test-signing.pub.pem
 *   SOURCE                               one line: "lx106" or "synthetic" */
typedef struct imagekit_images {
    char dir[4096];
    bool synthetic; /* the files are synthesized, not from the lx106 build */
} imagekit_images_t;

/* dir: explicit (--images DIR), else $OTASIM_IMAGES, else the path compiled into the tools
 * library (the build's images dir). Fails if the directory does not exist. */
int imagekit_find_images(const char *dir, imagekit_images_t *out, char *err, size_t errlen);
/* Read `file` (e.g. "basic-v2.bin.gz") from the directory. */
int imagekit_load(const imagekit_images_t *imgs, const char *file, uint8_t **out, size_t *out_len,
                  char *err, size_t errlen);

/* ---- Files ---- */
/* Lowercase hex MD5 of a buffer (BearSSL): what espota.py, update servers and x-MD5 use. */
void imagekit_md5_hex(const void *data, size_t len, char out[33]);

int imagekit_read_file(const char *path, uint8_t **out, size_t *out_len, char *err, size_t errlen);
/* Writes atomically (temporary file + rename). */
int imagekit_write_file(const char *path, const uint8_t *data, size_t len, char *err,
                        size_t errlen);

#endif
