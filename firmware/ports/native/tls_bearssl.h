/* TLS for the native port's HTTP update client: a BearSSL client engine with the trust modes
 * of the ESP8266 core's BearSSL::WiFiClientSecure —
 *   setTrustAnchors(): one or more CA certificates (PEM); the chain, the validity dates and
 *                      the server name (the URL's host, also sent as SNI) are checked;
 *   setKnownKey():     a pinned public key (PEM "PUBLIC KEY" RSA, or the key of a PEM
 *                      certificate); the server's end-entity key must be exactly it (as in
 *                      the core: no chain, date or name check);
 *   setFingerprint():  the SHA-1 (the core's) or SHA-256 hash of the server's certificate
 *                      (DER); only that counts (no chain, date or name check).
 * The record buffers are configurable: BearSSL's optimum is 16709 B in + 16469 B out (the
 * ~33 KiB full-duplex buffer). Smaller receive buffers make BearSSL ask for the Max Fragment
 * Length extension (512..4096 B fragments + 325 B overhead), as the core's setBufferSizes() /
 * probeMaxFragmentLength() do on a real ESP8266 (about 50 KiB of RAM free for everything);
 * a server without MFLN support then fails the handshake. The transport is the caller's: it
 * moves ciphertext with the br_ssl_engine_* calls on tls_client_engine(). */
#ifndef OTASIM_TLS_BEARSSL_H
#define OTASIM_TLS_BEARSSL_H

#include <bearssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tls_trust tls_trust_t;

/* From PEM text (need not be NUL-terminated). `pin` false: every CERTIFICATE block is a trust
 * anchor; true: the one PUBLIC KEY (RSA) or CERTIFICATE's key is pinned. NULL with a message
 * in err on bad input. */
tls_trust_t *tls_trust_from_pem(const char *pem, size_t len, bool pin, char *err, size_t errlen);
/* Fingerprint mode: 20 or 32 hex bytes, colons and blanks ignored ("AB:CD:..."). */
tls_trust_t *tls_trust_from_fingerprint(const char *hex, char *err, size_t errlen);
/* The same from a file. */
tls_trust_t *tls_trust_from_file(const char *path, bool pin, char *err, size_t errlen);
void tls_trust_free(tls_trust_t *t);

#define TLS_RX_BUF_MIN (512u + 325u) /* 512-byte fragments (MFLN) */
#define TLS_TX_BUF_MIN (512u + 85u)

typedef struct tls_client_config {
    const tls_trust_t *trust;
    uint32_t rx_buf;   /* 0: BR_SSL_BUFSIZE_INPUT; at least TLS_RX_BUF_MIN */
    uint32_t tx_buf;   /* 0: BR_SSL_BUFSIZE_OUTPUT; at least TLS_TX_BUF_MIN */
    int64_t unix_time; /* the certificate validation time; 0: the host clock */
} tls_client_config_t;

typedef struct tls_client tls_client_t;

/* A client engine reset for a handshake with `host` (SNI and name check). NULL on out of
 * memory or buffer sizes below the minimums. */
tls_client_t *tls_client_new(const tls_client_config_t *cfg, const char *host);
br_ssl_engine_context *tls_client_engine(tls_client_t *c);
void tls_client_free(tls_client_t *c);

/* BearSSL's error numbers as text: "certificate not trusted (BR_ERR_X509_NOT_TRUSTED, 62)". */
const char *tls_error_text(int br_err);

#endif
