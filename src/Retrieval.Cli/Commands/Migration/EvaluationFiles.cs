using System.Globalization;
using Retrieval.Contracts.V1;
using Retrieval.Core.Formats;

namespace Retrieval.Cli.Commands.Migration;

/// <summary>Evaluation queries from .npy files: both models' query embeddings and the relevant item numbers per query.</summary>
internal static class EvaluationFiles
{
    /// <summary>
    /// Up to <paramref name="limit"/> queries; <paramref name="relevantPath"/> is an integer .npy of item numbers per query
    /// (−1 pads), turned into ids as <paramref name="idPrefix"/> + number (as at ingest).
    /// </summary>
    public static MapEvaluationSet Load(string newPath, string oldPath, string relevantPath, string idPrefix, int limit)
    {
        var newQueries = NpyFile.ReadMatrix(newPath);
        var oldQueries = NpyFile.ReadMatrix(oldPath);
        NpyArray relevant;
        using (var stream = File.OpenRead(relevantPath))
        {
            relevant = NpyFile.Read(stream);
        }

        if (newQueries.Rows != oldQueries.Rows || relevant.Rows != newQueries.Rows)
        {
            throw new FormatException($"query files disagree: {newQueries.Rows} new, {oldQueries.Rows} old, {relevant.Rows} relevant rows");
        }

        var columns = relevant.Columns;
        var ids = relevant.ToInt64Array();
        var set = new MapEvaluationSet();
        for (var q = 0; q < Math.Min(limit, newQueries.Rows); q++)
        {
            var query = new EvaluationQuery { NewVector = new Vector { Values = { newQueries.Row(q).ToArray() } }, OldVector = new Vector { Values = { oldQueries.Row(q).ToArray() } } };
            for (var c = 0; c < columns; c++)
            {
                if (ids[q * columns + c] is >= 0 and var id)
                {
                    query.RelevantIds.Add(idPrefix + id.ToString(CultureInfo.InvariantCulture));
                }
            }

            set.Queries.Add(query);
        }

        return set;
    }
}
