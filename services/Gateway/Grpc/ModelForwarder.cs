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

    public override Task<SearchModelVersionsResponse> SearchModelVersions(SearchModelVersionsRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, modelStore.SearchModelVersionsAsync);

    public override Task<ModelVersionComparison> CompareModelVersions(CompareModelVersionsRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, modelStore.CompareModelVersionsAsync);

    public override Task<ModelVersion> ResolveModel(ResolveModelRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, modelStore.ResolveModelAsync);

    public override Task<ModelVersion> UploadModelVersion(IAsyncStreamReader<UploadModelVersionRequest> requestStream, ServerCallContext context) =>
        BackendCall.ClientStreamingAsync(requestStream, context, options => modelStore.UploadModelVersion(options));

    public override Task<ModelVersion> SetModelVersionTags(SetModelVersionTagsRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, modelStore.SetModelVersionTagsAsync);

    public override Task<ModelVersion> SetModelVersionApproval(SetModelVersionApprovalRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, modelStore.SetModelVersionApprovalAsync);

    public override Task<ModelAlias> SetModelAlias(SetModelAliasRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, modelStore.SetModelAliasAsync);

    public override Task<DeleteModelAliasResponse> DeleteModelAlias(DeleteModelAliasRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, modelStore.DeleteModelAliasAsync);

    public override Task<ListModelAliasesResponse> ListModelAliases(ListModelAliasesRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, modelStore.ListModelAliasesAsync);

    public override Task<DeleteModelVersionResponse> DeleteModelVersion(DeleteModelVersionRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, modelStore.DeleteModelVersionAsync);

    public override Task<Model> SetRetentionPolicy(SetRetentionPolicyRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, modelStore.SetRetentionPolicyAsync);

    public override Task<ListVersionsTrainedOnResponse> ListVersionsTrainedOn(ListVersionsTrainedOnRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, modelStore.ListVersionsTrainedOnAsync);

    public override Task<ErasureRecord> EraseDataset(EraseDatasetRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, modelStore.EraseDatasetAsync);

    public override Task<ListErasureRecordsResponse> ListErasureRecords(ListErasureRecordsRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, modelStore.ListErasureRecordsAsync);

    public override Task<ModelCard> GetModelCard(GetModelCardRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, modelStore.GetModelCardAsync);

    public override Task<ModelCardFields> UpdateModelCard(UpdateModelCardRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, modelStore.UpdateModelCardAsync);
}
