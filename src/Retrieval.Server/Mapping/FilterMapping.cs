using Google.Protobuf.WellKnownTypes;
using Retrieval.Core.Errors;
using Retrieval.Core.Filtering;
using ProtoCondition = Retrieval.Contracts.V1.Condition;
using ProtoFilter = Retrieval.Contracts.V1.Filter;

namespace Retrieval.Server.Mapping;

/// <summary>Validates a wire filter and turns it into the engine's <see cref="PayloadFilter"/>.</summary>
internal static class FilterMapping
{
    private const int MaxConditions = 256;
    private const int MaxAnyValues = 1024;

    public static PayloadFilter? ToFilter(ProtoFilter? filter, FieldPath field)
    {
        if (filter is null)
        {
            return null;
        }

        if (filter.Must.Count + filter.MustNot.Count + filter.Should.Count > MaxConditions)
        {
            throw RetrievalException.Invalid(field, $"a filter holds at most {MaxConditions} conditions");
        }

        return new PayloadFilter(
            Conditions(filter.Must, field.Member("must")),
            Conditions(filter.MustNot, field.Member("mustNot")),
            Conditions(filter.Should, field.Member("should")));
    }

    private static List<FilterCondition> Conditions(IReadOnlyList<ProtoCondition> conditions, FieldPath field) =>
        conditions.Select((c, i) => ToCondition(c, field.Index(i))).ToList();

    private static FilterCondition ToCondition(ProtoCondition condition, FieldPath field)
    {
        if (string.IsNullOrWhiteSpace(condition.Key))
        {
            throw RetrievalException.Invalid(field.Member("key"), "is required");
        }

        var path = condition.Key.Split('.');
        if (path.Any(string.IsNullOrEmpty))
        {
            throw RetrievalException.Invalid(field.Member("key"), $"'{condition.Key}' has an empty path segment");
        }

        if ((condition.Match is null) == (condition.Range is null))
        {
            throw RetrievalException.Invalid(field, "exactly one of match or range is required");
        }

        if (condition.Range is { } range)
        {
            double? gt = range.HasGt ? range.Gt : null, gte = range.HasGte ? range.Gte : null;
            double? lt = range.HasLt ? range.Lt : null, lte = range.HasLte ? range.Lte : null;
            if (gt is null && gte is null && lt is null && lte is null)
            {
                throw RetrievalException.Invalid(field.Member("range"), "needs at least one of gt, gte, lt, lte");
            }

            if (new[] { gt, gte, lt, lte }.Any(b => b is { } v && !double.IsFinite(v)))
            {
                throw RetrievalException.Invalid(field.Member("range"), "bounds must be finite numbers");
            }

            return new FilterCondition(condition.Key, path, null, new RangeCondition(gt, gte, lt, lte));
        }

        var match = condition.Match!;
        if ((match.Value is null) == (match.Any is null))
        {
            throw RetrievalException.Invalid(field.Member("match"), "exactly one of value or any is required");
        }

        if (match.Value is { } value)
        {
            return new FilterCondition(condition.Key, path, new MatchCondition([ToScalar(value, field.Member("match").Member("value"))]), null);
        }

        var any = match.Any!;
        if (any.Values.Count is 0 or > MaxAnyValues)
        {
            throw RetrievalException.Invalid(field.Member("match").Member("any"), $"must hold between 1 and {MaxAnyValues} values");
        }

        var values = any.Values.Select((v, i) => ToScalar(v, field.Member("match").Member("any").Index(i))).ToList();
        return new FilterCondition(condition.Key, path, new MatchCondition(values), null);
    }

    private static ScalarValue ToScalar(Value value, FieldPath field) => value.KindCase switch
    {
        Value.KindOneofCase.StringValue => ScalarValue.Of(value.StringValue),
        Value.KindOneofCase.NumberValue when double.IsFinite(value.NumberValue) => ScalarValue.Of(value.NumberValue),
        Value.KindOneofCase.BoolValue => ScalarValue.Of(value.BoolValue),
        _ => throw RetrievalException.Invalid(field, "must be a string, a finite number or a boolean"),
    };
}
