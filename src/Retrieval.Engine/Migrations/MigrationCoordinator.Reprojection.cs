using Retrieval.Core.Errors;
using Retrieval.Core.Maps;
using Retrieval.Core.Migrations;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine.Maps;
using Retrieval.Engine.State;

namespace Retrieval.Engine.Migrations;

/// <summary>
/// Re-projection migrations (issue 18 item 3): a migration from the old space into the joint space of a two-sided pair,
/// planned with <c>settings.twoSidedMap</c>. It runs the ordinary phases with three differences, each called from one line
/// of the operation it changes: its fit pairs stored old vectors with their joint vectors (no anchors to supply) and takes
/// the pair's gallery side itself as the inverse map, so a vector derived at write time equals the backfilled one; its
/// backfill re-projects instead of re-encoding (<see cref="ReprojectionBackfillProducer"/>); and its cut-over activates the
/// pair's query side, so new-model queries move from the one-sided route to the joint space only once it is complete.
/// </summary>
internal sealed partial class MigrationCoordinator
{
    /// <summary>Most stored old vectors a re-projection's fit pairs with their joint vectors (forward map and calibration).</summary>
    public const int ReprojectionFitAnchors = 10_000;

    /// <summary>True for a re-projection migration once fitted: only those take a two-sided gallery map as their inverse.</summary>
    public static bool IsReprojection(MigrationRuntime migration) => migration.Inverse is { Kind: MapKind.TwoSided };

    /// <summary>
    /// The two-sided pair named by <c>settings.twoSidedMap</c> (either side's id), checked against the migration's spaces:
    /// its gallery side must map <paramref name="fromSpace"/> into <paramref name="toSpace"/>. Null for an ordinary migration.
    /// </summary>
    private static (RegisteredMap Query, RegisteredMap Gallery)? ReprojectionPair(CollectionState state, string fromSpace, string toSpace, string? encoder, MigrationParameters settings)
    {
        if (settings.TwoSidedMap is not { } id)
        {
            return null;
        }

        var field = FieldPath.Of("settings").Member("twoSidedMap");
        var collection = state.Definition.Name;
        if (!string.IsNullOrEmpty(encoder))
        {
            throw RetrievalException.Invalid(FieldPath.Of("encoder"), "a re-projection migration (settings.twoSidedMap) computes its vectors from the stored old ones; plan it without an encoder");
        }

        var named = state.Maps.Find(id) ?? throw RetrievalException.Invalid(field, $"map '{id}' not found in collection '{collection}'");
        if (named.Info.Report.TwoSided is not { } pair || named.Info.Kind != MapKind.TwoSided)
        {
            throw RetrievalException.Invalid(field, $"map '{id}' is a {named.Info.Kind} map; a re-projection needs a MAP_KIND_TWO_SIDED map (fit one with a joint space)");
        }

        var other = pair.PairedMapId is { } pairedId ? state.Maps.Find(pairedId) : null;
        if (other is null)
        {
            throw RetrievalException.Invalid(field, $"map '{id}' names its paired map '{pair.PairedMapId}', which is not in collection '{collection}'; fit the pair again");
        }

        var (query, gallery) = pair.Role == TwoSidedRole.Query ? (named, other) : (other, named);
        if (gallery.Info.FromSpace != fromSpace || gallery.Info.ToSpace != toSpace)
        {
            throw RetrievalException.Invalid(field,
                $"the pair of map '{id}' re-projects space '{gallery.Info.FromSpace}' into '{gallery.Info.ToSpace}', but this migration goes from '{fromSpace}' to '{toSpace}'");
        }

        return (query, gallery);
    }

    /// <summary>
    /// The fit anchors of a re-projection: a seeded sample (in id order) of up to <paramref name="maxAnchors"/> stored old
    /// vectors (0: <see cref="ReprojectionFitAnchors"/>), each paired with its vector in <paramref name="joint"/> through the gallery map, as the
    /// (new = joint, old) pairs the migration's forward map and calibration are fitted on. Caller holds a read lock.
    /// </summary>
    private static List<(float[] New, float[] Old)> ReprojectionAnchors(CollectionState state, string fromSpace, SpaceDefinition joint, CompatibilityMap gallery, int maxAnchors, int seed)
    {
        var stored = new List<(string Id, SpaceIndex Index, int Slot)>();
        foreach (var shard in state.Shards)
        {
            var index = shard.GetSpace(fromSpace);
            foreach (var slot in index.Slots())
            {
                stored.Add((shard.Items[slot]!.Id, index, slot));
            }
        }

        stored.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        var take = maxAnchors > 0 ? maxAnchors : ReprojectionFitAnchors;
        if (stored.Count > take)
        {
            // Partial Fisher–Yates, as the anchor sampler does: the same seed picks the same items after a restart.
            var random = new Random(seed);
            for (var i = 0; i < take; i++)
            {
                var j = random.Next(i, stored.Count);
                (stored[i], stored[j]) = (stored[j], stored[i]);
            }

            stored.RemoveRange(take, stored.Count - take);
            stored.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        }

        var normalize = joint.Metric == Metric.Cosine;
        return stored.ConvertAll(s =>
        {
            var old = s.Index.VectorOf(s.Slot).ToArray();
            return (SpaceProjection.Apply(gallery, old, joint.Dimension, normalize), old);
        });
    }

    /// <summary>The query side of a re-projection migration's pair, or null for an ordinary migration (or a pair since removed).</summary>
    internal static string? ReprojectionQueryMapId(CollectionState state, StoredMigration row)
    {
        var settings = MigrationParameters.Deserialize(row.Settings);
        if (settings.TwoSidedMap is not { } id || state.Maps.Find(id) is not { Info.Report.TwoSided: { } pair })
        {
            return null;
        }

        return pair.Role == TwoSidedRole.Query ? id : pair.PairedMapId;
    }

    /// <summary>
    /// After a re-projection's cut-over (every item holds its joint vector): activates the pair's query side, so new-model
    /// queries route into the joint space instead of through the one-sided map. Repeating the cut-over repeats this, which
    /// completes it after a crash between the two commits.
    /// </summary>
    private async Task ActivateReprojectionQueryMapAsync(CollectionState state, StoredMigration row, CancellationToken cancellationToken)
    {
        if (row.Phase == MigrationPhase.CutOver && ReprojectionQueryMapId(state, row) is { } id && state.Maps.Find(id) is { Info.State: not MapState.Active })
        {
            await _maps.ChangeStateAsync(state, id, MapState.Active, cancellationToken);
        }
    }

    /// <summary>After a re-projection's rollback: the query side stops routing into the joint space again (if cut-over had activated it).</summary>
    private async Task RetireReprojectionQueryMapAsync(CollectionState state, StoredMigration row, CancellationToken cancellationToken)
    {
        if (ReprojectionQueryMapId(state, row) is { } id && state.Maps.Find(id) is { Info.State: MapState.Active })
        {
            await _maps.ChangeStateAsync(state, id, MapState.Retired, cancellationToken);
        }
    }
}
