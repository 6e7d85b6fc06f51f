using Grpc.Core;
using Platform.Sweeps.V1;

namespace Platform.Gateway.Grpc;

/// <summary>The public <see cref="SweepService"/>, served by the scheduler.</summary>
internal sealed class SweepForwarder(SweepService.SweepServiceClient scheduler) : SweepService.SweepServiceBase
{
    public override Task<Sweep> SubmitSweep(SubmitSweepRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, scheduler.SubmitSweepAsync);

    public override Task<Sweep> GetSweep(GetSweepRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, scheduler.GetSweepAsync);

    public override Task<ListSweepsResponse> ListSweeps(ListSweepsRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, scheduler.ListSweepsAsync);

    public override Task WatchSweep(WatchSweepRequest request, IServerStreamWriter<Sweep> responseStream, ServerCallContext context) =>
        BackendCall.ServerStreamingAsync(request, responseStream, context, scheduler.WatchSweep);

    public override Task<Sweep> CancelSweep(CancelSweepRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, scheduler.CancelSweepAsync);
}
