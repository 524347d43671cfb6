using CsCheck;
using Retrieval.Core.MultiVector;

namespace Retrieval.Core.Tests.MultiVector;

public sealed class ProjectionKernelTests
{
    [Fact]
    public void Multiply_Simd_MatchesScalarReference_OnRandomShapes()
    {
        var shapes = from n in Gen.Int[1, 11] from d in Gen.Int[1, 40] from blocks in Gen.Int[1, 3] from seed in Gen.ULong select (n, d, blocks, seed);
        shapes.Sample(shape =>
        {
            var (n, d, blocks, seed) = shape;
            var cols = blocks * ProjectionKernel.ColumnBlock;
            var random = new DeterministicRandom(seed);
            var x = MultiVectorTestData.Gaussian(random, n, d).Values.ToArray();
            var m = MultiVectorTestData.Gaussian(random, d, cols).Values.ToArray();
            var expected = new float[n * cols];
            var actual = new float[n * cols];
            ProjectionKernel.MultiplyScalar(x, n, d, m, cols, expected);
            ProjectionKernel.Multiply(x, n, d, m, cols, actual);
            for (var i = 0; i < expected.Length; i++)
            {
                Assert.True(MathF.Abs(expected[i] - actual[i]) <= 1e-5f * (d + 4), $"element {i}: {expected[i]} vs {actual[i]} for {shape}");
            }
        }, iter: 200);
    }
}
