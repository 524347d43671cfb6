using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Retrieval.Cli.Commands.Migration;

/// <summary>"done/total items" of a progress task.</summary>
internal sealed class ItemCountColumn : ProgressColumn
{
    public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
        new Text(string.Create(CultureInfo.InvariantCulture, $"{task.Value:N0}/{task.MaxValue:N0} items"));
}

/// <summary>The task's current rate in items per second.</summary>
internal sealed class ItemRateColumn : ProgressColumn
{
    public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
        new Text(task.Speed is { } speed ? string.Create(CultureInfo.InvariantCulture, $"{speed:N0} items/s") : "– items/s");
}
