using Grpc.Core;

namespace Retrieval.Server.Tests.Api;

/// <summary>Which API operation a bad-input case calls; decides the REST path and the gRPC method.</summary>
public enum Operation
{
    CreateCollection,
    AddSpace,
    Upsert,
    Delete,
    Get,
    Scroll,
    Search,
    SearchBatch,
    FitMap,
    /// <summary>Body is "name/versions/version"; REST sends DELETE to /v1/encoders/{body}.</summary>
    DeleteEncoder,
    SetIndex,
    PlanMigration,
    BackfillVectors,
}

/// <summary>
/// One row of the bad-input table: the same JSON body is sent over REST (to the operation's path) and, where the
/// body is expressible in protobuf, over gRPC; both must be refused with the given codes and a message naming
/// <see cref="Field"/>, and nothing may change. <see cref="Collection"/> null means the seeded collection.
/// </summary>
public sealed record BadInputCase(
    string Name,
    Operation Operation,
    string Body,
    int HttpStatus,
    StatusCode? GrpcStatus,
    string Field,
    string? Collection = null)
{
    public override string ToString() => Name;
}
