using Npgsql;
using NpgsqlTypes;
using Retrieval.Core.Model;
using Retrieval.Core.Storage;

namespace Retrieval.Storage.Postgres;

/// <summary>The bulk half of the write path: binary COPY of a large batch into transaction-scoped temp tables.</summary>
public sealed partial class PostgresRetrievalStore
{
    private static async Task StageUpsertsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<ItemWrite> upserts, CancellationToken cancellationToken)
    {
        await using (var create = new NpgsqlCommand(CreateStagingSql, connection, transaction))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var items = await connection.BeginBinaryImportAsync(
            "COPY write_items (id, payload) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var write in upserts)
            {
                await items.StartRowAsync(cancellationToken);
                await items.WriteAsync(write.Id, NpgsqlDbType.Text, cancellationToken);
                if (write.PayloadJson is null)
                {
                    await items.WriteNullAsync(cancellationToken);
                }
                else
                {
                    await items.WriteAsync(write.PayloadJson, NpgsqlDbType.Text, cancellationToken);
                }
            }

            await items.CompleteAsync(cancellationToken);
        }

        await using (var vectors = await connection.BeginBinaryImportAsync(
            "COPY write_vectors (item_id, space, data) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var write in upserts)
            {
                foreach (var (space, vector) in write.Vectors)
                {
                    await vectors.StartRowAsync(cancellationToken);
                    await vectors.WriteAsync(write.Id, NpgsqlDbType.Text, cancellationToken);
                    await vectors.WriteAsync(space, NpgsqlDbType.Text, cancellationToken);
                    await vectors.WriteAsync(VectorBytes.Encode(vector), NpgsqlDbType.Bytea, cancellationToken);
                }
            }

            await vectors.CompleteAsync(cancellationToken);
        }
    }
}
