/* Stand-in for the NONOS SDK header of this name: only what firmware/ports/esp8266/sdk uses,
 * written from the SDK's documented API (tests/ports/make_fake_sdk.sh). */
#ifndef FAKE_OS_TYPE_H
#define FAKE_OS_TYPE_H
#include "ets_sys.h"
#define os_timer_t ETSTimer
#define os_timer_func_t ETSTimerFunc
#endif
