namespace Retrieval.Engine.Migrations;

/// <summary>
/// A linear calibration of mapped scores (a mapped new query against old vectors) to native scores (the same query
/// against new vectors): <c>native ≈ Scale · mapped + Offset</c>. Mixed search ranks mapped hits by the calibrated score
/// so they interleave with native hits on one scale.
/// </summary>
/// <param name="Scale">Slope of the fit.</param>
/// <param name="Offset">Intercept of the fit.</param>
/// <param name="Pairs">(query, item) pairs it was fitted on.</param>
/// <param name="Correlation">Pearson correlation of mapped and native scores over those pairs.</param>
public sealed record ScoreCalibration(double Scale, double Offset, int Pairs, double Correlation)
{
    /// <summary>The identity calibration: used when there were too few anchors to fit one.</summary>
    public static ScoreCalibration Identity { get; } = new(1, 0, 0, double.NaN);

    public float Apply(float mapped) => (float)(Scale * mapped + Offset);
}
