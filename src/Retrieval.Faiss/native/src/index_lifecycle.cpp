// Creating, adopting, freeing and describing indexes.
#include <faiss/IVFlib.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/index_factory.h>

#include "shim_internal.h"

rf_index* rf::adopt(faiss::Index* index, bool wrap_if_needed) {
    std::unique_ptr<faiss::Index> owned(index);
    auto handle = std::make_unique<rf_index>();
    auto* id_map = dynamic_cast<faiss::IndexIDMap*>(index);
    // IVF indexes store caller ids in their inverted lists; everything else (Flat, HNSW, ...)
    // numbers vectors 0..n-1, so it gets an IndexIDMap to map those to our row ids.
    if (id_map == nullptr && wrap_if_needed && faiss::ivflib::try_extract_index_ivf(index) == nullptr) {
        id_map = new faiss::IndexIDMap(owned.get());
        id_map->own_fields = true;
        owned.release();
        owned.reset(id_map);
    }
    handle->id_map = id_map;
    handle->core = id_map != nullptr ? id_map->index : owned.get();
    handle->root = std::move(owned);
    return handle.release();
}

extern "C" int rf_index_create(const char* factory, int32_t dimension, int32_t metric, rf_index** out) {
    return rf::guard([&] {
        rf::require(out != nullptr, "out must not be null");
        *out = nullptr;
        rf::require(factory != nullptr, "factory must not be null");
        rf::require(dimension > 0, "dimension must be positive");
        rf::require(metric == RF_METRIC_INNER_PRODUCT || metric == RF_METRIC_L2, "metric must be RF_METRIC_INNER_PRODUCT or RF_METRIC_L2");
        faiss::Index* index = faiss::index_factory(dimension, factory, static_cast<faiss::MetricType>(metric));
        // The factory turns on polysemous training for IVF-PQ. It only serves Hamming-threshold
        // search (polysemous_ht), which the shim never enables, and it dominates training time
        // (minutes instead of seconds on 5000 x 32), so it is switched off.
        if (auto* ivfpq = dynamic_cast<faiss::IndexIVFPQ*>(faiss::ivflib::try_extract_index_ivf(index))) {
            ivfpq->do_polysemous_training = false;
        }
        *out = rf::adopt(index, true);
    });
}

extern "C" void rf_index_free(rf_index* index) {
    delete index;
}

extern "C" int rf_index_dimension(const rf_index* index, int32_t* out) {
    return rf::guard([&] {
        rf::require(index != nullptr && out != nullptr, "index and out must not be null");
        *out = index->root->d;
    });
}

extern "C" int rf_index_metric(const rf_index* index, int32_t* out) {
    return rf::guard([&] {
        rf::require(index != nullptr && out != nullptr, "index and out must not be null");
        *out = static_cast<int32_t>(index->root->metric_type);
    });
}

extern "C" int rf_index_is_trained(const rf_index* index, int32_t* out) {
    return rf::guard([&] {
        rf::require(index != nullptr && out != nullptr, "index and out must not be null");
        *out = index->root->is_trained ? 1 : 0;
    });
}

extern "C" int rf_index_ntotal(const rf_index* index, int64_t* out) {
    return rf::guard([&] {
        rf::require(index != nullptr && out != nullptr, "index and out must not be null");
        *out = index->root->ntotal;
    });
}

extern "C" int rf_index_hnsw_ef_search(const rf_index* index, int32_t* out) {
    return rf::guard([&] {
        rf::require(index != nullptr && out != nullptr, "index and out must not be null");
        const auto* hnsw = dynamic_cast<const faiss::IndexHNSW*>(index->core);
        *out = hnsw != nullptr ? hnsw->hnsw.efSearch : 0;
    });
}

extern "C" int rf_index_set_hnsw_ef_search(rf_index* index, int32_t ef_search) {
    return rf::guard([&] {
        rf::require(index != nullptr, "index must not be null");
        rf::require(ef_search > 0, "ef_search must be positive");
        if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index->core)) {
            hnsw->hnsw.efSearch = ef_search;
        }
    });
}
