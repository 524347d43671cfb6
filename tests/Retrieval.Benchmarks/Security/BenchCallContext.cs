using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Retrieval.Benchmarks.Security;

/// <summary>
/// The smallest <see cref="ServerCallContext"/> that lets server code find its <see cref="HttpContext"/>
/// (<c>GetHttpContext()</c> reads the <c>__HttpContext</c> user-state entry when the context is not ASP.NET Core's own).
/// </summary>
internal sealed class BenchCallContext(HttpContext http) : ServerCallContext
{
    private readonly Dictionary<object, object> _userState = new() { ["__HttpContext"] = http };

    protected override string MethodCore => "/retrieval.v1.Search/Search";

    protected override string HostCore => "127.0.0.1";

    protected override string PeerCore => "ipv4:127.0.0.1:1";

    protected override DateTime DeadlineCore => DateTime.MaxValue;

    protected override Metadata RequestHeadersCore { get; } = [];

    protected override CancellationToken CancellationTokenCore => CancellationToken.None;

    protected override Metadata ResponseTrailersCore { get; } = [];

    protected override Status StatusCore { get; set; }

    protected override WriteOptions? WriteOptionsCore { get; set; }

    protected override AuthContext AuthContextCore { get; } = new(null, []);

    protected override IDictionary<object, object> UserStateCore => _userState;

    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => throw new NotSupportedException();

    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
}
