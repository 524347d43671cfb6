namespace Retrieval.Engine;

/// <summary>Values of <see cref="SearchHit.Path"/>.</summary>
public static class SearchPaths
{
    /// <summary>Scored on the item's vector in the query space.</summary>
    public const string Native = "native";

    /// <summary>Scored on the item's old-space vector through the migration's map, then calibrated.</summary>
    public const string Mapped = "mapped";
}
