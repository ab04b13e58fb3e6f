#include "crypto/process_lifetime.h"

#include <openssl/crypto.h>

#include "common/check.h"

namespace samrad::crypto {

void KeepOpenSslForProcessLifetime() {
  // The first initialisation decides whether the atexit handler is
  // registered; later calls without the flag do not register it again.
  SAMRAD_CHECK(OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr) == 1,
               "OpenSSL could not initialise");
}

}  // namespace samrad::crypto
