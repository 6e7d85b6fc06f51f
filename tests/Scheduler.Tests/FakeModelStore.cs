using System.Collections.Concurrent;
using Grpc.Core;
using Platform.Datasets.V1;
using Platform.ServiceDefaults.Tenancy;

namespace Platform.Scheduler.Tests;

/// <summary>
/// The model store's DatasetService as the scheduler sees it: data sets per tenant, answered by overriding the
/// generated client (its methods are virtual for exactly this). Unknown ids, or another tenant's, are NotFound.
/// </summary>
public sealed class FakeModelStore : DatasetService.DatasetServiceClient
{
    private readonly ConcurrentDictionary<(string Tenant, string Id), Dataset> _datasets = new();

    /// <summary>The tenant header of every GetDataset call, in order.</summary>
    public ConcurrentQueue<string?> TenantsAsked { get; } = new();

    /// <summary>When set, every call waits for it before it answers (a lookup under way).</summary>
    public TaskCompletionSource? HoldAnswers { get; set; }

    /// <summary>When set, every call fails with this status (the store being down, for example).</summary>
    public StatusCode? FailWith { get; set; }

    /// <summary>Adds a CSV data set with the given columns (all numeric unless named in <paramref name="categorical"/>).</summary>
    public Dataset Add(string tenantId, string name, string[] columns, params string[] categorical)
    {
        var dataset = new Dataset
        {
            Id = Guid.NewGuid().ToString(),
            TenantId = tenantId,
            Name = name,
            Format = DatasetFormat.Csv,
            RowCount = 100,
            Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name + tenantId))),
        };
        dataset.Columns.Add(columns.Select(c => new Column
        {
            Name = c,
            Type = categorical.Contains(c) ? ColumnType.Categorical : ColumnType.Numeric,
        }));
        _datasets[(tenantId, dataset.Id)] = dataset;
        return dataset;
    }

    /// <summary>Makes the stored data set report other content (which a real store never does to a version: a corrupted or replaced blob).</summary>
    public void ChangeContent(string tenantId, string datasetId, string sha256) => _datasets[(tenantId, datasetId)].Sha256 = sha256;

    /// <summary>Forgets the data set (deleted).</summary>
    public void Remove(string tenantId, string datasetId) => _datasets.TryRemove((tenantId, datasetId), out _);

    /// <summary>A penguins-like data set: a categorical label "species" and numeric measurements.</summary>
    public Dataset AddPenguins(string tenantId = Tenant.Default) =>
        Add(tenantId, "penguins.csv", ["species", "island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"], "species", "island");

    public override AsyncUnaryCall<Dataset> GetDatasetAsync(GetDatasetRequest request, CallOptions options)
    {
        var tenant = options.Headers?.GetValue(Tenant.Header);
        TenantsAsked.Enqueue(tenant);
        return Reply(AnswerAsync(tenant, request.DatasetId, HoldAnswers?.Task));
    }

    private async Task<Dataset> AnswerAsync(string? tenant, string datasetId, Task? hold)
    {
        if (hold is not null) await hold;
        if (FailWith is { } status) throw new RpcException(new Status(status, "the fake store fails"));
        return _datasets.TryGetValue((tenant ?? Tenant.Default, datasetId), out var dataset)
            ? dataset.Clone()
            : throw new RpcException(new Status(StatusCode.NotFound, $"data set '{datasetId}' was not found"));
    }

    private static AsyncUnaryCall<Dataset> Reply(Task<Dataset> response) =>
        new(response, Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { });
}
