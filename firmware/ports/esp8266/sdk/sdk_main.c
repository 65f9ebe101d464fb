/* The SDK port's app frame: the SDK calls user_pre_init (SDK 3.x: the partition table),
 * user_rf_cal_sector_set (SDK 2.x), then user_init, which sets the station up from the build
 * options (sdk_config.h) and starts one timer; the timer waits for an address, starts the
 * app's transport and restarts the device after a successful update. */
#include <string.h>

#include "app_desc.h"
#include "boot_cmd.h"
#include "hal.h"
#include "image.h"
#include "reader.h"
#include "sdk_api.h"
#include "sdk_app.h"
#include "sdk_config.h"
#include "signing_esp8266.h"

/* The station_config fields; a longer build option fails here, naming it. */
_Static_assert(sizeof(SDK_WIFI_SSID) - 1 <= 32, "-Desp8266_wifi_ssid: at most 32 bytes");
_Static_assert(sizeof(SDK_WIFI_PASSWORD) - 1 <= 64, "-Desp8266_wifi_password: at most 64 bytes");

static os_timer_t tick_timer;
static updater_t up;
static flash_layout_t layout;
static enum { WAIT_IP, RUNNING, RESTARTING } phase;
static uint32_t restart_at;

void sdk_say(const char *s)
{
    hal_console_write(s, strlen(s));
}

/* As the basic app: the auto layout for the real chip; with the safe bootloader in sector 0
 * its layout and journal. Unlike the basic app, no inflater scratch (32 KiB of DRAM the SDK's
 * Wi-Fi needs): gzip updates are refused (error 17) before any boot command, as the ESP8266
 * safe bootloader (bootloader.bin, no inflater) requires anyway. */
static bool prepare_updater(void)
{
    if (!layout_auto(hal_flash_real_size(), &layout))
        return false;
    reader_t r = flash_reader();
    app_desc_t bd;
    bool found = image_find_boot_desc(&r, 0, HAL_FLASH_SECTOR_SIZE, &bd);
    bool safe = found && (!strcmp(bd.name, BOOT_DESC_NAME_SAFE_RAW) ||
                          !strcmp(bd.name, BOOT_DESC_NAME_SAFE));
    flash_layout_t l = layout;
    if (safe && !layout_for_safe_boot(&l, hal_flash_real_size(), &layout))
        layout = l;
    updater_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.layout = &layout;
    cfg.inflate_work = NULL;
    cfg.safe_journal = safe;
    esp8266_signing_config(&cfg);
    updater_init(&up, &cfg);
    return true;
}

static void tick(void *arg)
{
    (void)arg;
    uint32_t now = hal_millis();
    switch (phase) {
    case WAIT_IP:
        if (wifi_station_get_connect_status() == STATION_GOT_IP) {
            sdk_say("wifi: connected\n");
            sdk_transport_start(&up, &layout, now);
            phase = RUNNING;
        }
        break;
    case RUNNING:
        if (sdk_transport_tick(now)) {
            sdk_say("update: ok, restarting\n");
            phase = RESTARTING;
            restart_at = now + SDK_RESTART_DELAY_MS;
        }
        break;
    case RESTARTING:
        if ((int32_t)(now - restart_at) >= 0) {
            os_timer_disarm(&tick_timer);
            hal_restart(HAL_RESTART_SOFT);
        }
        break;
    }
}

static void init_done(void)
{
    if (!prepare_updater()) {
        sdk_say("sdk: no layout for this flash size; no updates\n");
        return;
    }
    os_timer_disarm(&tick_timer);
    os_timer_setfn(&tick_timer, tick, NULL);
    os_timer_arm(&tick_timer, SDK_TICK_MS, 1);
}

void user_init(void)
{
    sdk_say("\n" APP_NAME " (otasim, vendor SDK port) starting\n");
    wifi_set_opmode(STATION_MODE);
    static const char ssid[] = SDK_WIFI_SSID, pass[] = SDK_WIFI_PASSWORD;
    if (ssid[0]) {
        struct station_config sc;
        memset(&sc, 0, sizeof(sc));
        memcpy(sc.ssid, ssid, sizeof(ssid) - 1);
        memcpy(sc.password, pass, sizeof(pass) - 1);
        sc.bssid_set = 0;
        wifi_station_set_config_current(&sc); /* not saved: the build option is the config */
    } else {
        sdk_say("wifi: no -Desp8266_wifi_ssid: using the station config stored in flash\n");
    }
    wifi_station_connect();
    system_init_done_cb(init_done);
}

/* The Arduino layout's last 20 KiB (spec §4.2): RF calibration at size - 16 KiB, the SDK's
 * system parameters in the last 12 KiB. The PHY init data (the SDK's esp_init_data_default
 * .bin) takes the EEPROM sector at size - 20 KiB: these apps use no EEPROM. */
static flash_layout_t sdk_layout(void)
{
    flash_layout_t l;
    if (!layout_auto(hal_flash_real_size(), &l))
        layout_auto(1024u * 1024u, &l); /* unknown chip: the smallest table row */
    return l;
}

uint32 user_rf_cal_sector_set(void)
{
    return sdk_layout().rfcal_start / HAL_FLASH_SECTOR_SIZE;
}

void user_pre_init(void)
{
    flash_layout_t l = sdk_layout();
    static partition_item_t parts[3];
    parts[0] = (partition_item_t){SYSTEM_PARTITION_RF_CAL, l.rfcal_start, 0x1000};
    parts[1] = (partition_item_t){SYSTEM_PARTITION_PHY_DATA, l.eeprom_start, 0x1000};
    parts[2] = (partition_item_t){SYSTEM_PARTITION_SYSTEM_PARAMETER, l.wifi_start, 0x3000};
    if (!system_partition_table_regist(parts, 3, system_get_flash_size_map())) {
        sdk_say("sdk: partition table refused\n");
        for (;;) {
        }
    }
}
