// OpenSSL's process-wide state lives as long as the process.
//
// Contract: KeepOpenSslForProcessLifetime() is called first thing in main(),
// before anything else uses OpenSSL, by every program whose threads use
// OpenSSL: samrad, samrad-relay, samrad-bench, the tamper proxy and every
// test binary (tests/testing/test_main.cc). Idempotent and thread-safe;
// aborts (SAMRAD_CHECK) only when OpenSSL cannot initialise at all.
//
// Why: by default OpenSSL frees its state in an atexit handler
// (OPENSSL_cleanup), and that handler deletes OpenSSL's thread-local keys.
// gRPC's pool threads end on their own schedule, also while the process is
// exiting. A thread that ends after the handler ran loses its error queue
// and its two random generators without their destructor (glibc drops the
// values of deleted keys and leaves freeing them to the program): a real
// leak, which LeakSanitizer reported at random at the exit of test processes
// (ERR_clear_error and RAND_get0_public/private on gRPC threads, seen in CI).
// With the handler off, an ending thread frees its state through OpenSSL's
// thread destructor, and the process-wide state goes back to the kernel with
// the process. That state holds no key of ours: our keys are freed, their
// bytes wiped, by the objects that own them. Pinned by tests/crypto/process_lifetime_test.cc.
#ifndef SAMRAD_CRYPTO_PROCESS_LIFETIME_H_
#define SAMRAD_CRYPTO_PROCESS_LIFETIME_H_

namespace samrad::crypto {

void KeepOpenSslForProcessLifetime();

}  // namespace samrad::crypto

#endif  // SAMRAD_CRYPTO_PROCESS_LIFETIME_H_
