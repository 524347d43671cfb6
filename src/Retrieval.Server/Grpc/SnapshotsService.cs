using Google.Protobuf;
using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Core.Errors;
using Retrieval.Engine;
using Retrieval.Server.Mapping;

namespace Retrieval.Server.Grpc;

/// <summary>Thin gRPC (and transcoded REST) surface over the engine's collection snapshots.</summary>
[BindServiceMethod(typeof(GuardedServiceBinding.ForSnapshots), nameof(GuardedServiceBinding.ForSnapshots.BindService))]
internal sealed class SnapshotsService(RetrievalEngine engine) : Snapshots.SnapshotsBase
{
    /// <summary>Bytes per streamed chunk: well under the default 4 MiB gRPC message limit of clients.</summary>
    internal const int ChunkBytes = 1024 * 1024;

    public override async Task<Snapshot> CreateSnapshot(CreateSnapshotRequest request, ServerCallContext context) =>
        SnapshotMapping.ToProto(await engine.CreateSnapshotAsync(Required(request.Collection, "collection"), request.Name, context.CancellationToken));

    public override async Task<ListSnapshotsResponse> ListSnapshots(ListSnapshotsRequest request, ServerCallContext context)
    {
        var response = new ListSnapshotsResponse();
        response.Snapshots.Add((await engine.ListSnapshotsAsync(Required(request.Collection, "collection"), context.CancellationToken)).Select(SnapshotMapping.ToProto));
        return response;
    }

    public override Task<DeleteSnapshotResponse> DeleteSnapshot(DeleteSnapshotRequest request, ServerCallContext context)
    {
        engine.DeleteSnapshot(Required(request.Collection, "collection"), Required(request.Name, "name"));
        return Task.FromResult(new DeleteSnapshotResponse());
    }

    public override async Task<RestoreSnapshotResponse> RestoreSnapshot(RestoreSnapshotRequest request, ServerCallContext context)
    {
        var (collection, snapshot) = await engine.RestoreSnapshotAsync(
            Required(request.Collection, "collection"), Required(request.Name, "name"), request.Target, request.Overwrite, context.CancellationToken);
        return SnapshotMapping.ToProto(collection, snapshot);
    }

    public override async Task DownloadSnapshot(DownloadSnapshotRequest request, IServerStreamWriter<SnapshotChunk> responseStream, ServerCallContext context)
    {
        await using var archive = engine.OpenSnapshot(Required(request.Collection, "collection"), Required(request.Name, "name"));
        var buffer = new byte[ChunkBytes];
        int read;
        while ((read = await archive.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, context.CancellationToken)) > 0)
        {
            await responseStream.WriteAsync(new SnapshotChunk { Data = ByteString.CopyFrom(buffer, 0, read) }, context.CancellationToken);
        }
    }

    public override async Task<RestoreSnapshotResponse> UploadSnapshot(IAsyncStreamReader<UploadSnapshotChunk> requestStream, ServerCallContext context)
    {
        if (!await requestStream.MoveNext(context.CancellationToken) || requestStream.Current.PartCase != UploadSnapshotChunk.PartOneofCase.Header)
        {
            throw RetrievalException.Invalid(FieldPath.Of("header"), "the first message must carry the header (collection, overwrite)");
        }

        var header = requestStream.Current.Header;
        await using var archive = new ChunkStream(requestStream, context.CancellationToken);
        var (collection, snapshot) = await engine.RestoreSnapshotAsync(
            archive, Required(header.Collection, FieldPath.Of("header").Member("collection")), header.Overwrite, context.CancellationToken);
        return SnapshotMapping.ToProto(collection, snapshot);
    }

    private static string Required(string value, string field) => Required(value, FieldPath.Of(field));

    private static string Required(string value, FieldPath field) =>
        string.IsNullOrEmpty(value) ? throw RetrievalException.Invalid(field, "is required") : value;

    /// <summary>The data chunks of an upload stream read as one stream; a second header is refused.</summary>
    private sealed class ChunkStream(IAsyncStreamReader<UploadSnapshotChunk> chunks, CancellationToken callCancellation) : Stream
    {
        private ReadOnlyMemory<byte> _current;
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (_current.IsEmpty)
            {
                if (!await chunks.MoveNext(cancellationToken.CanBeCanceled ? cancellationToken : callCancellation))
                {
                    return 0;
                }

                if (chunks.Current.PartCase != UploadSnapshotChunk.PartOneofCase.Data)
                {
                    throw RetrievalException.Invalid(FieldPath.Of("header"), "only the first message may carry the header");
                }

                _current = chunks.Current.Data.Memory;
            }

            var count = Math.Min(buffer.Length, _current.Length);
            _current[..count].CopyTo(buffer);
            _current = _current[count..];
            _position += count;
            return count;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("read asynchronously");

        public override void Flush() => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
