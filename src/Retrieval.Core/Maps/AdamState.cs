namespace Retrieval.Core.Maps;

/// <summary>
/// One parameter tensor trained with AdamW (Loshchilov &amp; Hutter): <c>m ← β₁m + (1−β₁)g</c>, <c>v ← β₂v + (1−β₂)g²</c>,
/// <c>p ← p − η·(m̂/(√v̂ + ε) + λ_wd·(p − p₀))</c> with bias-corrected <c>m̂, v̂</c>; the decay pulls toward the start <c>p₀</c>.
/// </summary>
internal sealed class AdamState
{
    private const float Beta1 = 0.9f;
    private const float Beta2 = 0.999f;
    private const float Epsilon = 1e-8f;

    private readonly float[] _m;
    private readonly float[] _v;
    private readonly float[] _anchor;

    public AdamState(float[] values, bool decayTowardStart)
    {
        Values = values;
        Gradient = new float[values.Length];
        _m = new float[values.Length];
        _v = new float[values.Length];
        _anchor = decayTowardStart ? (float[])values.Clone() : new float[values.Length];
    }

    public float[] Values { get; }

    public float[] Gradient { get; }

    public void Step(int t, float learningRate, float weightDecay)
    {
        var correction1 = 1 - MathF.Pow(Beta1, t);
        var correction2 = 1 - MathF.Pow(Beta2, t);
        for (var i = 0; i < Values.Length; i++)
        {
            var g = Gradient[i];
            _m[i] = (Beta1 * _m[i]) + ((1 - Beta1) * g);
            _v[i] = (Beta2 * _v[i]) + ((1 - Beta2) * g * g);
            var update = (_m[i] / correction1) / (MathF.Sqrt(_v[i] / correction2) + Epsilon);
            Values[i] -= learningRate * (update + (weightDecay * (Values[i] - _anchor[i])));
        }

        Array.Clear(Gradient);
    }

    /// <summary>Copies the current values (for keeping the best epoch).</summary>
    public void Snapshot(float[] destination) => Values.CopyTo(destination, 0);

    public void Restore(float[] source) => source.CopyTo(Values, 0);
}
