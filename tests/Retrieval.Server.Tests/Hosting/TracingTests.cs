using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using Retrieval.Engine;
using Retrieval.Server.Hosting;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing.Server;

namespace Retrieval.Server.Tests.Hosting;

/// <summary>
/// Traces of a real server (Kestrel on loopback, SQLite store) exported in process: a REST search is one trace whose
/// server span holds the engine's search span and its steps; a write shows its commit and apply. Off by default.
/// </summary>
public sealed class TracingTests
{
    private static readonly TimeSpan SpanWait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task RestSearch_IsOneTrace_ServerSpanParentsTheEngineSearchAndItsSteps()
    {
        var spans = new ExportedSpans();
        var configuration = new ServerConfiguration("sqlite", postgresConnection: null);
        configuration.Extra["Retrieval:Tracing:Enabled"] = "true";
        configuration.Extra["Retrieval:Tracing:Exporter"] = "none";
        await using var app = await StartAsync(configuration, services => services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans)));
        using var rest = new HttpClient { BaseAddress = configuration.RestAddress };
        var name = TestNames.Unique("traced");

        await PostAsync(rest, "/v1/collections", "{\"name\":\"" + name + "\"," + """ "spaces":[{"name":"v1","dimension":2,"metric":"METRIC_INNER_PRODUCT","model":{"name":"m","version":"1"}}]}""");
        await PostAsync(rest, $"/v1/collections/{name}/items:upsert", """{"items":[{"id":"a","vectors":{"v1":{"values":[1,0]}}},{"id":"b","vectors":{"v1":{"values":[0,1]}}}]}""");
        // The caller's trace context travels in traceparent: the server continues that trace. (Other tests' servers
        // in this process emit engine spans too; the trace id tells this request's apart.)
        var trace = ActivityTraceId.CreateRandom();
        var caller = ActivitySpanId.CreateRandom();
        await PostAsync(rest, $"/v1/collections/{name}:search", """{"space":"v1","vector":{"values":[1,0]},"k":1}""", $"00-{trace}-{caller}-01");

        var search = await WaitForSpanAsync(spans, s => s.TraceId == trace && s.Source.Name == EngineTracing.SourceName && s.OperationName == "search");
        Assert.Equal(name, search.GetTagItem(EngineTracing.CollectionTag));
        Assert.Equal("v1", search.GetTagItem(EngineTracing.SpaceTag));
        Assert.Equal(1, search.GetTagItem(EngineTracing.SearchesTag));

        // The engine span's parent is the incoming REST request's span, in the same trace.
        var server = await WaitForSpanAsync(spans, s => s.SpanId == search.ParentSpanId);
        Assert.Equal(ActivityKind.Server, server.Kind);
        Assert.Equal("Microsoft.AspNetCore", server.Source.Name);
        Assert.Equal(caller, server.ParentSpanId);
        Assert.Equal("POST", server.GetTagItem("http.request.method"));
        Assert.EndsWith(":search", (string?)server.GetTagItem("url.path"), StringComparison.Ordinal);

        var steps = Snapshot(spans).Where(s => s.ParentSpanId == search.SpanId).Select(s => s.OperationName).ToList();
        Assert.Equal(["search.plan", "search.fan_out", "search.render"], steps);
        var fanOut = Snapshot(spans).Single(s => s.ParentSpanId == search.SpanId && s.OperationName == "search.fan_out");
        Assert.True(fanOut.GetTagItem(EngineTracing.ShardsTag) is int shards && shards >= 1);

        var upsert = await WaitForSpanAsync(spans, s => s.Source.Name == EngineTracing.SourceName && s.OperationName == "write.upsert" && (string?)s.GetTagItem(EngineTracing.CollectionTag) == name);
        Assert.Equal(2, upsert.GetTagItem(EngineTracing.ItemsTag));
        var writeSteps = Snapshot(spans).Where(s => s.ParentSpanId == upsert.SpanId).Select(s => s.OperationName).ToList();
        Assert.Equal(["write.encode", "write.commit", "write.apply"], writeSteps);
        Assert.NotNull(Snapshot(spans).Single(s => s.OperationName == "write.commit" && s.ParentSpanId == upsert.SpanId).GetTagItem(EngineTracing.SequenceTag));

        // Probes are not traced.
        using (await rest.GetAsync(new Uri("/readyz", UriKind.Relative)))
        {
        }

        Assert.DoesNotContain(Snapshot(spans), s => s.GetTagItem("url.path") is "/readyz" or "/healthz");
    }

    [Fact]
    public async Task RefusedSearch_MarksTheEngineSpanFailed()
    {
        var spans = new ExportedSpans();
        var configuration = new ServerConfiguration("sqlite", postgresConnection: null);
        configuration.Extra["Retrieval:Tracing:Enabled"] = "true";
        configuration.Extra["Retrieval:Tracing:Exporter"] = "none";
        await using var app = await StartAsync(configuration, services => services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans)));
        using var rest = new HttpClient { BaseAddress = configuration.RestAddress };

        var absent = TestNames.Unique("absent");
        using var response = await rest.PostAsync(new Uri($"/v1/collections/{absent}:search", UriKind.Relative), Json("""{"vector":{"values":[1,0]},"k":1}"""));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var search = await WaitForSpanAsync(spans, s => s.Source.Name == EngineTracing.SourceName && s.OperationName == "search" && (string?)s.GetTagItem(EngineTracing.CollectionTag) == absent);
        Assert.Equal(ActivityStatusCode.Error, search.Status);
        Assert.Contains(search.Events, e => e.Name == "exception");
    }

    [Fact]
    public async Task ByDefault_NoTracerProviderIsRegistered_AndEngineSpansAreNotCreated()
    {
        var configuration = new ServerConfiguration("sqlite", postgresConnection: null);
        await using var app = await StartAsync(configuration, _ => { });
        Assert.Null(app.Services.GetService<TracerProvider>());
    }

    [Fact]
    public void UnknownExporter_IsRefusedNamingTheSetting()
    {
        var configuration = new ServerConfiguration("sqlite", postgresConnection: null);
        configuration.Extra["Retrieval:Tracing:Exporter"] = "zipkin";
        var error = Assert.Throws<InvalidOperationException>(() => ServerExtensions.BuildRetrievalServer(configuration.ToArguments()));
        Assert.Contains("Retrieval:Tracing:Exporter", error.Message, StringComparison.Ordinal);
    }

    private static async Task<WebApplication> StartAsync(ServerConfiguration configuration, Action<IServiceCollection> configure)
    {
        var builder = WebApplication.CreateBuilder(configuration.ToArguments());
        builder.AddRetrievalServer();
        configure(builder.Services);
        var app = builder.Build().MapRetrievalServer();
        await app.StartAsync();
        using var rest = new HttpClient { BaseAddress = configuration.RestAddress };
        using var ready = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            using var response = await rest.GetAsync(new Uri("/readyz", UriKind.Relative), ready.Token);
            if (response.IsSuccessStatusCode)
            {
                return app;
            }

            await Task.Delay(50, ready.Token);
        }
    }

    private static async Task PostAsync(HttpClient rest, string path, string json, string? traceParent = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative)) { Content = Json(json) };
        if (traceParent is not null)
        {
            request.Headers.Add("traceparent", traceParent);
        }

        using var response = await rest.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>The exporter appends from request threads; the server span ends after the response is written.</summary>
    private static async Task<Activity> WaitForSpanAsync(ExportedSpans spans, Func<Activity, bool> match)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (Snapshot(spans).FirstOrDefault(match) is { } span)
            {
                return span;
            }

            Assert.True(clock.Elapsed < SpanWait, "no such span was exported");
            await Task.Delay(20);
        }
    }

    private static List<Activity> Snapshot(ExportedSpans spans) => spans.Snapshot();

    /// <summary>What the in-memory exporter appends to, from request threads: appends and reads take one lock.</summary>
    private sealed class ExportedSpans : Collection<Activity>
    {
        private readonly Lock _lock = new();

        public List<Activity> Snapshot()
        {
            lock (_lock)
            {
                return [.. Items];
            }
        }

        protected override void InsertItem(int index, Activity item)
        {
            lock (_lock)
            {
                base.InsertItem(index, item);
            }
        }
    }
}
