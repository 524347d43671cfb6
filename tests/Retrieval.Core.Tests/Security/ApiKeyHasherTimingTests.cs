using System.Diagnostics;
using Retrieval.Core.Security;

namespace Retrieval.Core.Tests.Security;

/// <summary>
/// Verifying a secret takes the same time wherever a wrong secret differs from the right one: first character, last
/// character, or not at all. Measured as interleaved medians, so noise from other processes hits every case alike.
/// </summary>
public sealed class ApiKeyHasherTimingTests
{
    [Fact]
    public void Verify_WrongEarlyOrLateOrRight_TakesTheSameTime()
    {
        var (_, token) = ApiKeyToken.Generate();
        Assert.True(ApiKeyToken.TryParse(token, out _, out var secretSpan));
        var secret = secretSpan.ToString();
        var salt = ApiKeyHasher.NewSalt();
        var hash = ApiKeyHasher.Hash(salt, secret);
        string[] cases = [secret, Flip(secret, 0), Flip(secret, secret.Length - 1)];
        var samples = cases.Select(_ => new List<double>()).ToArray();

        for (var round = 0; round < 201; round++)
        {
            for (var c = 0; c < cases.Length; c++)
            {
                var start = Stopwatch.GetTimestamp();
                for (var i = 0; i < 200; i++)
                {
                    ApiKeyHasher.Verify(salt, hash, cases[c]);
                }

                samples[c].Add(Stopwatch.GetElapsedTime(start).TotalNanoseconds / 200);
            }
        }

        var medians = samples.Select(s => s.Order().ElementAt(s.Count / 2)).ToArray();
        Assert.True(ApiKeyHasher.Verify(salt, hash, cases[0]));
        Assert.False(ApiKeyHasher.Verify(salt, hash, cases[1]));
        Assert.False(ApiKeyHasher.Verify(salt, hash, cases[2]));
        Assert.True(medians.Max() / medians.Min() < 1.25, $"medians differ: {string.Join(", ", medians.Select(m => $"{m:F0} ns"))}");
    }

    private static string Flip(string text, int index) =>
        string.Concat(text.AsSpan(0, index), text[index] == 'A' ? "B" : "A", text.AsSpan(index + 1));
}
