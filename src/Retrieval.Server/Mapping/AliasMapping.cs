using Retrieval.Core.Errors;
using Retrieval.Engine;
using ProtoAlias = Retrieval.Contracts.V1.Alias;
using ProtoAliasAction = Retrieval.Contracts.V1.AliasAction;

namespace Retrieval.Server.Mapping;

/// <summary>Alias actions and aliases between the wire and the engine.</summary>
internal static class AliasMapping
{
    public static List<AliasAction> ToActions(IReadOnlyList<ProtoAliasAction> actions) =>
        [.. actions.Select((action, i) => action.ActionCase switch
        {
            ProtoAliasAction.ActionOneofCase.Create => new AliasAction(AliasActionKind.Create, action.Create.Alias, action.Create.Collection),
            ProtoAliasAction.ActionOneofCase.Delete => new AliasAction(AliasActionKind.Delete, action.Delete.Alias),
            ProtoAliasAction.ActionOneofCase.Switch => new AliasAction(AliasActionKind.Switch, action.Switch.Alias, action.Switch.Collection),
            _ => throw RetrievalException.Invalid(FieldPath.Of("actions").Index(i), "needs one of create, delete or switch"),
        })];

    public static ProtoAlias ToProto(AliasInfo alias) => new() { Name = alias.Alias, Collection = alias.Collection };
}
