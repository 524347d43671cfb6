namespace Retrieval.Engine.State;

/// <summary>Runs code under a collection's reader/writer lock.</summary>
internal static class Locked
{
    public static T Read<T>(CollectionState state, Func<CollectionState, T> read)
    {
        state.Lock.EnterReadLock();
        try
        {
            return read(state);
        }
        finally
        {
            state.Lock.ExitReadLock();
        }
    }

    public static T Write<T>(CollectionState state, Func<CollectionState, T> write)
    {
        state.Lock.EnterWriteLock();
        try
        {
            return write(state);
        }
        finally
        {
            state.Lock.ExitWriteLock();
        }
    }

    public static void Write(CollectionState state, Action<CollectionState> write) =>
        Write(state, s =>
        {
            write(s);
            return true;
        });
}
