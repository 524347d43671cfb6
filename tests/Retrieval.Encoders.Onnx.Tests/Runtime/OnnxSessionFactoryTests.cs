using Retrieval.Encoders.Onnx.Descriptors;
using Retrieval.Encoders.Onnx.Inputs;
using Retrieval.Encoders.Onnx.Registry;
using Retrieval.Encoders.Onnx.Runtime;
using Retrieval.Testing.Onnx;

namespace Retrieval.Encoders.Onnx.Tests.Runtime;

/// <summary>The thread-spinning settings reach ONNX Runtime as session entries it accepts, and never change results.</summary>
public sealed class OnnxSessionFactoryTests
{
    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public void Create_AnySpinningSettings_LoadsAndEncodesTheSame(bool allowSpinning, bool stopSpinningAfterRun)
    {
        var mlp = new TensorMlp();
        var options = new OnnxEncoderOptions { AllowSpinning = allowSpinning, StopSpinningAfterRun = stopSpinningAfterRun };
        var factory = new EncoderFactory(new OnnxSessionFactory(options, new ExecutionProviderChoice(false, 0, "test")));
        var descriptor = new EncoderDescriptor
        {
            Name = "mlp",
            Version = "1",
            Dimension = TensorMlp.Out,
            InputKind = EncoderInputKind.Tensor,
            InputName = "x",
            OutputName = "y",
        };
        float[][] inputs = [[0.5f, -1f, 2f, 0.25f], [1f, 1f, -0.5f, 3f]];

        using var encoder = factory.Create(new EncoderPackage(descriptor, mlp.Model(), null));
        // Two runs in a row: the second starts after the first stopped (or kept) its threads spinning.
        for (var run = 0; run < 2; run++)
        {
            var results = encoder.Run(inputs.Select(x => PreparedInput.Tensor(x, [TensorMlp.In])).ToList(), CancellationToken.None);

            for (var i = 0; i < inputs.Length; i++)
            {
                var expected = mlp.Expected(inputs[i]);
                Assert.Equal(expected.Length, results[i].Values.Length);
                for (var j = 0; j < expected.Length; j++)
                {
                    Assert.Equal(expected[j], results[i].Values[j], 5);
                }
            }
        }
    }
}
