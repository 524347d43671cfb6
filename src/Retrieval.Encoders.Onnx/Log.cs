using Microsoft.Extensions.Logging;

namespace Retrieval.Encoders.Onnx;

/// <summary>Encoder log messages (event ids 6000-6099).</summary>
internal static partial class Log
{
    [LoggerMessage(6000, LogLevel.Information, "ONNX Runtime execution provider: {Provider} ({Reason})")]
    public static partial void ExecutionProviderChosen(ILogger logger, string provider, string reason);

    [LoggerMessage(6001, LogLevel.Warning, "CUDA execution provider requested but not used; falling back to CPU: {Reason}")]
    public static partial void CudaFallback(ILogger logger, string reason);

    [LoggerMessage(6002, LogLevel.Information, "Registered encoder {Name}/{Version} ({Dimension}-d, {InputKind})")]
    public static partial void Registered(ILogger logger, string name, string version, int dimension, string inputKind);

    [LoggerMessage(6003, LogLevel.Warning, "Encoder {Name}/{Version} refused: {Reason}")]
    public static partial void Refused(ILogger logger, string name, string version, string reason);

    [LoggerMessage(6004, LogLevel.Error, "Stored encoder at {Path} is unreadable and skipped")]
    public static partial void Unreadable(ILogger logger, string path, Exception exception);

    [LoggerMessage(6005, LogLevel.Information, "Deleted encoder {Name}/{Version}")]
    public static partial void Deleted(ILogger logger, string name, string version);

    [LoggerMessage(6006, LogLevel.Information, "Encoder {Name}/{Version} registered through another node is known here now")]
    public static partial void Followed(ILogger logger, string name, string version);
}
