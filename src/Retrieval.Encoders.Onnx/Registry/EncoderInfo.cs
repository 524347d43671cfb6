using Retrieval.Encoders.Onnx.Descriptors;

namespace Retrieval.Encoders.Onnx.Registry;

/// <summary>A registered encoder version as listed: descriptor, model checksum and size, registration time.</summary>
public sealed record EncoderInfo(EncoderDescriptor Descriptor, string ModelSha256, long ModelBytes, DateTimeOffset RegisteredAt);
