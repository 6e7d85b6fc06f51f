using Grpc.Core;
using Platform.ModelStore.Maintenance;
using Platform.Registry.V1;

namespace Platform.ModelStore.Grpc;

/// <summary>The internal <c>RegistryMaintenance</c> service: one maintenance pass on demand, across every tenant.</summary>
public sealed class RegistryMaintenanceGrpcService(StoreMaintenance maintenance) : RegistryMaintenance.RegistryMaintenanceBase
{
    /// <inheritdoc />
    public override async Task<MaintenanceReport> RunMaintenance(RunMaintenanceRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var result = await maintenance.RunAsync(context.CancellationToken);
        return result.ToProto();
    }
}
