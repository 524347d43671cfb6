using System.ComponentModel;
using Spectre.Console.Cli;

namespace Retrieval.Cli.Infrastructure;

/// <summary>Options shared by every command that talks to a server: where it is, how to authenticate, which TLS to trust.</summary>
internal class ServerSettings : CommandSettings
{
    [CommandOption("--server <URL>")]
    [Description("gRPC address of the server (default: $RETRIEVAL_SERVER or http://127.0.0.1:7701); https:// for TLS")]
    public string? Server { get; init; }

    [CommandOption("--api-key <KEY>")]
    [Description("API key sent as authorization: Bearer (default: $RETRIEVAL_API_KEY)")]
    public string? ApiKey { get; init; }

    [CommandOption("--ca <PEM>")]
    [Description("trust only this CA (PEM file) for the server's TLS certificate, instead of the system's trust store")]
    public string? Ca { get; init; }

    [CommandOption("--cert <PEM>")]
    [Description("client certificate (PEM file) for mutual TLS; needs --key")]
    public string? Cert { get; init; }

    [CommandOption("--key <PEM>")]
    [Description("private key (PEM file) of --cert")]
    public string? Key { get; init; }

    public string ResolveServer() =>
        Server ?? Environment.GetEnvironmentVariable("RETRIEVAL_SERVER") ?? "http://127.0.0.1:7701";

    public string? ResolveApiKey() =>
        ApiKey ?? (Environment.GetEnvironmentVariable("RETRIEVAL_API_KEY") is { Length: > 0 } key ? key : null);

    public override Spectre.Console.ValidationResult Validate() =>
        (Cert is null) != (Key is null)
            ? Spectre.Console.ValidationResult.Error("--cert and --key go together")
            : base.Validate();
}
