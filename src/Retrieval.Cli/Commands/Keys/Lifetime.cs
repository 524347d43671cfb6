using System.Globalization;

namespace Retrieval.Cli.Commands.Keys;

/// <summary>Durations on the command line: a number and a unit, <c>90d</c>, <c>12h</c>, <c>30m</c>, <c>45s</c>.</summary>
internal static class Lifetime
{
    public static TimeSpan Parse(string text, string option)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length >= 2 && long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount) && amount > 0)
        {
            switch (text[^1])
            {
                case 'd': return TimeSpan.FromDays(amount);
                case 'h': return TimeSpan.FromHours(amount);
                case 'm': return TimeSpan.FromMinutes(amount);
                case 's': return TimeSpan.FromSeconds(amount);
            }
        }

        throw new FormatException($"{option}: '{text}' is not a duration such as 90d, 12h, 30m or 45s");
    }
}
