using Grpc.Core;
using Platform.Datasets.V1;

namespace Platform.Gateway.Grpc;

/// <summary>The public <see cref="DatasetService"/>, served by the model store.</summary>
internal sealed class DatasetForwarder(DatasetService.DatasetServiceClient modelStore) : DatasetService.DatasetServiceBase
{
    public override Task<Dataset> UploadDataset(IAsyncStreamReader<UploadDatasetRequest> requestStream, ServerCallContext context) =>
        BackendCall.ClientStreamingAsync(requestStream, context, options => modelStore.UploadDataset(options));

    public override Task<Dataset> GetDataset(GetDatasetRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, modelStore.GetDatasetAsync);

    public override Task<ListDatasetsResponse> ListDatasets(ListDatasetsRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, modelStore.ListDatasetsAsync);

    public override Task<DatasetProfile> GetDatasetProfile(GetDatasetProfileRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, modelStore.GetDatasetProfileAsync);

    public override Task<Dataset> UpdateSensitiveColumns(UpdateSensitiveColumnsRequest request, ServerCallContext context) =>
        BackendCall.UnaryAsync(request, context, modelStore.UpdateSensitiveColumnsAsync);

    public override Task DownloadDataset(DownloadDatasetRequest request, IServerStreamWriter<DataChunk> responseStream, ServerCallContext context) =>
        BackendCall.ServerStreamingAsync(request, responseStream, context, modelStore.DownloadDataset);
}
