/* The ArduinoOTA responder of spec §1 (IDE upload, espota.py), transport-free: the port's UDP
 * socket feeds datagrams in and sends the replies produced; when the responder asks for it,
 * the port opens the reverse TCP connection, feeds its bytes in, sends the acks and the final
 * text, then closes (and restarts the device when asked).
 *
 *   idle --invitation--> (password) waitauth --auth ok--> runupdate --espota_handle()-->
 *   begin: UDP "OK", connect --tcp data--> acks --all bytes--> end: "OK" | "ERROR[n]: ..."
 *
 * Parsing is exactly the original's (§1.3, §1.5), including what is silently dropped.
 * Defects of the original fixed here (§1.7, §9.5), each with a test:
 * - the receive timeout really fires (espota_tick): a stalled host no longer hangs the device;
 *   the update is aborted, OTA_RECEIVE_ERROR raised once, "ERROR[6]: ..." sent;
 * - a failed connect aborts the update and raises only OTA_CONNECT_ERROR (no fall-through);
 * - a premature close is reported with the Updater's real error (UPDATE_ERROR_SIZE), not
 *   "ERROR[0]: No Error";
 * - the nonce comes from hal_random() (not md5(micros())); responses are compared in constant
 *   time;
 * - after a failed authentication the responder ignores invitations for a back-off period that
 *   doubles with every further failure (1 s, 2 s, ... 64 s), so a password cannot be guessed at
 *   line rate. */
#ifndef OTASIM_ESPOTA_H
#define OTASIM_ESPOTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "layout.h"
#include "updater.h"

#define ESPOTA_PORT 8266u
#define ESPOTA_CMD_FLASH 0
#define ESPOTA_CMD_FS 100
#define ESPOTA_CMD_AUTH 200
#define ESPOTA_REPLY_MAX 160u

typedef enum {
    OTA_AUTH_ERROR = 0,
    OTA_BEGIN_ERROR = 1,
    OTA_CONNECT_ERROR = 2,
    OTA_RECEIVE_ERROR = 3,
    OTA_END_ERROR = 4,
    OTA_ERASE_SETTINGS_ERROR = 5,
} ota_error_t;

typedef enum {
    OTA_ERASE_CFG_NO = 0,
    OTA_ERASE_CFG_IGNORE_ERROR = 1,
    OTA_ERASE_CFG_ABORT_ON_ERROR = 2
} ota_erase_cfg_t;

typedef enum { OTA_IDLE = 0, OTA_WAITAUTH = 1, OTA_RUNUPDATE = 2, OTA_RECEIVING = 3 } ota_state_t;

typedef struct espota_callbacks {
    void (*on_start)(void *user);
    void (*on_end)(void *user);
    void (*on_progress)(void *user, uint32_t done, uint32_t total);
    void (*on_error)(void *user, ota_error_t error);
    void *user;
} espota_callbacks_t;

typedef struct espota_config {
    const char *password;      /* stored as md5hex(password); NULL/"" and no hash: none */
    const char *password_hash; /* setPasswordHash: 32 lowercase hex digits, used verbatim */
    bool reboot_on_success;    /* default true (espota_default_config) */
    ota_erase_cfg_t erase_config;
    uint32_t receive_timeout_ms; /* no data for this long while receiving: abort (1000) */
    updater_t *updater;          /* updater_init()ed by the app */
    const flash_layout_t *layout;
    espota_callbacks_t callbacks;
} espota_config_t;

typedef struct espota {
    espota_config_t cfg;
    char secret[33]; /* md5hex of the password, or "" */
    ota_state_t state;
    char nonce[33];
    int cmd;
    uint32_t host_port;
    int32_t size;
    char md5[33];
    uint32_t peer_ip; /* of the invitation: UDP replies and the TCP connection go there */
    uint16_t peer_port;
    uint32_t total;
    uint32_t last_data_ms;
    unsigned auth_failures;
    uint32_t backoff_until_ms;
    bool reboot; /* set after a successful update: the port restarts the device */
} espota_t;

void espota_default_config(espota_config_t *cfg);
void espota_init(espota_t *o, const espota_config_t *cfg);

/* A datagram from ip:port at time now_ms. Writes the reply to send back to ip:port into
 * reply (*reply_len = 0: none) */
void espota_udp(espota_t *o, const uint8_t *pkt, size_t len, uint32_t ip, uint16_t port,
                uint32_t now_ms, char reply[ESPOTA_REPLY_MAX], size_t *reply_len);

/* The application loop's ArduinoOTA.handle(). In OTA_RUNUPDATE it begins the update: the reply
 * (UDP "OK" or "ERR: ERROR[n]: ...\n") goes to the invitation's sender; true means the port
 * must now connect to peer_ip:host_port and call espota_connected(). */
bool espota_handle(espota_t *o, uint32_t now_ms, char reply[ESPOTA_REPLY_MAX], size_t *reply_len);

/* The reverse connection's result (false: it failed; the update is aborted). */
void espota_connected(espota_t *o, bool ok, uint32_t now_ms);

/* Bytes from the TCP connection: writes them through the Updater and returns the decimal ack
 * to send in ack (*ack_len = 0: nothing). When the last byte arrived, *final_len > 0 and final
 * holds the final text ("OK" or "ERROR[n]: msg\n"): send it, then close. */
void espota_tcp_data(espota_t *o, const uint8_t *data, size_t len, uint32_t now_ms, char *ack,
                     size_t ack_cap, size_t *ack_len, char final[ESPOTA_REPLY_MAX],
                     size_t *final_len);

/* The host closed the connection (before the end): the final text to send if the connection
 * is still writable (a half-close), then close. */
void espota_tcp_closed(espota_t *o, char final[ESPOTA_REPLY_MAX], size_t *final_len);

/* Time passes: while receiving, no data for receive_timeout_ms aborts the update (the final
 * text is produced as for a close). */
void espota_tick(espota_t *o, uint32_t now_ms, char final[ESPOTA_REPLY_MAX], size_t *final_len);

/* After a successful update with reboot_on_success: erase the SDK config if asked (the last
 * 16 KiB of the flash) and say whether to restart (false: an erase failed with
 * ABORT_ON_ERROR; the staged update was cancelled). */
bool espota_before_restart(espota_t *o);

#endif
