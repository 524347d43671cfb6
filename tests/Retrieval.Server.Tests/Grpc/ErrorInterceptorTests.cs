using Grpc.Core;
using Microsoft.Extensions.Logging;
using Retrieval.Core.Storage;
using Retrieval.Server.Grpc;

namespace Retrieval.Server.Tests.Grpc;

/// <summary>
/// A client resetting any streaming call is logged once as the client leaving (information, no stack trace), not as an
/// unhandled error: the shared interceptor marks failures of the request stream, whichever service reads it.
/// </summary>
public sealed class ErrorInterceptorTests
{
    [Fact]
    public async Task DuplexStream_ClientResetWhileTheServiceReads_IsLoggedAsTheClientLeaving()
    {
        var logger = new CapturingLogger();
        var interceptor = new ErrorInterceptor(logger);
        var context = new StreamCallContext("/retrieval.v1.Migrations/StreamBackfill");

        // The service reads the stream the way StreamBackfill does; the reset is not thrown by Kestrel's code here and the
        // call's token is not cancelled yet, as happens in a real server when the reset reaches the reader first.
        var error = await Assert.ThrowsAsync<RpcException>(() => interceptor.DuplexStreamingServerHandler<string, string>(
            new ResettingReader(), new DiscardingWriter(), context,
            async (requests, responses, call) =>
            {
                await foreach (var message in requests.ReadAllAsync(call.CancellationToken))
                {
                    await responses.WriteAsync(message, call.CancellationToken);
                }
            }));

        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Information, entry.Level);
        Assert.Null(entry.Exception);
        Assert.Contains("Client left /retrieval.v1.Migrations/StreamBackfill", entry.Message, StringComparison.Ordinal);
        Assert.Contains("The client reset the request stream", entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientStream_ClientResetWhileTheServiceReads_IsLoggedAsTheClientLeaving()
    {
        var logger = new CapturingLogger();
        var interceptor = new ErrorInterceptor(logger);

        var error = await Assert.ThrowsAsync<RpcException>(() => interceptor.ClientStreamingServerHandler<string, string>(
            new ResettingReader(), new StreamCallContext("/retrieval.v1.Encoders/RegisterEncoder"),
            async (requests, call) =>
            {
                while (await requests.MoveNext(call.CancellationToken))
                {
                }

                return "";
            }));

        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        Assert.Equal(LogLevel.Information, Assert.Single(logger.Entries).Level);
    }

    [Fact]
    public async Task DuplexStream_FaultOfTheService_IsStillAnUnhandledError()
    {
        var logger = new CapturingLogger();
        var interceptor = new ErrorInterceptor(logger);

        var error = await Assert.ThrowsAsync<RpcException>(() => interceptor.DuplexStreamingServerHandler<string, string>(
            new ResettingReader(), new DiscardingWriter(), new StreamCallContext("/retrieval.v1.Items/StreamUpsertItems"),
            (_, _, _) => throw new IOException("device error")));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.IsType<IOException>(entry.Exception);
    }

    [Fact]
    public async Task Unary_TransientStoreFailure_EvenWrapped_IsUnavailableAndAWarning()
    {
        var logger = new CapturingLogger();
        var interceptor = new ErrorInterceptor(logger);

        var error = await Assert.ThrowsAsync<RpcException>(() => interceptor.UnaryServerHandler<string, string>(
            "", new StreamCallContext("/retrieval.v1.Items/UpsertItems"),
            (_, _) => throw new InvalidOperationException("commit failed", new StoreFailure("connection refused", transient: true))));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.StartsWith("store: ", error.Status.Detail, StringComparison.Ordinal);
        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Contains("connection refused", entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unary_StoreFailureThatIsNotTransient_StaysInternal()
    {
        var logger = new CapturingLogger();
        var interceptor = new ErrorInterceptor(logger);

        var error = await Assert.ThrowsAsync<RpcException>(() => interceptor.UnaryServerHandler<string, string>(
            "", new StreamCallContext("/retrieval.v1.Items/UpsertItems"),
            (_, _) => throw new StoreFailure("syntax error", transient: false)));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Equal(LogLevel.Error, Assert.Single(logger.Entries).Level);
    }

    public static TheoryData<string> StorageFullFailures => ["sqlite", "postgres", "enospc", "wrapped"];

    [Theory]
    [MemberData(nameof(StorageFullFailures))]
    public async Task Unary_StorageFull_FromAnyLayer_IsResourceExhaustedAndAWarning(string layer)
    {
        var logger = new CapturingLogger();
        var interceptor = new ErrorInterceptor(logger);
        Exception failure = layer switch
        {
            "sqlite" => new Microsoft.Data.Sqlite.SqliteException("SQLite Error 13: 'database or disk is full'.", 13),
            "postgres" => new Npgsql.PostgresException("could not extend file: No space left on device", "ERROR", "ERROR", "53100"),
            "enospc" => new IOException("No space left on device : '/data/snapshots/c/shard-0.snapshot.tmp'", 28),
            _ => new InvalidOperationException("commit failed", new AggregateException(new IOException("No space left on device", 28))),
        };

        var error = await Assert.ThrowsAsync<RpcException>(() => interceptor.UnaryServerHandler<string, string>(
            "", new StreamCallContext("/retrieval.v1.Items/UpsertItems"), (_, _) => throw failure));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal(StorageFullFailure.Message, error.Status.Detail);
        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Contains("Storage full during /retrieval.v1.Items/UpsertItems", entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unary_StorageFullWhileTheCommitOutcomeIsUnknown_IsUnavailableSayingSo()
    {
        var logger = new CapturingLogger();
        var interceptor = new ErrorInterceptor(logger);
        var panic = new Npgsql.PostgresException("could not write to file \"pg_wal/xlogtemp\": No space left on device", "PANIC", "PANIC", "53100");

        var error = await Assert.ThrowsAsync<RpcException>(() => interceptor.UnaryServerHandler<string, string>(
            "", new StreamCallContext("/retrieval.v1.Items/UpsertItems"),
            (_, _) => throw new StoreUnavailableException("connection lost", StoreWriteOutcome.Unknown, panic)));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("its outcome is unknown", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unary_OtherSqliteError_StaysInternal()
    {
        var logger = new CapturingLogger();
        var interceptor = new ErrorInterceptor(logger);

        var error = await Assert.ThrowsAsync<RpcException>(() => interceptor.UnaryServerHandler<string, string>(
            "", new StreamCallContext("/retrieval.v1.Items/UpsertItems"),
            (_, _) => throw new Microsoft.Data.Sqlite.SqliteException("SQLite Error 11: 'database disk image is malformed'.", 11)));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
    }

    [Theory]
    [InlineData(StoreWriteOutcome.NotCommitted, "the write was not committed")]
    [InlineData(StoreWriteOutcome.Unknown, "its outcome is unknown")]
    public async Task Unary_StoreUnavailableDuringAWrite_IsUnavailableNamingTheOutcome(StoreWriteOutcome outcome, string said)
    {
        var logger = new CapturingLogger();
        var interceptor = new ErrorInterceptor(logger);

        // Not transient by the driver's own mark (a FATAL from a server shutting down is not): the store's word decides.
        var error = await Assert.ThrowsAsync<RpcException>(() => interceptor.UnaryServerHandler<string, string>(
            "", new StreamCallContext("/retrieval.v1.Items/UpsertItems"),
            (_, _) => throw new StoreUnavailableException("connection lost", outcome, new StoreFailure("terminating connection", transient: false))));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.StartsWith("store: ", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains(said, error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(LogLevel.Warning, Assert.Single(logger.Entries).Level);
    }

    private sealed class StoreFailure(string message, bool transient) : System.Data.Common.DbException(message)
    {
        public override bool IsTransient => transient;
    }

    private sealed class ResettingReader : IAsyncStreamReader<string>
    {
        public string Current => throw new InvalidOperationException("no message was read");

        public Task<bool> MoveNext(CancellationToken cancellationToken) => Task.FromException<bool>(new IOException("The client reset the request stream."));
    }

    private sealed class DiscardingWriter : IServerStreamWriter<string>
    {
        public WriteOptions? WriteOptions { get; set; }

        public Task WriteAsync(string message) => Task.CompletedTask;
    }

    private sealed record LogEntry(LogLevel Level, string Message, Exception? Exception);

    private sealed class CapturingLogger : ILogger<ErrorInterceptor>
    {
        public List<LogEntry> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add(new LogEntry(logLevel, formatter(state, exception), exception));
    }

    private sealed class StreamCallContext(string method) : ServerCallContext
    {
        protected override string MethodCore => method;

        protected override string HostCore => "127.0.0.1";

        protected override string PeerCore => "ipv4:127.0.0.1:1";

        protected override DateTime DeadlineCore => DateTime.MaxValue;

        protected override Metadata RequestHeadersCore { get; } = [];

        protected override CancellationToken CancellationTokenCore => CancellationToken.None;

        protected override Metadata ResponseTrailersCore { get; } = [];

        protected override Status StatusCore { get; set; }

        protected override WriteOptions? WriteOptionsCore { get; set; }

        protected override AuthContext AuthContextCore { get; } = new(null, []);

        protected override IDictionary<object, object> UserStateCore { get; } = new Dictionary<object, object>();

        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => throw new NotSupportedException();

        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
    }
}
