using System.ComponentModel;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Infrastructure;

/// <summary>Options shared by every command that talks to a server.</summary>
internal class ServerSettings : CommandSettings
{
    [CommandOption("--server <URL>")]
    [Description("gRPC address of the server (default: $RETRIEVAL_SERVER or http://127.0.0.1:7701)")]
    public string? Server { get; init; }

    public string ResolveServer() =>
        Server ?? Environment.GetEnvironmentVariable("RETRIEVAL_SERVER") ?? "http://127.0.0.1:7701";
}
