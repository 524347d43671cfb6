/*
 * retrieval_faiss.h — the C ABI of Retrieval's Faiss shim (libretrieval_faiss.so).
 *
 * Shaped like Faiss's own c_api/: opaque handles, int return codes, and a thread-local message
 * for the last failure. Every function that can fail returns RF_OK (0) or a negative RF_ERR_*
 * code and never lets a C++ exception cross the boundary.
 *
 * Scores are Faiss's raw distances: similarities (higher is better) for RF_METRIC_INNER_PRODUCT,
 * squared Euclidean distances (lower is better) for RF_METRIC_L2. Missing results (fewer than k
 * candidates, or a filter excluding everything) have label -1.
 *
 * Thread-safety: functions taking a `const rf_index*` (search, ntotal, write, ...) may run
 * concurrently on one index; functions taking `rf_index*` (train, add, remove) need exclusive
 * access. The managed binding enforces this with a reader/writer lock.
 *
 * The C# side mirrors this header one-to-one in NativeMethods.cs: change both together.
 */
#ifndef RETRIEVAL_FAISS_H
#define RETRIEVAL_FAISS_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define RF_API __declspec(dllexport)
#else
#define RF_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Return codes (the same values as Faiss c_api's where they overlap). */
#define RF_OK 0
#define RF_ERR_UNKNOWN (-1)          /* a non-standard C++ exception */
#define RF_ERR_FAISS (-2)            /* faiss::FaissException: Faiss's own message */
#define RF_ERR_OUT_OF_MEMORY (-3)    /* std::bad_alloc */
#define RF_ERR_STD (-4)              /* any other std::exception */
#define RF_ERR_INVALID_ARGUMENT (-5) /* rejected by the shim before reaching Faiss */

/* Metrics: the values of faiss::MetricType. */
#define RF_METRIC_INNER_PRODUCT 0
#define RF_METRIC_L2 1

/* An index (possibly wrapped in an IndexIDMap so that it stores caller ids). */
typedef struct rf_index rf_index;

/*
 * Per-search parameters. Zero-initialize for "index defaults, no filter".
 * ef_search applies to HNSW indexes and nprobe to IVF indexes; each is ignored by index types
 * that lack it, so a caller may pass one parameter set to every segment.
 * At most one filter may be given: a bitmap (bit i%8 of byte i/8 set = id i allowed; ids past
 * the bitmap are excluded) or a list of allowed ids.
 */
typedef struct rf_search_params {
    int32_t ef_search;              /* <= 0: the index's efSearch */
    int32_t nprobe;                 /* <= 0: the index's nprobe */
    const uint8_t* filter_bitmap;   /* NULL: no bitmap filter */
    int64_t filter_bitmap_bytes;
    const int64_t* filter_ids;      /* NULL: no id-list filter */
    int64_t filter_id_count;
    int32_t num_threads;            /* OpenMP threads of this call (Faiss parallelises a batch over its
                                       queries); <= 0: the calling thread's setting, else the process's */
} rf_search_params;

/* The message of the last failed call on this thread (empty if none). Valid until the next
 * failing call on the same thread. */
RF_API const char* rf_last_error(void);

/* Faiss version the shim was compiled against, e.g. "1.7.3". */
RF_API const char* rf_faiss_version(void);

/* OpenMP threads Faiss may use for each call; 0 restores the OpenMP default. Process-wide:
 * the shim applies it on the calling thread at the start of every call. */
RF_API int rf_set_num_threads(int32_t threads);
RF_API int32_t rf_get_num_threads(void);

/* OpenMP threads of the following calls made on the calling OS thread (train, add, remove, search
 * without rf_search_params.num_threads), overriding the process-wide setting; 0 clears the override.
 * Lets one thread build with every core while searches elsewhere stay on one thread each. */
RF_API int rf_set_thread_num_threads(int32_t threads);
/* The OpenMP threads a call on the calling thread would use without rf_search_params.num_threads. */
RF_API int32_t rf_get_thread_num_threads(void);

/* Lifecycle and properties. rf_index_create wraps indexes that cannot store caller ids (Flat,
 * HNSW, ...) in an IndexIDMap, and switches off IVF-PQ's polysemous training (useless without
 * Hamming-threshold search, and it multiplies training time). */
RF_API int rf_index_create(const char* factory, int32_t dimension, int32_t metric, rf_index** out);
RF_API void rf_index_free(rf_index* index);
RF_API int rf_index_dimension(const rf_index* index, int32_t* out);
RF_API int rf_index_metric(const rf_index* index, int32_t* out);
RF_API int rf_index_is_trained(const rf_index* index, int32_t* out);
RF_API int rf_index_ntotal(const rf_index* index, int64_t* out);

/* HNSW's index-level efSearch (0 for non-HNSW indexes). Faiss 1.7.3 sizes the search's candidate
 * queue from this value even when rf_search_params.ef_search is given, so a per-request ef_search is
 * exact only when it equals this value: callers switch it with the setter, which needs exclusive
 * access (the managed binding does this under its lock). Setting it on a non-HNSW index is a no-op. */
RF_API int rf_index_hnsw_ef_search(const rf_index* index, int32_t* out);
RF_API int rf_index_set_hnsw_ef_search(rf_index* index, int32_t ef_search);

/* Mutation: exclusive access required. x is row-major n x dimension. */
RF_API int rf_index_train(rf_index* index, int64_t n, const float* x);
RF_API int rf_index_add_with_ids(rf_index* index, int64_t n, const float* x, const int64_t* ids);
RF_API int rf_index_remove_ids(rf_index* index, int64_t n, const int64_t* ids, int64_t* removed);

/* k nearest neighbours of n queries; distances and labels are n x k, best first.
 * params may be NULL. */
RF_API int rf_index_search(
        const rf_index* index,
        int64_t n,
        const float* x,
        int64_t k,
        const rf_search_params* params,
        float* distances,
        int64_t* labels);

/* Snapshots: Faiss's own serialization format. */
RF_API int rf_index_write_file(const rf_index* index, const char* path);
RF_API int rf_index_read_file(const char* path, rf_index** out);
RF_API int rf_index_serialize(const rf_index* index, uint8_t** buffer, size_t* size);
RF_API void rf_buffer_free(uint8_t* buffer);
/* Bytes rf_index_serialize would produce, counted without building the buffer: the index's arrays (codes, ids,
 * centroids, codebooks) as Faiss stores them, i.e. its memory less allocator slack. */
RF_API int rf_index_serialized_size(const rf_index* index, int64_t* out);
RF_API int rf_index_deserialize(const uint8_t* buffer, size_t size, rf_index** out);

#ifdef __cplusplus
}
#endif

#endif /* RETRIEVAL_FAISS_H */
