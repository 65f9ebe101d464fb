/* The esp8266 app port: what the start-up calls and what it offers an app. */
#ifndef OTASIM_APP_PORT_ESP8266_H
#define OTASIM_APP_PORT_ESP8266_H

#include <stdint.h>

#include "update_stream.h"

/* The app's entry on this target (app_port glue). */
int esp8266_app_main(void);

/* UART0 RX as an update stream (the seed's Stream Interface over serial). */
update_stream_t esp8266_uart_stream(uint32_t timeout_ms);

#endif
