/* The build options the SDK glue sees in tests/ports/test_sdk_glue.c (a real build generates
 * this file from -Desp8266_*: firmware/ports/esp8266/sdk/meson.build). */
#define SDK_WIFI_SSID "lab"
#define SDK_WIFI_PASSWORD ""
#define SDK_OTA_PASSWORD ""
#define SDK_UPDATE_URL "http://10.0.2.2:8080/fw.bin"
