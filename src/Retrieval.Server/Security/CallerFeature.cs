namespace Retrieval.Server.Security;

/// <summary>The authenticated caller and the rule of the endpoint it called, set on the request by <see cref="CallerAuthenticationMiddleware"/>.</summary>
internal sealed class CallerFeature(CallerIdentity caller, AccessRequirement requirement)
{
    public CallerIdentity Caller { get; } = caller;

    public AccessRequirement Requirement { get; } = requirement;
}
