/* The build's signing configuration for the firmware (spec §2.7, "Signing in the build"): the
 * generated Updater_Signing.h (otasim sign --mode header) either embeds the public key
 * (ARDUINO_SIGNING 1) or says signing is off (ARDUINO_SIGNING 0). With a key the Updater
 * requires a valid signature on every update. */
#include "signing_esp8266.h"

#include <string.h>

#include "Updater_Signing.h"

#if ARDUINO_SIGNING
static rsa_public_key_t embedded_key;
#endif

bool esp8266_signing_config(updater_config_t *cfg)
{
#if ARDUINO_SIGNING
    /* signing_pubkey is NUL-terminated (otasim's header mode adds the NUL). */
    if (rsa_parse_public_key_pem(signing_pubkey, strlen(signing_pubkey), &embedded_key) != RSA_OK) {
        /* Fail closed: a build that meant to sign refuses unsigned updates. */
        cfg->signing_key = 0;
        cfg->require_signature = true;
        return false;
    }
    cfg->signing_key = &embedded_key;
    cfg->require_signature = true;
    return true;
#else
    cfg->signing_key = 0;
    cfg->require_signature = false;
    return false;
#endif
}
