using Retrieval.Server.Hosting;
using Serilog;

// Two-stage bootstrap: this logger reports failures that happen before the host's own logger exists.
Log.Logger = new LoggerConfiguration().WriteTo.Console(formatProvider: System.Globalization.CultureInfo.InvariantCulture).CreateBootstrapLogger();
try
{
    await ServerExtensions.BuildRetrievalServer(args).RunAsync();
    return Environment.ExitCode;
}
catch (Exception e) when (e is not OperationCanceledException)
{
    Log.Fatal(e, "Retrieval server terminated unexpectedly");
    return 1;
}
finally
{
    await Log.CloseAndFlushAsync();
}
