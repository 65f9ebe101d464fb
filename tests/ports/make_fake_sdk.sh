#!/bin/sh
# Writes a stand-in for the ESP8266 NONOS SDK into DIR (include/, lib/, ld/): only the
# declarations the SDK glue (firmware/ports/esp8266/sdk) uses, written here from the SDK's
# documented API (not copied from the SDK), and libraries of empty stubs built with the lx106
# cross compiler, so that the glue compiles and links. Nothing of it runs.
# usage: make_fake_sdk.sh DIR CC AR
set -eu
D=$1 CC=$2 AR=$3
mkdir -p "$D/include" "$D/lib" "$D/ld" "$D/stub"
cat >"$D/include/c_types.h" <<'EOF'
#ifndef FAKE_C_TYPES_H
#define FAKE_C_TYPES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
typedef uint8_t uint8;
typedef int8_t sint8;
typedef uint16_t uint16;
typedef int16_t sint16;
typedef uint32_t uint32;
typedef int32_t sint32;
#define ICACHE_FLASH_ATTR
#endif
EOF
cat >"$D/include/os_type.h" <<'EOF'
#ifndef FAKE_OS_TYPE_H
#define FAKE_OS_TYPE_H
#include "ets_sys.h"
#define os_timer_t ETSTimer
#define os_timer_func_t ETSTimerFunc
#endif
EOF
cat >"$D/include/ets_sys.h" <<'EOF'
#ifndef FAKE_ETS_SYS_H
#define FAKE_ETS_SYS_H
#include "c_types.h"
typedef void ETSTimerFunc(void *timer_arg);
typedef struct _ETSTIMER_ {
    struct _ETSTIMER_ *timer_next;
    uint32 timer_expire;
    uint32 timer_period;
    ETSTimerFunc *timer_func;
    void *timer_arg;
} ETSTimer;
#endif
EOF
cat >"$D/include/osapi.h" <<'EOF'
#ifndef FAKE_OSAPI_H
#define FAKE_OSAPI_H
#include "os_type.h"
void ets_timer_arm_new(ETSTimer *t, uint32 ms, bool repeat, int is_ms);
void ets_timer_disarm(ETSTimer *t);
void ets_timer_setfn(ETSTimer *t, ETSTimerFunc *fn, void *arg);
#define os_timer_arm(t, ms, repeat) ets_timer_arm_new(t, ms, repeat, 1)
#define os_timer_disarm ets_timer_disarm
#define os_timer_setfn ets_timer_setfn
#endif
EOF
cat >"$D/include/spi_flash.h" <<'EOF'
#ifndef FAKE_SPI_FLASH_H
#define FAKE_SPI_FLASH_H
#include "c_types.h"
typedef enum { SPI_FLASH_RESULT_OK, SPI_FLASH_RESULT_ERR, SPI_FLASH_RESULT_TIMEOUT } SpiFlashOpResult;
uint32 spi_flash_get_id(void);
SpiFlashOpResult spi_flash_erase_sector(uint16 sec);
SpiFlashOpResult spi_flash_write(uint32 des_addr, uint32 *src_addr, uint32 size);
SpiFlashOpResult spi_flash_read(uint32 src_addr, uint32 *des_addr, uint32 size);
#endif
EOF
cat >"$D/include/user_interface.h" <<'EOF'
#ifndef FAKE_USER_INTERFACE_H
#define FAKE_USER_INTERFACE_H
#include "c_types.h"
#include "os_type.h"
#define STATION_IF 0x00
#define SOFTAP_IF 0x01
#define STATION_MODE 0x01
enum { STATION_IDLE = 0, STATION_CONNECTING, STATION_WRONG_PASSWORD, STATION_NO_AP_FOUND,
       STATION_CONNECT_FAIL, STATION_GOT_IP };
struct station_config {
    uint8 ssid[32];
    uint8 password[64];
    uint8 bssid_set;
    uint8 bssid[6];
};
typedef void (*init_done_cb_t)(void);
typedef enum { SYSTEM_PARTITION_INVALID = 0, SYSTEM_PARTITION_BOOTLOADER, SYSTEM_PARTITION_OTA_1,
               SYSTEM_PARTITION_OTA_2, SYSTEM_PARTITION_RF_CAL, SYSTEM_PARTITION_PHY_DATA,
               SYSTEM_PARTITION_SYSTEM_PARAMETER } partition_type_t;
typedef struct { partition_type_t type; uint32 addr; uint32 size; } partition_item_t;
bool wifi_set_opmode(uint8 opmode);
bool wifi_station_set_config_current(struct station_config *config);
bool wifi_station_connect(void);
uint8 wifi_station_get_connect_status(void);
bool wifi_get_macaddr(uint8 if_index, uint8 *macaddr);
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
EOF
cat >"$D/include/espconn.h" <<'EOF'
#ifndef FAKE_ESPCONN_H
#define FAKE_ESPCONN_H
#include "c_types.h"
#define ESPCONN_OK 0
#define ESPCONN_MEM -1
#define ESPCONN_ARG -12
enum espconn_type { ESPCONN_INVALID = 0, ESPCONN_TCP = 0x10, ESPCONN_UDP = 0x20 };
enum espconn_state { ESPCONN_NONE, ESPCONN_WAIT, ESPCONN_LISTEN, ESPCONN_CONNECT, ESPCONN_WRITE,
                     ESPCONN_READ, ESPCONN_CLOSE };
enum espconn_option { ESPCONN_START = 0x00, ESPCONN_REUSEADDR = 0x01, ESPCONN_NODELAY = 0x02 };
typedef void (*espconn_connect_callback)(void *arg);
typedef void (*espconn_reconnect_callback)(void *arg, sint8 err);
typedef void (*espconn_recv_callback)(void *arg, char *pdata, unsigned short len);
typedef void (*espconn_sent_callback)(void *arg);
typedef struct _esp_tcp {
    int remote_port;
    int local_port;
    uint8 local_ip[4];
    uint8 remote_ip[4];
    espconn_connect_callback connect_callback;
    espconn_reconnect_callback reconnect_callback;
    espconn_connect_callback disconnect_callback;
    espconn_connect_callback write_finish_fn;
} esp_tcp;
typedef struct _esp_udp {
    int remote_port;
    int local_port;
    uint8 local_ip[4];
    uint8 remote_ip[4];
} esp_udp;
struct espconn {
    enum espconn_type type;
    enum espconn_state state;
    union {
        esp_tcp *tcp;
        esp_udp *udp;
    } proto;
    espconn_recv_callback recv_callback;
    espconn_sent_callback sent_callback;
    uint8 link_cnt;
    void *reverse;
};
typedef struct _remot_info {
    enum espconn_state state;
    int remote_port;
    uint8 remote_ip[4];
} remot_info;
sint8 espconn_create(struct espconn *c);
sint8 espconn_connect(struct espconn *c);
sint8 espconn_disconnect(struct espconn *c);
sint8 espconn_accept(struct espconn *c);
sint8 espconn_send(struct espconn *c, uint8 *data, uint16 len);
sint8 espconn_regist_connectcb(struct espconn *c, espconn_connect_callback cb);
sint8 espconn_regist_recvcb(struct espconn *c, espconn_recv_callback cb);
sint8 espconn_regist_sentcb(struct espconn *c, espconn_sent_callback cb);
sint8 espconn_regist_disconcb(struct espconn *c, espconn_connect_callback cb);
sint8 espconn_regist_reconcb(struct espconn *c, espconn_reconnect_callback cb);
sint8 espconn_regist_time(struct espconn *c, uint32 interval, uint8 type_flag);
sint8 espconn_get_connection_info(struct espconn *c, remot_info **info, uint8 typeflags);
sint8 espconn_set_opt(struct espconn *c, uint8 opt);
sint8 espconn_tcp_set_max_con_allow(struct espconn *c, uint8 num);
uint32 espconn_port(void);
#endif
EOF
# ROM addresses: none of the stubs need one; the file must exist and be a linker script.
echo '/* stand-in: no ROM symbols needed by the stubs */' >"$D/ld/eagle.rom.addr.v6.ld"
# libmain: the SDK's entry (calls the app's hooks as the SDK would) and the system calls.
cat >"$D/stub/main.c" <<'EOF'
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
EOF
# liblwip: espconn.
cat >"$D/stub/lwip.c" <<'EOF'
#include "espconn.h"
sint8 espconn_create(struct espconn *c) { (void)c; return ESPCONN_ARG; }
sint8 espconn_connect(struct espconn *c) { (void)c; return ESPCONN_ARG; }
sint8 espconn_disconnect(struct espconn *c) { (void)c; return ESPCONN_ARG; }
sint8 espconn_accept(struct espconn *c) { (void)c; return ESPCONN_ARG; }
sint8 espconn_send(struct espconn *c, uint8 *d, uint16 n) { (void)c; (void)d; (void)n; return ESPCONN_ARG; }
sint8 espconn_regist_connectcb(struct espconn *c, espconn_connect_callback cb) { (void)c; (void)cb; return 0; }
sint8 espconn_regist_recvcb(struct espconn *c, espconn_recv_callback cb) { c->recv_callback = cb; return 0; }
sint8 espconn_regist_sentcb(struct espconn *c, espconn_sent_callback cb) { c->sent_callback = cb; return 0; }
sint8 espconn_regist_disconcb(struct espconn *c, espconn_connect_callback cb) { (void)c; (void)cb; return 0; }
sint8 espconn_regist_reconcb(struct espconn *c, espconn_reconnect_callback cb) { (void)c; (void)cb; return 0; }
sint8 espconn_regist_time(struct espconn *c, uint32 i, uint8 f) { (void)c; (void)i; (void)f; return 0; }
sint8 espconn_get_connection_info(struct espconn *c, remot_info **r, uint8 f) { (void)c; (void)f; *r = 0; return ESPCONN_ARG; }
sint8 espconn_set_opt(struct espconn *c, uint8 o) { (void)c; (void)o; return 0; }
sint8 espconn_tcp_set_max_con_allow(struct espconn *c, uint8 n) { (void)c; (void)n; return 0; }
uint32 espconn_port(void) { return 50000; }
EOF
for l in net80211 wpa pp phy crypto; do
    echo "int fake_sdk_$l;" >"$D/stub/$l.c"
done
for l in main lwip net80211 wpa pp phy crypto; do
    $CC -Os -mlongcalls -I"$D/include" -c "$D/stub/$l.c" -o "$D/stub/$l.o"
    $AR rcs "$D/lib/lib$l.a" "$D/stub/$l.o"
done
rm -rf "$D/stub"
