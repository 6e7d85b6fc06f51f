using Grpc.Core;
using Platform.Models.V1;

namespace Platform.Gateway.Grpc;

/// <summary>The public <see cref="ModelService"/>, served by the model store.</summary>
internal sealed class ModelForwarder(ModelService.ModelServiceClient modelStore) : ModelService.ModelServiceBase
{
    public override Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, modelStore.ListModelsAsync);

    public override Task<ListModelVersionsResponse> ListModelVersions(ListModelVersionsRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, modelStore.ListModelVersionsAsync);

    public override Task<ModelVersion> GetModelVersion(GetModelVersionRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, modelStore.GetModelVersionAsync);

    public override Task DownloadModelVersion(DownloadModelVersionRequest request, IServerStreamWriter<ArtifactChunk> responseStream, ServerCallContext context) =>
        BackendCall.ServerStreamingAsync(request, responseStream, context, modelStore.DownloadModelVersion);
}
