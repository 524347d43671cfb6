// In-process HNSW peers built for this CPU (issue 16): hnswlib (header-only, Debian's libhnswlib-dev) and, when
// compiled with -DWITH_FAISS against a Faiss source build (AVX2), Faiss IndexHNSWFlat. Same data, M and efConstruction
// as Retrieval's HNSW spec; one query per call on one thread (what a server does per request), so the figures are
// the per-query cost of the library, with nothing around it.
//
// Build and run: tests/Retrieval.Benchmarks/peers/build-native.sh (see there). Input: a folder written by
// `Retrieval.Benchmarks peers export` (meta.txt, base.f32, queries.f32, truth.i64). --index FILE saves the built graph
// (or loads it if the file exists), so that the `peers` command builds before its timed window and only loads in it.
// Output, one line per efSearch, read by the `peers` command:
//   peer=<name> ef=<ef> recall=<recall@10> qps=<single-thread QPS> p50_ms=<p50> p99_ms=<p99>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include <hnswlib/hnswlib.h>

#ifdef WITH_FAISS
#include <faiss/IndexHNSW.h>
#include <faiss/index_io.h>
#include <omp.h>
#endif

namespace {

using Clock = std::chrono::steady_clock;

struct Dataset {
    int dimension = 0;
    int count = 0;
    int queries = 0;
    int k = 0;
    bool innerProduct = false;
    std::vector<float> base;
    std::vector<float> query;
    std::vector<int64_t> truth;  // queries × k row numbers of the exact top-k
};

template <typename T>
std::vector<T> ReadArray(const std::string& path, size_t expected) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw std::runtime_error("cannot open " + path);
    const auto bytes = static_cast<size_t>(in.tellg());
    if (bytes != expected * sizeof(T)) {
        throw std::runtime_error(path + ": " + std::to_string(bytes) + " bytes, expected " + std::to_string(expected * sizeof(T)));
    }
    std::vector<T> values(expected);
    in.seekg(0);
    in.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(bytes));
    return values;
}

Dataset Load(const std::string& folder) {
    std::map<std::string, std::string> meta;
    std::ifstream in(folder + "/meta.txt");
    if (!in) throw std::runtime_error("cannot open " + folder + "/meta.txt (write it with `peers export`)");
    for (std::string line; std::getline(in, line);) {
        const auto eq = line.find('=');
        if (eq != std::string::npos) meta[line.substr(0, eq)] = line.substr(eq + 1);
    }
    auto number = [&](const char* key) {
        if (!meta.count(key)) throw std::runtime_error(std::string("meta.txt has no ") + key);
        return std::stoi(meta[key]);
    };
    Dataset d;
    d.dimension = number("dimension");
    d.count = number("count");
    d.queries = number("queries");
    d.k = number("k");
    d.innerProduct = meta["metric"] == "ip";
    if (!d.innerProduct && meta["metric"] != "l2") throw std::runtime_error("meta.txt: metric must be ip or l2");
    d.base = ReadArray<float>(folder + "/base.f32", static_cast<size_t>(d.count) * d.dimension);
    d.query = ReadArray<float>(folder + "/queries.f32", static_cast<size_t>(d.queries) * d.dimension);
    d.truth = ReadArray<int64_t>(folder + "/truth.i64", static_cast<size_t>(d.queries) * d.k);
    return d;
}

// One pass over every query at one efSearch: per-query latencies and recall@k against the exact truth.
struct Pass {
    double recall = 0;
    double qps = 0;
    double p50 = 0;
    double p99 = 0;
};

double Percentile(std::vector<double> sorted, double p) {
    std::sort(sorted.begin(), sorted.end());
    auto rank = static_cast<long>(std::ceil(p * static_cast<double>(sorted.size()))) - 1;
    rank = std::clamp(rank, 0L, static_cast<long>(sorted.size()) - 1);
    return sorted[static_cast<size_t>(rank)];
}

// search(q, out) writes the k row numbers of query q into out (-1 where fewer were found).
template <typename Search>
Pass RunPass(const Dataset& d, Search&& search) {
    std::vector<double> latencies(d.queries);
    std::vector<int64_t> found(d.k);
    size_t hits = 0;
    const auto started = Clock::now();
    for (int q = 0; q < d.queries; ++q) {
        const auto t0 = Clock::now();
        search(q, found.data());
        latencies[q] = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        std::unordered_set<int64_t> truth(d.truth.begin() + static_cast<long>(q) * d.k, d.truth.begin() + static_cast<long>(q + 1) * d.k);
        for (int i = 0; i < d.k; ++i) hits += truth.count(found[i]);
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    return Pass{static_cast<double>(hits) / (static_cast<double>(d.queries) * d.k), d.queries / seconds,
                Percentile(latencies, 0.5), Percentile(latencies, 0.99)};
}

// Several passes per ef; the one with the median QPS is reported (the machine is shared: passes vary).
template <typename Search>
void Sweep(const char* peer, const Dataset& d, const std::vector<int>& efs, int passes, Search&& search) {
    for (int ef : efs) {
        std::vector<Pass> runs;
        for (int p = 0; p < passes; ++p) runs.push_back(RunPass(d, [&](int q, int64_t* out) { search(ef, q, out); }));
        std::sort(runs.begin(), runs.end(), [](const Pass& a, const Pass& b) { return a.qps < b.qps; });
        const Pass& m = runs[runs.size() / 2];
        std::printf("peer=%s ef=%d recall=%.4f qps=%.1f p50_ms=%.4f p99_ms=%.4f\n", peer, ef, m.recall, m.qps, m.p50, m.p99);
        std::fflush(stdout);
    }
}

// Command-line options; --index PATH keeps the built graph so that a timed run only loads it (--build-only: build,
// save, stop).
struct Options {
    int m = 16;
    int efConstruction = 64;
    int buildThreads = 2;
    int passes = 3;
    bool buildOnly = false;
    // Faiss only: fill a level-0 node's neighbour list up to 2·M with the candidates the diversity heuristic pruned,
    // nearest first (Faiss's keep_max_size_level0; pgvector always does this on every layer).
    bool keepPruned = false;
    std::string indexPath;
    std::vector<int> efs = {16, 32, 64, 96, 128, 192, 256, 384, 512, 768, 1024};
};

void RunHnswlib(const Dataset& d, const Options& o) {
    std::unique_ptr<hnswlib::SpaceInterface<float>> space;
    if (d.innerProduct) {
        space = std::make_unique<hnswlib::InnerProductSpace>(d.dimension);
    } else {
        space = std::make_unique<hnswlib::L2Space>(d.dimension);
    }
    std::unique_ptr<hnswlib::HierarchicalNSW<float>> index;
    if (!o.indexPath.empty() && std::ifstream(o.indexPath).good()) {
        index = std::make_unique<hnswlib::HierarchicalNSW<float>>(space.get(), o.indexPath);
        std::printf("# hnswlib: loaded %s\n", o.indexPath.c_str());
    } else {
        index = std::make_unique<hnswlib::HierarchicalNSW<float>>(space.get(), static_cast<size_t>(d.count), static_cast<size_t>(o.m),
                                                                   static_cast<size_t>(o.efConstruction), 100);
        const auto started = Clock::now();
        // The first point alone, then the rest from several threads (addPoint is thread-safe), as hnswlib's Python
        // binding does; the build time is printed, not compared.
        index->addPoint(d.base.data(), 0);
        std::vector<std::thread> workers;
        for (int t = 0; t < o.buildThreads; ++t) {
            workers.emplace_back([&, t] {
                for (int r = 1 + t; r < d.count; r += o.buildThreads) {
                    index->addPoint(d.base.data() + static_cast<size_t>(r) * d.dimension, static_cast<hnswlib::labeltype>(r));
                }
            });
        }
        for (auto& w : workers) w.join();
        std::printf("# hnswlib: built %d × %d (M=%d, efConstruction=%d, %s, %d threads) in %.1f s\n", d.count, d.dimension, o.m,
                    o.efConstruction, d.innerProduct ? "inner product" : "L2", o.buildThreads,
                    std::chrono::duration<double>(Clock::now() - started).count());
        if (!o.indexPath.empty()) index->saveIndex(o.indexPath);
    }
    std::fflush(stdout);
    if (o.buildOnly) return;
    Sweep("hnswlib", d, o.efs, o.passes, [&](int ef, int q, int64_t* out) {
        index->setEf(static_cast<size_t>(std::max(ef, d.k)));
        auto result = index->searchKnn(d.query.data() + static_cast<size_t>(q) * d.dimension, static_cast<size_t>(d.k));
        std::fill(out, out + d.k, -1);
        // The priority queue pops the farthest first.
        for (int i = static_cast<int>(result.size()) - 1; i >= 0; --i) {
            out[i] = static_cast<int64_t>(result.top().second);
            result.pop();
        }
    });
}

#ifdef WITH_FAISS
void RunFaiss(const Dataset& d, const Options& o) {
    std::unique_ptr<faiss::IndexHNSWFlat> index;
    if (!o.indexPath.empty() && std::ifstream(o.indexPath).good()) {
        index.reset(dynamic_cast<faiss::IndexHNSWFlat*>(faiss::read_index(o.indexPath.c_str())));
        if (!index) throw std::runtime_error(o.indexPath + " is not an IndexHNSWFlat");
        std::printf("# faiss: loaded %s\n", o.indexPath.c_str());
    } else {
        index = std::make_unique<faiss::IndexHNSWFlat>(d.dimension, o.m, d.innerProduct ? faiss::METRIC_INNER_PRODUCT : faiss::METRIC_L2);
        index->hnsw.efConstruction = o.efConstruction;
        index->keep_max_size_level0 = o.keepPruned;
        omp_set_num_threads(o.buildThreads);
        const auto started = Clock::now();
        index->add(d.count, d.base.data());
        std::printf("# faiss: built %d × %d (IndexHNSWFlat M=%d, efConstruction=%d, %s, %d threads) in %.1f s\n", d.count,
                    d.dimension, o.m, o.efConstruction, d.innerProduct ? "inner product" : "L2", o.buildThreads,
                    std::chrono::duration<double>(Clock::now() - started).count());
        if (!o.indexPath.empty()) faiss::write_index(index.get(), o.indexPath.c_str());
    }
    std::fflush(stdout);
    if (o.buildOnly) return;
    omp_set_num_threads(1);
    std::vector<float> distances(d.k);
    std::vector<faiss::idx_t> labels(d.k);
    Sweep("faiss", d, o.efs, o.passes, [&](int ef, int q, int64_t* out) {
        faiss::SearchParametersHNSW params;
        params.efSearch = std::max(ef, d.k);
        index->search(1, d.query.data() + static_cast<size_t>(q) * d.dimension, d.k, distances.data(), labels.data(), &params);
        for (int i = 0; i < d.k; ++i) out[i] = labels[i];
    });
}
#endif

std::vector<int> ParseList(const std::string& text) {
    std::vector<int> values;
    std::stringstream in(text);
    for (std::string item; std::getline(in, item, ',');) values.push_back(std::stoi(item));
    return values;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr,
                     "usage: %s hnswlib|faiss <data folder> [--m 16] [--ef-construction 64] [--build-threads 2] "
                     "[--ef 16,32,...] [--passes 3] [--keep-pruned] [--index FILE [--build-only]]\n",
                     argv[0]);
        return 2;
    }
    const std::string library = argv[1];
    const std::string folder = argv[2];
    Options o;
    for (int i = 3; i < argc; ++i) {
        const std::string name = argv[i];
        if (name == "--build-only") {
            o.buildOnly = true;
            continue;
        }
        if (name == "--keep-pruned") {
            o.keepPruned = true;
            continue;
        }
        if (i + 1 >= argc) {
            std::fprintf(stderr, "%s needs a value\n", name.c_str());
            return 2;
        }
        const std::string value = argv[++i];
        if (name == "--m") o.m = std::stoi(value);
        else if (name == "--ef-construction") o.efConstruction = std::stoi(value);
        else if (name == "--build-threads") o.buildThreads = std::stoi(value);
        else if (name == "--ef") o.efs = ParseList(value);
        else if (name == "--passes") o.passes = std::stoi(value);
        else if (name == "--index") o.indexPath = value;
        else {
            std::fprintf(stderr, "unknown option %s\n", name.c_str());
            return 2;
        }
    }
    if (o.m < 2 || o.efConstruction < 1 || o.buildThreads < 1 || o.passes < 1 || o.efs.empty()) {
        std::fprintf(stderr, "--m ≥ 2, --ef-construction ≥ 1, --build-threads ≥ 1, --passes ≥ 1 and a non-empty --ef are required\n");
        return 2;
    }
    try {
        const Dataset d = Load(folder);
        std::printf("# %s: %d × %d, %d queries, k=%d, %s\n", folder.c_str(), d.count, d.dimension, d.queries, d.k,
                    d.innerProduct ? "ip" : "l2");
        if (library == "hnswlib") {
            RunHnswlib(d, o);
        } else if (library == "faiss") {
#ifdef WITH_FAISS
            RunFaiss(d, o);
#else
            std::fprintf(stderr, "this binary was built without Faiss (build-native.sh FAISS_SRC=...)\n");
            return 2;
#endif
        } else {
            std::fprintf(stderr, "library must be hnswlib or faiss, not %s\n", library.c_str());
            return 2;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hnsw_native: %s\n", e.what());
        return 1;
    }
    return 0;
}
