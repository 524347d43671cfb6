using System.Data.Common;
using Microsoft.Data.Sqlite;
using Retrieval.Core.Storage;

namespace Retrieval.Server.Grpc;

/// <summary>
/// Recognises a write that failed because the disk (or the quota) holding the data is full, whichever layer reported
/// it: SQLite's SQLITE_FULL, PostgreSQL's disk_full (SQLSTATE 53100), or an <see cref="IOException"/> from the file
/// system (ENOSPC/EDQUOT on Unix, ERROR_DISK_FULL/ERROR_HANDLE_DISK_FULL on Windows). Such a write was not committed
/// (SQLite and PostgreSQL roll the transaction back; files are written to a temporary name first), and a retry succeeds
/// once space is freed: RESOURCE_EXHAUSTED, not INTERNAL.
/// </summary>
internal static class StorageFullFailure
{
    /// <summary>What the client is told; the cause goes to the log.</summary>
    public const string Message = "storage: no space left on the disk holding the server's data; the write was not committed; free space on that disk, then retry";

    private const int SqliteFull = 13;
    private const string PostgresDiskFull = "53100";
    private const int UnixNoSpace = 28;
    private const int UnixQuotaExceeded = 122;
    private const int WindowsHandleDiskFull = unchecked((int)0x80070027);
    private const int WindowsDiskFull = unchecked((int)0x80070070);

    /// <summary>
    /// The disk-full failure in <paramref name="exception"/> or its inner exceptions, or null. Null too when the store
    /// says the write's outcome is unknown (PostgreSQL ends every session with PANIC when it cannot write its WAL, after
    /// which a commit may or may not have happened): that is not a write known to be refused, and the store-outage
    /// answer says so.
    /// </summary>
    public static Exception? Find(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is StoreUnavailableException { Outcome: StoreWriteOutcome.Unknown })
            {
                return null;
            }

            if (IsStorageFull(current))
            {
                return current;
            }

            if (current is AggregateException aggregate && aggregate.InnerExceptions.Select(Find).FirstOrDefault(e => e is not null) is { } inner)
            {
                return inner;
            }
        }

        return null;
    }

    private static bool IsStorageFull(Exception exception) => exception switch
    {
        SqliteException sqlite => sqlite.SqliteErrorCode == SqliteFull,
        DbException db => db.SqlState == PostgresDiskFull,
        IOException io => io.HResult is UnixNoSpace or UnixQuotaExceeded or WindowsDiskFull or WindowsHandleDiskFull,
        _ => false,
    };
}
