namespace Retrieval.Core.MultiVector;

/// <summary>Whether pruned centroids are rescaled to unit L2 norm.</summary>
public enum CentroidNormalization
{
    /// <summary>
    /// Normalize exactly when every source token of the item has unit norm (within 1e-3): normalized models (ColBERT,
    /// the fastText tables here) keep scoring on the unit sphere, where a mean of unit vectors would otherwise shrink
    /// (‖mean‖ &lt; 1) and lose to unpruned items; unnormalized tokens carry meaning in their norm and are left as means.
    /// </summary>
    Auto,

    /// <summary>Always normalize (a zero centroid is left as is).</summary>
    Always,

    /// <summary>Keep the plain means.</summary>
    Never,
}
