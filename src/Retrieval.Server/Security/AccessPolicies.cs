using System.Collections.Frozen;
using Google.Protobuf.Reflection;
using Retrieval.Contracts.V1;
using Retrieval.Core.Security;

namespace Retrieval.Server.Security;

/// <summary>
/// The scope every gRPC method needs (and so its transcoded REST route), in one table that reviews read top to bottom.
/// Read: search, get, scroll, count, list and status. Write: upsert, delete, backfill. Admin: collections, spaces,
/// indexes, maps, migrations, encoders and keys. A method missing here is refused to every caller, and the security
/// tests fail, so a method added later cannot ship open.
/// </summary>
public static class AccessPolicies
{
    private const ApiKeyScope R = ApiKeyScope.Read;
    private const ApiKeyScope W = ApiKeyScope.Write;
    private const ApiKeyScope A = ApiKeyScope.Admin;

    /// <summary>The files whose services the server exposes.</summary>
    public static readonly IReadOnlyList<FileDescriptor> ApiFiles =
    [
        CollectionsReflection.Descriptor, ItemsReflection.Descriptor, SearchReflection.Descriptor, MapsReflection.Descriptor,
        MigrationsReflection.Descriptor, EncodersReflection.Descriptor, KeysReflection.Descriptor, ClusterReflection.Descriptor,
    ];

    /// <summary>service/method → (scope, binding, collection field for <see cref="CollectionBinding.Field"/>).</summary>
    private static readonly (string Method, ApiKeyScope Scope, CollectionBinding Binding, string? Field)[] Declared =
    [
        ("retrieval.v1.Collections/CreateCollection", A, CollectionBinding.Field, "name"),
        ("retrieval.v1.Collections/ListCollections", R, CollectionBinding.Listing, null),
        ("retrieval.v1.Collections/GetCollection", R, CollectionBinding.Field, "name"),
        ("retrieval.v1.Collections/DeleteCollection", A, CollectionBinding.Field, "name"),
        ("retrieval.v1.Collections/AddSpace", A, CollectionBinding.Field, "collection"),
        ("retrieval.v1.Collections/DeleteSpace", A, CollectionBinding.Field, "collection"),
        ("retrieval.v1.Collections/SetDefaultSpace", A, CollectionBinding.Field, "collection"),
        ("retrieval.v1.Collections/SetSpaceIndex", A, CollectionBinding.Field, "collection"),
        ("retrieval.v1.Collections/GetSpaceIndexStatus", R, CollectionBinding.Field, "collection"),
        // Aliases name any collection: only keys valid for every collection may change or list them.
        ("retrieval.v1.Collections/UpdateAliases", A, CollectionBinding.Global, null),
        ("retrieval.v1.Collections/ListAliases", R, CollectionBinding.Global, null),

        ("retrieval.v1.Items/UpsertItems", W, CollectionBinding.Field, "collection"),
        ("retrieval.v1.Items/StreamUpsertItems", W, CollectionBinding.Field, "collection"),
        ("retrieval.v1.Items/DeleteItems", W, CollectionBinding.Field, "collection"),
        ("retrieval.v1.Items/GetItems", R, CollectionBinding.Field, "collection"),
        ("retrieval.v1.Items/ScrollItems", R, CollectionBinding.Field, "collection"),
        ("retrieval.v1.Items/CountItems", R, CollectionBinding.Field, "collection"),

        ("retrieval.v1.ServerInformation/GetServerInfo", R, CollectionBinding.Any, null),
        // Cluster status names nodes and their addresses, not data: any key valid for every collection may read it.
        ("retrieval.v1.Cluster/GetClusterStatus", R, CollectionBinding.Global, null),

        ("retrieval.v1.Search/Search", R, CollectionBinding.Field, "collection"),
        ("retrieval.v1.Search/SearchBatch", R, CollectionBinding.Field, "collection"),

        ("retrieval.v1.Maps/FitMap", A, CollectionBinding.Field, "collection"),
        ("retrieval.v1.Maps/ListMaps", R, CollectionBinding.Field, "collection"),
        ("retrieval.v1.Maps/GetMap", R, CollectionBinding.Field, "collection"),
        ("retrieval.v1.Maps/ActivateMap", A, CollectionBinding.Field, "collection"),
        ("retrieval.v1.Maps/RetireMap", A, CollectionBinding.Field, "collection"),

        ("retrieval.v1.Migrations/PlanMigration", A, CollectionBinding.Field, "collection"),
        ("retrieval.v1.Migrations/ListMigrations", R, CollectionBinding.Field, "collection"),
        ("retrieval.v1.Migrations/GetMigration", R, CollectionBinding.Field, "collection"),
        ("retrieval.v1.Migrations/FitMigration", A, CollectionBinding.Field, "collection"),
        ("retrieval.v1.Migrations/EvaluateMigration", A, CollectionBinding.Field, "collection"),
        ("retrieval.v1.Migrations/ActivateMigration", A, CollectionBinding.Field, "collection"),
        ("retrieval.v1.Migrations/StartBackfill", A, CollectionBinding.Field, "collection"),
        ("retrieval.v1.Migrations/PauseMigration", A, CollectionBinding.Field, "collection"),
        ("retrieval.v1.Migrations/ResumeMigration", A, CollectionBinding.Field, "collection"),
        ("retrieval.v1.Migrations/CutoverMigration", A, CollectionBinding.Field, "collection"),
        ("retrieval.v1.Migrations/RollbackMigration", A, CollectionBinding.Field, "collection"),
        ("retrieval.v1.Migrations/RetireMigration", A, CollectionBinding.Field, "collection"),
        ("retrieval.v1.Migrations/BackfillVectors", W, CollectionBinding.Field, "collection"),
        ("retrieval.v1.Migrations/StreamBackfill", W, CollectionBinding.Field, "collection"),

        ("retrieval.v1.Encoders/RegisterEncoder", A, CollectionBinding.Global, null),
        ("retrieval.v1.Encoders/UploadEncoder", A, CollectionBinding.Global, null),
        ("retrieval.v1.Encoders/ListEncoders", R, CollectionBinding.Any, null),
        ("retrieval.v1.Encoders/GetEncoder", R, CollectionBinding.Any, null),
        ("retrieval.v1.Encoders/DeleteEncoder", A, CollectionBinding.Global, null),
        ("retrieval.v1.Encoders/Encode", R, CollectionBinding.Any, null),

        ("retrieval.v1.Keys/CreateKey", A, CollectionBinding.Global, null),
        ("retrieval.v1.Keys/ListKeys", A, CollectionBinding.Global, null),
        ("retrieval.v1.Keys/RevokeKey", A, CollectionBinding.Global, null),
        ("retrieval.v1.Keys/RotateKey", A, CollectionBinding.Global, null),

        // Reflection describes the API, not the data: any valid key may read it.
        ("grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", R, CollectionBinding.Any, null),
        ("grpc.reflection.v1.ServerReflection/ServerReflectionInfo", R, CollectionBinding.Any, null),
    ];

    private static readonly FrozenDictionary<string, AccessRequirement> ByMethod = Build();

    /// <summary>The rule of a gRPC method (<c>retrieval.v1.Items/UpsertItems</c>), or null when none is declared.</summary>
    public static AccessRequirement? For(string serviceName, string methodName) =>
        ByMethod.GetValueOrDefault($"{serviceName}/{methodName}");

    private static FrozenDictionary<string, AccessRequirement> Build()
    {
        var methods = ApiFiles.SelectMany(f => f.Services).SelectMany(s => s.Methods).ToDictionary(m => $"{m.Service.FullName}/{m.Name}", StringComparer.Ordinal);
        var rules = new Dictionary<string, AccessRequirement>(StringComparer.Ordinal);
        foreach (var (name, scope, binding, field) in Declared)
        {
            if (binding != CollectionBinding.Field)
            {
                rules.Add(name, AccessRequirement.For(name, scope, binding));
                continue;
            }

            var method = methods.GetValueOrDefault(name) ?? throw new InvalidOperationException($"access rule for unknown method {name}");
            var collection = method.InputType.FindFieldByName(field)
                ?? throw new InvalidOperationException($"access rule of {name}: {method.InputType.Name} has no field '{field}'");
            var actor = method.InputType.FindFieldByName("actor") is { FieldType: FieldType.String } a ? a : null;
            rules.Add(name, AccessRequirement.ForField(name, scope, collection, actor));
        }

        return rules.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
