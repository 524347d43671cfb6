// Snapshots through Faiss's serialization format: to a file or to a memory buffer.
#include <faiss/impl/io.h>
#include <faiss/index_io.h>

#include <cstdlib>
#include <cstring>

#include "shim_internal.h"

extern "C" int rf_index_write_file(const rf_index* index, const char* path) {
    return rf::guard([&] {
        rf::require(index != nullptr && path != nullptr, "index and path must not be null");
        faiss::write_index(index->root.get(), path);
    });
}

extern "C" int rf_index_read_file(const char* path, rf_index** out) {
    return rf::guard([&] {
        rf::require(out != nullptr && path != nullptr, "path and out must not be null");
        *out = nullptr;
        // A written index already carries its IndexIDMap where it had one: never re-wrap.
        *out = rf::adopt(faiss::read_index(path), false);
    });
}

extern "C" int rf_index_serialize(const rf_index* index, uint8_t** buffer, size_t* size) {
    return rf::guard([&] {
        rf::require(index != nullptr && buffer != nullptr && size != nullptr, "index, buffer and size must not be null");
        *buffer = nullptr;
        *size = 0;
        faiss::VectorIOWriter writer;
        faiss::write_index(index->root.get(), &writer);
        // malloc so that rf_buffer_free needs no knowledge of the vector that produced it.
        auto* copy = static_cast<uint8_t*>(std::malloc(writer.data.empty() ? 1 : writer.data.size()));
        if (copy == nullptr) {
            throw std::bad_alloc();
        }
        std::memcpy(copy, writer.data.data(), writer.data.size());
        *buffer = copy;
        *size = writer.data.size();
    });
}

namespace {
// An IOWriter that keeps nothing and only counts: Faiss's format writes each array of an index (codes, ids,
// centroids, codebooks) once, contiguously, so the count is what the index holds in memory, without allocating a copy.
struct CountingIOWriter : faiss::IOWriter {
    size_t bytes = 0;
    size_t operator()(const void* /*ptr*/, size_t size, size_t nitems) override {
        bytes += size * nitems;
        return nitems;
    }
};
} // namespace

extern "C" int rf_index_serialized_size(const rf_index* index, int64_t* out) {
    return rf::guard([&] {
        rf::require(index != nullptr && out != nullptr, "index and out must not be null");
        CountingIOWriter writer;
        faiss::write_index(index->root.get(), &writer);
        *out = static_cast<int64_t>(writer.bytes);
    });
}

extern "C" void rf_buffer_free(uint8_t* buffer) {
    std::free(buffer);
}

extern "C" int rf_index_deserialize(const uint8_t* buffer, size_t size, rf_index** out) {
    return rf::guard([&] {
        rf::require(out != nullptr && (buffer != nullptr || size == 0), "buffer and out must not be null");
        *out = nullptr;
        faiss::VectorIOReader reader;
        reader.data.assign(buffer, buffer + size);
        *out = rf::adopt(faiss::read_index(&reader), false);
    });
}
