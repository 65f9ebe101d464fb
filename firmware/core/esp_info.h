/* What the running device knows about its flash and its own sketch, computed from flash
 * through the HAL exactly as the ESP8266 core's EspClass does (spec §4.4):
 * ESP.getSketchSize(), getSketchMD5(), getFreeSketchSpace(), getFlashChipSize()/Mode/Speed
 * (from the header at flash 0), getFlashChipRealSize() (JEDEC), checkFlashConfig() and
 * checkFlashCRC(). Nothing is cached: there is no global state in firmware/core. */
#ifndef OTASIM_ESP_INFO_H
#define OTASIM_ESP_INFO_H

#include <stdbool.h>
#include <stdint.h>

#include "layout.h"
#include "md5.h"

/* getSketchSize(): the end of the app image at 0x1000 as an offset from 0, eboot included.
 * False when the header cannot be read (the original returns 0) or its segments run past the
 * end of the chip (the original returns a meaningless number). */
bool esp_sketch_size(uint32_t *size);

/* getSketchMD5(): MD5 over flash [0, getSketchSize()), read in 512-byte pieces. */
bool esp_sketch_md5(uint8_t digest[MD5_DIGEST_LEN]);

/* getFreeSketchSpace() for a layout; 0 if the sketch size cannot be read. */
uint32_t esp_free_sketch_space(const flash_layout_t *layout);

/* From the header at flash 0 (bytes 2 and 3); 0 / IMAGE_FLASH_MODE_UNKNOWN on read failure. */
uint32_t esp_flash_chip_size(void);  /* getFlashChipSize(): declared size, bytes */
uint32_t esp_flash_chip_speed(void); /* Hz */
uint8_t esp_flash_chip_mode(void);   /* 0..3, or IMAGE_FLASH_MODE_UNKNOWN */

/* getFlashChipRealSize(): the JEDEC-derived size (hal_flash_real_size()). */
uint32_t esp_flash_chip_real_size(void);

/* checkFlashConfig(needs_equal): real size >= (or ==) the declared size. */
bool esp_check_flash_config(bool needs_equal);

/* checkFlashCRC(): CRC-32/MPEG-2 over flash [0, __crc_len) with the __crc_len/__crc_val words
 * taken as zero equals __crc_val. */
bool esp_check_flash_crc(void);

#endif
