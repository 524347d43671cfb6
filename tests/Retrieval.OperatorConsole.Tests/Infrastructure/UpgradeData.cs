using System.Text.Json;
using System.Text.Json.Nodes;

namespace Retrieval.OperatorConsole.Tests.Infrastructure;

/// <summary>
/// A model upgrade in miniature, as files an operator would pick in the console: items embedded by the old model
/// (space v1), the new model's vectors of the first items (anchors, v2 = rotated v1 plus noise), and the
/// rest of the new vectors as two backfill files.
/// </summary>
public sealed class UpgradeData
{
    public const int Dimension = 8;
    public const int Items = 300;
    public const int Anchors = 120;

    /// <summary>The new model is not an exact rotation of the old one: recall then depends on the anchors.</summary>
    private const float Noise = 0.5f;

    private readonly float[][] _old;
    private readonly float[][] _new;

    public UpgradeData(int seed = 7)
    {
        var random = new Random(seed);
        var rotation = RandomRotation(random);
        _old = Enumerable.Range(0, Items).Select(_ => Enumerable.Range(0, Dimension).Select(_ => Gaussian(random)).ToArray()).ToArray();
        _new = _old.Select(v => Enumerable.Range(0, Dimension)
            .Select(i => Enumerable.Range(0, Dimension).Sum(j => rotation[i, j] * v[j]) + (Noise * Gaussian(random))).ToArray()).ToArray();
    }

    public static string Id(int i) => $"item-{i}";

    public static string Language(int i) => i % 3 == 0 ? "de" : "en";

    public float[] NewVector(int i) => _new[i];

    /// <summary>{"items":[…]} with payload and v1 vector of every item.</summary>
    public string OldItemsJson() => Serialize(new JsonObject
    {
        ["items"] = new JsonArray(Enumerable.Range(0, Items).Select(i => (JsonNode)new JsonObject
        {
            ["id"] = Id(i),
            ["payload"] = new JsonObject { ["lang"] = Language(i), ["n"] = i },
            ["vectors"] = new JsonObject { ["v1"] = Values(_old[i]) },
        }).ToArray()),
    });

    /// <summary>{"items":[…]} adding the v2 vector of the anchor items (an upsert merges spaces, the payload is kept).</summary>
    public string AnchorItemsJson() => Serialize(new JsonObject
    {
        ["items"] = new JsonArray(Enumerable.Range(0, Anchors).Select(i => (JsonNode)new JsonObject
        {
            ["id"] = Id(i),
            ["vectors"] = new JsonObject { ["v2"] = Values(_new[i]) },
        }).ToArray()),
    });

    /// <summary>{"vectors":[…]} for the backfill of items [from, to).</summary>
    public string BackfillJson(int from, int to) => Serialize(new JsonObject
    {
        ["vectors"] = new JsonArray(Enumerable.Range(from, to - from).Select(i => (JsonNode)new JsonObject
        {
            ["id"] = Id(i),
            ["vector"] = Values(_new[i]),
        }).ToArray()),
    });

    /// <summary>
    /// {"queries":[…]}: for items past the anchors, a query near the item embedded by both models (each vector moved
    /// by a little noise), the item being the relevant one.
    /// </summary>
    public string EvaluationJson(int from = 200, int count = 40)
    {
        var random = new Random(from);
        float[] Near(float[] vector) => vector.Select(v => v + (0.3f * Gaussian(random))).ToArray();
        return Serialize(new JsonObject
        {
            ["queries"] = new JsonArray(Enumerable.Range(from, count).Select(i => (JsonNode)new JsonObject
            {
                ["newVector"] = Values(Near(_new[i])),
                ["oldVector"] = Values(Near(_old[i])),
                ["relevantIds"] = new JsonArray(Id(i)),
            }).ToArray()),
        });
    }

    private static JsonObject Values(float[] vector) => new() { ["values"] = new JsonArray(vector.Select(v => (JsonNode)v).ToArray()) };

    private static string Serialize(JsonNode node) => node.ToJsonString(new JsonSerializerOptions { WriteIndented = false });

    private static float Gaussian(Random random) =>
        (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));

    /// <summary>Gram–Schmidt on a Gaussian matrix: a random orthogonal matrix.</summary>
    private static float[,] RandomRotation(Random random)
    {
        var rows = new double[Dimension][];
        for (var i = 0; i < Dimension; i++)
        {
            var row = Enumerable.Range(0, Dimension).Select(_ => (double)Gaussian(random)).ToArray();
            for (var k = 0; k < i; k++)
            {
                var dot = row.Zip(rows[k], (a, b) => a * b).Sum();
                for (var j = 0; j < Dimension; j++)
                {
                    row[j] -= dot * rows[k][j];
                }
            }

            var norm = Math.Sqrt(row.Sum(x => x * x));
            rows[i] = row.Select(x => x / norm).ToArray();
        }

        var result = new float[Dimension, Dimension];
        for (var i = 0; i < Dimension; i++)
        {
            for (var j = 0; j < Dimension; j++)
            {
                result[i, j] = (float)rows[i][j];
            }
        }

        return result;
    }
}
