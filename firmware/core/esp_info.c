#include "esp_info.h"

#include <string.h>

#include "byteorder.h"
#include "hal.h"
#include "image.h"
#include "reader.h"

bool esp_sketch_size(uint32_t *size)
{
    reader_t r = flash_reader();
    return image_sketch_size(&r, 0, hal_flash_real_size(), size);
}

bool esp_sketch_md5(uint8_t digest[MD5_DIGEST_LEN])
{
    uint32_t left;
    if (!esp_sketch_size(&left)) {
        return false;
    }
    uint32_t buf[512 / 4];
    uint32_t addr = 0;
    md5_ctx_t md5;
    md5_init(&md5);
    while (left > 0) {
        uint32_t n = left < sizeof(buf) ? left : (uint32_t)sizeof(buf);
        /* The sketch size is a multiple of 16, so the reads stay 4-byte aligned. */
        if (hal_flash_read(addr, buf, (n + 3u) & ~3u) != HAL_OK) {
            return false;
        }
        md5_update(&md5, buf, n);
        addr += n;
        left -= n;
    }
    md5_final(&md5, digest);
    return true;
}

uint32_t esp_free_sketch_space(const flash_layout_t *layout)
{
    uint32_t size;
    if (!esp_sketch_size(&size)) {
        return 0;
    }
    return layout_free_sketch_space(layout, size);
}

static bool read_header_word(uint8_t hdr[4])
{
    uint32_t w;
    if (hal_flash_read(0, &w, 4) != HAL_OK) {
        return false;
    }
    memcpy(hdr, &w, 4);
    return true;
}

uint32_t esp_flash_chip_size(void)
{
    uint8_t hdr[4];
    return read_header_word(hdr) ? image_flash_size_from_code(hdr[3] >> 4) : 0;
}

uint32_t esp_flash_chip_speed(void)
{
    uint8_t hdr[4];
    return read_header_word(hdr) ? image_flash_freq_from_code(hdr[3] & 0x0Fu) : 0;
}

uint8_t esp_flash_chip_mode(void)
{
    uint8_t hdr[4];
    return read_header_word(hdr) ? image_flash_mode_from_byte(hdr[2]) : IMAGE_FLASH_MODE_UNKNOWN;
}

uint32_t esp_flash_chip_real_size(void)
{
    return hal_flash_real_size();
}

bool esp_check_flash_config(bool needs_equal)
{
    uint32_t real = esp_flash_chip_real_size();
    uint32_t declared = esp_flash_chip_size();
    return needs_equal ? real == declared : real >= declared;
}

bool esp_check_flash_crc(void)
{
    uint8_t words[8];
    reader_t r = flash_reader();
    if (!reader_read(&r, IMAGE_CRC_LEN_OFFSET, words, sizeof(words))) {
        return false;
    }
    uint32_t len = le32_load(words);
    uint32_t expected = le32_load(words + 4);
    uint32_t crc;
    if (len > hal_flash_real_size() || !image_file_crc(&r, 0, len, &crc)) {
        return false;
    }
    return crc == expected;
}
