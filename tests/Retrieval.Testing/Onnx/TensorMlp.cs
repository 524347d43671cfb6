namespace Retrieval.Testing.Onnx;

/// <summary>y = relu(x · W + b): a 4 → 8 tensor encoder, with the same math in plain C# to check the server against.</summary>
public sealed class TensorMlp
{
    public const int In = 4;
    public const int Out = 8;

    public TensorMlp(int seed = 7)
    {
        var random = new Random(seed);
        W = Enumerable.Range(0, In * Out).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        B = Enumerable.Range(0, Out).Select(_ => (float)(random.NextDouble() - 0.5) * 0.1f).ToArray();
    }

    public float[] W { get; }

    public float[] B { get; }

    public byte[] Model(bool fixedBatchOfOne = false) => new OnnxGraph()
        .Input("x", OnnxGraph.Float, fixedBatchOfOne ? 1 : "batch", In)
        .Initializer("W", W, In, Out)
        .Initializer("b", B, Out)
        .Node("MatMul", ["x", "W"], "h")
        .Node("Add", ["h", "b"], "z")
        .Node("Relu", ["z"], "y")
        .Output("y", OnnxGraph.Float, fixedBatchOfOne ? 1 : "batch", Out)
        .ToBytes();

    public float[] Expected(float[] x)
    {
        var y = new float[Out];
        for (var j = 0; j < Out; j++)
        {
            var sum = B[j];
            for (var i = 0; i < In; i++)
            {
                sum += x[i] * W[(i * Out) + j];
            }

            y[j] = Math.Max(0, sum);
        }

        return y;
    }
}
