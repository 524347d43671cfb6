namespace Retrieval.Core.Maps;

/// <summary>Registry lifecycle of a map: fitted as a draft, activated (routes queries), retired.</summary>
public enum MapState
{
    /// <summary>Fitted and stored; routes nothing until activated.</summary>
    Draft = 1,

    /// <summary>Routes queries; at most one per (collection, from space, to space).</summary>
    Active = 2,

    /// <summary>No longer routes queries; kept for its report and for re-activation (rollback).</summary>
    Retired = 3,
}
