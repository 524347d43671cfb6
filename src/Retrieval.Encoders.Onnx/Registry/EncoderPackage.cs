using Retrieval.Encoders.Onnx.Descriptors;

namespace Retrieval.Encoders.Onnx.Registry;

/// <summary>What a user uploads to register an encoder: descriptor, ONNX bytes and, for text, the vocabulary.</summary>
public sealed record EncoderPackage(EncoderDescriptor Descriptor, byte[] Model, byte[]? Vocabulary);
