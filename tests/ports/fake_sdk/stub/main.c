/* Stubs for the stand-in SDK (make_fake_sdk.sh): they only have to link; nothing runs them.
 * One function a line: WITHOUT=name removes that line. */
/* clang-format off */
#include "espconn.h"
#include "osapi.h"
#include "spi_flash.h"
#include "user_interface.h"
void user_pre_init(void);
uint32 user_rf_cal_sector_set(void);
void user_init(void);
void call_user_start(void)
{
    user_pre_init();
    (void)user_rf_cal_sector_set();
    user_init();
    for (;;) {
    }
}
void ets_timer_arm_new(ETSTimer *t, uint32 ms, bool repeat, int is_ms) { (void)t; (void)ms; (void)repeat; (void)is_ms; }
void ets_timer_disarm(ETSTimer *t) { (void)t; }
void ets_timer_setfn(ETSTimer *t, ETSTimerFunc *fn, void *arg) { t->timer_func = fn; t->timer_arg = arg; }
uint32 spi_flash_get_id(void) { return 0x1640EF; }
SpiFlashOpResult spi_flash_erase_sector(uint16 sec) { (void)sec; return SPI_FLASH_RESULT_ERR; }
SpiFlashOpResult spi_flash_write(uint32 a, uint32 *s, uint32 n) { (void)a; (void)s; (void)n; return SPI_FLASH_RESULT_ERR; }
SpiFlashOpResult spi_flash_read(uint32 a, uint32 *d, uint32 n) { (void)a; (void)d; (void)n; return SPI_FLASH_RESULT_ERR; }
bool wifi_set_opmode(uint8 m) { (void)m; return false; }
bool wifi_station_set_config_current(struct station_config *c) { (void)c; return false; }
bool wifi_station_connect(void) { return false; }
uint8 wifi_station_get_connect_status(void) { return STATION_IDLE; }
bool wifi_get_ip_info(uint8 i, struct ip_info *info) { (void)i; (void)info; return false; }
bool wifi_get_macaddr(uint8 i, uint8 *m) { (void)i; (void)m; return false; }
void system_restart(void) {}
uint32 system_get_time(void) { return 0; }
void system_soft_wdt_feed(void) {}
uint32 system_get_free_heap_size(void) { return 0; }
uint32 system_get_chip_id(void) { return 0; }
const char *system_get_sdk_version(void) { return "fake"; }
void system_init_done_cb(init_done_cb_t cb) { (void)cb; }
uint32 system_get_flash_size_map(void) { return 0; }
bool system_partition_table_regist(const partition_item_t *t, uint32 n, uint32 m) { (void)t; (void)n; (void)m; return false; }
