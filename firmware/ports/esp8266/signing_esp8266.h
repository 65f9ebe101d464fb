/* The signing configuration the build embedded (signing_esp8266.c). */
#ifndef OTASIM_SIGNING_ESP8266_H
#define OTASIM_SIGNING_ESP8266_H

#include <stdbool.h>

#include "updater.h"

/* Sets cfg->signing_key / require_signature from the build. True iff a key is embedded. */
bool esp8266_signing_config(updater_config_t *cfg);

#endif
