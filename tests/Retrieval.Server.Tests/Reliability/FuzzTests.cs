using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CsCheck;
using Google.Protobuf;
using Grpc.Core;
using Retrieval.Contracts.V1;
using Retrieval.Server.Tests.Infrastructure;
using Retrieval.Testing.Server;
using Xunit.Abstractions;

namespace Retrieval.Server.Tests.Reliability;

/// <summary>
/// Property-based fuzzing of the public API (generators in <see cref="FuzzInputs"/>): random REST bodies and random or
/// damaged protobuf messages. For every request: no HTTP 5xx and no INTERNAL/UNKNOWN status; a refusal names the field
/// at fault; and a refused request changes nothing (the collection list and the items the fuzzer aims at are compared
/// before and after). Each test runs for <c>RETRIEVAL_FUZZ_SECONDS</c> seconds (default 45; CI runs both, about
/// 90 s), on one thread so that the before/after comparison sees only its own request.
/// </summary>
public sealed partial class FuzzTests(SqliteServerFixture fixture, ITestOutputHelper output) : IClassFixture<SqliteServerFixture>
{
    private const string Collection = "fuzz";
    private static readonly SemaphoreSlim SeedGate = new(1, 1);
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    private static int Seconds => int.TryParse(Environment.GetEnvironmentVariable("RETRIEVAL_FUZZ_SECONDS"), CultureInfo.InvariantCulture, out var s) ? s : 45;

    private InProcessServer Server => fixture.Server;

    [Fact]
    public async Task Rest_RandomBodies_AreNeverA5xx_NameTheField_AndChangeNothing()
    {
        await SeedAsync();
        var routes = Enum.GetValues<RestRoute>();
        var cases = from route in Gen.OneOf(routes)
                    from body in FuzzInputs.Body(route)
                    from invalidUtf8 in Gen.Int[0, 19]
                    select (route, body, invalidUtf8: invalidUtf8 == 0);
        var tally = new Tally();
        await cases.SampleAsync(
            async (route, body, invalidUtf8) =>
            {
                var before = await SnapshotAsync();
                var bytes = Encoding.UTF8.GetBytes(body);
                if (invalidUtf8)
                {
                    // A lone continuation byte and an overlong encoding: not UTF-8 at all.
                    bytes = [.. bytes.Take(bytes.Length / 2), 0x80, 0xC0, 0xAF, .. bytes.Skip(bytes.Length / 2)];
                }

                using var content = new ByteArrayContent(bytes);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await Server.Rest.PostAsync(new Uri(PathOf(route), UriKind.Relative), content);
                var answer = await response.Content.ReadAsStringAsync();
                var status = (int)response.StatusCode;
                Assert.True(status < 500, $"{route}: HTTP {status} {answer}");
                if (response.IsSuccessStatusCode)
                {
                    tally.Accepted(route.ToString());
                    return;
                }

                Assert.True(status != (int)HttpStatusCode.RequestEntityTooLarge || bytes.Length > 1_000_000, $"{route}: 413 for {bytes.Length} bytes");
                var message = MessageOf(answer);
                Assert.True(NamesWhatIsWrong(CodeOf(answer) == (int)StatusCode.InvalidArgument, message), $"{route}: HTTP {status}, the refusal names no field: {answer}");
                Assert.Equal(before, await SnapshotAsync());
                tally.Refused(route.ToString(), status.ToString(CultureInfo.InvariantCulture));
            },
            seed: Environment.GetEnvironmentVariable("RETRIEVAL_FUZZ_SEED"),
            iter: long.MaxValue,
            time: Seconds,
            threads: 1,
            print: c => $"{c.Item1} invalidUtf8={c.Item3} body={Shorten(c.Item2)}");
        output.WriteLine(tally.ToString());
        Assert.True(tally.Total > 0, "no request was sent");
    }

    [Fact]
    public async Task Grpc_RandomAndDamagedMessages_AreNeverInternal_NameTheField_AndChangeNothing()
    {
        await SeedAsync();
        var calls = Gen.Frequency(
            (3, FuzzInputs.Damaged(FuzzInputs.UpsertMessage.Select(m => m.ToByteArray())).Select(b => ("UpsertItems", "retrieval.v1.Items", b))),
            (2, FuzzInputs.Damaged(FuzzInputs.SearchMessage.Select(m => m.ToByteArray())).Select(b => ("Search", "retrieval.v1.Search", b))),
            (1, FuzzInputs.Damaged(FuzzInputs.DeleteMessage.Select(m => m.ToByteArray())).Select(b => ("DeleteItems", "retrieval.v1.Items", b))),
            (1, Gen.Byte.Array[0, 64].Select(b => ("UpsertItems", "retrieval.v1.Items", b))));
        var invoker = Server.Channel.CreateCallInvoker();
        var tally = new Tally();
        await calls.SampleAsync(
            async (method, service, bytes) =>
            {
                var before = await SnapshotAsync();
                var call = new Method<byte[], byte[]>(MethodType.Unary, service, method, Bytes, Bytes);
                try
                {
                    await invoker.AsyncUnaryCall(call, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)), bytes);
                    tally.Accepted(method);
                    return;
                }
                catch (RpcException e)
                {
                    Assert.True(e.StatusCode is not (StatusCode.Internal or StatusCode.Unknown or StatusCode.DataLoss or StatusCode.DeadlineExceeded), $"{method}: {e.Status}");
                    Assert.True(NamesWhatIsWrong(e.StatusCode == StatusCode.InvalidArgument, e.Status.Detail), $"{method}: {e.StatusCode}, the refusal names no field: {e.Status.Detail}");
                    tally.Refused(method, e.StatusCode.ToString());
                }

                Assert.Equal(before, await SnapshotAsync());
            },
            seed: Environment.GetEnvironmentVariable("RETRIEVAL_FUZZ_SEED"),
            iter: long.MaxValue,
            time: Seconds,
            threads: 1,
            print: c => $"{c.Item1} {Convert.ToHexString(c.Item3.Length > 256 ? c.Item3[..256] : c.Item3)}");
        output.WriteLine(tally.ToString());
        Assert.True(tally.Total > 0, "no call was made");
    }

    /// <summary>
    /// A refusal names a field when it starts with a field path ("items[2].vectors.v1: …", "k: …", "body: …"): a JSON
    /// path of names, map keys (possibly empty: "vectors.: unknown space ''"), quoted keys and indexes, then a colon.
    /// </summary>
    internal static bool NamesField(string? message) => message is not null && FieldPrefix().IsMatch(message);

    /// <summary>
    /// INVALID_ARGUMENT names its field; the other refusals (NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION,
    /// RESOURCE_EXHAUSTED) name the thing they are about in quotes, e.g. "collection 'x' not found".
    /// </summary>
    private static bool NamesWhatIsWrong(bool invalidArgument, string? message) =>
        invalidArgument ? NamesField(message) : NamesField(message) || (message?.Count(c => c == '\'') >= 2);

    [GeneratedRegex("""^(body|[A-Za-z_][A-Za-z0-9_]*)(\[\d+\]|\.[^\s\[:]*|\["(?:[^"\\]|\\.)*"\])*: \S""", RegexOptions.Singleline)]
    private static partial Regex FieldPrefix();

    private static string PathOf(RestRoute route) => route switch
    {
        RestRoute.Upsert => $"/v1/collections/{Collection}/items:upsert",
        RestRoute.Delete => $"/v1/collections/{Collection}/items:delete",
        RestRoute.Get => $"/v1/collections/{Collection}/items:get",
        RestRoute.Scroll => $"/v1/collections/{Collection}/items:scroll",
        RestRoute.Search => $"/v1/collections/{Collection}:search",
        RestRoute.CreateCollection => "/v1/collections",
        _ => throw new ArgumentOutOfRangeException(nameof(route)),
    };

    private static string? MessageOf(string answer)
    {
        try
        {
            using var document = JsonDocument.Parse(answer);
            return document.RootElement.TryGetProperty("message", out var message) ? message.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static int? CodeOf(string answer)
    {
        try
        {
            using var document = JsonDocument.Parse(answer);
            return document.RootElement.TryGetProperty("code", out var code) && code.TryGetInt32(out var value) ? value : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Shorten(string text) => text.Length > 400 ? text[..400] + $"… ({text.Length} chars)" : text;

    /// <summary>What a refused request must leave as it was: the collections, and the items the fuzzer aims at.</summary>
    private async Task<string> SnapshotAsync()
    {
        var collections = await Server.Collections.ListCollectionsAsync(new ListCollectionsRequest());
        var items = await Server.Items.GetItemsAsync(new GetItemsRequest { Collection = Collection, Ids = { FuzzInputs.IdPool.Where(id => id.Length is > 0 and <= 256) }, WithVectors = true });
        var names = string.Join(",", collections.Collections.Select(c => $"{c.Name}:{c.ItemCount}:{c.Spaces.Count}").Order(StringComparer.Ordinal));
        return names + "|" + string.Join(",", items.Items.OrderBy(i => i.Id, StringComparer.Ordinal).Select(i => i.ToString()));
    }

    private async Task SeedAsync()
    {
        await SeedGate.WaitAsync();
        try
        {
            var existing = await Server.Collections.ListCollectionsAsync(new ListCollectionsRequest());
            if (existing.Collections.All(c => c.Name != Collection))
            {
                await TestCollections.CreateAsync(Server, Collection, dimension: 4, exactName: true);
                await Server.Collections.AddSpaceAsync(new AddSpaceRequest
                {
                    Collection = Collection,
                    Space = new Space { Name = "w", Dimension = 2, Metric = Metric.Cosine, Model = new ModelRef { Name = "m", Version = "2" } },
                });
                await TestCollections.UpsertAsync(Server, Collection, "v1", [("seed", [1, 2, 3, 4]), ("f0", [0, 1, 0, 1])], _ => """{"k":"v","n":1}""");
            }
        }
        finally
        {
            SeedGate.Release();
        }
    }

    /// <summary>Counts of answers by route and status, printed so a run shows what the fuzzer reached.</summary>
    private sealed class Tally
    {
        private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);

        public int Total => _counts.Values.Sum();

        public void Accepted(string route) => _counts.AddOrUpdate($"{route} accepted", 1, (_, n) => n + 1);

        public void Refused(string route, string status) => _counts.AddOrUpdate($"{route} {status}", 1, (_, n) => n + 1);

        public override string ToString() => string.Join(Environment.NewLine, _counts.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}: {kv.Value}"));
    }
}
