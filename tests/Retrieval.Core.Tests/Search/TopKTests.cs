using CsCheck;
using Retrieval.Core.Search;

namespace Retrieval.Core.Tests.Search;

/// <summary>TopK against a full sort. Scores come from a handful of values so that ties are everywhere.</summary>
public sealed class TopKTests
{
    private static readonly Gen<(int K, float[] Scores)> Streams =
        Gen.Select(Gen.Int[1, 20], Gen.Int[0, 8].Select(v => (float)v).Array[0, 300]);

    [Fact]
    public void Add_AnyOrderWithTies_KeepsBestFirstLowerRowOnTies()
    {
        DeterministicSample.Run(Gen.Select(Streams, Gen.Int[0, 1000]), sample =>
        {
            var ((k, scores), shuffleSeed) = sample;
            var rows = Enumerable.Range(0, scores.Length).ToArray();
            new Random(shuffleSeed).Shuffle(rows);
            var top = new TopK(k);
            foreach (var r in rows)
            {
                top.Add(r, scores[r]);
            }

            Assert.Equal(Naive.TopK(scores.Select((s, r) => new ScoredRow(r, s)), k), top.ToSortedArray());
        }, count: 500);
    }

    [Fact]
    public void AddBlock_IncreasingRowsWithMasks_MatchesNaive()
    {
        var gen = Gen.Select(Streams, Gen.ULong.Array[5]);
        DeterministicSample.Run(gen, sample =>
        {
            var ((k, scores), masks) = sample;
            var top = new TopK(k);
            var kept = new List<ScoredRow>();
            var block = 0;
            for (var start = 0; start < scores.Length; start += 64, block++)
            {
                var n = Math.Min(64, scores.Length - start);
                var mask = masks[block % masks.Length] & (n == 64 ? ulong.MaxValue : (1UL << n) - 1);
                top.AddBlock(scores.AsSpan(start, n), start, mask);
                for (var i = 0; i < n; i++)
                {
                    if ((mask & (1UL << i)) != 0)
                    {
                        kept.Add(new ScoredRow(start + i, scores[start + i]));
                    }
                }
            }

            Assert.Equal(Naive.TopK(kept, k), top.ToSortedArray());
        }, count: 500);
    }

    [Fact]
    public void Merge_PartitionsWithTies_EqualsOneHeap()
    {
        DeterministicSample.Run(Gen.Select(Streams, Gen.Int[1, 5]), sample =>
        {
            var ((k, scores), parts) = sample;
            var tops = Enumerable.Range(0, parts).Select(_ => new TopK(k)).ToArray();
            for (var r = 0; r < scores.Length; r++)
            {
                tops[r * parts / Math.Max(scores.Length, 1)].Add(r, scores[r]);
            }

            // Merge in reverse so that higher rows arrive first: the merge must not rely on row order.
            for (var p = parts - 2; p >= 0; p--)
            {
                tops[parts - 1].Merge(tops[p]);
            }

            Assert.Equal(Naive.TopK(scores.Select((s, r) => new ScoredRow(r, s)), k), tops[parts - 1].ToSortedArray());
        }, count: 300);
    }

    [Fact]
    public void Constructor_ZeroK_Throws() => Assert.Throws<ArgumentOutOfRangeException>(() => new TopK(0));
}
