// k-NN search with per-request parameters and id filters.
#include <faiss/IVFlib.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVF.h>
#include <faiss/impl/IDSelector.h>

#include <memory>
#include <vector>

#include "shim_internal.h"

namespace {

// Maps the sub-index's sequential labels to caller ids before asking the caller's selector,
// so that a filter expressed in row ids works below an IndexIDMap (Faiss 1.7.4 added the same
// thing as IDSelectorTranslated; 1.7.3 lacks it).
struct TranslatedSelector final : faiss::IDSelector {
    const std::vector<faiss::Index::idx_t>& id_map;
    const faiss::IDSelector& inner;

    TranslatedSelector(const std::vector<faiss::Index::idx_t>& map, const faiss::IDSelector& sel)
            : id_map(map), inner(sel) {}

    bool is_member(idx_t id) const override {
        return id >= 0 && static_cast<size_t>(id) < id_map.size() && inner.is_member(id_map[id]);
    }
};

std::unique_ptr<faiss::IDSelector> make_filter(const rf_search_params* params) {
    if (params == nullptr) {
        return nullptr;
    }
    const bool has_bitmap = params->filter_bitmap != nullptr;
    const bool has_ids = params->filter_ids != nullptr;
    rf::require(!(has_bitmap && has_ids), "give either filter_bitmap or filter_ids, not both");
    if (has_bitmap) {
        rf::require(params->filter_bitmap_bytes >= 0, "filter_bitmap_bytes must be >= 0");
        return std::make_unique<faiss::IDSelectorBitmap>(static_cast<size_t>(params->filter_bitmap_bytes), params->filter_bitmap);
    }
    if (has_ids) {
        rf::require(params->filter_id_count >= 0, "filter_id_count must be >= 0");
        return std::make_unique<faiss::IDSelectorBatch>(static_cast<size_t>(params->filter_id_count), params->filter_ids);
    }
    return nullptr;
}

// Faiss 1.7.3 wants the SearchParameters subclass of the index type (HNSW and IVF reject the base
// class), and a default-constructed subclass overrides the index's own efSearch/nprobe with
// hard-coded defaults (16 / 1), so unset fields are copied from the index.
std::unique_ptr<faiss::SearchParameters> make_params(const faiss::Index& core, const rf_search_params* params) {
    const int32_t ef_search = params != nullptr ? params->ef_search : 0;
    const int32_t nprobe = params != nullptr ? params->nprobe : 0;
    if (const auto* hnsw = dynamic_cast<const faiss::IndexHNSW*>(&core)) {
        auto p = std::make_unique<faiss::SearchParametersHNSW>();
        p->efSearch = ef_search > 0 ? ef_search : hnsw->hnsw.efSearch;
        return p;
    }
    if (const auto* ivf = dynamic_cast<const faiss::IndexIVF*>(&core)) {
        auto p = std::make_unique<faiss::SearchParametersIVF>();
        p->nprobe = nprobe > 0 ? static_cast<size_t>(nprobe) : ivf->nprobe;
        p->max_codes = ivf->max_codes;
        return p;
    }
    return std::make_unique<faiss::SearchParameters>();
}

} // namespace

extern "C" int rf_index_search(
        const rf_index* index,
        int64_t n,
        const float* x,
        int64_t k,
        const rf_search_params* params,
        float* distances,
        int64_t* labels) {
    return rf::guard([&] {
        rf::require(index != nullptr, "index must not be null");
        rf::require(n >= 0 && k > 0, "n must be >= 0 and k > 0");
        rf::require(n == 0 || (x != nullptr && distances != nullptr && labels != nullptr), "x, distances and labels must not be null");
        if (n == 0) {
            return;
        }
        rf::require(params == nullptr || params->num_threads >= 0, "num_threads must be >= 0");
        rf::apply_num_threads(params != nullptr ? params->num_threads : 0);

        const std::unique_ptr<faiss::IDSelector> filter = make_filter(params);
        std::unique_ptr<faiss::IDSelector> translated;
        const std::unique_ptr<faiss::SearchParameters> search_params = make_params(*index->core, params);
        if (filter != nullptr && index->id_map != nullptr) {
            translated = std::make_unique<TranslatedSelector>(index->id_map->id_map, *filter);
            search_params->sel = translated.get();
        } else {
            search_params->sel = filter.get();
        }

        // Below an IndexIDMap search the sub-index and translate labels here (what
        // IndexIDMap::search does, minus its refusal of SearchParameters).
        index->core->search(n, x, k, distances, labels, search_params.get());
        if (index->id_map != nullptr) {
            const auto& ids = index->id_map->id_map;
            for (int64_t i = 0; i < n * k; i++) {
                labels[i] = labels[i] < 0 ? -1 : ids[labels[i]];
            }
        }
    });
}
