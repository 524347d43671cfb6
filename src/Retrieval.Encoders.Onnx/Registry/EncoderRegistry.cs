using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Retrieval.Core.Errors;
using Retrieval.Core.MultiVector;
using Retrieval.Encoders.Onnx.Descriptors;
using Retrieval.Encoders.Onnx.Inputs;
using Retrieval.Encoders.Onnx.Preprocessing;
using Retrieval.Encoders.Onnx.Runtime;

namespace Retrieval.Encoders.Onnx.Registry;

/// <summary>
/// The encoders this server knows: registration (validated, then stored), listing, deletion, and encoding through
/// each version's cached session and micro-batcher. Stored versions are listed at start-up but loaded (and their
/// checksums verified) only when first used, so a large gallery of models costs no start-up time.
/// </summary>
public sealed class EncoderRegistry : IAsyncDisposable
{
    private readonly IEncoderStore _store;
    private readonly EncoderFactory _factory;
    private readonly OnnxEncoderOptions _options;
    private readonly ILogger<EncoderRegistry> _logger;
    private readonly ConcurrentDictionary<(string Name, string Version), EncoderInfo> _infos = new();
    private readonly ConcurrentDictionary<(string Name, string Version), Lazy<Task<LoadedEncoder>>> _loaded = new();
    // Registration and deletion of the same name must not interleave; they are rare, so one lock is enough.
    private readonly SemaphoreSlim _writes = new(1, 1);

    // A shared store's list is read again one refresh at a time. A refresh does not take _writes (a registration holds it
    // while a large model is saved, and the store follower that refreshes must not wait that long); instead local changes
    // of the list and a refresh's changes are applied under _listGate, and a refresh whose reading raced a local change
    // (_localChanges moved) applies nothing: that change's own notice brings the next refresh.
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private readonly Lock _listGate = new();
    private long _localChanges;

    public EncoderRegistry(IEncoderStore store, EncoderFactory factory, OnnxEncoderOptions options, ILogger<EncoderRegistry> logger)
    {
        _store = store;
        _factory = factory;
        _options = options;
        _logger = logger;
        // Listed once as the registry is built (at start-up, before the first request): a directory answers at once, the
        // shared store with one small query. Waited for here because a constructor cannot be asynchronous.
        foreach (var listing in store.ReadAllAsync(CancellationToken.None).GetAwaiter().GetResult())
        {
            if (listing.Info is { } info)
            {
                _infos[(info.Descriptor.Name, info.Descriptor.Version)] = info;
            }
            else
            {
                Log.Unreadable(logger, listing.Where, listing.Error!);
            }
        }
    }

    /// <summary>
    /// Reads the list again from a shared store (a cluster: another node registered or deleted a version); nothing to do
    /// for a directory. Versions gone from the store are dropped here, their loaded sessions disposed.
    /// </summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        if (!_store.SharedByNodes)
        {
            return;
        }

        await _refreshing.WaitAsync(cancellationToken);
        try
        {
            long before;
            lock (_listGate)
            {
                before = _localChanges;
            }

            var listed = new Dictionary<(string Name, string Version), EncoderInfo>();
            foreach (var listing in await _store.ReadAllAsync(cancellationToken))
            {
                if (listing.Info is { } info)
                {
                    listed[(info.Descriptor.Name, info.Descriptor.Version)] = info;
                }
                else
                {
                    Log.Unreadable(_logger, listing.Where, listing.Error!);
                }
            }

            List<(string Name, string Version)> gone;
            lock (_listGate)
            {
                if (_localChanges != before)
                {
                    return;
                }

                foreach (var (key, info) in listed)
                {
                    if (_infos.TryAdd(key, info))
                    {
                        Log.Followed(_logger, key.Name, key.Version);
                    }
                }

                gone = [.. _infos.Keys.Where(k => !listed.ContainsKey(k))];
                foreach (var key in gone)
                {
                    _infos.TryRemove(key, out _);
                }
            }

            foreach (var key in gone)
            {
                await DisposeLoadedAsync(key);
                Log.Deleted(_logger, key.Name, key.Version);
            }
        }
        finally
        {
            _refreshing.Release();
        }
    }

    public async Task<EncoderInfo> RegisterAsync(EncoderPackage package, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(package);
        var d = package.Descriptor;
        await _writes.WaitAsync(cancellationToken);
        try
        {
            EncoderDescriptorValidator.ValidateName(d.Name);
            EncoderDescriptorValidator.ValidateVersion(d.Version);
            if (_infos.ContainsKey((d.Name, d.Version)))
            {
                throw RetrievalException.AlreadyExists($"encoder {d.Name}/{d.Version} already exists; register a new version");
            }

            OnnxEncoder encoder;
            try
            {
                encoder = _factory.Create(package);
            }
            catch (RetrievalException e)
            {
                Log.Refused(_logger, d.Name, d.Version, e.Message);
                throw;
            }

            var info = new EncoderInfo(d, Convert.ToHexStringLower(SHA256.HashData(package.Model)), package.Model.Length, DateTimeOffset.UtcNow);
            var loaded = new LoadedEncoder(encoder, _options);
            try
            {
                await _store.SaveAsync(info, package, cancellationToken);
            }
            catch
            {
                await loaded.DisposeAsync();
                throw;
            }

            _loaded[(d.Name, d.Version)] = new Lazy<Task<LoadedEncoder>>(Task.FromResult(loaded));
            lock (_listGate)
            {
                _infos[(d.Name, d.Version)] = info;
                _localChanges++;
            }

            Log.Registered(_logger, d.Name, d.Version, d.Dimension, d.InputKind.ToString());
            return info;
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>Every version, or those of one name; ordered by name, then registration time.</summary>
    public IReadOnlyList<EncoderInfo> List(string? name = null) =>
        _infos.Values
            .Where(i => string.IsNullOrEmpty(name) || i.Descriptor.Name == name)
            .OrderBy(i => i.Descriptor.Name, StringComparer.Ordinal)
            .ThenBy(i => i.RegisteredAt)
            .ToList();

    /// <summary>One version; an empty version means the most recently registered one.</summary>
    public EncoderInfo Get(string name, string? version)
    {
        if (!string.IsNullOrEmpty(version))
        {
            return _infos.TryGetValue((name, version), out var info)
                ? info
                : throw RetrievalException.NotFound($"encoder {name}/{version} not found");
        }

        var versions = List(name);
        return versions.Count > 0 ? versions[^1] : throw RetrievalException.NotFound($"encoder {name} not found");
    }

    public Task DeleteAsync(string name, string version, CancellationToken cancellationToken) =>
        DeleteAsync(name, version, () => [], cancellationToken);

    /// <summary>
    /// Deletes a version unless <paramref name="users"/> (asked under the registry's lock, which binding a space to an
    /// encoder also holds) names a space that pins it: FAILED_PRECONDITION then, naming those spaces.
    /// </summary>
    public async Task DeleteAsync(string name, string version, Func<IReadOnlyList<string>> users, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(users);
        await _writes.WaitAsync(cancellationToken);
        try
        {
            if (!_infos.ContainsKey((name, version)))
            {
                throw RetrievalException.NotFound($"encoder {name}/{version} not found");
            }

            var pinnedBy = users();
            if (pinnedBy.Count > 0)
            {
                throw RetrievalException.Precondition($"encoder {name}/{version} is in use by space(s) {string.Join(", ", pinnedBy)}; delete or change those spaces first");
            }

            lock (_listGate)
            {
                _infos.TryRemove((name, version), out _);
                _localChanges++;
            }

            await DisposeLoadedAsync((name, version));
            await _store.DeleteAsync(name, version, cancellationToken);
            Log.Deleted(_logger, name, version);
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>One version, or null when it is not registered (an empty version means the latest).</summary>
    public EncoderInfo? Find(string name, string? version)
    {
        if (!string.IsNullOrEmpty(version))
        {
            return _infos.GetValueOrDefault((name, version));
        }

        var versions = List(name);
        return versions.Count > 0 ? versions[^1] : null;
    }

    /// <summary>Holds registration and deletion off until disposed (see <see cref="DeleteAsync(string, string, Func{IReadOnlyList{string}}, CancellationToken)"/>).</summary>
    public async Task<IAsyncDisposable> LockAsync(CancellationToken cancellationToken)
    {
        await _writes.WaitAsync(cancellationToken);
        return new Releaser(_writes);
    }

    /// <summary>Encodes inputs with one version (empty = latest); each request's inputs join the shared micro-batches.</summary>
    public Task<(EncoderInfo Info, IReadOnlyList<Embedding> Embeddings)> EncodeAsync(
        string name, string? version, IReadOnlyList<EncoderInput> inputs, bool isQuery, CancellationToken cancellationToken) =>
        EncodeAsync(name, version, inputs, isQuery, i => FieldPath.Of("inputs").Index(i), cancellationToken);

    /// <summary>Like the overload without <paramref name="fieldOf"/>, naming a bad input <c>fieldOf(index)</c> in its error.</summary>
    public Task<(EncoderInfo Info, IReadOnlyList<Embedding> Embeddings)> EncodeAsync(
        string name, string? version, IReadOnlyList<EncoderInput> inputs, bool isQuery, Func<int, FieldPath> fieldOf, CancellationToken cancellationToken) =>
        EncodeAsync(name, version, inputs, isQuery, TokenDrop.None, fieldOf, cancellationToken);

    /// <summary>
    /// Like the overload without <paramref name="drop"/>; a multi-vector text encoder's embeddings then lack the token
    /// rows <paramref name="drop"/> names (INVALID_ARGUMENT for any other encoder when it names some).
    /// </summary>
    public async Task<(EncoderInfo Info, IReadOnlyList<Embedding> Embeddings)> EncodeAsync(
        string name, string? version, IReadOnlyList<EncoderInput> inputs, bool isQuery, TokenDrop drop, Func<int, FieldPath> fieldOf, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fieldOf);
        ArgumentNullException.ThrowIfNull(inputs);
        if (_store.SharedByNodes && Find(name, version) is null)
        {
            // Registered through another node a moment ago, before its notice arrived here.
            await RefreshAsync(cancellationToken);
        }

        var info = Get(name, version);
        if (inputs.Count == 0)
        {
            throw RetrievalException.Invalid(FieldPath.Of("inputs"), "must not be empty");
        }

        if (inputs.Count > _options.QueueCapacity)
        {
            throw RetrievalException.Invalid(FieldPath.Of("inputs"), $"at most {_options.QueueCapacity} inputs per request (Retrieval:Encoders:QueueCapacity)");
        }

        var loaded = await LoadAsync(info, cancellationToken);
        // Preprocess before queueing: a bad input fails this request before anything is queued.
        var prepared = Prepare(loaded.Encoder, inputs, isQuery, fieldOf);
        var embeddings = await loaded.Batcher.EnqueueRangeAsync(prepared, cancellationToken);
        if (drop == TokenDrop.None)
        {
            return (info, embeddings);
        }

        if (info.Descriptor.Kind != EncoderKind.Multi || loaded.Encoder.Preprocessor is not TextPreprocessor text)
        {
            throw RetrievalException.Invalid(FieldPath.Of("dropTokens"), $"encoder {info.Descriptor.Name}/{info.Descriptor.Version} is no multi-vector text encoder; only its token vectors can lose tokens");
        }

        // A text's token rows are its tokens in order (the model's mask marks them all): drop rows by their token ids.
        var kept = new Embedding[inputs.Count];
        var dim = info.Descriptor.Dimension;
        for (var i = 0; i < kept.Length; i++)
        {
            var keep = TokenDropFilter.Keep(prepared[i].TokenIds!, text.Tokenizer, drop);
            if (keep.Length != embeddings[i].Rows)
            {
                throw new InvalidOperationException($"encoder {info.Descriptor.Name}/{info.Descriptor.Version} gave {embeddings[i].Rows} token rows for {keep.Length} tokens");
            }

            var values = new List<float>(embeddings[i].Values.Length);
            for (var row = 0; row < keep.Length; row++)
            {
                if (keep[row])
                {
                    values.AddRange(embeddings[i].Values.AsSpan(row * dim, dim));
                }
            }

            kept[i] = new Embedding([.. values], values.Count / dim);
        }

        return (info, kept);
    }

    /// <summary>
    /// Prepares a request's inputs. Images are decoded in parallel: the model is idle while a request decodes, and a
    /// decode takes a sizeable share of an image model's run; tokenizing a text is cheap next to scheduling, so texts
    /// stay on the caller's thread. With several bad inputs the first by index is reported, as in a sequential pass.
    /// </summary>
    private static PreparedInput[] Prepare(OnnxEncoder encoder, IReadOnlyList<EncoderInput> inputs, bool isQuery, Func<int, FieldPath> fieldOf)
    {
        var prepared = new PreparedInput[inputs.Count];
        if (inputs.Count == 1 || encoder.Descriptor.InputKind != EncoderInputKind.Image)
        {
            for (var i = 0; i < prepared.Length; i++)
            {
                prepared[i] = encoder.Preprocessor.Prepare(inputs[i], isQuery, fieldOf(i));
            }

            return prepared;
        }

        var errors = new ExceptionDispatchInfo?[inputs.Count];
        Parallel.For(0, inputs.Count, i =>
        {
            try
            {
                prepared[i] = encoder.Preprocessor.Prepare(inputs[i], isQuery, fieldOf(i));
            }
            catch (Exception e)
            {
                // Kept per input and rethrown below as is, so the caller sees the same error a sequential pass would give.
                errors[i] = ExceptionDispatchInfo.Capture(e);
            }
        });
        Array.Find(errors, e => e is not null)?.Throw();
        return prepared;
    }

    private async Task<LoadedEncoder> LoadAsync(EncoderInfo info, CancellationToken cancellationToken)
    {
        var key = (info.Descriptor.Name, info.Descriptor.Version);
        var lazy = _loaded.GetOrAdd(key, _ => new Lazy<Task<LoadedEncoder>>(() => LoadFromStoreAsync(info)));
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken);
        }
        catch (Exception) when (lazy.Value.IsFaulted)
        {
            // Do not cache a failed load (say, a damaged file since restored): the next call tries again.
            _loaded.TryRemove(KeyValuePair.Create(key, lazy));
            throw;
        }
    }

    private async Task<LoadedEncoder> LoadFromStoreAsync(EncoderInfo info)
    {
        var d = info.Descriptor;
        var (model, vocabulary) = await _store.LoadAsync(d.Name, d.Version, CancellationToken.None);
        var encoder = _factory.Create(new EncoderPackage(d, model, vocabulary));
        return new LoadedEncoder(encoder, _options);
    }

    private async Task DisposeLoadedAsync((string Name, string Version) key)
    {
        if (_loaded.TryRemove(key, out var lazy) && lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
        {
            await lazy.Value.Result.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var lazy in _loaded.Values.Where(l => l.IsValueCreated && l.Value.IsCompletedSuccessfully))
        {
            await lazy.Value.Result.DisposeAsync();
        }

        _loaded.Clear();
        _writes.Dispose();
        _refreshing.Dispose();
    }

    private sealed class Releaser(SemaphoreSlim semaphore) : IAsyncDisposable
    {
        private int _released;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                semaphore.Release();
            }

            return ValueTask.CompletedTask;
        }
    }
}
