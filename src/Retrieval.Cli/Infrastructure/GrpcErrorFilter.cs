using Grpc.Core;
using Spectre.Console;

namespace Retrieval.Cli.Infrastructure;

/// <summary>Prints server errors as one readable line and turns them into exit codes.</summary>
internal static class GrpcErrorFilter
{
    public static int Report(Exception exception)
    {
        switch (exception)
        {
            case RpcException rpc:
                AnsiConsole.MarkupLineInterpolated($"[red]error[/] {rpc.StatusCode}: {rpc.Status.Detail}");
                return rpc.StatusCode == StatusCode.Unavailable ? 3 : 1;
            case FormatException or InvalidDataException or FileNotFoundException or ArgumentException:
                AnsiConsole.MarkupLineInterpolated($"[red]error[/] {exception.Message}");
                return 2;
            default:
                AnsiConsole.WriteException(exception, ExceptionFormats.ShortenEverything);
                return 1;
        }
    }
}
