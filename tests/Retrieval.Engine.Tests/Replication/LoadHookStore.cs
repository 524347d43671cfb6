using System.Reflection;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;

namespace Retrieval.Engine.Tests.Replication;

/// <summary>
/// A store that runs <see cref="AfterFirstList"/> once, right after its first collection list was read (the start-up
/// load's): another node's change committed in the middle of this node's load.
/// </summary>
public class LoadHookStore : DispatchProxy
{
    private IRetrievalStore _inner = null!;

    internal Func<Task>? AfterFirstList { get; set; }

    internal static IRetrievalStore Over(IRetrievalStore inner, Func<Task> afterFirstList)
    {
        var proxy = Create<IRetrievalStore, LoadHookStore>();
        var hook = (LoadHookStore)(object)proxy;
        hook._inner = inner;
        hook.AfterFirstList = afterFirstList;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name == nameof(ICatalogStore.ListCollectionsAsync) && AfterFirstList is { } hook)
        {
            AfterFirstList = null;
            return ListThenRunAsync(hook, (CancellationToken)args![0]!);
        }

        try
        {
            return targetMethod.Invoke(_inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }

    private async Task<IReadOnlyList<CollectionDefinition>> ListThenRunAsync(Func<Task> hook, CancellationToken cancellationToken)
    {
        var listed = await _inner.ListCollectionsAsync(cancellationToken);
        await hook();
        return listed;
    }
}
