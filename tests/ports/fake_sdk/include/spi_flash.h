/* Stand-in for the NONOS SDK header of this name: only what firmware/ports/esp8266/sdk uses,
 * written from the SDK's documented API (tests/ports/make_fake_sdk.sh). */
#ifndef FAKE_SPI_FLASH_H
#define FAKE_SPI_FLASH_H
#include "c_types.h"
typedef enum {
    SPI_FLASH_RESULT_OK,
    SPI_FLASH_RESULT_ERR,
    SPI_FLASH_RESULT_TIMEOUT
} SpiFlashOpResult;
uint32 spi_flash_get_id(void);
SpiFlashOpResult spi_flash_erase_sector(uint16 sec);
SpiFlashOpResult spi_flash_write(uint32 des_addr, uint32 *src_addr, uint32 size);
SpiFlashOpResult spi_flash_read(uint32 src_addr, uint32 *des_addr, uint32 size);
#endif
