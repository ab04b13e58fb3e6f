// --mix: an open-loop blend of what professionals and advisers do, at a
// scheduled rate, so that latency includes any queueing at the relay.
//
// TEST DEPLOYMENTS ONLY. Adviser private keys never leave an adviser's
// machine, so the tool cannot answer as an existing adviser. Instead it
// publishes a new directory epoch (signed with --directory-signing-key, sent
// with the admin identity) in which --adviser-id of the routed unit has keys
// it has just generated; every other entry is kept. Never point it at a
// production relay.
//
// Operations (of every 20 scheduled): 4 submit, 6 get_thread (professional,
// with ownership proof), 5 list_queue, 3 claim, 2 answer (adviser PostMessage
// sealed to the unit and the thread's reply key). A claim with nothing open
// becomes a list_queue, an answer with nothing claimed a get_thread, a
// get_thread with nothing acknowledged a submit. --watchers WatchQueue
// streams stay open; watch_event is the time from a submit's scheduled start
// to its KIND_NEW event on each stream.
//
// On a relay with no directory yet (GetDirectory NOT_FOUND) it publishes epoch
// 1 with a single unit "bench-unit" that takes every county. With
// --publish-only it stops after publishing and prints
//   published epoch=… unit=… adviser=…
// (how a test deployment gets a directory for plain submit runs).
//
// Output, one line per operation kind, then the overall closing line:
//   op=submit n=… p50_us=… p99_us=… errors=…
//   qps=… p50_us=… p99_us=… errors=…
#ifndef SAMRAD_TESTS_BENCH_MIX_LOAD_H_
#define SAMRAD_TESTS_BENCH_MIX_LOAD_H_

#include "tests/bench/bench_options.h"

namespace samrad::bench {

// Runs the mix described above; returns the process exit status (0: no
// failed operation, 1: some failed, 2: setup failed), printing as described.
int RunMixBench(const BenchOptions& options);

}  // namespace samrad::bench

#endif  // SAMRAD_TESTS_BENCH_MIX_LOAD_H_
