namespace Retrieval.Engine.Migrations;

/// <summary>One client-supplied new-space vector for an existing item.</summary>
public sealed record BackfillVector(string Id, float[] Vector);

/// <summary>What a backfill batch did: items given a native vector, ids skipped (deleted since), the commit sequence.</summary>
public sealed record BackfillResult(int Accepted, int Skipped, long Sequence, MigrationInfo Migration);
