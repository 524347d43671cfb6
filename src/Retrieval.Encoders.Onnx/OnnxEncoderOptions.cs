namespace Retrieval.Encoders.Onnx;

/// <summary>Encoder runtime settings, bound from <c>Retrieval:Encoders</c>.</summary>
public sealed class OnnxEncoderOptions
{
    public const string SectionName = "Retrieval:Encoders";

    /// <summary>Where registered models live. Default empty = <c>&lt;Retrieval:DataDirectory&gt;/encoders</c>.</summary>
    public string Directory { get; set; } = "";

    /// <summary><c>cpu</c> (default) or <c>cuda</c>; cuda falls back to cpu, with a logged reason, when unavailable.</summary>
    public string ExecutionProvider { get; set; } = "cpu";

    /// <summary>CUDA device ordinal. Default 0.</summary>
    public int CudaDeviceId { get; set; }

    /// <summary>Threads inside one operator; 0 (default) lets ONNX Runtime choose (one per core).</summary>
    public int IntraOpThreads { get; set; }

    /// <summary>Threads across independent operators; 0 (default) lets ONNX Runtime choose.</summary>
    public int InterOpThreads { get; set; }

    /// <summary>
    /// Whether ONNX Runtime's intra-op threads spin while waiting for work (its <c>session.intra_op.allow_spinning</c>).
    /// Default true, ONNX Runtime's own default. Spinning threads burn CPU that request handling and search on the
    /// same cores could use; docs/decisions.md ("Encoders") gives both settings' figures.
    /// </summary>
    public bool AllowSpinning { get; set; } = true;

    /// <summary>
    /// Whether ONNX Runtime's intra-op threads stop spinning as soon as a run returns (its
    /// <c>session.force_spinning_stop</c>), instead of spinning on after it. Default true: between runs the server
    /// has work of its own on the same cores (the RPC, tokenizing or decoding the next request, pooling), and a
    /// thread left spinning there takes a core from it; docs/benchmarks.md ("Encoders") measures both settings.
    /// </summary>
    public bool StopSpinningAfterRun { get; set; } = true;

    /// <summary>Graph optimization: <c>none</c>, <c>basic</c>, <c>extended</c> or <c>all</c> (default).</summary>
    public string GraphOptimizationLevel { get; set; } = "all";

    /// <summary>
    /// Largest model accepted by the streaming upload, in bytes. Default 512 MiB. (The one-message REST upload is
    /// bounded by <c>Retrieval:MaxRequestBytes</c> instead, and base64 makes its models a third larger.)
    /// </summary>
    public long MaxModelBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>Inputs waiting or running per encoder before new requests are refused with RESOURCE_EXHAUSTED. Default 1024.</summary>
    public int QueueCapacity { get; set; } = 1024;

    /// <summary>
    /// How long a partial batch waits for more inputs, in milliseconds. Default 0: a batch takes whatever queued while
    /// the previous one ran, which batches concurrent requests under load without delaying a lone one.
    /// </summary>
    public int MaxWaitMilliseconds { get; set; }
}
