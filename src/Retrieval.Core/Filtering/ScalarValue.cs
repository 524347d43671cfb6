namespace Retrieval.Core.Filtering;

/// <summary>A JSON scalar a filter compares payload fields with: a string, a number or a boolean.</summary>
public readonly record struct ScalarValue(ScalarKind Kind, string? Text, double Number, bool Boolean)
{
    public static ScalarValue Of(string text) => new(ScalarKind.Text, text, 0, false);

    public static ScalarValue Of(double number) => new(ScalarKind.Number, null, number, false);

    public static ScalarValue Of(bool boolean) => new(ScalarKind.Flag, null, 0, boolean);
}

public enum ScalarKind
{
    Text,
    Number,
    Flag,
}
