/* Stand-in for the NONOS SDK header of this name: only what firmware/ports/esp8266/sdk uses,
 * written from the SDK's documented API (tests/ports/make_fake_sdk.sh). */
#ifndef FAKE_USER_INTERFACE_H
#define FAKE_USER_INTERFACE_H
#include "c_types.h"
#include "ip_addr.h"
#include "os_type.h"
#define STATION_IF 0x00
#define SOFTAP_IF 0x01
#define STATION_MODE 0x01
enum {
    STATION_IDLE = 0,
    STATION_CONNECTING,
    STATION_WRONG_PASSWORD,
    STATION_NO_AP_FOUND,
    STATION_CONNECT_FAIL,
    STATION_GOT_IP
};
struct station_config {
    uint8 ssid[32];
    uint8 password[64];
    uint8 bssid_set;
    uint8 bssid[6];
};
typedef void (*init_done_cb_t)(void);
typedef enum {
    SYSTEM_PARTITION_INVALID = 0,
    SYSTEM_PARTITION_BOOTLOADER,
    SYSTEM_PARTITION_OTA_1,
    SYSTEM_PARTITION_OTA_2,
    SYSTEM_PARTITION_RF_CAL,
    SYSTEM_PARTITION_PHY_DATA,
    SYSTEM_PARTITION_SYSTEM_PARAMETER
} partition_type_t;
typedef struct {
    partition_type_t type;
    uint32 addr;
    uint32 size;
} partition_item_t;
bool wifi_set_opmode(uint8 opmode);
bool wifi_station_set_config_current(struct station_config *config);
bool wifi_station_connect(void);
uint8 wifi_station_get_connect_status(void);
bool wifi_get_macaddr(uint8 if_index, uint8 *macaddr);
bool wifi_get_ip_info(uint8 if_index, struct ip_info *info);
void system_restart(void);
uint32 system_get_time(void);
void system_soft_wdt_feed(void);
uint32 system_get_free_heap_size(void);
uint32 system_get_chip_id(void);
const char *system_get_sdk_version(void);
void system_init_done_cb(init_done_cb_t cb);
uint32 system_get_flash_size_map(void);
bool system_partition_table_regist(const partition_item_t *table, uint32 num, uint32 map);
#endif
