using Grpc.Core;

namespace Retrieval.Server.Tests.Api;

/// <summary>
/// The bad-input table. The seeded collection has inner-product spaces <c>v1</c> (dimension 4) and <c>w</c> (dimension 2, empty),
/// the multi-vector space <c>mv</c> (dimension 2, at most 3 tokens), and <c>img</c> (dimension 3) bound to the image
/// encoder <c>channel-means/1</c>; item <c>seed</c> (a vector in <c>v1</c>, two token rows in <c>mv</c>), and no maps.
/// </summary>
public static class BadInputCases
{
    private const string Space = """{"name":"v2","dimension":4,"metric":"METRIC_L2","model":{"name":"m","version":"1"}}""";

    public static readonly IReadOnlyList<BadInputCase> All =
    [
        // Vectors
        new("upsert wrong dimension", Operation.Upsert, Upsert("a", "[1,2,3]"), 400, StatusCode.InvalidArgument, "items[0].vectors.v1"),
        new("upsert NaN", Operation.Upsert, Upsert("a", """[1,"NaN",3,4]"""), 400, StatusCode.InvalidArgument, "items[0].vectors.v1"),
        new("upsert +Infinity", Operation.Upsert, Upsert("a", """[1,"Infinity",3,4]"""), 400, StatusCode.InvalidArgument, "items[0].vectors.v1"),
        new("upsert -Infinity", Operation.Upsert, Upsert("a", """[1,2,"-Infinity",4]"""), 400, StatusCode.InvalidArgument, "items[0].vectors.v1"),
        new("upsert empty vector", Operation.Upsert, Upsert("a", "[]"), 400, StatusCode.InvalidArgument, "items[0].vectors.v1"),
        new("upsert unknown space", Operation.Upsert, """{"items":[{"id":"a","vectors":{"nope":{"values":[1,2,3,4]}}}]}""", 400, StatusCode.InvalidArgument, "items[0].vectors.nope"),
        new("upsert no items", Operation.Upsert, """{"items":[]}""", 400, StatusCode.InvalidArgument, "items"),
        new("upsert bad item later in batch", Operation.Upsert, """{"items":[{"id":"ok","vectors":{"v1":{"values":[1,2,3,4]}}},{"id":"bad","vectors":{"v1":{"values":[1,2]}}}]}""", 400, StatusCode.InvalidArgument, "items[1].vectors.v1"),
        // Ids
        new("upsert duplicate ids", Operation.Upsert, """{"items":[{"id":"a","vectors":{"v1":{"values":[1,2,3,4]}}},{"id":"a","vectors":{"v1":{"values":[1,2,3,4]}}}]}""", 400, StatusCode.InvalidArgument, "items[1].id"),
        new("upsert empty id", Operation.Upsert, Upsert("", "[1,2,3,4]"), 400, StatusCode.InvalidArgument, "items[0].id"),
        new("upsert id over 256 bytes", Operation.Upsert, Upsert(new string('é', 129), "[1,2,3,4]"), 400, StatusCode.InvalidArgument, "items[0].id"),
        new("get id over 256 bytes", Operation.Get, $$"""{"ids":["{{new string('x', 257)}}"]}""", 400, StatusCode.InvalidArgument, "ids[0]"),
        // Payloads
        new("payload over the size limit", Operation.Upsert, "{\"items\":[{\"id\":\"a\",\"payload\":{\"blob\":\"" + new string('x', 70_000) + "\"},\"vectors\":{\"v1\":{\"values\":[1,2,3,4]}}}]}", 400, StatusCode.InvalidArgument, "items[0].payload"),
        new("payload not an object", Operation.Upsert, """{"items":[{"id":"a","payload":5,"vectors":{"v1":{"values":[1,2,3,4]}}}]}""", 400, null, "payload"),
        // Unknown resources
        new("upsert unknown collection", Operation.Upsert, Upsert("a", "[1,2,3,4]"), 404, StatusCode.NotFound, "nope-collection", Collection: "nope-collection"),
        new("search unknown collection", Operation.Search, """{"vector":{"values":[1,2,3,4]},"k":1}""", 404, StatusCode.NotFound, "nope-collection", Collection: "nope-collection"),
        new("search unknown space", Operation.Search, """{"space":"nope","vector":{"values":[1,2,3,4]},"k":1}""", 400, StatusCode.InvalidArgument, "space"),
        // Search limits and vectors
        new("search k zero", Operation.Search, """{"vector":{"values":[1,2,3,4]},"k":0}""", 400, StatusCode.InvalidArgument, "k"),
        new("search k negative", Operation.Search, """{"vector":{"values":[1,2,3,4]},"k":-3}""", 400, StatusCode.InvalidArgument, "k"),
        new("search k over limit", Operation.Search, """{"vector":{"values":[1,2,3,4]},"k":10001}""", 400, StatusCode.InvalidArgument, "k"),
        new("search negative offset", Operation.Search, """{"vector":{"values":[1,2,3,4]},"k":1,"offset":-1}""", 400, StatusCode.InvalidArgument, "offset"),
        new("search NaN query", Operation.Search, """{"vector":{"values":["NaN",2,3,4]},"k":1}""", 400, StatusCode.InvalidArgument, "vector"),
        new("search wrong dimension", Operation.Search, """{"vector":{"values":[1,2]},"k":1}""", 400, StatusCode.InvalidArgument, "vector"),
        new("search empty vector", Operation.Search, """{"k":1}""", 400, StatusCode.InvalidArgument, "vector"),
        new("search filter without key", Operation.Search, """{"vector":{"values":[1,2,3,4]},"k":1,"filter":{"must":[{"match":{"value":"x"}}]}}""", 400, StatusCode.InvalidArgument, "filter.must[0].key"),
        new("search filter match and range", Operation.Search, """{"vector":{"values":[1,2,3,4]},"k":1,"filter":{"mustNot":[{"key":"a","match":{"value":"x"},"range":{"gt":1}}]}}""", 400, StatusCode.InvalidArgument, "filter.mustNot[0]"),
        new("search filter empty range", Operation.Search, """{"vector":{"values":[1,2,3,4]},"k":1,"filter":{"must":[{"key":"a","range":{}}]}}""", 400, StatusCode.InvalidArgument, "filter.must[0].range"),
        new("search filter null value", Operation.Search, """{"vector":{"values":[1,2,3,4]},"k":1,"filter":{"must":[{"key":"a","match":{"value":null}}]}}""", 400, StatusCode.InvalidArgument, "filter.must[0].match"),
        new("search batch item k zero", Operation.SearchBatch, """{"searches":[{"vector":{"values":[1,2,3,4]},"k":1},{"vector":{"values":[1,2,3,4]},"k":0}]}""", 400, StatusCode.InvalidArgument, "searches[1].k"),
        new("scroll limit over maximum", Operation.Scroll, """{"limit":100000}""", 400, StatusCode.InvalidArgument, "limit"),
        new("scroll forged cursor", Operation.Scroll, """{"cursor":"%%%"}""", 400, StatusCode.InvalidArgument, "cursor"),
        new("delete neither ids nor filter", Operation.Delete, """{}""", 400, StatusCode.InvalidArgument, "ids"),
        // Collections and spaces
        new("duplicate collection", Operation.CreateCollection, Create("seeded-bad-input"), 409, StatusCode.AlreadyExists, "seeded-bad-input"),
        new("collection name with slash", Operation.CreateCollection, Create("a/b"), 400, StatusCode.InvalidArgument, "name"),
        new("collection name with quote", Operation.CreateCollection, Create("a'b"), 400, StatusCode.InvalidArgument, "name"),
        new("collection name with SQL", Operation.CreateCollection, Create("x;drop table items;--"), 400, StatusCode.InvalidArgument, "name"),
        new("collection name too long", Operation.CreateCollection, Create(new string('a', 65)), 400, StatusCode.InvalidArgument, "name"),
        new("collection name uppercase", Operation.CreateCollection, Create("Upper"), 400, StatusCode.InvalidArgument, "name"),
        new("collection without spaces", Operation.CreateCollection, """{"name":"nospaces","spaces":[]}""", 400, StatusCode.InvalidArgument, "spaces"),
        new("space dimension zero", Operation.CreateCollection, """{"name":"dimzero","spaces":[{"name":"v1","dimension":0,"metric":"METRIC_L2","model":{"name":"m"}}]}""", 400, StatusCode.InvalidArgument, "spaces[0].dimension"),
        new("space metric missing", Operation.CreateCollection, """{"name":"nometric","spaces":[{"name":"v1","dimension":4,"model":{"name":"m"}}]}""", 400, StatusCode.InvalidArgument, "spaces[0].metric"),
        new("space name with dot", Operation.CreateCollection, """{"name":"dotspace","spaces":[{"name":"v.1","dimension":4,"metric":"METRIC_L2","model":{"name":"m"}}]}""", 400, StatusCode.InvalidArgument, "spaces[0].name"),
        new("space names duplicated", Operation.CreateCollection, """{"name":"dupspace","spaces":[{"name":"v1","dimension":4,"metric":"METRIC_L2","model":{"name":"m"}},{"name":"v1","dimension":4,"metric":"METRIC_L2","model":{"name":"m"}}]}""", 400, StatusCode.InvalidArgument, "spaces[1].name"),
        new("default space unknown", Operation.CreateCollection, """{"name":"baddefault","defaultSpace":"zz","spaces":[{"name":"v1","dimension":4,"metric":"METRIC_L2","model":{"name":"m"}}]}""", 400, StatusCode.InvalidArgument, "defaultSpace"),
        new("add existing space", Operation.AddSpace, """{"name":"v1","dimension":4,"metric":"METRIC_L2","model":{"name":"m"}}""", 409, StatusCode.AlreadyExists, "v1"),
        // Compatibility maps and routing
        new("fit unknown from space", Operation.FitMap, FitMap("nope", "v1", "MAP_KIND_ORTHOGONAL"), 400, StatusCode.InvalidArgument, "fromSpace"),
        new("fit unknown to space", Operation.FitMap, FitMap("w", "nope", "MAP_KIND_ORTHOGONAL"), 400, StatusCode.InvalidArgument, "toSpace"),
        new("fit without kind", Operation.FitMap, """{"fromSpace":"w","toSpace":"v1"}""", 400, StatusCode.InvalidArgument, "kind"),
        new("fit too few anchors", Operation.FitMap, FitMap("w", "v1", "MAP_KIND_ORTHOGONAL"), 400, StatusCode.InvalidArgument, "anchors"),
        new("fit NaN anchor", Operation.FitMap, FitMap("w", "v1", "MAP_KIND_ORTHOGONAL", ""","anchors":[{"newVector":{"values":[1,"NaN"]},"oldVector":{"values":[1,2,3,4]}},{"newVector":{"values":[1,2]},"oldVector":{"values":[1,2,3,4]}},{"newVector":{"values":[2,1]},"oldVector":{"values":[4,3,2,1]}}]"""), 400, StatusCode.InvalidArgument, "anchors"),
        new("fit external dimension mismatch", Operation.FitMap, FitMap("w", "v1", "MAP_KIND_EXTERNAL", ""","external":{"weights":{"values":[1,0,0,0,0,1,0,0,0,0,1,0],"shape":[3,4]}}"""), 400, StatusCode.InvalidArgument, "external.weights"),
        new("fit external shape disagrees with values", Operation.FitMap, FitMap("w", "v1", "MAP_KIND_EXTERNAL", ""","external":{"weights":{"values":[1,0,0],"shape":[2,4]}}"""), 400, StatusCode.InvalidArgument, "external.weights"),
        new("fit two-sided without joint space", Operation.FitMap, FitMap("w", "v1", "MAP_KIND_TWO_SIDED"), 400, StatusCode.InvalidArgument, "jointSpace"),
        new("fit two-sided joint space is the old space", Operation.FitMap, FitMap("w", "v1", "MAP_KIND_TWO_SIDED", ""","jointSpace":"v1" """), 400, StatusCode.InvalidArgument, "jointSpace"),
        new("fit two-sided unknown joint space", Operation.FitMap, FitMap("w", "v1", "MAP_KIND_TWO_SIDED", ""","jointSpace":"nope" """), 400, StatusCode.InvalidArgument, "jointSpace"),
        new("fit joint space with a one-sided kind", Operation.FitMap, FitMap("w", "v1", "MAP_KIND_CANONICAL_Q", ""","jointSpace":"mv" """), 400, StatusCode.InvalidArgument, "jointSpace"),
        new("search unknown target space", Operation.Search, """{"vector":{"values":[1,2,3,4]},"k":1,"targetSpace":"nope"}""", 400, StatusCode.InvalidArgument, "targetSpace"),
        new("search target without active map", Operation.Search, """{"space":"v1","vector":{"values":[1,2,3,4]},"k":1,"targetSpace":"w"}""", 400, StatusCode.FailedPrecondition, "'w'"),
        new("add space without model", Operation.AddSpace, """{"name":"v9","dimension":4,"metric":"METRIC_L2"}""", 400, StatusCode.InvalidArgument, "space.model.name"),
        // Raw inputs and encoders
        new("upsert input for space without encoder", Operation.Upsert, """{"items":[{"id":"a","inputs":{"v1":{"text":"red shoe"}}}]}""", 400, StatusCode.InvalidArgument, "items[0].inputs.v1"),
        new("upsert input for unknown space", Operation.Upsert, """{"items":[{"id":"a","inputs":{"nope":{"text":"red shoe"}}}]}""", 400, StatusCode.InvalidArgument, "items[0].inputs.nope"),
        new("upsert input without value", Operation.Upsert, """{"items":[{"id":"a","inputs":{"img":{}}}]}""", 400, StatusCode.InvalidArgument, "items[0].inputs.img"),
        new("upsert text to image encoder", Operation.Upsert, """{"items":[{"id":"a","inputs":{"img":{"text":"red shoe"}}}]}""", 400, StatusCode.InvalidArgument, "items[0].inputs.img"),
        new("upsert undecodable image", Operation.Upsert, """{"items":[{"id":"a","inputs":{"img":{"image":"bm90IGFuIGltYWdl"}}}]}""", 400, StatusCode.InvalidArgument, "items[0].inputs.img.image"),
        new("upsert vector and input for one space", Operation.Upsert, """{"items":[{"id":"a","vectors":{"img":{"values":[1,2,3]}},"inputs":{"img":{"image":"bm90IGFuIGltYWdl"}}}]}""", 400, StatusCode.InvalidArgument, "items[0].inputs.img"),
        new("upsert bad image later in batch", Operation.Upsert, """{"items":[{"id":"ok","vectors":{"v1":{"values":[1,2,3,4]}}},{"id":"b","inputs":{"img":{"image":"AAAA"}}}]}""", 400, StatusCode.InvalidArgument, "items[1].inputs.img.image"),
        new("search input on space without encoder", Operation.Search, """{"input":{"text":"red shoe"},"k":1}""", 400, StatusCode.InvalidArgument, "input"),
        new("search text to image encoder", Operation.Search, """{"space":"img","input":{"text":"red shoe"},"k":1}""", 400, StatusCode.InvalidArgument, "input"),
        new("search undecodable image", Operation.Search, """{"space":"img","input":{"image":"bm90IGFuIGltYWdl"},"k":1}""", 400, StatusCode.InvalidArgument, "input.image"),
        new("search vector and input", Operation.Search, """{"space":"img","vector":{"values":[1,2,3]},"input":{"text":"x"},"k":1}""", 400, StatusCode.InvalidArgument, "input"),
        new("search batch item input on space without encoder", Operation.SearchBatch, """{"searches":[{"vector":{"values":[1,2,3,4]},"k":1},{"space":"w","input":{"text":"x"},"k":1}]}""", 400, StatusCode.InvalidArgument, "searches[1].input"),
        new("add space with unknown encoder", Operation.AddSpace, """{"name":"v8","dimension":3,"metric":"METRIC_L2","model":{"name":"m"},"encoder":{"name":"nope"}}""", 400, StatusCode.InvalidArgument, "space.encoder"),
        new("add space with encoder of other dimension", Operation.AddSpace, """{"name":"v8","dimension":5,"metric":"METRIC_L2","model":{"name":"m"},"encoder":{"name":"channel-means","version":"1"}}""", 400, StatusCode.InvalidArgument, "space.encoder"),
        new("add multi space with a dense encoder", Operation.AddSpace, """{"name":"mv8","dimension":3,"metric":"METRIC_INNER_PRODUCT","model":{"name":"m"},"kind":"SPACE_KIND_MULTI","encoder":{"name":"channel-means","version":"1"}}""", 400, StatusCode.InvalidArgument, "space.encoder"),
        new("add multi space dropping tokens without encoder", Operation.AddSpace, """{"name":"mv8","dimension":3,"metric":"METRIC_INNER_PRODUCT","model":{"name":"m"},"kind":"SPACE_KIND_MULTI","multiVector":{"dropTokens":["DROP_TOKEN_SPECIAL"]}}""", 400, StatusCode.InvalidArgument, "space.multiVector.dropTokens"),
        new("create collection with unknown encoder version", Operation.CreateCollection, """{"name":"badenc","spaces":[{"name":"v1","dimension":3,"metric":"METRIC_L2","model":{"name":"m"},"encoder":{"name":"channel-means","version":"9"}}]}""", 400, StatusCode.InvalidArgument, "spaces[0].encoder"),
        new("delete encoder in use", Operation.DeleteEncoder, "channel-means/versions/1", 400, StatusCode.FailedPrecondition, "seeded-bad-input/img"),
        // Approximate indexes and per-request search parameters
        new("set index unknown spec", Operation.SetIndex, """{"index":"LSH64"}""", 400, StatusCode.InvalidArgument, "index"),
        new("set index HNSW M too small", Operation.SetIndex, """{"index":"HNSW1"}""", 400, StatusCode.InvalidArgument, "index"),
        new("set index PQ m not dividing dimension", Operation.SetIndex, """{"index":"IVF4,PQ3x8"}""", 400, StatusCode.InvalidArgument, "index"),
        new("set index nlist zero", Operation.SetIndex, """{"index":"IVF0,Flat"}""", 400, StatusCode.InvalidArgument, "index"),
        new("set index HNSW efConstruction zero", Operation.SetIndex, """{"index":"HNSW16,efConstruction=0"}""", 400, StatusCode.InvalidArgument, "index"),
        new("set index efConstruction on IVF", Operation.SetIndex, """{"index":"IVF4,Flat,efConstruction=40"}""", 400, StatusCode.InvalidArgument, "index"),
        new("set index unknown collection", Operation.SetIndex, """{"index":"HNSW16"}""", 404, StatusCode.NotFound, "nope-collection", Collection: "nope-collection"),
        new("create space with bad index", Operation.CreateCollection, """{"name":"badindex","spaces":[{"name":"v1","dimension":4,"metric":"METRIC_L2","model":{"name":"m"},"index":"HNSW16,PQ4"}]}""", 400, StatusCode.InvalidArgument, "spaces[0].index"),
        new("add space with bad index", Operation.AddSpace, """{"name":"v8","dimension":4,"metric":"METRIC_L2","model":{"name":"m"},"index":"IVF16,PQ16x8"}""", 400, StatusCode.InvalidArgument, "space.index"),
        new("search negative efSearch", Operation.Search, """{"vector":{"values":[1,2,3,4]},"k":1,"efSearch":-1}""", 400, StatusCode.InvalidArgument, "efSearch"),
        new("search efSearch over limit", Operation.Search, """{"vector":{"values":[1,2,3,4]},"k":1,"efSearch":70000}""", 400, StatusCode.InvalidArgument, "efSearch"),
        new("search negative nprobe", Operation.Search, """{"vector":{"values":[1,2,3,4]},"k":1,"nprobe":-5}""", 400, StatusCode.InvalidArgument, "nprobe"),
        // Migrations (the seeded collection has no migration; BackfillVectors names migration 'nope')
        new("plan migration unknown to space", Operation.PlanMigration, """{"toSpace":"nope"}""", 400, StatusCode.InvalidArgument, "toSpace"),
        new("plan migration to the from space", Operation.PlanMigration, """{"toSpace":"v1"}""", 400, StatusCode.InvalidArgument, "toSpace"),
        new("plan migration without to space", Operation.PlanMigration, """{"fromSpace":"v1"}""", 400, StatusCode.InvalidArgument, "toSpace"),
        new("plan migration bad id", Operation.PlanMigration, """{"id":"Bad Id","toSpace":"w"}""", 400, StatusCode.InvalidArgument, "id"),
        new("plan migration negative rate", Operation.PlanMigration, """{"toSpace":"w","settings":{"itemsPerSecond":-1}}""", 400, StatusCode.InvalidArgument, "settings.itemsPerSecond"),
        new("plan migration external map kind", Operation.PlanMigration, """{"toSpace":"w","settings":{"mapKind":"MAP_KIND_EXTERNAL"}}""", 400, StatusCode.InvalidArgument, "settings.mapKind"),
        new("plan migration held-out fraction 1", Operation.PlanMigration, """{"toSpace":"w","settings":{"heldOutFraction":1}}""", 400, StatusCode.InvalidArgument, "settings.heldOutFraction"),
        new("plan migration unknown two-sided map", Operation.PlanMigration, """{"toSpace":"w","settings":{"twoSidedMap":"map-nope"}}""", 400, StatusCode.InvalidArgument, "settings.twoSidedMap"),
        new("plan migration two-sided map with an encoder", Operation.PlanMigration, """{"toSpace":"w","encoder":"e","settings":{"twoSidedMap":"map-nope"}}""", 400, StatusCode.InvalidArgument, "encoder"),
        new("plan migration two-sided map kind", Operation.PlanMigration, """{"toSpace":"w","settings":{"mapKind":"MAP_KIND_TWO_SIDED"}}""", 400, StatusCode.InvalidArgument, "settings.mapKind"),
        new("plan migration encoder nobody serves", Operation.PlanMigration, """{"toSpace":"w","encoder":"no-such-encoder"}""", 400, StatusCode.FailedPrecondition, "no-such-encoder"),
        new("plan migration unknown collection", Operation.PlanMigration, """{"toSpace":"w"}""", 404, StatusCode.NotFound, "nope-collection", Collection: "nope-collection"),
        new("backfill vectors unknown migration", Operation.BackfillVectors, """{"vectors":[{"id":"seed","vector":{"values":[1,2]}}]}""", 404, StatusCode.NotFound, "'nope'"),
        new("backfill vectors empty batch", Operation.BackfillVectors, """{"vectors":[]}""", 400, StatusCode.InvalidArgument, "vectors"),
        new("search batch item negative nprobe", Operation.SearchBatch, """{"searches":[{"vector":{"values":[1,2,3,4]},"k":1,"nprobe":-1}]}""", 400, StatusCode.InvalidArgument, "searches[0].nprobe"),
        // Multi-vector spaces
        new("upsert multi empty rows", Operation.Upsert, MultiUpsert("[]"), 400, StatusCode.InvalidArgument, "items[0].vectors.mv.rows"),
        new("upsert multi empty row", Operation.Upsert, MultiUpsert("""[{"values":[1,2]},{"values":[]}]"""), 400, StatusCode.InvalidArgument, "items[0].vectors.mv.rows[1]"),
        new("upsert multi ragged rows", Operation.Upsert, MultiUpsert("""[{"values":[1,2]},{"values":[1,2,3]}]"""), 400, StatusCode.InvalidArgument, "items[0].vectors.mv.rows[1]"),
        new("upsert multi wrong dimension", Operation.Upsert, MultiUpsert("""[{"values":[1,2,3]},{"values":[1,2,3]}]"""), 400, StatusCode.InvalidArgument, "items[0].vectors.mv.rows[0]"),
        new("upsert multi NaN", Operation.Upsert, MultiUpsert("""[{"values":[1,2]},{"values":[1,"NaN"]}]"""), 400, StatusCode.InvalidArgument, "items[0].vectors.mv.rows[1]"),
        new("upsert multi Infinity", Operation.Upsert, MultiUpsert("""[{"values":["-Infinity",2]}]"""), 400, StatusCode.InvalidArgument, "items[0].vectors.mv.rows[0]"),
        new("upsert multi over token limit", Operation.Upsert, MultiUpsert("""[{"values":[1,2]},{"values":[1,2]},{"values":[1,2]},{"values":[1,2]}]"""), 400, StatusCode.InvalidArgument, "items[0].vectors.mv.rows"),
        new("upsert multi nested rows", Operation.Upsert, MultiUpsert("""[{"rows":[{"values":[1,2]}]}]"""), 400, StatusCode.InvalidArgument, "items[0].vectors.mv.rows[0]"),
        new("upsert multi as values", Operation.Upsert, """{"items":[{"id":"a","vectors":{"mv":{"values":[1,2]}}}]}""", 400, StatusCode.InvalidArgument, "items[0].vectors.mv.rows"),
        new("upsert multi values and rows", Operation.Upsert, """{"items":[{"id":"a","vectors":{"mv":{"values":[1,2],"rows":[{"values":[1,2]}]}}}]}""", 400, StatusCode.InvalidArgument, "items[0].vectors.mv"),
        new("upsert dense as rows", Operation.Upsert, """{"items":[{"id":"a","vectors":{"v1":{"rows":[{"values":[1,2,3,4]}]}}}]}""", 400, StatusCode.InvalidArgument, "items[0].vectors.v1.values"),
        new("search multi without rows", Operation.Search, """{"space":"mv","k":1}""", 400, StatusCode.InvalidArgument, "vector.rows"),
        new("search multi as values", Operation.Search, """{"space":"mv","vector":{"values":[1,2]},"k":1}""", 400, StatusCode.InvalidArgument, "vector.rows"),
        new("search multi ragged rows", Operation.Search, MultiSearch("""[{"values":[1,2]},{"values":[1]}]"""), 400, StatusCode.InvalidArgument, "vector.rows[1]"),
        new("search multi NaN", Operation.Search, MultiSearch("""[{"values":["NaN",2]}]"""), 400, StatusCode.InvalidArgument, "vector.rows[0]"),
        new("search multi over token limit", Operation.Search, MultiSearch("""[{"values":[1,2]},{"values":[1,2]},{"values":[1,2]},{"values":[1,2]}]"""), 400, StatusCode.InvalidArgument, "vector.rows"),
        new("search multi negative candidates", Operation.Search, MultiSearch("""[{"values":[1,2]}]""", "\"candidates\":-1"), 400, StatusCode.InvalidArgument, "candidates"),
        new("search multi candidates over limit", Operation.Search, MultiSearch("""[{"values":[1,2]}]""", "\"candidates\":10001"), 400, StatusCode.InvalidArgument, "candidates"),
        new("search multi with target space", Operation.Search, MultiSearch("""[{"values":[1,2]}]""", "\"targetSpace\":\"w\""), 400, StatusCode.InvalidArgument, "targetSpace"),
        new("search dense with rows", Operation.Search, """{"space":"v1","vector":{"rows":[{"values":[1,2,3,4]}]},"k":1}""", 400, StatusCode.InvalidArgument, "vector.values"),
        new("multi space with L2", Operation.CreateCollection, MultiCreate("mvl2", "METRIC_L2", ""), 400, StatusCode.InvalidArgument, "spaces[0].metric"),
        new("multi space bad repetitions", Operation.CreateCollection, MultiCreate("mvreps", "METRIC_INNER_PRODUCT", """{"muvera":{"repetitions":-2}}"""), 400, StatusCode.InvalidArgument, "spaces[0].multiVector.muvera"),
        new("multi space encoding too long", Operation.CreateCollection, MultiCreate("mvlong", "METRIC_INNER_PRODUCT", """{"muvera":{"kSim":12,"dProj":64}}"""), 400, StatusCode.InvalidArgument, "spaces[0].multiVector.muvera"),
        new("multi space bad pruning ratio", Operation.CreateCollection, MultiCreate("mvratio", "METRIC_INNER_PRODUCT", """{"pruning":{"method":"PRUNING_METHOD_KMEANS_RATIO","ratio":1.5}}"""), 400, StatusCode.InvalidArgument, "spaces[0].multiVector.pruning.ratio"),
        new("multi space bad Ward pool factor", Operation.CreateCollection, MultiCreate("mvward", "METRIC_INNER_PRODUCT", """{"pruning":{"method":"PRUNING_METHOD_WARD","poolFactor":-2}}"""), 400, StatusCode.InvalidArgument, "spaces[0].multiVector.pruning.poolFactor"),
        new("multi space Ward pool factor too large", Operation.CreateCollection, MultiCreate("mvwardbig", "METRIC_INNER_PRODUCT", """{"pruning":{"method":"PRUNING_METHOD_WARD","poolFactor":5000}}"""), 400, StatusCode.InvalidArgument, "spaces[0].multiVector.pruning.poolFactor"),
        new("multi space bad k-means centroids", Operation.CreateCollection, MultiCreate("mvcentroids", "METRIC_INNER_PRODUCT", """{"pruning":{"method":"PRUNING_METHOD_KMEANS_FIXED","centroids":-1}}"""), 400, StatusCode.InvalidArgument, "spaces[0].multiVector.pruning.centroids"),
        new("multi space negative token limit", Operation.CreateCollection, MultiCreate("mvtokens", "METRIC_INNER_PRODUCT", """{"maxTokens":-1}"""), 400, StatusCode.InvalidArgument, "spaces[0].multiVector.maxTokens"),
        new("dense space with multi settings", Operation.CreateCollection, """{"name":"densemv","spaces":[{"name":"v1","dimension":4,"metric":"METRIC_L2","model":{"name":"m"},"multiVector":{"maxTokens":5}}]}""", 400, StatusCode.InvalidArgument, "spaces[0].multiVector"),
        new("multi space prefix compatible", Operation.AddSpace, """{"name":"mv2","dimension":4,"metric":"METRIC_INNER_PRODUCT","model":{"name":"m"},"kind":"SPACE_KIND_MULTI","compatiblePrefixOf":"w"}""", 400, StatusCode.InvalidArgument, "space.compatiblePrefixOf"),
        new("fit map from multi space", Operation.FitMap, FitMap("mv", "w", "MAP_KIND_ORTHOGONAL"), 400, StatusCode.InvalidArgument, "fromSpace"),
    ];

    public static IEnumerable<object[]> Names() => All.Select(c => new object[] { c.Name });

    /// <summary>The cases expressible as protobuf requests (a payload that is not an object, for example, is not).</summary>
    public static IEnumerable<object[]> GrpcNames() => All.Where(c => c.GrpcStatus is not null).Select(c => new object[] { c.Name });

    public static BadInputCase Find(string name) => All.Single(c => c.Name == name);

    private static string FitMap(string from, string to, string kind, string extra = "") =>
        $$"""{"fromSpace":"{{from}}","toSpace":"{{to}}","kind":"{{kind}}"{{extra}}}""";

    private static string MultiUpsert(string rows) => """{"items":[{"id":"a","vectors":{"mv":{"rows":""" + rows + "}}}]}";

    private static string MultiSearch(string rows, string extra = "") =>
        """{"space":"mv","vector":{"rows":""" + rows + """},"k":1""" + (extra.Length > 0 ? "," + extra : "") + "}";

    private static string MultiCreate(string name, string metric, string multiVector) =>
        "{\"name\":\"" + name + "\",\"spaces\":[{\"name\":\"mv\",\"dimension\":4,\"metric\":\"" + metric +
        "\",\"model\":{\"name\":\"m\"},\"kind\":\"SPACE_KIND_MULTI\"" + (multiVector.Length > 0 ? ",\"multiVector\":" + multiVector : "") + "}]}";

    private static string Upsert(string id, string values) => $$"""{"items":[{"id":"{{id}}","vectors":{"v1":{"values":""" + values + "}}}]}";

    private static string Create(string name) => $$"""{"name":"{{name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}}","spaces":[{{Space}}]}""";
}
