/* What end() checks on the staged image before it writes the boot command: the signature or
 * the MD5 (spec §2.6 step 5), _verifyEnd() (§2.5) and the otasim additions (gzip stream,
 * check_image). Every check reads the stage back from flash. */
#include <string.h>

#include "esp_info.h"
#include "hal.h"
#include "image.h"
#include "signed_image.h"
#include "updater_internal.h"

bool updater_stage_read(void *ctx, uint32_t offset, void *dst, uint32_t len)
{
    const updater_t *u = ctx;
    if (flash_read_any(offset, dst, len) != HAL_OK) {
        return false;
    }
    uint32_t at = u->start_address + 2u;
    if (u->mode_patched && offset <= at && at - offset < len) {
        ((uint8_t *)dst)[at - offset] = u->mode_original;
    }
    return true;
}

static reader_t stage_reader(updater_t *u)
{
    reader_t r = {updater_stage_read, u};
    return r;
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* strcasecmp() of the target against our lowercase hex. */
bool updater_md5_matches(const char *target, const uint8_t digest[MD5_DIGEST_LEN])
{
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < MD5_DIGEST_LEN; i++) {
        if (lower(target[2 * i]) != hex[digest[i] >> 4] ||
            lower(target[2 * i + 1]) != hex[digest[i] & 15u]) {
            return false;
        }
    }
    return true;
}

/* Fix: the original hashes its RAM buffer, so a flash write that silently failed still
 * passes; hash what is in flash (with the flash-mode byte as it was sent). */
static bool md5_of_stage(updater_t *u)
{
    reader_t r = stage_reader(u);
    md5_ctx_t md5;
    md5_init(&md5);
    for (uint32_t off = 0; off < u->size;) {
        uint32_t n = u->size - off < sizeof(u->buffer) ? u->size - off : sizeof(u->buffer);
        if (!reader_read(&r, u->start_address + off, u->buffer, n)) {
            return false;
        }
        md5_update(&md5, u->buffer, n);
        off += n;
    }
    md5_final(&md5, u->md5);
    u->md5_valid = true;
    return true;
}

bool updater_verify_payload(updater_t *u)
{
    if (u->cfg.signing_key != NULL) {
        /* Signed: payload | signature | u32 length. The MD5 target is ignored, as in the
         * original. SHA-256 is taken from flash, as in the original, but with the flash-mode
         * byte as sent (fix: a patched header no longer breaks the signature). */
        reader_t r = stage_reader(u);
        signed_result_t res;
        signed_status_t st =
            signed_image_verify(&r, u->start_address, u->size, u->cfg.signing_key,
                                u->cfg.legacy_signature, u->buffer, sizeof(u->buffer), &res);
        u->sig_len_read = res.trailer.length_field;
        if (st != SIGNED_OK) {
            updater_fail(u, UPDATE_ERROR_SIGN,
                         st == SIGNED_ERR_TRAILER ? UPDATER_DETAIL_SIG_TRAILER
                                                  : UPDATER_DETAIL_SIG_INVALID);
            return false;
        }
        /* The bootloader copies the payload only; for gzip its ISIZE is then where the
         * bootloader looks for it (#7570). */
        u->size = res.trailer.payload_len;
        return true;
    }
    if (!md5_of_stage(u)) {
        updater_fail(u, UPDATE_ERROR_READ, UPDATER_DETAIL_NONE);
        return false;
    }
    if (u->has_target_md5 && !updater_md5_matches(u->target_md5, u->md5)) {
        updater_fail(u, UPDATE_ERROR_MD5, UPDATER_DETAIL_NONE);
        return false;
    }
    return true;
}

/* verify_gzip()'s context for the inflater's callbacks: the staged bytes still to read, and
 * what the output so far tells. */
typedef struct gzip_check {
    const inflate_state_t *st;
    uint32_t addr, end; /* staged input not read yet */
    uint32_t src, dst;  /* stage start and the destination the bootloader writes */
    uint32_t out_total; /* output bytes so far */
    uint8_t head[4];    /* the first output bytes (the image header) */
    bool overlap;       /* stopped: the bootloader would overwrite unread input */
} gzip_check_t;

static int32_t gzip_check_read(void *ctx, uint8_t *buf, uint32_t cap)
{
    gzip_check_t *g = ctx;
    uint32_t n = g->end - g->addr;
    if (n > cap) {
        n = cap;
    }
    if (n > 0 && flash_read_any(g->addr, buf, n) != HAL_OK) {
        return -1;
    }
    g->addr += n;
    return (int32_t)n;
}

/* The bootloader inflates the stage at `src` sector by sector into `dst`, writing each 4 KiB
 * of output (the last one padded with 0xFF) as soon as it has it. When dst < src, a sector it
 * writes must lie below the input it has not read yet: the input consumed so far
 * (inflate_total_in(), a lower bound of what the bootloader has read into RAM) must reach past
 * the sector. */
static int gzip_check_write(void *ctx, const uint8_t *data, uint32_t len)
{
    gzip_check_t *g = ctx;
    for (uint32_t i = 0; i < len && g->out_total + i < sizeof(g->head); i++) {
        g->head[g->out_total + i] = data[i];
    }
    g->out_total += len;
    if (g->dst < g->src) {
        uint64_t out_end = (uint64_t)g->dst + layout_roundup_sector(g->out_total);
        if (out_end > (uint64_t)g->src + inflate_total_in(g->st)) {
            g->overlap = true;
            return 1;
        }
    }
    return 0;
}

static bool gzip_fail(updater_t *u, updater_detail_t detail)
{
    updater_fail(u, UPDATE_ERROR_IMAGE, detail);
    return false;
}

/* Fix: the original bootloader inflates without checking the gzip CRC-32 or ISIZE, and nothing
 * checks that the output fits (spec §3.4, §9.3). Inflate the stage once here, before the boot
 * command exists, reading the staged bytes back from flash (so what is checked is what the
 * bootloader will read). */
static bool verify_gzip(updater_t *u, uint32_t dst, uint32_t dst_room)
{
    inflate_state_t *st = u->cfg.inflate_work;
    if (u->cfg.inflate_to_stage) {
        /* The bootloader would copy the compressed bytes as they are. */
        return gzip_fail(u, UPDATER_DETAIL_GZIP_NO_INFLATER);
    }
    if (st == NULL) {
        return gzip_fail(u, UPDATER_DETAIL_GZIP_NO_WORK_AREA);
    }
    gzip_check_t g = {
        st,   u->start_address, u->start_address + u->size, u->start_address, dst, 0, {0, 0, 0, 0},
        false};
    inflate_status_t rc =
        inflate_run(st, INFLATE_FORMAT_GZIP, gzip_check_read, gzip_check_write, &g);
    if (g.overlap) {
        return gzip_fail(u, UPDATER_DETAIL_GZIP_OVERLAP);
    }
    if (rc == INFLATE_ERR_READ) {
        updater_fail(u, UPDATE_ERROR_READ, UPDATER_DETAIL_NONE);
        return false;
    }
    if (rc == INFLATE_ERR_CHECKSUM) {
        return gzip_fail(u, UPDATER_DETAIL_GZIP_CHECKSUM);
    }
    if (rc != INFLATE_DONE) {
        return gzip_fail(u, UPDATER_DETAIL_GZIP_CORRUPT);
    }
    uint32_t out_total = g.out_total;
    const uint8_t *head = g.head;
    /* The bootloader reads ISIZE from the last 4 staged bytes: the member must end there. */
    if (inflate_total_in(st) != u->size) {
        return gzip_fail(u, UPDATER_DETAIL_GZIP_TRAILING);
    }
    if (layout_roundup_sector(out_total) > dst_room || out_total > dst_room) {
        updater_fail(u, UPDATE_ERROR_SPACE, UPDATER_DETAIL_GZIP_TOO_BIG);
        return false;
    }
    if (u->command == U_FLASH) {
        /* The checks _verifyEnd() skips for gzip ("can't do check here"), on the inflated
         * header. */
        if (out_total < sizeof(g.head) || head[0] != IMAGE_MAGIC) {
            updater_fail(u, UPDATE_ERROR_MAGIC_BYTE, UPDATER_DETAIL_NONE);
            return false;
        }
        if (!u->cfg.layout->flash_map &&
            image_flash_size_from_code(head[3] >> 4) > esp_flash_chip_real_size()) {
            updater_fail(u, UPDATE_ERROR_NEW_FLASH_CONFIG, UPDATER_DETAIL_NONE);
            return false;
        }
    }
    return true;
}

static bool is_gzip(const uint8_t *hdr)
{
    return hdr[0] == IMAGE_GZIP_MAGIC0 && hdr[1] == IMAGE_GZIP_MAGIC1;
}

bool updater_verify_end(updater_t *u)
{
    uint8_t hdr[4];
    if (u->command == U_FLASH) {
        if (flash_read_any(u->start_address, hdr, sizeof(hdr)) != HAL_OK) {
            u->current_address = u->start_address;
            updater_fail(u, UPDATE_ERROR_READ, UPDATER_DETAIL_NONE);
            return false;
        }
        if (is_gzip(hdr)) {
            /* No inflater in the bootloader: inflate the compressed stage into a raw one. */
            return u->cfg.inflate_to_stage ? updater_gzstage_from_flash(u)
                                           : verify_gzip(u, 0, u->cfg.layout->fs_start);
        }
        if (hdr[0] != IMAGE_MAGIC) {
            u->current_address = u->start_address;
            updater_fail(u, UPDATE_ERROR_MAGIC_BYTE, UPDATER_DETAIL_NONE);
            return false;
        }
        /* With FLASH_MAP_SUPPORT the header's size is not checked (spec §2.5). */
        if (!u->cfg.layout->flash_map &&
            image_flash_size_from_code(hdr[3] >> 4) > esp_flash_chip_real_size()) {
            u->current_address = u->start_address;
            updater_fail(u, UPDATE_ERROR_NEW_FLASH_CONFIG, UPDATER_DETAIL_NONE);
            return false;
        }
        if (u->cfg.check_image) {
            reader_t r = stage_reader(u);
            image_pair_info_t pair;
            image_status_t st =
                image_parse_pair(&r, u->start_address, u->size, IMAGE_PARSE_CHECKSUM, &pair);
            if (st != IMAGE_OK) {
                u->image_status = (int)st;
                updater_fail(u, UPDATE_ERROR_IMAGE, UPDATER_DETAIL_IMAGE_INVALID);
                return false;
            }
        }
        return true;
    }
    if (u->command == U_FS && u->cfg.atomic_fs_update) {
        /* The bootloader inflates a gzip FS image into the filesystem: same checks, with the
         * filesystem as the destination. */
        if (flash_read_any(u->start_address, hdr, sizeof(hdr)) != HAL_OK) {
            updater_fail(u, UPDATE_ERROR_READ, UPDATER_DETAIL_NONE);
            return false;
        }
        if (is_gzip(hdr)) {
            const flash_layout_t *l = u->cfg.layout;
            return verify_gzip(u, l->fs_start, l->fs_end - l->fs_start);
        }
    }
    return true; /* a live FS update is already in place: nothing left to check */
}
