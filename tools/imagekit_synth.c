/* Synthesized app and bootloader images for hosts without the lx106 cross build: the layout
 * and descriptors of the real ones (INTERFACES.md §1), filler bytes instead of code. */
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "imagekit.h"
#include "imagekit_internal.h"

/* xorshift32: filler that differs per name and version, so v1 and v2 images differ. */
static uint32_t next_rand(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

static uint32_t seed_of(const char *name, uint32_t version)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *p = name; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    h ^= version * 0x9E3779B9u;
    return h ? h : 1u;
}

static void fill(uint8_t *p, size_t n, uint32_t *seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)next_rand(seed);
}

static int set_desc(uint8_t *raw, const char *name, uint32_t version)
{
    app_desc_t d;
    memset(&d, 0, sizeof(d));
    if (strlen(name) >= sizeof(d.name))
        return -1;
    d.magic = APP_DESC_MAGIC;
    d.version = version;
    strcpy(d.name, name);
    strcpy(d.build_id, "otasim synthetic");
    app_desc_encode(&d, raw);
    return 0;
}

int imagekit_synth_app(const char *name, uint32_t version, size_t size_hint, uint8_t **out,
                       size_t *out_len)
{
    if (!name || !*name || size_hint > 0x100000u)
        return -1;
    if (size_hint == 0)
        size_hint = 16384;
    uint32_t seed = seed_of(name, version);
    /* RAM segments are small, like a real app's; .irom0.text takes the rest. */
    static const uint32_t ram_len[4] = {1024, 64, 128, 256};
    uint32_t fixed = IMAGE_HEADER_LEN + 5 * IMAGE_SEGMENT_HEADER_LEN + 1024 + 64 + 128 + 256;
    uint32_t irom_len = 8 + sizeof(app_desc_t) + 64;
    if (size_hint > fixed + irom_len)
        irom_len = ((uint32_t)size_hint - fixed) & ~3u;
    uint8_t *irom = malloc(irom_len);
    uint8_t *ram = malloc(1024 + 64 + 128 + 256);
    if (!irom || !ram) {
        free(irom);
        free(ram);
        return -1;
    }
    memset(irom, 0, 8); /* __crc_len, __crc_val: filled by imagekit_pack_pair */
    if (set_desc(irom + 8, name, version)) {
        free(irom);
        free(ram);
        return -1;
    }
    fill(irom + 8 + sizeof(app_desc_t), irom_len - 8 - sizeof(app_desc_t), &seed);
    fill(ram, 1024 + 64 + 128 + 256, &seed);
    imagekit_segment_t segs[5] = {
        {IMAGE_IROM_ADDR, irom, irom_len},
        {0x40100000u, ram, ram_len[0]},                     /* .text (IRAM) */
        {0x40100000u + ram_len[0], ram + 1024, ram_len[1]}, /* .text1 */
        {0x3FFE8000u, ram + 1088, ram_len[2]},              /* .data */
        {0x3FFE8000u + ram_len[2], ram + 1216, ram_len[3]}, /* .rodata */
    };
    imagekit_header_t hdr = {IMAGEKIT_DEFAULT_MODE, IMAGEKIT_DEFAULT_SIZE_FREQ, 0x40100004u};
    int rc = imagekit_build_image(&hdr, segs, 5, out, out_len, NULL, 0);
    free(irom);
    free(ram);
    return rc;
}

int imagekit_synth_boot(const char *name, uint8_t **out, size_t *out_len)
{
    if (!name || (strcmp(name, BOOT_DESC_NAME_EBOOT) && strcmp(name, BOOT_DESC_NAME_SAFE) &&
                  strcmp(name, BOOT_DESC_NAME_SAFE_RAW)))
        return -1;
    uint32_t seed = seed_of(name, 1);
    uint8_t text[2048], rodata[256];
    fill(text, sizeof(text), &seed);
    fill(rodata, sizeof(rodata), &seed);
    /* The descriptor sits 4-aligned inside .rodata, as the linker would place it. */
    set_desc(rodata + 32, name, 1);
    imagekit_segment_t segs[2] = {
        {0x4010F000u, text, sizeof(text)},
        {0x3FFFDC00u, rodata, sizeof(rodata)},
    };
    imagekit_header_t hdr = {IMAGEKIT_DEFAULT_MODE, IMAGEKIT_DEFAULT_SIZE_FREQ, 0x4010F000u};
    return imagekit_build_image(&hdr, segs, 2, out, out_len, NULL, 0);
}

int imagekit_pad_app(const uint8_t *app, size_t len, size_t size_hint, uint32_t seed, uint8_t **out,
                     size_t *out_len, char *err, size_t errlen)
{
    image_info_t info;
    if (image_parse_buffer(app, len, IMAGE_PARSE_CHECKSUM, &info) != IMAGE_OK ||
        info.segment_count == 0 || info.segments[0].load_addr != IMAGE_IROM_ADDR) {
        return ik_fail(err, errlen, "pad: not an app image starting with .irom0.text");
    }
    if (size_hint > 0x100000u || size_hint < info.length) {
        return ik_fail(err, errlen, "pad: size %zu is below the image's %u bytes or over 1 MiB",
                       size_hint, (unsigned)info.length);
    }
    /* Only .irom0.text grows: the filler follows the linked code in flash, where the app's
     * start-up (reading up to _irom_end) never maps it and no RAM segment moves in memory. */
    uint32_t grow = (uint32_t)(size_hint - info.length) & ~3u;
    uint32_t irom_len = info.segments[0].length + grow;
    uint8_t *irom = malloc(irom_len ? irom_len : 1);
    if (!irom) {
        return ik_fail(err, errlen, "pad: out of memory");
    }
    memcpy(irom, app + info.segments[0].data_offset, info.segments[0].length);
    if (!seed)
        seed = 1;
    /* Filler that compresses about as code does (gzip -9 to ~60 %, so a gzip update inflates
     * a realistic stream): alternately seeded copies of 3..18 earlier bytes from up to 4 KiB
     * back and runs of 1..16 seeded literals. */
    for (uint32_t i = info.segments[0].length, end = irom_len; i < end;) {
        uint32_t r = next_rand(&seed), n = 1 + (r & 15u), back = 1 + ((r >> 5) & 4095u);
        bool literal = (r >> 17) & 1u || back > i;
        for (n += literal ? 0 : 2; n && i < end; n--, i++)
            irom[i] = literal ? (uint8_t)next_rand(&seed) : irom[i - back];
    }
    imagekit_segment_t segs[IMAGE_MAX_SEGMENTS];
    segs[0] = (imagekit_segment_t){IMAGE_IROM_ADDR, irom, irom_len};
    for (unsigned i = 1; i < info.segment_count; i++)
        segs[i] = (imagekit_segment_t){info.segments[i].load_addr,
                                       app + info.segments[i].data_offset, info.segments[i].length};
    imagekit_header_t hdr = {info.flash_mode, info.size_freq, info.entry};
    int rc = imagekit_build_image(&hdr, segs, info.segment_count, out, out_len, err, errlen);
    free(irom);
    return rc;
}
