namespace Retrieval.Engine.Migrations;

/// <summary>What <c>plan</c> creates: a migration of <see cref="FromSpace"/> (null: the default space) to <see cref="ToSpace"/>.</summary>
public sealed record MigrationPlan(string? Id, string? FromSpace, string ToSpace, string? Encoder, MigrationParameters Settings);
