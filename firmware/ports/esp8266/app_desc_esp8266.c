/* The app descriptor of an app image (app_desc.h), placed by app.ld right after the CRC words
 * at the start of .irom0.text. Name and version come from the build: -DAPP_NAME="basic"
 * -DAPP_VERSION=2. */
#include "app_desc.h"

#ifndef APP_NAME
#error "build with -DAPP_NAME=\"name\""
#endif
#ifndef APP_VERSION
#error "build with -DAPP_VERSION=N"
#endif
#ifndef APP_BUILD_ID
#define APP_BUILD_ID "otasim lx106"
#endif

__attribute__((section(".app_desc"), used)) const app_desc_t esp8266_app_desc = {
    APP_DESC_MAGIC,
    APP_VERSION,
    APP_NAME,
    APP_BUILD_ID,
};
