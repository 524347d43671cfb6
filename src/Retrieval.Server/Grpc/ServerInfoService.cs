using System.Reflection;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Retrieval.Contracts.V1;
using Retrieval.Encoders.Onnx.Runtime;
using Retrieval.Engine;
using Retrieval.Server.Hosting;

namespace Retrieval.Server.Grpc;

/// <summary>The server's version, store and execution provider, so that clients (the operator console among them) need no side channel.</summary>
[BindServiceMethod(typeof(GuardedServiceBinding.ForServerInformation), nameof(GuardedServiceBinding.ForServerInformation.BindService))]
internal sealed class ServerInfoService(RetrievalEngine engine, IOptions<RetrievalServerOptions> options, ExecutionProviderChoice provider) : ServerInformation.ServerInformationBase
{
    private static readonly string Version =
        typeof(ServerInfoService).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public override Task<ServerInfo> GetServerInfo(GetServerInfoRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerInfo
        {
            Version = Version,
            Store = options.Value.Store,
            Ready = engine.IsReady,
            ExecutionProvider = provider.Provider,
            ExecutionProviderReason = provider.Reason,
        });
}
