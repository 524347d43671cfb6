namespace Retrieval.Encoders.Onnx.Runtime;

/// <summary>One encoded input: <see cref="Rows"/> vectors of the encoder's dimension, row-major (1 row for dense encoders).</summary>
public sealed record Embedding(float[] Values, int Rows);
