using Retrieval.Benchmarks.Ann;
using Retrieval.Benchmarks.Cluster;
using Retrieval.Benchmarks.Encoders;
using Retrieval.Benchmarks.Engine;
using Retrieval.Benchmarks.Exact;
using Retrieval.Benchmarks.Faiss;
using Retrieval.Benchmarks.Filtering;
using Retrieval.Benchmarks.Maps;
using Retrieval.Benchmarks.Migrations;
using Retrieval.Benchmarks.MultiVector;
using Retrieval.Benchmarks.PeerHarness;
using Retrieval.Benchmarks.Security;

namespace Retrieval.Benchmarks;

/// <summary>Benchmark suites; each prints its figures and the environment it ran in. See docs/benchmarks.md.</summary>
internal static class Program
{
    private const string Usage = """
        usage: Retrieval.Benchmarks <suite> [options]
          exact         exact search QPS vs Faiss IndexFlatIP and the memory-bandwidth roof
                        [--n 100000,1000000] [--dim 128,768] [--k 10] [--batch 1000] [--threads N] [--trials 5] [--batch-trials 3] [--no-peer] [--data-dir DIR]
          store-ingest  durable ingest into a store: store-ingest sqlite|postgres <count> <dim> <batch>
          server-ingest the store's durable rate vs the engine in process (time per write step) vs the server over gRPC (issue 16 item 4)
                        --store sqlite|postgres [--n 100000] [--dim 128] [--batch 1000] [--modes stream1,stream4,unary1,unary4] [--grouping on,off] [--breakdown true] [--rounds 3]
          filtered-search  filtered exact search with vs without payload indexes: [items] [dim] [queries] [k]
          hnsw          HNSW build/recall/QPS: our Faiss binding vs python3-faiss vs USearch [--n 100000] [--dim 128] [--queries 1000] [--out DIR]
          maps          compatibility maps: bench --data DIR [--anchors 500,2000,5000,20000] [--plot PNG] [--markdown MD], or <minilm-arctic-folder> [--apply-only]
          encoders      ONNX encoders through the server's Encode RPC vs a raw ORT session on the same inputs
                        [--models resnet18,minilm,arctic-xs] [--batches 1,8,32] [--items 320]
          mixed         migration mixed search recall at 0/25/50/75/100 % backfilled (wordnet-fasttext)
          mixed-refit   migration curve with online refit on and off, both data sets (issue 18)
                        [--data DIR] [--queries 2000] [--anchors 5000] [--kind orthogonal|canonical-q|affine] [--plot PNG] [--markdown MD]
          ann           recall@10 vs QPS of HNSW and IVF-PQ: our index layer vs python3-faiss, same parameters
                        [--data fasttext,minilm,synthetic] [--indexes hnsw,ivfpq,ivfpq-refine,ivfpq-fine] [--data-root ../shared/data] [--n 200000] [--queries 1000]
                        [--ef 16,...,512] [--ef-construction 40] [--nprobe 1,...,128] [--peer-timeout 1800] [--plot PNG] [--markdown MD]
          ann-overhead  per-query CPU and wall time of our IVF-PQ path vs python3-faiss on the same index file, interleaved
                        [--data fasttext|minilm|synthetic] [--spec IVF488,PQ16x8] [--nprobe 1,4,16,64] [--rounds 5] [--queries 1000]
          ann-serve     end to end: gRPC load generator (this process) against the server binary (child process) vs the in-process engine
                        [--n 100000] [--queries 1000] [--concurrency 1,2,4,8] [--seconds 3] [--warmup 2] [--rounds 3] [--open-fraction 0.5]
                        [--ef-construction 40] [--batch 16 (SearchBatch rows; 1: none)] [--index HNSW32|none (exact)] [--rest false] [--open true] [--fresh-server false]
                        [--server-env "default;DOTNET_gcServer=0;SERVER_DIR=/other/build/bin,DOTNET_TieredPGO=0"]
          minilm-tokens encode the WordNet glosses and a query sample with MiniLM token outputs into a cache outside git
                        [--data DIR] [--cache ~/.cache/retrieval-bench/minilm-tokens] [--items 60000] [--queries 2000] [--threads 2]
          minilm-docs   longer documents from the same glosses (runs of one lexname's consecutive glosses, 80–180 tokens), same queries, encoded likewise
                        [--data DIR] [--cache ~/.cache/retrieval-bench/minilm-docs] [--min-tokens 80] [--max-tokens 180] [--queries 2000] [--threads 2]
          muvera-pruning  token pruning on the contextual tokens: recall@10 against exact Chamfer on the unpruned tokens, vectors kept
                        [--model minilm|minilm-docs[:N]] [--queries 300] [--prunings "none,ward2,ward3,kmeans2,kmeans2raw,special+punct,stop,freq100,…"]
          muvera        MUVERA FDE encode throughput and recall: encode|recall|all <model> <queries> [folder]
                        ["R,k,dproj[,c|,cN];…" (c = centered SimHash)] ["none,dedup,kdN,ratioX,wardN,dedup+…"]
          muvera-first-stage  FDE first stage (float32 scan, FDE index specs such as IVF1,PQ320x8) vs token-level first stage, same rerank
                        [--model minilm|minilm:N|M_old] [--cache DIR] [--queries 1000] [--preset compact|end-to-end] [--fde-specs "IVF1,PQ320x8;…"]
                        [--center all|none] [--token-spec IVF1024,Flat] [--nprobe 16] [--token-k 1,2,4,8,16,32] [--shortlists 25,50,100,200,400] [--ef 64]
                        [--prunings ward2,ratio0.5,ratio0.5raw,drop0.5,…] [--pruning-queries 300]
          muvera-space-options  issue 17's multi space options through the engine: FDE float32 / FDE PQ / first stage TOKENS, tokens float32/float16/int8
                        [--model minilm:10000] [--cache DIR] [--queries 300] [--preset end-to-end|compact] [--candidates 100,400]
                        [--pq-dims 4] [--pq-train 2000] [--token-lists 64] [--token-probes 4] [--token-neighbours 16] [--token-train 2000]
          engine        the engine in process, through RetrievalEngine: exact|hnsw|shards|ingest
                        exact [--n 1000000] [--dim 128] [--queries 1000] [--batch 1000] [--trials 5]
                        hnsw|shards [--data synthetic|fasttext] [--n 200000] [--spec HNSW32] [--shards 1,2] [--ef 16,32,64,128,256]
                        ingest [--store postgres|sqlite] [--n 200000] [--batch 1000] [--rounds 3]
          muvera-index  MUVERA with the FDEs in HNSW / IVF indexes vs the exact FDE scan: "<specs;…>" compact|end-to-end <queries>
          peers         issue 16's peer harness (docs/benchmarks.md): Retrieval over gRPC and pgvector over Npgsql driven by one load
                        generator, Retrieval's engine, hnswlib and Faiss in process (peers/build-native.sh), same data, M, efConstruction
                        export --data fasttext|synthetic --out DIR [--n 200000] [--dim 128] [--queries 1000] [--data-root ../shared/data]
                        run --data DIR [--peers retrieval,pgvector,engine,hnswlib,faiss] [--pg CONN (default $PGVECTOR_PEER)]
                            [--native ~/.cache/retrieval-bench/peers] [--m 16] [--ef-construction 64] [--ef 16,32,...,3072]
                            [--targets 0.95,0.98,0.99] [--concurrency 1,4,16] [--seconds 4] [--warmup 2]
                            [--open-fractions 0.5,0.8 (of the slowest peer's peak) | --open-rates R1,R2] [--passes 3]
                            [--lock /work/quiet.lock (exclusive, for the measurements only)] [--lock-timeout 900] [--nice -15]
          cluster-visibility  ms from a write acknowledged on node A to visible on node B (two following engines, one PostgreSQL):
                        notices on vs poll only [--writes 300] [--poll-writes 60] [--batch 10] [--dim 128] [--poll-ms 1000]
          auth          CPU cost of authorizing a search in process, then gRPC search QPS with auth on vs off (two server processes)
                        [--keys 1000] [--calls 1000000] [--items 20000] [--dim 64] [--concurrency 4] [--seconds 3] [--rounds 5] [--gate-only]
        """;

    private static async Task<int> Main(string[] args)
    {
        var rest = args.Length > 0 ? args[1..] : [];
        switch (args.FirstOrDefault())
        {
            case "exact":
                return ExactSuite.Run(ExactBenchOptions.Parse(rest));
            case "store-ingest":
                return await StoreIngestBenchmark.RunAsync(rest);
            case "server-ingest":
                return await Ingest.ServerIngestBenchmark.RunAsync(rest);
            case "filtered-search":
                return await FilteredSearchBenchmark.RunAsync(rest);
            case "hnsw":
                return await FaissHnswBenchmark.RunAsync(rest);
            case "maps":
                return await MapSanityCheck.RunAsync(rest);
            case "encoders":
                return await EncoderBenchmark.RunAsync(rest);
            case "mixed":
                return await MixedSearchBenchmark.RunAsync(rest);
            case "mixed-refit":
                return await RefitCurveBenchmark.RunAsync(rest);
            case "mixed-merge":
                return MixedMergeExperiment.Run(rest);
            case "ann":
                return await AnnBenchmark.RunAsync(rest);
            case "ann-overhead":
                return await AnnOverheadBenchmark.RunAsync(rest);
            case "ann-serve":
                return await ServeBenchmark.RunAsync(rest);
            case "minilm-tokens":
                return await MiniLmTokenCache.RunAsync(rest);
            case "minilm-docs":
                return await MiniLmDocuments.RunAsync(rest);
            case "muvera-pruning":
                return PruningBenchmark.Run(rest);
            case "muvera":
                return await MuveraBenchmark.RunAsync(rest);
            case "muvera-first-stage":
                return FirstStageBenchmark.Run(rest);
            case "muvera-space-options":
                return await SpaceOptionsBenchmark.RunAsync(rest);
            case "engine":
                return await EngineBenchmark.RunAsync(rest);
            case "muvera-index":
                return FdeIndexBenchmark.Run(rest);
            case "peers":
                return await PeersBenchmark.RunAsync(rest);
            case "auth":
                return await AuthBenchmark.RunAsync(rest);
            case "cluster-visibility":
                return await VisibilityBenchmark.RunAsync(rest);
            default:
                await Console.Error.WriteLineAsync(Usage);
                return 2;
        }
    }
}
