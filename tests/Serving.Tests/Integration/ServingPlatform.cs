using Google.Protobuf;
using Grpc.Net.Client;
using Platform.Models.V1;
using Platform.Registry.V1;
using Platform.ServiceDefaults.Tenancy;
using Platform.Testing;
using Platform.Training;

namespace Platform.Serving.Tests.Integration;

/// <summary>
/// The serving service as it runs in a cluster: model store, gateway and serving, each its own process, on real
/// PostgreSQL (a database per service) and RabbitMQ (a fresh virtual host), authentication on. Two versions of
/// <c>penguins</c> are registered as a worker registers them (LightGBM, then a smaller LightGBM that answers
/// differently), and API keys are made the way an operator makes them (<c>keys create</c>).
/// </summary>
public sealed class ServingPlatform : IAsyncLifetime
{
    /// <summary>The model the tests serve.</summary>
    public const string Model = "penguins";

    /// <summary>The row limit the serving service runs with here (the default is 10,000).</summary>
    public const int MaxRows = 50;

    private readonly PlatformServers _servers = new();
    private readonly List<ServiceProcess> _processes = [];
    private readonly string _blobRoot = Path.Combine(Path.GetTempPath(), "platform-serving-" + Guid.NewGuid().ToString("N"));

    /// <summary>Tenant <c>default</c>, every scope.</summary>
    public string AdminKey { get; private set; } = null!;
    /// <summary>Tenant <c>default</c>, <c>models:predict</c> only: what an application that predicts holds.</summary>
    public string PredictKey { get; private set; } = null!;
    /// <summary>Tenant <c>default</c>, <c>models:read</c> only: may not predict.</summary>
    public string ReadKey { get; private set; } = null!;
    /// <summary>Tenant <c>acme</c>, <c>models:predict</c>: must not see tenant <c>default</c>'s models.</summary>
    public string OtherTenantKey { get; private set; } = null!;

    public Uri ServingAddress { get; private set; } = null!;
    public Uri GatewayAddress { get; private set; } = null!;
    /// <summary>The serving service's database (the prediction log).</summary>
    public string ServingDatabase { get; private set; } = null!;

    /// <summary>The penguins sample uploaded as a data set: the versions' training data, whose profile monitoring compares with.</summary>
    public string PenguinsDatasetId { get; private set; } = null!;

    private Uri _storeAddress = null!;

    /// <summary>Version 1 (LightGBM) and version 2 (LightGBM, 3 trees) of <see cref="Model"/>.</summary>
    public ModelVersion Version1 { get; private set; } = null!;
    public ModelVersion Version2 { get; private set; } = null!;

    public GrpcChannel Serving(string key) => PublicCaller.Channel(ServingAddress, key);

    public GrpcChannel Gateway(string key) => PublicCaller.Channel(GatewayAddress, key);

    /// <summary>Everything the services printed, for a failing assertion's message.</summary>
    public string Logs() => string.Join("\n", _processes.Select(p => $"--- {p.Name} ---\n{p.Output}"));

    public async Task InitializeAsync()
    {
        await _servers.InitializeAsync();
        var storeDb = await _servers.CreateDatabaseAsync("serving_store");
        var gatewayDb = await _servers.CreateDatabaseAsync("serving_gateway");
        ServingDatabase = await _servers.CreateDatabaseAsync("serving_log");
        var rabbit = await _servers.CreateVirtualHostAsync("serving");
        var common = new Dictionary<string, string>
        {
            ["Database__Provider"] = "Postgres",
            ["Messaging__Transport"] = "RabbitMq",
            ["ConnectionStrings__RabbitMq"] = rabbit,
            [InternalCaller.EnvironmentSetting.Key] = InternalCaller.EnvironmentSetting.Value,
        };
        var storeEnv = new Dictionary<string, string>(common) { ["ConnectionStrings__ModelStore"] = storeDb, ["BlobStore__Root"] = _blobRoot };
        var gatewayEnv = new Dictionary<string, string>
        {
            ["Database__Provider"] = "Postgres",
            ["ConnectionStrings__Gateway"] = gatewayDb,
            [InternalCaller.EnvironmentSetting.Key] = InternalCaller.EnvironmentSetting.Value,
        };
        var servingEnv = new Dictionary<string, string>(common)
        {
            ["ConnectionStrings__Serving"] = ServingDatabase,
            ["Serving__MaxRowsPerRequest"] = MaxRows.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // No periodic check of the references: an alias move must reach the service through the registry's event.
            ["Serving__ReferenceRefreshSeconds"] = "0",
            // The drift check every second, so a drift event follows a shifted stream within the test's patience.
            ["Serving__Monitoring__CheckIntervalSeconds"] = "1",
        };
        await ServiceProcess.RunToCompletionAsync("ModelStore", "migrate", storeEnv);
        await ServiceProcess.RunToCompletionAsync("Gateway", "migrate", gatewayEnv);
        await ServiceProcess.RunToCompletionAsync("Serving", "migrate", servingEnv);
        AdminKey = await KeyAsync(gatewayEnv, "default", "admin", Authentication.Scopes.All.ToArray());
        PredictKey = await KeyAsync(gatewayEnv, "default", "app", Authentication.Scopes.ModelsPredict);
        ReadKey = await KeyAsync(gatewayEnv, "default", "reader", Authentication.Scopes.ModelsRead);
        OtherTenantKey = await KeyAsync(gatewayEnv, "acme", "acme-app", Authentication.Scopes.ModelsPredict);

        var store = await Start("ModelStore", storeEnv);
        var gateway = await Start("Gateway", new Dictionary<string, string>(gatewayEnv)
        {
            // No scheduler here: the gateway only needs an address for its client.
            ["Services__Scheduler"] = store.GrpcAddress.ToString(),
            ["Services__ModelStore"] = store.GrpcAddress.ToString(),
            ["Services__ModelStoreTransfers"] = store.TransfersAddress.ToString(),
        });
        GatewayAddress = gateway.GrpcAddress;
        var serving = await Start("Serving", new Dictionary<string, string>(servingEnv)
        {
            ["Services__ModelStore"] = store.GrpcAddress.ToString(),
            ["Services__Gateway"] = gateway.GrpcAddress.ToString(),
        });
        ServingAddress = serving.GrpcAddress;

        _storeAddress = store.GrpcAddress;
        PenguinsDatasetId = await UploadAsync(TrainedModels.Penguins.Path);
        Version1 = await RegisterAsync(await TrainedModels.PenguinsLightGbm);
        Version2 = await RegisterAsync(await TrainedModels.PenguinsLightGbmSmall);
    }

    /// <summary>Registers another version of <see cref="Model"/>, trained on <see cref="PenguinsDatasetId"/>, as a worker would.</summary>
    public async Task<ModelVersion> RegisterAsync(TrainedModel trained)
    {
        using var registry = InternalCaller.Channel(_storeAddress);
        return await RegisterAsync(registry, trained, PenguinsDatasetId);
    }

    private async Task<string> UploadAsync(string path)
    {
        using var channel = Gateway(AdminKey);
        using var call = new Platform.Datasets.V1.DatasetService.DatasetServiceClient(channel).UploadDataset();
        await call.RequestStream.WriteAsync(new Platform.Datasets.V1.UploadDatasetRequest
        {
            Header = new Platform.Datasets.V1.UploadDatasetHeader { Name = Path.GetFileName(path), Format = Platform.Datasets.V1.DatasetFormat.Csv },
        });
        await call.RequestStream.WriteAsync(new Platform.Datasets.V1.UploadDatasetRequest { Chunk = ByteString.CopyFrom(await File.ReadAllBytesAsync(path)) });
        await call.RequestStream.CompleteAsync();
        return (await call.ResponseAsync).Id;
    }

    public async Task DisposeAsync()
    {
        foreach (var process in Enumerable.Reverse(_processes)) await process.DisposeAsync();
        await _servers.DisposeAsync();
        if (Directory.Exists(_blobRoot)) Directory.Delete(_blobRoot, recursive: true);
    }

    private static async Task<string> KeyAsync(Dictionary<string, string> gatewayEnv, string tenant, string name, params string[] scopes) =>
        (await ServiceProcess.RunToCompletionAsync("Gateway",
            $"keys create --tenant {tenant} --name {name} " + string.Join(" ", scopes.Select(scope => "--scope " + scope)), gatewayEnv)).Trim();

    /// <summary>Registers a trained model as the worker does after a job: the version's facts, then the model's bytes.</summary>
    private static async Task<ModelVersion> RegisterAsync(GrpcChannel channel, TrainedModel trained, string datasetId)
    {
        var version = new ModelVersion
        {
            ModelName = Model,
            JobId = Guid.NewGuid().ToString(),
            DatasetId = datasetId,
            DatasetSha256 = new string('d', 64),
            Task = trained.Spec.Task.ToWireName(),
            Trainer = trained.Spec.Trainer,
            Seed = trained.Spec.Seed,
            LabelColumn = trained.Spec.LabelColumn,
        };
        foreach (var step in trained.Result.Preparation)
        {
            var message = new PreparationStep { Kind = step.Kind };
            message.Columns.Add(step.Columns);
            version.PreparationSteps.Add(message);
        }
        var bytes = await File.ReadAllBytesAsync(trained.ModelPath);
        using var call = new ModelRegistry.ModelRegistryClient(channel).RegisterModelVersion(Tenant.Headers(Tenant.Default));
        await call.RequestStream.WriteAsync(new RegisterModelVersionRequest { Version = version });
        await call.RequestStream.WriteAsync(new RegisterModelVersionRequest
        {
            Artifact = new Artifact
            {
                Kind = "model", FileName = "model.zip", SizeBytes = bytes.Length,
                Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)),
            },
        });
        for (var offset = 0; offset < bytes.Length; offset += 256 * 1024)
            await call.RequestStream.WriteAsync(new RegisterModelVersionRequest
            {
                Chunk = ByteString.CopyFrom(bytes, offset, Math.Min(256 * 1024, bytes.Length - offset)),
            });
        await call.RequestStream.CompleteAsync();
        return await call.ResponseAsync;
    }

    private async Task<ServiceProcess> Start(string service, Dictionary<string, string> environment)
    {
        var process = await ServiceProcess.StartAsync(service, environment);
        _processes.Add(process);
        return process;
    }
}
