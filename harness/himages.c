/* Scenario images (himages.h). */
#include "himages.h"
#include "fs_check.h"
#include "image.h"

#include <bearssl.h>
#include <zlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hbuf_free(hbuf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
}

void himages_init(himages_t *im, const char *dir)
{
    memset(im, 0, sizeof(*im));
    char err[256];
    im->have_dir = imagekit_find_images(dir, &im->dir, err, sizeof(err)) == 0;
    if (!im->have_dir) {
        im->synthetic = true;
        return;
    }
    im->synthetic = im->dir.synthetic;
    snprintf(im->key_path, sizeof(im->key_path), "%s/test-signing.key.pem", im->dir.dir);
    uint8_t *pem;
    size_t len;
    if (imagekit_load(&im->dir, "test-signing.pub.pem", &pem, &len, err, sizeof(err)) == 0) {
        im->pubkey_pem = realloc(pem, len + 1);
        im->pubkey_pem[len] = 0;
    }
}

void himages_free(himages_t *im)
{
    free(im->pubkey_pem);
    im->pubkey_pem = NULL;
}

static int boot_image(himages_t *im, scn_bootloader_t bl, hbuf_t *out, char *err, size_t errlen)
{
    bool raw = bl == SCN_BL_SAFE_RAW || bl == SCN_BL_SAFE_RAW_REV2;
    const char *mode = bl == SCN_BL_EBOOT ? "eboot" : raw ? "safe-raw" : "safe";
    char file[48];
    snprintf(file, sizeof(file), "boot-%s%s.img", mode, im->qemu ? "-qemu" : "");
    char e[256];
    if (im->have_dir && imagekit_load(&im->dir, file, &out->data, &out->len, e, sizeof(e)) == 0)
        return 0;
    if (im->qemu) {
        snprintf(err, errlen, "no %s for the QEMU target", file);
        return -1;
    }
    im->synthetic = true;
    const char *desc = bl == SCN_BL_EBOOT ? BOOT_DESC_NAME_EBOOT
                       : raw              ? BOOT_DESC_NAME_SAFE_RAW
                                          : BOOT_DESC_NAME_SAFE;
    if (imagekit_synth_boot(desc, &out->data, &out->len) != 0) {
        snprintf(err, errlen, "cannot synthesize the %s bootloader image", file);
        return -1;
    }
    return 0;
}

static int app_image(himages_t *im, const scn_image_ref_t *ref, hbuf_t *out, char *err,
                     size_t errlen)
{
    char file[64], e[256];
    snprintf(file, sizeof(file), "%s-v%u%s.img", ref->name, (unsigned)ref->version,
             im->qemu ? "-qemu" : "");
    if (ref->size == 0 && im->have_dir &&
        imagekit_load(&im->dir, file, &out->data, &out->len, e, sizeof(e)) == 0)
        return 0;
    /* The pair adds the 4 KiB bootloader sector: ask for the app part of the size. */
    size_t hint = ref->size > 8192 ? ref->size - 4096 : ref->size;
    if (im->qemu && ref->size && im->have_dir &&
        imagekit_load(&im->dir, file, &out->data, &out->len, e, sizeof(e)) == 0) {
        /* Sized under QEMU: the real build grown with filler (it must still boot). */
        uint8_t *p;
        size_t plen;
        int rc = imagekit_pad_app(out->data, out->len, hint, ref->version * 0x9E3779B9u + 1u, &p,
                                  &plen, err, errlen);
        hbuf_free(out);
        if (rc == 0)
            out->data = p, out->len = plen;
        return rc;
    }
    if (im->qemu) {
        snprintf(err, errlen, "no %s for the QEMU target", file);
        return -1;
    }
    im->synthetic = true;
    if (imagekit_synth_app(ref->name, ref->version, hint, &out->data, &out->len) != 0) {
        snprintf(err, errlen, "cannot synthesize the app image %s@%u", ref->name,
                 (unsigned)ref->version);
        return -1;
    }
    return 0;
}

int himages_pair(himages_t *im, scn_bootloader_t bl, const scn_image_ref_t *ref,
                 uint32_t flash_size, hbuf_t *out, char *err, size_t errlen)
{
    hbuf_t boot = {0}, app = {0};
    memset(out, 0, sizeof(*out));
    int rc = -1;
    if (boot_image(im, bl, &boot, err, errlen) != 0 || app_image(im, ref, &app, err, errlen) != 0)
        goto done;
    if (imagekit_pack_pair(boot.data, boot.len, app.data, app.len, &out->data, &out->len, err,
                           errlen) != 0)
        goto done;
    /* Built for the device's board: the header's flash-size nibble says the layout's chip
     * size (the Updater checks it against the real chip, ERROR[8]); the file CRC follows. */
    int code = image_flash_size_code(flash_size);
    if (code < 0) {
        snprintf(err, errlen, "no image flash-size code for a %u-byte chip", (unsigned)flash_size);
        hbuf_free(out);
        goto done;
    }
    if (out->len > 3 && (out->data[3] >> 4) != code) {
        out->data[3] = (uint8_t)((out->data[3] & 0x0Fu) | (unsigned)code << 4);
        if (imagekit_fill_crc(out->data, out->len, err, errlen) != 0) {
            hbuf_free(out);
            goto done;
        }
    }
    if (bl == SCN_BL_SAFE_REV2 || bl == SCN_BL_SAFE_RAW_REV2) {
        /* Another build of the safe bootloader: the same image with one padding byte of its
         * sector changed (the ROM checksum covers only segment data, so it still boots), which
         * makes the update rewrite sector 0. */
        if (boot.len >= IMAGEKIT_BOOT_SECTOR) {
            snprintf(err, errlen, "%s: the bootloader image fills its sector",
                     bl == SCN_BL_SAFE_REV2 ? "safe-rev2" : "safe-raw-rev2");
            hbuf_free(out);
            goto done;
        }
        out->data[IMAGEKIT_BOOT_SECTOR - 1] ^= 0xFFu;
        if (imagekit_fill_crc(out->data, out->len, err, errlen) != 0) {
            hbuf_free(out);
            goto done;
        }
    }
    rc = 0;
done:
    hbuf_free(&boot);
    hbuf_free(&app);
    return rc;
}

/* splitmix64: the filler of FS images (deterministic per name and version). */
static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

int himages_fs(const scn_image_ref_t *ref, hbuf_t *out, char *err, size_t errlen)
{
    size_t len = ref->size ? ref->size : 64u * 1024u;
    if (len % 4096u) {
        snprintf(err, errlen, "%s@%u: a filesystem image size must be a multiple of 4096",
                 ref->name, (unsigned)ref->version);
        return -1;
    }
    out->data = malloc(len);
    if (!out->data)
        abort();
    out->len = len;
    uint64_t s = ref->version * 0x100000001B3ull;
    for (const char *p = ref->name; *p; p++)
        s = (s ^ (uint8_t)*p) * 0x100000001B3ull;
    for (size_t i = 0; i < len; i += 8) {
        uint64_t v = mix(&s);
        memcpy(out->data + i, &v, len - i < 8 ? len - i : 8);
    }
    /* The header the basic app checks at boot (firmware/apps/basic/fs_check.h): the CRC-32
     * (zlib's, the firmware's crc32_gzip is differential-tested against it) of [64, len). */
    uLong crc = crc32(0L, out->data + FS_CHECK_HEADER_LEN, (uInt)(len - FS_CHECK_HEADER_LEN));
    char head[FS_CHECK_HEADER_LEN];
    int n = snprintf(head, sizeof(head), "OTASIM-FS %s@%u len=%zu crc=%08lx\n", ref->name,
                     (unsigned)ref->version, len, (unsigned long)crc);
    if (n < 0 || (size_t)n >= sizeof(head)) {
        snprintf(err, errlen, "%s@%u: the name is too long for a filesystem image header",
                 ref->name, (unsigned)ref->version);
        free(out->data);
        out->data = NULL;
        return -1;
    }
    memset(out->data, ' ', FS_CHECK_HEADER_LEN);
    memcpy(out->data, head, (size_t)n);
    return 0;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int himages_update_file(himages_t *im, const scn_update_t *u, const hbuf_t *plain, hbuf_t *out,
                        char md5[33], uint32_t *declared, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    md5[0] = 0;
    uint8_t *cur = malloc(plain->len ? plain->len : 1);
    if (!cur)
        abort();
    memcpy(cur, plain->data, plain->len);
    size_t len = plain->len;
    if (u->flash_mode >= 0 && !u->fs) {
        /* Built for another flash mode: header byte 2 of the bootloader image (what the
         * Updater's flash-mode patch looks at, spec §2.5); the file CRC follows. */
        cur[2] = (uint8_t)u->flash_mode;
        if (imagekit_fill_crc(cur, len, err, errlen) != 0)
            goto fail;
    }
    if (u->gzip) {
        uint8_t *z;
        size_t zl;
        if (imagekit_gzip(cur, len, &z, &zl, err, errlen) != 0)
            goto fail;
        free(cur);
        cur = z;
        len = zl;
    }
    if (u->sign) {
        if (!im->have_dir || !im->key_path[0]) {
            snprintf(err, errlen,
                     "a signed update needs the build's test-signing.key.pem "
                     "(--images DIR)");
            goto fail;
        }
        uint8_t *sg;
        size_t sl;
        if (imagekit_sign(cur, len, im->key_path, 0, u->sig == SCN_SIG_LEGACY, &sg, &sl, err,
                          errlen) != 0)
            goto fail;
        free(cur);
        cur = sg;
        len = sl;
        uint32_t siglen = le32(cur + len - 4);
        switch (u->sig) {
        case SCN_SIG_FLIP:
            cur[len - 4 - siglen / 2] ^= 0x01u;
            break;
        case SCN_SIG_ZERO:
            memset(cur + len - 4 - siglen, 0, siglen);
            break;
        case SCN_SIG_TRAILER:
            cur[len - 4] = 0xFF;
            cur[len - 3] = cur[len - 2] = cur[len - 1] = 0;
            break;
        case SCN_SIG_STRIP:
            len -= 4 + siglen;
            break;
        default:
            break;
        }
    }
    for (size_t i = 0; i < u->nflips; i++) {
        if (u->flips[i].offset >= len) {
            snprintf(err, errlen, "flip=%u is past the end of the %zu-byte file",
                     (unsigned)u->flips[i].offset, len);
            goto fail;
        }
        cur[u->flips[i].offset] ^= (uint8_t)(1u << u->flips[i].bit);
    }
    if (u->has_truncate) {
        if (u->truncate > len) {
            snprintf(err, errlen, "truncate=%u is longer than the %zu-byte file",
                     (unsigned)u->truncate, len);
            goto fail;
        }
        len = u->truncate;
    }
    if (u->has_magic && len > 0)
        cur[0] = u->magic;
    if (u->md5 != SCN_MD5_NONE) {
        imagekit_md5_hex(cur, len, md5);
        if (u->md5 == SCN_MD5_WRONG)
            md5[0] = md5[0] == '0' ? '1' : '0';
    }
    *declared = u->has_size ? u->size : (uint32_t)len;
    out->data = cur;
    out->len = len;
    return 0;
fail:
    free(cur);
    return -1;
}
