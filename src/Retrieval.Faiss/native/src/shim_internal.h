// Internals shared by the shim's translation units: the handle layout, the exception guard and
// the thread setting. Nothing here is exported.
#pragma once

#include <faiss/Index.h>
#include <faiss/IndexIDMap.h>

#include <memory>
#include <stdexcept>

#include "retrieval_faiss.h"

struct rf_index {
    // Owns the whole tree (IndexIDMap owns its sub-index via own_fields).
    std::unique_ptr<faiss::Index> root;
    // Non-null when root is an IndexIDMap: the shim searches the sub-index itself so that it can
    // pass SearchParameters, which IndexIDMap::search rejects in Faiss 1.7.3.
    faiss::IndexIDMap* id_map = nullptr;
    // The index that does the work: root, or id_map->index.
    faiss::Index* core = nullptr;
};

namespace rf {

// Thrown by the shim for argument errors so that the guard maps them to RF_ERR_INVALID_ARGUMENT.
struct InvalidArgument : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

void set_last_error(const char* message);

// Runs fn, turning every exception into a return code plus a thread-local message: no C++
// exception may unwind into the managed caller (that would abort the process).
template <typename Fn>
int guard(Fn&& fn) noexcept;

// Applies the thread count of this call to the calling thread (OpenMP's nthreads is a per-thread
// setting, and managed callers come from arbitrary pool threads): call_threads when > 0, else the
// calling thread's override, else the process-wide setting.
void apply_num_threads(int32_t call_threads = 0) noexcept;

// Builds the handle around a freshly created or loaded index, wrapping it in an IndexIDMap when
// it cannot store caller ids itself.
rf_index* adopt(faiss::Index* index, bool wrap_if_needed);

inline void require(bool condition, const char* message) {
    if (!condition) {
        throw InvalidArgument(message);
    }
}

} // namespace rf

#include "guard_impl.h"
