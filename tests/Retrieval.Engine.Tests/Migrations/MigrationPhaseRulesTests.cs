using Retrieval.Core.Migrations;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;
using Retrieval.Engine.Migrations;

namespace Retrieval.Engine.Tests.Migrations;

/// <summary>The phase rules the engine owns, and the store instructions it derives from them.</summary>
public sealed class MigrationPhaseRulesTests
{
    public static TheoryData<MigrationPhase> AllPhases() => new(Enum.GetValues<MigrationPhase>());

    [Theory]
    [MemberData(nameof(AllPhases))]
    public void IsOpen_EveryPhase_OnlyRetiredAndRolledBackAreClosed(MigrationPhase phase)
    {
        var closed = phase is MigrationPhase.Retired or MigrationPhase.RolledBack;

        Assert.Equal(!closed, MigrationPhaseRules.IsOpen(phase));
    }

    [Theory]
    [MemberData(nameof(AllPhases))]
    public void PhaseChange_EveryTargetPhase_ClearsDerivedItemsExactlyWhenItCloses(MigrationPhase target)
    {
        var before = Row(MigrationPhase.CutOver);

        var update = MigrationPhaseRules.PhaseChange(before with { Phase = target }, MigrationPhase.CutOver, "note", null, null);

        Assert.Equal(!MigrationPhaseRules.IsOpen(target), update.ClearDerivedItems);
        Assert.Equal(MigrationPhase.CutOver, update.ExpectedPhase);
        Assert.Equal(target, update.Migration.Phase);
        Assert.Equal("note", update.Note);
    }

    [Fact]
    public void PhaseChange_WithDefinition_CarriesDefinitionAndRemovedSpace()
    {
        var definition = new CollectionDefinition("c", [], "new", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);

        var update = MigrationPhaseRules.PhaseChange(Row(MigrationPhase.Retired), MigrationPhase.CutOver, "retired", definition, "old");

        Assert.Same(definition, update.Definition);
        Assert.Equal("old", update.RemovedSpace);
        Assert.True(update.ClearDerivedItems);
    }

    [Theory]
    [MemberData(nameof(AllPhases))]
    public void SearchesMixed_EveryPhase_ImpliesKeepsBothSpacesAndOpen(MigrationPhase phase)
    {
        if (MigrationPhaseRules.SearchesMixed(phase))
        {
            Assert.True(MigrationPhaseRules.KeepsBothSpaces(phase));
        }

        if (MigrationPhaseRules.KeepsBothSpaces(phase))
        {
            Assert.True(MigrationPhaseRules.IsOpen(phase));
        }
    }

    private static StoredMigration Row(MigrationPhase phase) => new(
        "m1", "c", "old", "new", null, phase, "{}", null, null, null, null, null, 0, 0, 0, null,
        DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, "test");
}
