/* Raw image files (the format of `esptool.py read_flash`) and sector diffs. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define IO_CHUNK (64u * 1024u)

flashsim_status_t flashsim_image_load(flashsim_t *fs, const char *path, uint32_t offset)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return FLASHSIM_ERR_IO;
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        errno = errno ? errno : EINVAL;
        return FLASHSIM_ERR_IO;
    }
    if (offset > fs->cfg.size || (uint64_t)sb.st_size > fs->cfg.size - offset) {
        fclose(f);
        return FLASHSIM_ERR_RANGE;
    }
    uint8_t *buf = fs_xmalloc(IO_CHUNK);
    flashsim_status_t st = FLASHSIM_OK;
    size_t n;
    while ((n = fread(buf, 1, IO_CHUNK, f)) > 0) {
        flashsim_poke(fs, offset, buf, (uint32_t)n);
        offset += (uint32_t)n;
    }
    if (ferror(f))
        st = FLASHSIM_ERR_IO;
    free(buf);
    fclose(f);
    return st;
}

flashsim_status_t flashsim_image_save(const flashsim_t *fs, const char *path, uint32_t offset,
                                      uint32_t len)
{
    if (offset > fs->cfg.size || len > fs->cfg.size - offset)
        return FLASHSIM_ERR_RANGE;
    if (!len)
        len = fs->cfg.size - offset;
    FILE *f = fopen(path, "wb");
    if (!f)
        return FLASHSIM_ERR_IO;
    uint8_t *buf = fs_xmalloc(IO_CHUNK);
    bool ok = true;
    while (len && ok) {
        uint32_t n = len < IO_CHUNK ? len : IO_CHUNK;
        flashsim_peek(fs, offset, buf, n);
        ok = fwrite(buf, 1, n, f) == n;
        offset += n;
        len -= n;
    }
    free(buf);
    ok = (fclose(f) == 0) && ok;
    return ok ? FLASHSIM_OK : FLASHSIM_ERR_IO;
}

flashsim_t *flashsim_new_from_image(const char *path, const flashsim_config_t *cfg)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return NULL;
    flashsim_config_t c = cfg ? *cfg : (flashsim_config_t){0};
    if (!c.size)
        c.size = sb.st_size > 0 && sb.st_size <= FLASHSIM_MAX_SIZE ? (uint32_t)sb.st_size : 0;
    flashsim_t *fs = flashsim_new(&c);
    if (!fs) {
        errno = EINVAL;
        return NULL;
    }
    flashsim_status_t st = flashsim_image_load(fs, path, 0);
    if (st != FLASHSIM_OK) {
        int e = st == FLASHSIM_ERR_RANGE ? EFBIG : errno;
        flashsim_free(fs);
        errno = e;
        return NULL;
    }
    return fs;
}

static bool all_erased(const uint8_t *p)
{
    for (uint32_t i = 0; i < FLASHSIM_SECTOR_SIZE; i++)
        if (p[i] != 0xFF)
            return false;
    return true;
}

static bool same_contents(const fs_sector_t *a, const fs_sector_t *b)
{
    if (a == b)
        return true;
    if (!a || !b)
        return all_erased(a ? a->data : b->data);
    return !memcmp(a->data, b->data, FLASHSIM_SECTOR_SIZE);
}

static long diff_chunks(fs_chunk_t *const *a, fs_chunk_t *const *b, uint32_t nsectors,
                        uint32_t *out, size_t max)
{
    long n = 0;
    for (uint32_t s = 0; s < nsectors; s++) {
        uint32_t c = s / SECTORS_PER_CHUNK;
        if (a[c] == b[c]) { /* shared chunk: identical by construction */
            s = (c + 1) * SECTORS_PER_CHUNK - 1;
            continue;
        }
        if (!same_contents(fs_chunks_sector(a, s), fs_chunks_sector(b, s))) {
            if ((size_t)n < max)
                out[n] = s;
            n++;
        }
    }
    return n;
}

long flashsim_diff(const flashsim_t *a, const flashsim_t *b, uint32_t *out, size_t max)
{
    if (a->cfg.size != b->cfg.size)
        return -1;
    return diff_chunks(a->chunks, b->chunks, a->nsectors, out, max);
}

long flashsim_snapshot_diff(const flashsim_snapshot_t *a, const flashsim_snapshot_t *b,
                            uint32_t *out, size_t max)
{
    if (a->cfg.size != b->cfg.size)
        return -1;
    return diff_chunks(a->chunks, b->chunks, a->nsectors, out, max);
}
