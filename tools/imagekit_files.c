/* Files and the build's image directory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imagekit.h"
#include "imagekit_internal.h"

#ifndef IMAGEKIT_DEFAULT_IMAGES_DIR
#define IMAGEKIT_DEFAULT_IMAGES_DIR ""
#endif

int imagekit_read_file(const char *path, uint8_t **out, size_t *out_len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ik_fail(err, errlen, "cannot open %s: %s", path, strerror(errno));
    size_t cap = 65536, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        uint8_t *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf)
        return ik_fail(err, errlen, "%s: out of memory", path);
    if (bad) {
        free(buf);
        return ik_fail(err, errlen, "cannot read %s", path);
    }
    *out = buf;
    *out_len = n;
    return 0;
}

int imagekit_write_file(const char *path, const uint8_t *data, size_t len, char *err, size_t errlen)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp)
        return ik_fail(err, errlen, "out of memory");
    snprintf(tmp, plen + 16, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        ik_fail(err, errlen, "cannot create %s: %s", path, strerror(errno));
        free(tmp);
        return -1;
    }
    bool ok = fwrite(data, 1, len, f) == len;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        ik_fail(err, errlen, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

int imagekit_find_images(const char *dir, imagekit_images_t *out, char *err, size_t errlen)
{
    const char *from = "--images";
    if (!dir || !*dir) {
        dir = getenv("OTASIM_IMAGES");
        from = "OTASIM_IMAGES";
    }
    if (!dir || !*dir) {
        dir = IMAGEKIT_DEFAULT_IMAGES_DIR;
        from = "the build's images dir";
    }
    if (!*dir)
        return ik_fail(err, errlen, "no images directory: give --images DIR or set OTASIM_IMAGES");
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return ik_fail(err, errlen,
                       "images directory %s (%s) does not exist; build it with "
                       "`meson compile -C build`",
                       dir, from);
    if (strlen(dir) >= sizeof(out->dir))
        return ik_fail(err, errlen, "images directory path too long");
    strcpy(out->dir, dir);
    /* SOURCE says where the images came from; a missing file means synthetic. */
    char path[4200];
    snprintf(path, sizeof(path), "%s/SOURCE", dir);
    out->synthetic = true;
    FILE *f = fopen(path, "r");
    if (f) {
        char line[64] = "";
        if (fgets(line, sizeof(line), f) && !strncmp(line, "lx106", 5))
            out->synthetic = false;
        fclose(f);
    }
    return 0;
}

int imagekit_load(const imagekit_images_t *imgs, const char *file, uint8_t **out, size_t *out_len,
                  char *err, size_t errlen)
{
    char path[4200];
    if (strchr(file, '/'))
        return ik_fail(err, errlen, "image name '%s' must be a file name, not a path", file);
    snprintf(path, sizeof(path), "%s/%s", imgs->dir, file);
    return imagekit_read_file(path, out, out_len, err, errlen);
}
