using System.Globalization;
using System.Text;
using Retrieval.Core.Errors;

namespace Retrieval.Server.Grpc;

/// <summary>
/// Writes engine errors in the API's terms: a <see cref="FieldPath"/> in the proto JSON syntax of our requests
/// (<c>items[3].vectors.v1</c>, <c>searches[2].filter.must[0].key</c>), and the status message
/// <c>"&lt;path&gt;: &lt;reason&gt;"</c> that gRPC and REST callers read. The only place that knows the wire syntax of a
/// field path.
/// </summary>
internal static class FieldPathRenderer
{
    /// <summary>
    /// <paramref name="path"/> as callers name the field: members and map keys after a dot (none before the first),
    /// list indexes in brackets. The root renders empty.
    /// </summary>
    public static string Render(FieldPath path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var text = new StringBuilder();
        foreach (var segment in path.Segments)
        {
            switch (segment)
            {
                case MemberSegment member:
                    AppendName(text, member.Name);
                    break;
                case KeySegment key:
                    // Proto JSON writes a map as an object, so an entry reads like a member named by its key.
                    AppendName(text, key.Key);
                    break;
                case IndexSegment index:
                    text.Append('[').Append(index.Index.ToString(CultureInfo.InvariantCulture)).Append(']');
                    break;
                default:
                    throw new InvalidOperationException($"no wire syntax for the field path segment {segment}");
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// The status message for <paramref name="error"/>: <c>"&lt;path&gt;: &lt;reason&gt;"</c> when it names a field,
    /// else its reason alone.
    /// </summary>
    public static string MessageOf(RetrievalException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.Path is { IsRoot: false } path ? $"{Render(path)}: {error.Reason}" : error.Reason;
    }

    private static void AppendName(StringBuilder text, string name)
    {
        if (text.Length > 0)
        {
            text.Append('.');
        }

        text.Append(name);
    }
}
