// Caller-controlled OpenMP parallelism.
#include <omp.h>

#include <atomic>

#include "shim_internal.h"

namespace {
// 0 = leave OpenMP's default (OMP_NUM_THREADS or the core count).
std::atomic<int32_t> requested_threads{0};
// Captured when the library loads, before any call changes a thread's setting.
const int default_threads = omp_get_max_threads();
// The calling thread's override (rf_set_thread_num_threads); 0 = none.
thread_local int32_t thread_threads = 0;
} // namespace

void rf::apply_num_threads(int32_t call_threads) noexcept {
    int32_t threads = call_threads > 0 ? call_threads : thread_threads;
    if (threads <= 0) {
        threads = requested_threads.load(std::memory_order_relaxed);
    }
    // omp_set_num_threads only changes the calling thread's setting, so it is applied per call.
    omp_set_num_threads(threads > 0 ? threads : default_threads);
}

extern "C" int rf_set_thread_num_threads(int32_t threads) {
    return rf::guard([&] {
        rf::require(threads >= 0, "threads must be >= 0");
        thread_threads = threads;
    });
}

extern "C" int rf_set_num_threads(int32_t threads) {
    return rf::guard([&] {
        rf::require(threads >= 0, "threads must be >= 0");
        requested_threads.store(threads, std::memory_order_relaxed);
    });
}

extern "C" int32_t rf_get_thread_num_threads(void) {
    return thread_threads > 0 ? thread_threads : rf_get_num_threads();
}

extern "C" int32_t rf_get_num_threads(void) {
    const int32_t threads = requested_threads.load(std::memory_order_relaxed);
    return threads > 0 ? threads : default_threads;
}
