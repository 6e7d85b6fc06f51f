using System.Globalization;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Platform.Authentication;
using Platform.Serving.Logging;
using Platform.Serving.Models;
using Platform.Serving.Monitoring;
using Platform.Serving.V1;
using Platform.ServiceDefaults.Errors;

namespace Platform.Serving.Grpc;

/// <summary>
/// The public <see cref="PredictionService"/>. The caller's tenant comes from its credential (<see cref="Caller"/>), so a
/// reference only ever finds the tenant's own models. Failures are the platform's exceptions (the interceptor maps
/// them): InvalidArgument naming the row and column, NotFound naming the model, DataLoss for a corrupt artifact,
/// ResourceExhausted naming <c>Serving:MaxRowsPerRequest</c>.
/// </summary>
internal sealed class PredictionGrpcService(
    ServedModels models, PredictionLog log, ModelMonitor monitor, IOptions<ServingOptions> options, TimeProvider time)
    : PredictionService.PredictionServiceBase
{
    /// <summary>The most feature contributions a row may ask for.</summary>
    public const int MaxTopContributions = 20;

    public override Task<PredictResponse> Predict(PredictRequest request, ServerCallContext context) =>
        PredictAsync(Caller.Of(context).Tenant, request, context.CancellationToken).AsTask();

    public override async Task PredictStream(IAsyncStreamReader<PredictRequest> requestStream, IServerStreamWriter<PredictResponse> responseStream, ServerCallContext context)
    {
        var tenant = Caller.Of(context).Tenant;
        await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
            await responseStream.WriteAsync(await PredictAsync(tenant, request, context.CancellationToken), context.CancellationToken);
    }

    public override Task<ReportOutcomeResponse> ReportOutcome(ReportOutcomeRequest request, ServerCallContext context)
    {
        var outcome = Outcomes.Check(Caller.Of(context).Tenant, request.RequestId, request.Row, request.Label,
            request.HasValue ? request.Value : null, "grpc", time);
        log.OutcomeReported(outcome);
        return Task.FromResult(new ReportOutcomeResponse());
    }

    public override Task<ModelMonitoring> GetModelMonitoring(GetModelMonitoringRequest request, ServerCallContext context) =>
        monitor.GetAsync(Caller.Of(context).Tenant, request, context.CancellationToken);

    private async ValueTask<PredictResponse> PredictAsync(string tenant, PredictRequest request, CancellationToken cancellationToken)
    {
        var limit = options.Value.MaxRowsPerRequest;
        if (request.Rows.Count > limit)
            throw new ResourceExhaustedException($"{ServingOptions.Section}:MaxRowsPerRequest",
                string.Create(CultureInfo.InvariantCulture, $"rows: {request.Rows.Count} rows in one request; at most {limit} (split the rows over several requests)"));
        if (request.TopContributions is < 0 or > MaxTopContributions)
            throw new InvalidArgumentException("top_contributions", string.Create(CultureInfo.InvariantCulture, $"must be 0 to {MaxTopContributions}"));
        var requestId = request.RequestId;
        if (requestId.Length > 0) Outcomes.CheckRequestId(requestId, "request_id");
        else requestId = Guid.CreateVersion7(time.GetUtcNow()).ToString();

        var served = await models.GetAsync(tenant, request.Model, cancellationToken);
        if (request.TopContributions > 0 && !served.Model.Explains)
            throw new FailedPreconditionException(
                $"top_contributions: model {served.Identity} cannot explain its predictions (ML.NET computes feature contributions for " +
                "linear models, GAMs and tree ensembles, binary and regression; not for multiclass or clustering models)");
        var input = served.Model.Inputs.Parse(request.Rows);
        var response = new PredictResponse { RequestId = requestId };
        served.Predict(input, request.TopContributions, response);
        log.Predicted(tenant, request.Model, request, response, served);
        return response;
    }
}
