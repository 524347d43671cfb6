// Train, add and remove: the calls that need exclusive access to an index.
#include <faiss/impl/IDSelector.h>

#include "shim_internal.h"

extern "C" int rf_index_train(rf_index* index, int64_t n, const float* x) {
    return rf::guard([&] {
        rf::require(index != nullptr, "index must not be null");
        rf::require(n >= 0 && (n == 0 || x != nullptr), "x must not be null when n > 0");
        rf::apply_num_threads();
        index->root->train(n, x);
    });
}

extern "C" int rf_index_add_with_ids(rf_index* index, int64_t n, const float* x, const int64_t* ids) {
    return rf::guard([&] {
        rf::require(index != nullptr, "index must not be null");
        rf::require(n >= 0 && (n == 0 || (x != nullptr && ids != nullptr)), "x and ids must not be null when n > 0");
        rf::apply_num_threads();
        index->root->add_with_ids(n, x, ids);
    });
}

extern "C" int rf_index_remove_ids(rf_index* index, int64_t n, const int64_t* ids, int64_t* removed) {
    return rf::guard([&] {
        rf::require(index != nullptr && removed != nullptr, "index and removed must not be null");
        rf::require(n >= 0 && (n == 0 || ids != nullptr), "ids must not be null when n > 0");
        *removed = 0;
        if (n == 0) {
            return;
        }
        rf::apply_num_threads();
        // A hash set: IDSelectorArray's is_member is a linear scan per stored vector.
        const faiss::IDSelectorBatch selector(static_cast<size_t>(n), ids);
        *removed = static_cast<int64_t>(index->root->remove_ids(selector));
    });
}
